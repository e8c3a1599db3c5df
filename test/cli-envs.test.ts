// `monobot envs`: the component x environment matrix of a config repo checkout, its errors and exit codes.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../src/cli.js";

const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "monobot-envs-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd: EXAMPLES,
  });
  return { code, stdout, stderr };
}

/** A copy of an example to break. */
function copyOf(example: string): string {
  const to = join(dir, `${example}-${Math.random().toString(36).slice(2)}`);
  cpSync(join(EXAMPLES, example), to, { recursive: true });
  return to;
}

describe("monobot envs", () => {
  it("prints the matrix of the Fleet example", async () => {
    const r = await run(["envs", "--repo", "config-repo-fleet"]);
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "Environments in promotion order: staging -> production; the pins hold image tags.",
        "",
        "COMPONENT  CHART           STAGING                           PRODUCTION (production)",
        "roc-api    charts/roc-api  1.3.0 fleet/aether/fleet.yaml:15  1.2.3 fleet/aether/fleet.yaml:27",
        "web        charts/web      2.1.0 fleet/aether/fleet.yaml:17  2.0.1 fleet/aether/fleet.yaml:29",
        "",
      ].join("\n"),
    });
  });

  it("prints JSON with every pin", async () => {
    const r = await run(["envs", "--repo", "config-repo-umbrella", "--format", "json"]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      environments: unknown;
      components: { name: string; environments: Record<string, unknown> }[];
      errors: unknown[];
    };
    expect(json.environments).toEqual([
      { name: "staging", production: false },
      { name: "production", production: true },
    ]);
    expect(json.components[0]).toEqual({
      name: "roc-api",
      charts: ["charts/roc-api"],
      environments: {
        staging: {
          version: "0.5.0",
          kind: "chart",
          mixed: false,
          pins: [
            {
              chart: "charts/roc-api",
              file: "envs/staging/Chart.yaml",
              key: "dependencies[name=roc-api].version",
              line: 9,
              value: "0.5.0",
            },
          ],
        },
        production: {
          version: "0.4.1",
          kind: "chart",
          mixed: false,
          pins: [
            {
              chart: "charts/roc-api",
              file: "envs/production/Chart.yaml",
              key: "dependencies[name=roc-api].version",
              line: 9,
              value: "0.4.1",
            },
          ],
        },
      },
    });
    expect(json.errors).toEqual([]);
  });

  it("exits 2 with each pin error on its line", async () => {
    const repo = copyOf("config-repo-fleet");
    const fleet = join(repo, "fleet/aether/fleet.yaml");
    writeFileSync(fleet, readFileSync(fleet, "utf8").replace("- name: production", "- name: prod"));
    const r = await run(["envs", "--repo", repo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      ".github/monobot.yml:18: deploy.environments[1] (production) pins[0].key names nothing in fleet/aether/fleet.yaml: targetCustomizations[name=production]: no entry has name: production\n",
    );
    expect(r.stdout).toContain("roc-api    charts/roc-api  1.3.0 fleet/aether/fleet.yaml:15");
  });

  it("exits 2 on a fleet.yaml that does not parse", async () => {
    const repo = copyOf("config-repo-fleet");
    writeFileSync(join(repo, "fleet/aether/fleet.yaml"), "helm: [\n");
    const r = await run(["envs", "--repo", repo, "--format", "json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("fleet/aether/fleet.yaml:2: fleet/aether/fleet.yaml does not parse");
    expect((JSON.parse(r.stdout) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it("exits 2 on an invalid policy, with its line", async () => {
    const repo = copyOf("config-repo-values");
    const policy = join(repo, ".github/monobot.yml");
    writeFileSync(policy, readFileSync(policy, "utf8").replace("soak: 1h", "soak: an hour"));
    const r = await run(["envs", "--repo", repo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      ".github/monobot.yml:13:9: deploy.environments.1.verify.soak must be a duration such as 20s, 10m, 1h or 1h30m\n",
    );
  });

  it("says so when the policy lists no environments", async () => {
    // The demo's config repo lists environments; this copy is the same repository without them.
    const repo = copyOf("config-repo");
    writeFileSync(join(repo, ".github/monobot.yml"), "deploy:\n  freeze: []\n");
    const r = await run(["envs", "--repo", repo]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      ".github/monobot.yml lists no environments (deploy.environments); see docs/environments.md.\n",
    );
  });

  it("takes --config", async () => {
    const r = await run([
      "envs",
      "--repo",
      "config-repo-values",
      "--config",
      "config-repo-fleet/.github/monobot.yml",
    ]);
    // The Fleet policy on the values layout: its fleet.yaml does not exist there.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "config-repo-fleet/.github/monobot.yml:8: deploy.environments[0] (staging) pins[0] names nothing for any component: fleet/aether/fleet.yaml does not exist",
    );
  });

  it.each([
    [["envs", "--format", "yaml"], '--format must be text or json, got "yaml"'],
    [["envs", "--colour"], "Unknown option '--colour'"],
    [["envs", "--config", "nope.yml"], "cannot read nope.yml"],
  ])("exits 2 on %j", async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("has help", async () => {
    const r = await run(["envs", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("monobot envs [--repo PATH] [--format text|json] [--config FILE]");
    expect((await run(["--help"])).stdout).toContain("monobot envs");
  });
});
