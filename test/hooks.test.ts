import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";

const exec = promisify(execFile);
const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");
const BIN = new URL("../bin/monobot.js", import.meta.url).pathname;
const SIGNED = "Signed-off-by: Dev <dev@example.com>";

interface Hook {
  id: string;
  entry: string;
  language: string;
  pass_filenames: boolean;
  always_run: boolean;
  stages: string[];
}

const hooks = parse(read(".pre-commit-hooks.yaml")) as Hook[];
const [hook] = hooks;

describe(".pre-commit-hooks.yaml", () => {
  it("defines monobot-check: monobot check against origin/HEAD before a push, no file names", () => {
    expect(hooks).toHaveLength(1);
    expect(hook).toMatchObject({
      id: "monobot-check",
      entry: "monobot check --base origin/HEAD --head HEAD",
      language: "node",
      pass_filenames: false,
      always_run: true,
      stages: ["pre-push"],
    });
  });

  describe("its entry, run in a clone", () => {
    let upstream: TempRepo;
    let clone: TempRepo;
    afterEach(() => {
      upstream.remove();
      clone.remove();
    });

    it.runIf(existsSync(new URL("../dist/bundle/monobot.cjs", import.meta.url)))(
      "checks every commit of the branch since the default branch, pushed or not",
      async () => {
        upstream = tempRepo("upstream");
        upstream.commit({
          LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
          "services/api/VERSION": "1.0.0\n",
          "services/api/main.go": "// SPDX-License-Identifier: Apache-2.0\npackage main\n",
        });
        clone = tempRepo("clone");
        clone.git("remote", "add", "origin", upstream.dir);
        clone.git("fetch", "-q", "origin");
        clone.git("remote", "set-head", "origin", "main");
        clone.git("checkout", "-q", "-b", "feature", "origin/main");
        // The VERSION bump was pushed already; the code change after it is not.
        clone.commit({ "services/api/VERSION": "1.1.0\n" }, `api: 1.1.0\n\n${SIGNED}`);
        clone.git("push", "-q", "origin", "feature");
        clone.git("branch", "-q", "--set-upstream-to=origin/feature");
        clone.commit(
          {
            "services/api/main.go": "// SPDX-License-Identifier: Apache-2.0\npackage main\n// v2\n",
          },
          `api: v2\n\n${SIGNED}`,
        );
        const args = (hook?.entry ?? "").split(" ").slice(1);
        const passed = await exec("node", [BIN, ...args], { cwd: clone.dir });
        expect(passed.stdout).toContain("api  services/api 1.0.0 -> 1.1.0 (2 files)");
        expect(passed.stdout).toContain("SUCCESS  monobot/versions");

        clone.commit({ "services/api/extra.go": "package main\n" }, "no header, no sign-off");
        const failed = await exec("node", [BIN, ...args], { cwd: clone.dir }).then(
          () => null,
          (e: { code: number; stdout: string }) => e,
        );
        expect(failed?.code).toBe(1);
        expect(failed?.stdout).toContain("FAILURE  monobot/dco");
      },
    );
  });
});

describe("action.yml", () => {
  const action = parse(read("action.yml")) as {
    inputs: Record<string, { required: boolean; default: string }>;
    runs: { using: string; steps: { run: string; env?: Record<string, string> }[] };
  };
  const source = read("src/action.ts");

  it("passes every input to the entry point under the name src/action.ts reads", () => {
    const step = action.runs.steps.find((s) => s.run.includes("bin/action.js"));
    expect(step?.run).toBe('node "$GITHUB_ACTION_PATH/bin/action.js"');
    for (const name of Object.keys(action.inputs)) {
      const variable = `INPUT_${name.toUpperCase()}`;
      expect(step?.env?.[variable]).toBe(`\${{ inputs.${name} }}`);
      expect(source).toContain(`env.${variable}`);
    }
    expect(source.match(/env\.INPUT_\w+/g)?.sort()).toEqual(
      Object.keys(action.inputs)
        .map((n) => `env.INPUT_${n.toUpperCase()}`)
        .sort(),
    );
  });

  it("installs and builds monobot in its own folder before running it", () => {
    expect(action.runs.using).toBe("composite");
    expect(action.runs.steps[0]?.run).toMatch(/^npm ci\b/);
  });
});
