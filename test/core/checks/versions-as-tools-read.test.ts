// VERSION files and Chart.yaml read as Helm and the release tools read them (issue 20, item 4).
import { describe, expect, it } from "vitest";
import { versionsCheck } from "../../../src/core/checks/versions.js";
import { parseChart, parseRequirements } from "../../../src/core/charts.js";
import { componentReport } from "../../../src/core/components.js";
import { setChartVersion, setDependencyPin, setVersionFile } from "../../../src/core/edits.js";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../../src/core/policy.js";
import { contentKey, type ChangedFile, type CheckResult } from "../../../src/core/types.js";
import { parseVersionFile } from "../../../src/core/versions.js";

type Tree = Record<string, string>;

/** The check as the pipeline runs it: only the contents its `needs` asked for. */
function check(base: Tree, head: Tree): CheckResult {
  const policy = mergePolicy(defaultPolicyObject(), {}) as Policy;
  const files: ChangedFile[] = [];
  for (const path of [...new Set([...Object.keys(base), ...Object.keys(head)])].sort()) {
    const b = base[path];
    const h = head[path];
    if (b === h) continue;
    const status = b === undefined ? "added" : h === undefined ? "removed" : "modified";
    files.push({ path, status, additions: 1, deletions: b === undefined ? 0 : 1 });
  }
  const headPaths = Object.keys(head).sort();
  const components = componentReport(headPaths, files, policy, "mono");
  const snapshot = {
    repo: { owner: "acme", name: "mono", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "feature", sha: "h".repeat(40) },
    files,
    truncated: false,
    commits: [
      {
        sha: "c0ffee0000000000000000000000000000000000",
        message: "fix: change",
        author: { name: "Dev", email: "dev@example.com" },
        parents: 1,
      },
    ],
    headPaths,
  };
  const contents = new Map<string, string | null>();
  for (const r of versionsCheck.needs?.({ snapshot, policy, components }) ?? []) {
    contents.set(contentKey(r.side, r.path), (r.side === "base" ? base : head)[r.path] ?? null);
  }
  return versionsCheck.run({ snapshot: { ...snapshot, contents }, policy, components });
}

function failures(result: CheckResult): string[] {
  return result.annotations.filter((a) => a.level === "failure").map((a) => a.message);
}

describe("a VERSION file with trailing blank lines or whitespace", () => {
  it.each([
    ["a blank line after it (config-models)", "0.5.8-dev\n\n", "0.5.8-dev"],
    ["several blank lines", "1.2.3\n\n\n", "1.2.3"],
    ["spaces after it", "1.2.3  \n", "1.2.3"],
    ["a tab and CRLF blank lines", "1.2.3\t\r\n\r\n", "1.2.3"],
    ["whitespace-only lines after it", "1.2.3\n \n\t\n", "1.2.3"],
    ["no line ending, trailing spaces", "1.2.3 ", "1.2.3"],
  ])("reads %s as the version", (_name, text, version) => {
    expect(parseVersionFile(text)).toEqual({ ok: true, version });
  });

  it.each([
    [
      "a second version after a blank line",
      "1.2.3\n\n1.2.4\n",
      3,
      /has 3 lines.*keep only 1\.2\.3/,
    ],
    ["words after blank lines", "1.2.3\n\n\nnotes\n", 4, /has 4 lines/],
    ["a no-break space line", "1.2.3\n\u00a0\n", 2, /has 2 lines/],
    ["two versions on one line", "1.2.3 1.2.4\n", 1, /not a SemVer 2\.0\.0 version/],
    ["garbage", "6.0.0.dev0\n\n", 1, /"6\.0\.0\.dev0", which is not a SemVer/],
    ["a blank line before it", "\n\n1.2.3\n", 1, /empty line 1.*write 1\.2\.3 there/],
    ["leading spaces", "  1.2.3\n", 1, /spaces around the version/],
  ])("still refuses %s, on the line to change", (_name, text, line, message) => {
    const result = parseVersionFile(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.line).toBe(line);
    expect(result.message).toMatch(message);
  });

  it("passes monobot/versions when the version went up, and /bump keeps the layout", () => {
    const base = { "models/testdevice/VERSION": "0.5.7-dev\n\n", "models/testdevice/a.yang": "a" };
    const head = { ...base, "models/testdevice/VERSION": "0.5.8-dev\n\n" };
    const result = check(base, head);
    expect(failures(result)).toEqual([]);
    expect(result.conclusion).toBe("success");
    expect(setVersionFile("0.5.8-dev\n\n", "0.5.8")).toEqual({
      ok: true,
      content: "0.5.8\n\n",
      changed: true,
    });
  });

  it("still fails a release that was not bumped, with the version rule's message", () => {
    const base = { "models/testdevice/VERSION": "0.5.7\n\n", "models/testdevice/a.yang": "a" };
    const head = { ...base, "models/testdevice/a.yang": "b" };
    const result = check(base, head);
    expect(failures(result)).toEqual([
      expect.stringMatching(/changed \(1 file\) but VERSION is still 0\.5\.7/),
    ]);
  });
});

const DUPLICATE_API_VERSION = [
  "---",
  "# a copyright header",
  "",
  "apiVersion: v1",
  "name: dt-workflow-driver",
  'description: A Helm chart for XOS\'s "dt-workflow-driver" service',
  "apiVersion: v1",
  "",
  "version: 2.0.2",
  "appVersion: 2.0.1",
  "",
].join("\n");

describe("a Chart.yaml with a key written twice", () => {
  it("is read as Helm reads it: the last value wins (opencord/helm-charts)", () => {
    const parsed = parseChart(DUPLICATE_API_VERSION, "Chart.yaml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.chart.name).toBe("dt-workflow-driver");
    expect(parsed.chart.version).toMatchObject({ value: "2.0.2", line: 9 });
    expect(parsed.chart.appVersion?.value).toBe("2.0.1");
  });

  it("takes the last version, appVersion, and dependency field written", () => {
    const text = [
      "name: app",
      "version: 1.0.0",
      "appVersion: 1.0.0",
      "version: 1.1.0",
      "appVersion: 2.0.0",
      "dependencies:",
      "  - name: db",
      "    version: 0.1.0",
      "    repository: file://../db",
      "    version: 0.2.0",
      "",
    ].join("\n");
    const parsed = parseChart(text, "Chart.yaml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.chart.version).toMatchObject({ value: "1.1.0", line: 4 });
    expect(parsed.chart.appVersion).toMatchObject({ value: "2.0.0", line: 5 });
    expect(parsed.chart.dependencies[0]?.version).toMatchObject({ value: "0.2.0", line: 10 });
    const requirements = parseRequirements(
      "dependencies:\n  - name: old\ndependencies:\n  - name: db\n    version: 0.2.0\n",
      "requirements.yaml",
    );
    expect(requirements.ok && requirements.dependencies.map((d) => d.name)).toEqual(["db"]);
  });

  it("still refuses a file that is not YAML or not a mapping", () => {
    expect(parseChart("name: a\nversion: [1.0.0\n", "Chart.yaml")).toMatchObject({
      ok: false,
      message: /is not valid YAML/,
    });
    expect(parseChart("- name: a\n", "Chart.yaml")).toMatchObject({
      ok: false,
      message: /must be a YAML mapping/,
    });
  });

  it("passes monobot/versions when the chart went up, and fails it when it did not", () => {
    const base = {
      "charts/dt/Chart.yaml": DUPLICATE_API_VERSION,
      "charts/dt/values.yaml": "a: 1\n",
    };
    const bumped = {
      "charts/dt/Chart.yaml": DUPLICATE_API_VERSION.replace("version: 2.0.2", "version: 2.0.3"),
      "charts/dt/values.yaml": "a: 2\n",
    };
    const upResult = check(base, bumped);
    expect(failures(upResult)).toEqual([]);
    expect(upResult.conclusion).toBe("success");
    const stale = check(base, { ...base, "charts/dt/values.yaml": "a: 2\n" });
    expect(failures(stale)).toEqual([
      expect.stringMatching(/^charts\/dt changed \(1 file\) but its version is still 2\.0\.2/),
    ]);
  });

  it("judges the version Helm packages: the last one written", () => {
    const base = { "charts/app/Chart.yaml": "name: app\nversion: 1.0.0\n" };
    const first = check(base, {
      "charts/app/Chart.yaml": "name: app\nversion: 1.0.1\nversion: 1.0.0\n",
    });
    expect(failures(first)).toEqual([expect.stringMatching(/its version is still 1\.0\.0/)]);
    const last = check(base, {
      "charts/app/Chart.yaml": "name: app\nversion: 1.0.0\nversion: 1.0.1\n",
    });
    expect(failures(last)).toEqual([]);
  });

  it("can be bumped by /bump: the edit changes the value Helm reads, and nothing else", () => {
    expect(setChartVersion(DUPLICATE_API_VERSION, "2.0.3")).toEqual({
      ok: true,
      content: DUPLICATE_API_VERSION.replace("version: 2.0.2", "version: 2.0.3"),
      changed: true,
    });
    const pinned =
      "name: u\nversion: 1.0.0\nname: u\ndependencies:\n  - name: db\n    version: 0.1.0\n";
    expect(setDependencyPin(pinned, "chart", { index: 0, name: "db" }, "0.2.0")).toMatchObject({
      ok: true,
      content: pinned.replace("version: 0.1.0", "version: 0.2.0"),
    });
  });
});
