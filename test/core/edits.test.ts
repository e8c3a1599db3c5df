import { describe, expect, it } from "vitest";
import {
  setChartAppVersion,
  setChartVersion,
  setDependencyPin,
  setVersionFile,
  updateWriter,
  type EditResult,
} from "../../src/core/edits.js";

/** The lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  return b.filter((line, i) => line !== a[i]);
}

function content(result: EditResult): string {
  if (!result.ok) throw new Error(result.reason);
  return result.content;
}

describe("setVersionFile", () => {
  it.each([
    ["1.2.3\n", "1.2.4", "1.2.4\n"],
    ["1.2.3", "1.2.4", "1.2.4"],
    ["1.2.3\r\n", "2.0.0", "2.0.0\r\n"],
    ["1.4.0-dev\n", "1.4.0", "1.4.0\n"],
  ])("%j -> %s gives %j", (before, version, after) => {
    expect(setVersionFile(before, version)).toEqual({ ok: true, content: after, changed: true });
  });

  it("changes nothing when the version is already right", () => {
    expect(setVersionFile("1.2.3\n", "1.2.3")).toEqual({
      ok: true,
      content: "1.2.3\n",
      changed: false,
    });
  });

  it.each([
    ["v1.2.3\n", "1.2.4", /fix it by hand first/],
    ["1.2.3\n", "v1.2.4", /not a SemVer/],
  ])("refuses %j -> %s", (before, version, reason) => {
    const result = setVersionFile(before, version);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

const CHART = `# Chart of the ROC API.
apiVersion: v2
name: roc-api   # the service
description: "ROC API"
type: application
# Bumped on every change.
version: 1.2.3
appVersion: "1.2.3"
dependencies:
  - name: common
    version: '~0.3.0'   # shared helpers
    repository: file://../common
  - name: redis
    version: 17.1.0
    repository: https://charts.bitnami.com/bitnami
`;

describe("setChartVersion and setChartAppVersion", () => {
  it.each([
    ["plain version", (t: string) => setChartVersion(t, "1.2.4"), ["version: 1.2.4"]],
    ["quoted appVersion", (t: string) => setChartAppVersion(t, "1.3.0"), ['appVersion: "1.3.0"']],
  ])("changes one line for a %s, comments and quoting untouched", (_n, edit, lines) => {
    const after = content(edit(CHART));
    expect(changedLines(CHART, after)).toEqual(lines);
    expect(after.split("\n").length).toBe(CHART.split("\n").length);
    expect(after).toContain("# Bumped on every change.");
    expect(after).toContain("name: roc-api   # the service");
  });

  it.each([
    ["version: 1.0.0 # c\n", (t: string) => setChartVersion(t, "1.0.1"), "version: 1.0.1 # c\n"],
    ["version: '1.0.0'\n", (t: string) => setChartVersion(t, "1.0.1"), "version: '1.0.1'\n"],
    ['version: "1.0.0"\r\n', (t: string) => setChartVersion(t, "1.0.1"), 'version: "1.0.1"\r\n'],
    [
      "{name: a, version: 1.0.0}\n",
      (t: string) => setChartVersion(t, "1.1.0"),
      "{name: a, version: 1.1.0}\n",
    ],
    [
      "version: 1.0.0\nappVersion: 1.16\n",
      (t: string) => setChartAppVersion(t, "1.17"),
      'version: 1.0.0\nappVersion: "1.17"\n',
    ],
    [
      "version: 1.0.0\nappVersion: v1\n",
      (t: string) => setChartAppVersion(t, "v2"),
      "version: 1.0.0\nappVersion: v2\n",
    ],
    [
      "name: a\nversion: 1.0.0\ndescription: x\n",
      (t: string) => setChartAppVersion(t, "2.0.0"),
      'name: a\nversion: 1.0.0\nappVersion: "2.0.0"\ndescription: x\n',
    ],
    [
      "name: a\nversion: 1.0.0",
      (t: string) => setChartAppVersion(t, "2.0.0"),
      'name: a\nversion: 1.0.0\nappVersion: "2.0.0"',
    ],
    [
      "name: a\r\nversion: 1.0.0\r\n",
      (t: string) => setChartAppVersion(t, "2.0.0"),
      'name: a\r\nversion: 1.0.0\r\nappVersion: "2.0.0"\r\n',
    ],
  ])("edits %j exactly", (before, edit, after) => {
    expect(edit(before)).toEqual({ ok: true, content: after, changed: true });
  });

  it.each([
    ["no version line", "name: a\n", (t: string) => setChartVersion(t, "1.0.0"), /no version line/],
    ["broken YAML", "name: [a\n", (t: string) => setChartVersion(t, "1.0.0"), /does not parse/],
    [
      "a block scalar",
      "version: >-\n  1.0.0\n",
      (t: string) => setChartVersion(t, "1.0.1"),
      /block scalar/,
    ],
    [
      "appVersion in a flow map",
      "{name: a, version: 1.0.0}\n",
      (t: string) => setChartAppVersion(t, "1"),
      /add it by hand/,
    ],
  ])("refuses %s", (_n, before, edit, reason) => {
    const result = edit(before);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });
});

describe("setDependencyPin", () => {
  it("replaces one pin, keeping its quotes and comment", () => {
    const after = content(setDependencyPin(CHART, "chart", { index: 0, name: "common" }, "~0.4.0"));
    expect(changedLines(CHART, after)).toEqual(["    version: '~0.4.0'   # shared helpers"]);
  });

  it("edits requirements.yaml", () => {
    const before =
      "dependencies:\n- name: roc-api\n  version: 1.2.3\n  repository: file://../roc-api\n";
    expect(
      content(setDependencyPin(before, "requirements", { index: 0, name: "roc-api" }, "1.2.4")),
    ).toBe(before.replace("1.2.3", "1.2.4"));
  });

  it.each([
    [{ index: 1, name: "common" }, /no dependency common at entry 2/],
    [{ index: 5, name: "x" }, /no dependency x/],
  ])("refuses a dependency that is not there: %j", (dep, reason) => {
    const result = setDependencyPin(CHART, "chart", dep, "1.0.0");
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it("refuses a dependency without a version line", () => {
    const result = setDependencyPin(
      "dependencies:\n  - name: a\n",
      "chart",
      { index: 0, name: "a" },
      "1.0.0",
    );
    expect(!result.ok && result.reason).toMatch(/has no version line/);
  });

  it("verifies the result: an edit that would change another value is refused", () => {
    // appVersion is an alias of the version's anchor: changing one would change both.
    const before = "name: a\nversion: &v 1.0.0\nappVersion: *v\n";
    const result = setChartVersion(before, "1.0.1");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/would change other values/);
  });
});

describe("updateWriter: the one writer of every plan", () => {
  const files = new Map([
    ["charts/a/Chart.yaml", "name: a\nversion: 1.0.0\n"],
    ["VERSION", "1.0.0\n"],
  ]);
  const version = (path: string, to: string) => ({
    path,
    edit: (t: string) => setChartVersion(t, to),
    change: `version -> ${to}`,
  });

  it("applies updates in order, each on the text the previous left, and lists each file once", () => {
    const problems: string[] = [];
    const writer = updateWriter((p) => files.get(p), problems);
    expect(writer.apply(version("charts/a/Chart.yaml", "1.0.1"))).toBe(true);
    expect(writer.apply(version("charts/a/Chart.yaml", "1.0.2"))).toBe(true);
    // Already right: applied, but nothing to record.
    expect(writer.apply(version("charts/a/Chart.yaml", "1.0.2"))).toBe(true);
    expect(writer.textOf("charts/a/Chart.yaml")).toBe("name: a\nversion: 1.0.2\n");
    expect(writer.edits()).toEqual([
      {
        path: "charts/a/Chart.yaml",
        before: "name: a\nversion: 1.0.0\n",
        after: "name: a\nversion: 1.0.2\n",
        changes: ["version -> 1.0.1", "version -> 1.0.2"],
      },
    ]);
    expect(problems).toEqual([]);
  });

  it("creates a missing file, or refuses it when told to", () => {
    const created = updateWriter((p) => files.get(p), []);
    created.apply({ path: "new.txt", edit: () => ({ ok: true, content: "x\n", changed: true }) });
    expect(created.edits()).toEqual([
      { path: "new.txt", before: "", after: "x\n", changes: [], created: true },
    ]);
    const problems: string[] = [];
    const strict = updateWriter((p) => files.get(p), problems, {
      missing: (p) => `${p} could not be read`,
    });
    expect(strict.apply(version("charts/b/Chart.yaml", "1.0.0"))).toBe(false);
    expect(problems).toEqual(["charts/b/Chart.yaml could not be read"]);
    expect(strict.edits()).toEqual([]);
  });

  it("turns a refused edit into a problem, worded as the plan words them", () => {
    const problems: string[] = [];
    const writer = updateWriter((p) => files.get(p), problems, {
      refused: (p, reason) => `\`${p}\`: ${reason}.`,
    });
    expect(writer.apply(version("VERSION", "1.0.1"))).toBe(false);
    expect(problems).toEqual(["`VERSION`: Chart.yaml does not parse; fix it by hand first."]);
    expect(writer.edits()).toEqual([]);
  });
});
