import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  annotationCommands,
  escapeData,
  escapeProperty,
  rangeFromEvent,
  runAction,
} from "../src/action.js";
import type { CheckResult } from "../src/core/types.js";
import { tempRepo, type TempRepo } from "./helpers/git-repo.js";

const exec = promisify(execFile);
const SIGNED = "Signed-off-by: Dev <dev@example.com>";

let repo: TempRepo;
let scratch: string;
let base: string;

/** Runs the Action as GitHub would on a pull_request event from `base` to `head`. */
async function action(head: string, extra: Record<string, string> = {}, event?: object) {
  const eventPath = join(scratch, "event.json");
  const summaryPath = join(scratch, "summary.md");
  const pullRequest = {
    action: "synchronize",
    number: 7,
    pull_request: {
      number: 7,
      base: { ref: "main", sha: base },
      head: { ref: "feature", sha: head },
    },
  };
  writeFileSync(eventPath, JSON.stringify(event ?? pullRequest));
  writeFileSync(summaryPath, "");
  let stdout = "";
  const env = {
    GITHUB_EVENT_NAME: "pull_request",
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: repo.dir,
    ...extra,
  };
  const code = await runAction(env, { stdout: (t) => (stdout += t), cwd: scratch });
  return { code, stdout, summary: readFileSync(summaryPath, "utf8"), env };
}

describe("the GitHub Action", () => {
  beforeEach(() => {
    repo = tempRepo();
    base = repo.commit({
      LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
      "services/api/VERSION": "1.2.3\n",
      "services/api/main.go": "// SPDX-License-Identifier: Apache-2.0\npackage main\n",
      "services/web/VERSION": "0.9.0\n",
      "services/web/index.ts": "// SPDX-License-Identifier: Apache-2.0\nexport {};\n",
    });
    repo.git("checkout", "-q", "-b", "feature");
    scratch = mkdtempSync(join(tmpdir(), "monobot-action-"));
  });

  afterEach(() => {
    repo.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("passes a good pull request: the summary tables, no annotations, exit 0", async () => {
    const head = repo.commit(
      {
        "services/api/main.go":
          "// SPDX-License-Identifier: Apache-2.0\npackage main\n\nfunc main() {}\n",
        "services/api/VERSION": "1.3.0\n",
      },
      `api: add main\n\n${SIGNED}`,
    );
    const { code, stdout, summary } = await action(head);
    expect(code).toBe(0);
    expect(stdout).not.toContain("::error");
    expect(summary).toContain(`### monobot · \`${head.slice(0, 7)}\``);
    expect(summary).toContain("| api | `services/api` | 1.2.3 → 1.3.0 | 2 files changed |");
    expect(summary).toContain("| `monobot/versions` | ✅ success |");
    expect(summary).not.toContain("/help");
    // The log carries the CLI's text report.
    expect(stdout).toContain("SUCCESS  monobot/lint");
  });

  it("fails a pull request with problems: annotations on the lines, details in the summary, exit 1", async () => {
    const head = repo.commit(
      {
        "services/web/a,b:c.ts": "export const x = 1;   \n",
        "services/web/VERSION": "0.9.1\n",
      },
      "web: a file without a header, not signed off",
    );
    const { code, stdout, summary } = await action(head);
    expect(code).toBe(1);
    // Property values escape `,` and `:`; the file names the exact line.
    expect(stdout).toMatch(
      /^::error file=services\/web\/a%2Cb%3Ac\.ts,line=1,endLine=1,title=monobot\/license%3A Missing SPDX license header::No `SPDX-License-Identifier:` line.+%0A.+$/m,
    );
    expect(stdout).toMatch(
      /^::warning file=services\/web\/a%2Cb%3Ac\.ts,line=1,endLine=1,title=monobot\/lint%3A Trailing whitespace::/m,
    );
    // A failing check without annotations still shows up, with its summary's first lines.
    expect(stdout).toMatch(/^::error title=monobot\/dco::.*%0A/m);
    expect(summary).toContain("| `monobot/license` | ❌ failure |");
    expect(summary).toContain("| `monobot/dco` | ❌ failure |");
    expect(summary).toMatch(/<details><summary><code>monobot\/dco<\/code>: .+<\/summary>/);
  });

  it("points at the line of an invalid policy and exits 2", async () => {
    const head = repo.commit(
      { ".github/monobot.yml": "versions:\n  prerelease: sometimes\n" },
      `policy\n\n${SIGNED}`,
    );
    const { code, stdout, summary } = await action(head);
    expect(code).toBe(2);
    expect(stdout).toMatch(
      /^::error file=\.github\/monobot\.yml,line=2,endLine=2,title=monobot\/config%3A .+::versions\.prerelease must be one of "allow", "forbid"$/m,
    );
    expect(summary).toContain("| `monobot/config` | ❌ failure |");
  });

  it("says to fetch the whole history when a commit of the event is not in the clone", async () => {
    const { code, stdout } = await action("1234567890123456789012345678901234567890");
    expect(code).toBe(2);
    expect(stdout).toMatch(/^::error title=monobot::monobot: unknown git ref .*fetch-depth: 0/m);
  });

  it("exits 2 with a clear error when the event has no pull request and no inputs are set", async () => {
    const { code, stdout, summary } = await action(
      "unused",
      { GITHUB_EVENT_NAME: "workflow_dispatch" },
      { inputs: {} },
    );
    expect(code).toBe(2);
    expect(stdout).toBe(
      "::error title=monobot::monobot: no base commit in the workflow_dispatch event: run the action on pull_request (or merge_group) events, or set its base and head inputs\n",
    );
    expect(summary).toBe("");
  });

  it("checks the range the inputs name instead of the event's", async () => {
    const head = repo.commit({ "services/web/VERSION": "1.0.0\n" }, `web: 1.0.0\n\n${SIGNED}`);
    const { code, stdout } = await action(
      "unused",
      { GITHUB_EVENT_NAME: "workflow_dispatch", INPUT_BASE: "main", INPUT_HEAD: "feature" },
      { inputs: {} },
    );
    expect(code).toBe(0);
    expect(stdout).toContain("web  services/web 0.9.0 -> 1.0.0");
    expect(head).toMatch(/^[0-9a-f]{40}$/);
  });

  it.runIf(existsSync(new URL("../dist/bundle/action.cjs", import.meta.url)))(
    "runs from bin/action.js, the file action.yml runs",
    async () => {
      const head = repo.commit({ "services/web/index.ts": "export const y = 2;\n" }, "unsigned");
      const { env } = await action(head);
      writeFileSync(env.GITHUB_STEP_SUMMARY, "");
      const bin = new URL("../bin/action.js", import.meta.url).pathname;
      const failed = await exec("node", [bin], {
        env: { ...process.env, ...env },
        cwd: scratch,
      }).then(
        () => null,
        (e: { code: number; stdout: string }) => e,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toMatch(/^::error file=services\/web\/index\.ts,line=1,/m);
      expect(readFileSync(env.GITHUB_STEP_SUMMARY, "utf8")).toContain(
        "| `monobot/dco` | ❌ failure |",
      );
    },
  );
});

describe("rangeFromEvent", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  it.each([
    ["pull_request", { pull_request: { base: { sha: a }, head: { sha: b } } }, {}, [a, b]],
    ["pull_request_target", { pull_request: { base: { sha: a }, head: { sha: b } } }, {}, [a, b]],
    ["merge_group", { merge_group: { base_sha: a, head_sha: b } }, {}, [a, b]],
    ["push", { before: a, after: b }, {}, [a, b]],
    ["push", { before: a, after: b }, { base: "main" }, ["main", b]],
    ["workflow_dispatch", {}, { base: "main", head: "HEAD" }, ["main", "HEAD"]],
  ])("%s %j with inputs %j", (name, event, inputs, [wantBase, wantHead]) => {
    expect(rangeFromEvent(name, event, inputs)).toMatchObject({ base: wantBase, head: wantHead });
  });

  it.each([
    ["push", { before: "0".repeat(40), after: b }, "no base commit in the push event"],
    ["workflow_dispatch", {}, "no base commit in the workflow_dispatch event"],
    ["pull_request", { pull_request: { base: { sha: a } } }, "no head commit"],
  ])("refuses %s %j", (name, event, message) => {
    expect(() => rangeFromEvent(name, event, {})).toThrow(message);
  });
});

describe("workflow command escaping", () => {
  it.each([
    ["plain", "plain", "plain"],
    ["50% done", "50%25 done", "50%25 done"],
    ["two\nlines\r\n", "two%0Alines%0D%0A", "two%0Alines%0D%0A"],
    ["a,b:c", "a,b:c", "a%2Cb%3Ac"],
    ["%0A", "%250A", "%250A"],
  ])("%j", (text, data, property) => {
    expect(escapeData(text)).toBe(data);
    expect(escapeProperty(text)).toBe(property);
  });

  it("maps annotation levels to error, warning and notice", () => {
    const result: CheckResult = {
      name: "monobot/lint",
      conclusion: "failure",
      title: "3 problems",
      summary: "",
      annotations: (["failure", "warning", "notice"] as const).map((level, i) => ({
        path: "x.yml",
        start_line: i + 1,
        end_line: i + 2,
        level,
        message: `${level}: 100%`,
      })),
    };
    expect(annotationCommands([result])).toEqual([
      "::error file=x.yml,line=1,endLine=2,title=monobot/lint::failure: 100%25",
      "::warning file=x.yml,line=2,endLine=3,title=monobot/lint::warning: 100%25",
      "::notice file=x.yml,line=3,endLine=4,title=monobot/lint::notice: 100%25",
    ]);
  });
});
