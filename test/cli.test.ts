import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";
import type { CheckDefinition } from "../src/core/checks/registry.js";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";

const exec = promisify(execFile);

let repo: TempRepo;

beforeEach(() => {
  repo = tempRepo();
  repo.commit({
    "services/api/VERSION": "1.2.3\n",
    "services/api/main.go": "package main\n",
    "services/api/plugins/auth/VERSION": "0.1.0\n",
    "services/api/plugins/auth/auth.go": "package auth\n",
    "libs/proto/VERSION": "2.0.0\n",
    "libs/proto/api.proto": 'syntax = "proto3";\n',
    "services/web/VERSION": "0.9.0\n",
    "services/web/index.ts": "export {};\n",
    ".github/monobot.yml": "components:\n  define:\n    web:\n      depends_on: [proto]\n",
    "README.md": "# mono\n",
  });
  repo.git("checkout", "-q", "-b", "feature");
});

afterEach(() => repo.remove());

async function cli(args: string[], checks?: readonly CheckDefinition[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(
    args,
    { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: repo.dir },
    ...(checks ? [checks] : []),
  );
  return { code, stdout, stderr };
}

interface JsonOut {
  components: {
    name: string;
    path: string;
    affected: boolean;
    version: { base: string | null; head: string | null };
  }[];
  outside: string[];
  checks: {
    name: string;
    conclusion: string;
    summary: string;
    annotations: {
      path: string;
      start_line: number;
      end_line: number;
      level: string;
      message: string;
    }[];
  }[];
}

describe("monobot check", () => {
  it("prints the JSON contract: components with versions at base and head, and checks", async () => {
    repo.commit({
      "services/api/plugins/auth/auth.go": "package auth // v2\n",
      "services/api/plugins/auth/VERSION": "0.2.0\n",
      "libs/proto/api.proto": 'syntax = "proto3"; // x\n',
      LICENSE: "Apache-2.0\n",
    });
    const { code, stdout } = await cli(
      ["check", "--repo", ".", "--base", "main", "--head", "feature", "--format", "json"],
      [],
    );
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as JsonOut;
    const byName = Object.fromEntries(out.components.map((c) => [c.name, c]));
    expect(Object.keys(byName).sort()).toEqual(["api", "auth", "proto", "web"]);
    expect(byName.auth).toEqual({
      name: "auth",
      path: "services/api/plugins/auth",
      affected: true,
      version: { base: "0.1.0", head: "0.2.0" },
    });
    // A nested component's change does not make its parent affected.
    expect(byName.api).toMatchObject({
      affected: false,
      version: { base: "1.2.3", head: "1.2.3" },
    });
    // depends_on makes web affected by proto's change.
    expect(byName.proto?.affected).toBe(true);
    expect(byName.web?.affected).toBe(true);
    expect(out.outside).toEqual(["LICENSE"]);
    expect(out.checks.map((c) => [c.name, c.conclusion])).toEqual([["monobot/config", "success"]]);
  });

  it("exits 1 when a check fails, with its annotations in the text output", async () => {
    repo.commit({ "services/api/main.go": "package main\n// changed\n" });
    const failing: CheckDefinition = {
      id: "lint",
      name: "monobot/lint",
      run: ({ snapshot }) => ({
        name: "monobot/lint",
        conclusion: "failure",
        title: "bad",
        summary: "bad",
        annotations: snapshot.files.map((f) => ({
          path: f.path,
          start_line: 2,
          end_line: 2,
          level: "failure" as const,
          message: "no",
        })),
      }),
    };
    const { code, stdout } = await cli(["check", "--base", "main", "--head", "HEAD"], [failing]);
    expect(code).toBe(1);
    expect(stdout).toContain("FAILURE  monobot/lint: bad");
    expect(stdout).toContain("failure services/api/main.go:2: no");
    expect(stdout).toContain("api  services/api 1.2.3 -> 1.2.3 (1 files)");
  });

  it("compares from the merge base, like a pull request", async () => {
    repo.commit({ "services/web/index.ts": "export const x = 1;\n" });
    repo.git("checkout", "-q", "main");
    repo.commit({ "services/api/main.go": "package main // on main\n" });
    const { stdout } = await cli(
      ["check", "--base", "main", "--head", "feature", "--format", "json"],
      [],
    );
    const out = JSON.parse(stdout) as JsonOut;
    expect(out.components.filter((c) => c.affected).map((c) => c.name)).toEqual(["web"]);
  });

  it("uses --config FILE instead of the repository's policy", async () => {
    repo.commit({ "libs/proto/api.proto": 'syntax = "proto3"; // y\n' });
    const dir = mkdtempSync(join(tmpdir(), "monobot-cfg-"));
    const file = join(dir, "policy.yml");
    writeFileSync(file, "components:\n  exclude: ['libs/**']\n");
    const { stdout } = await cli(
      ["check", "--base", "main", "--head", "HEAD", "--format", "json", "--config", file],
      [],
    );
    const out = JSON.parse(stdout) as JsonOut;
    expect(out.components.map((c) => c.name).sort()).toEqual(["api", "auth", "web"]);
    expect(out.outside).toEqual(["libs/proto/api.proto"]);
  });

  it.each([
    {
      name: "an unknown ref",
      args: ["check", "--base", "nope", "--head", "HEAD"],
      stderr: /unknown git ref "nope"/,
    },
    {
      name: "a missing --head",
      args: ["check", "--base", "main"],
      stderr: /needs --base REF and --head REF/,
    },
    {
      name: "a bad format",
      args: ["check", "--base", "main", "--head", "HEAD", "--format", "xml"],
      stderr: /--format must be text or json/,
    },
    {
      name: "an unknown option",
      args: ["check", "--bass", "main"],
      stderr: /Unknown option '--bass'/,
    },
    { name: "an unknown command", args: ["deploy"], stderr: /unknown command "deploy"/ },
    {
      name: "no repository",
      args: ["check", "--repo", "/nonexistent", "--base", "a", "--head", "b"],
      stderr: /git/,
    },
  ])("exits 2 on $name", async ({ args, stderr }) => {
    const result = await cli(args, []);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(stderr);
  });

  it("exits 2 with the file and line when the repository's policy is invalid", async () => {
    repo.commit({ ".github/monobot.yml": "versions:\n  prerelease: later\n" });
    const { code, stdout } = await cli(
      ["check", "--base", "main", "--head", "HEAD", "--format", "json"],
      [],
    );
    expect(code).toBe(2);
    const out = JSON.parse(stdout) as JsonOut;
    expect(out.checks[0]).toMatchObject({ name: "monobot/config", conclusion: "failure" });
    expect(out.checks[0]?.annotations[0]).toMatchObject({
      path: ".github/monobot.yml",
      start_line: 2,
      level: "failure",
    });
  });

  it("exits 2 on a depends_on cycle, naming it", async () => {
    repo.commit({
      ".github/monobot.yml":
        "components:\n  define:\n    web:\n      depends_on: [api]\n    api:\n      depends_on: [web]\n",
    });
    const { code, stdout } = await cli(["check", "--base", "main", "--head", "HEAD"], []);
    expect(code).toBe(2);
    expect(stdout).toMatch(/api -> web -> api/);
  });
});

describe("monobot config validate", () => {
  it("accepts a valid file", async () => {
    const { code, stdout } = await cli(["config", "validate", ".github/monobot.yml"]);
    expect(code).toBe(0);
    expect(stdout).toContain("valid");
  });

  it("names the file, line and problem of an invalid one", async () => {
    writeFileSync(join(repo.dir, "bad.yml"), "checks:\n  max_annotations: 0\n");
    const { code, stderr } = await cli(["config", "validate", "bad.yml"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^bad\.yml:2:3: checks\.max_annotations must be >= 1/);
  });

  it("exits 2 for a missing file", async () => {
    const { code, stderr } = await cli(["config", "validate", "missing.yml"]);
    expect(code).toBe(2);
    expect(stderr).toContain("cannot read missing.yml: ENOENT");
  });
});

describe("the monobot binary", () => {
  it.runIf(existsSync(new URL("../dist/cli-main.js", import.meta.url)))(
    "runs from bin/ with --help and check",
    async () => {
      const bin = new URL("../bin/monobot.js", import.meta.url).pathname;
      const help = await exec("node", [bin, "--help"]);
      expect(help.stdout).toContain("monobot check --repo PATH --base REF --head REF");
      repo.commit({ "services/web/index.ts": "export const y = 2;\n" });
      const args = [
        bin,
        "check",
        "--repo",
        repo.dir,
        "--base",
        "main",
        "--head",
        "HEAD",
        "--format",
        "json",
      ];
      // The test repository has no LICENSE and no SPDX headers: the real checks fail, exit 1.
      const failed = await exec("node", args).then(
        () => null,
        (e: { code: number; stdout: string }) => e,
      );
      expect(failed?.code).toBe(1);
      const out = JSON.parse(failed?.stdout ?? "{}") as JsonOut;
      expect(out.components.find((c) => c.name === "web")?.affected).toBe(true);
      expect(out.checks.map((c) => c.name)).toEqual([
        "monobot/config",
        "monobot/lint",
        "monobot/license",
        "monobot/dco",
        "monobot/versions",
        "monobot/secrets",
      ]);
      expect(out.checks.find((c) => c.name === "monobot/license")?.conclusion).toBe("failure");
    },
  );
});
