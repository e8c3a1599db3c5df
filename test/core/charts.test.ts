import { describe, expect, it } from "vitest";
import {
  chartFolders,
  chartGraph,
  chartOfPath,
  chartParents,
  dependencySource,
  embeddingFolder,
  chartVersionProblem,
  helmIgnores,
  nextPin,
  parseChart,
  parseHelmignore,
  parseRequirements,
  pinAdmits,
  resolveDependency,
  type ChartManifest,
} from "../../src/core/charts.js";
import { defaultPolicyObject, type Policy } from "../../src/core/policy.js";

// The shipped defaults as they are; other sections' validation is not this file's concern.
function policy(): Policy {
  return defaultPolicyObject() as unknown as Policy;
}

const AETHER = `# The Aether umbrella
apiVersion: v2
name: aether
version: "2.0.0" # bumped by release
appVersion: 2.0.0
dependencies:
  - name: roc-api
    version: ~1.2.0
    repository: file://../roc-api
  - name: redis
    version: 17.x
    repository: https://charts.bitnami.com/bitnami
`;

describe("parseChart", () => {
  it("reads name, version, appVersion and dependencies with their lines", () => {
    const parsed = parseChart(AETHER, "charts/aether/Chart.yaml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const { chart } = parsed;
    expect(chart.name).toBe("aether");
    expect(chart.version).toMatchObject({ value: "2.0.0", line: 4, style: "double" });
    expect(AETHER.slice(chart.version?.start, chart.version?.end)).toBe('"2.0.0"');
    expect(chart.appVersion).toMatchObject({ value: "2.0.0", line: 5, style: "plain" });
    expect(chart.dependencies.map((d) => [d.name, d.version?.value, d.version?.line])).toEqual([
      ["roc-api", "~1.2.0", 8],
      ["redis", "17.x", 11],
    ]);
    expect(chart.dependencies[0]).toMatchObject({
      repository: "file://../roc-api",
      file: "charts/aether/Chart.yaml",
      line: 7,
      index: 0,
    });
  });

  it("keeps a plain number as written", () => {
    const parsed = parseChart("name: a\nversion: 1.10\n", "Chart.yaml");
    expect(parsed.ok && parsed.chart.version?.value).toBe("1.10");
  });

  it("reads a duplicate key as Helm does: the last one wins (issue 20; lint warns about it)", () => {
    const parsed = parseChart("name: a\nversion: 1.0.0\nversion: 1.0.1\n", "Chart.yaml");
    expect(parsed.ok && parsed.chart.version).toMatchObject({ value: "1.0.1", line: 3 });
  });

  it.each([
    ["invalid YAML", "name: a\nversion: [1.2\n", 3, /is not valid YAML/],
    ["a list", "- a\n- b\n", 1, /must be a YAML mapping/],
    ["an empty file", "", 1, /must be a YAML mapping .*not empty/],
    ["a mapping as version", "name: a\nversion:\n  x: 1\n", 2, /version must be a single value/],
    [
      "a nameless dependency",
      "name: a\nversion: 1.0.0\ndependencies:\n  - version: 1.0.0\n",
      4,
      /dependency 1 has no name/,
    ],
  ])("fails on %s with the line", (_name, text, line, message) => {
    const parsed = parseChart(text, "Chart.yaml");
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.line).toBe(line);
    expect(parsed.message).toMatch(message);
  });

  it.each([
    ["name: a\n", 1, /has no version; add a line `version: 0\.1\.0`/],
    [
      "name: a\nversion: 1.2\n",
      2,
      /"1\.2" is not a SemVer 2\.0\.0 version; write version: 1\.2\.0/,
    ],
    ["name: a\nversion: v1.2.3\n", 2, /write version: 1\.2\.3/],
  ])("names a missing or invalid version: %j", (text, line, message) => {
    const parsed = parseChart(text, "Chart.yaml");
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(chartVersionProblem(parsed.chart)).toMatchObject({
      line,
      message: expect.stringMatching(message),
    });
  });

  it("reads Helm 2 requirements.yaml", () => {
    const parsed = parseRequirements(
      "dependencies:\n- name: roc-api\n  version: 1.2.3\n  repository: file://../roc-api\n",
      "charts/aether/requirements.yaml",
    );
    expect(parsed.ok && parsed.dependencies[0]).toMatchObject({
      name: "roc-api",
      version: { value: "1.2.3", line: 3 },
      file: "charts/aether/requirements.yaml",
    });
    expect(parseRequirements("", "r.yaml")).toEqual({ ok: true, dependencies: [] });
  });
});

describe("where the charts are", () => {
  const paths = [
    "charts/root/Chart.yaml",
    "charts/aether/Chart.yaml",
    "charts/aether/charts/vendored/Chart.yaml",
    "charts/aether/templates/deploy.yaml",
    "deploy/other/Chart.yaml",
    "services/api/VERSION",
  ];

  it("finds Chart.yaml folders under charts.paths", () => {
    expect(chartFolders(paths, policy())).toEqual([
      "charts/aether",
      "charts/aether/charts/vendored",
      "charts/root",
    ]);
    expect(chartFolders(paths, { charts: { ...policy().charts, paths: ["**"] } })).toContain(
      "deploy/other",
    );
  });

  it("gives a file to its deepest chart", () => {
    const folders = new Set(chartFolders(paths, policy()));
    expect(chartOfPath(folders, "charts/aether/templates/deploy.yaml")).toBe("charts/aether");
    expect(chartOfPath(folders, "charts/aether/charts/vendored/values.yaml")).toBe(
      "charts/aether/charts/vendored",
    );
    expect(chartOfPath(folders, "services/api/main.go")).toBeUndefined();
  });
});

describe("umbrella graph", () => {
  const chart = (
    name: string,
    deps: { name: string; repository?: string }[] = [],
  ): ChartManifest => ({
    name,
    dependencies: deps.map((d, index) => ({ ...d, file: "Chart.yaml", line: 1, index })),
  });
  const charts = new Map<string, ChartManifest>([
    ["charts/root", chart("root", [{ name: "aether", repository: "file://../aether" }])],
    [
      "charts/aether",
      chart("aether", [
        { name: "roc-api", repository: "https://charts.example.com" },
        { name: "redis", repository: "https://charts.bitnami.com/bitnami" },
      ]),
    ],
    ["charts/roc-api", chart("roc-api")],
    ["charts/dup-a", chart("dup")],
    ["charts/dup-b", chart("dup")],
  ]);

  it.each([
    [
      "a file:// path",
      "charts/root",
      { name: "x", repository: "file://../aether" },
      "charts/aether",
    ],
    [
      "a file:// path with ./",
      "charts/root",
      { name: "x", repository: "file://./../roc-api/" },
      "charts/roc-api",
    ],
    [
      "a missing file:// path",
      "charts/root",
      { name: "aether", repository: "file://../nope" },
      undefined,
    ],
    [
      "an absolute file:// path",
      "charts/root",
      { name: "aether", repository: "file:///abs" },
      undefined,
    ],
    // A chart repository names a published chart, whatever this repository holds.
    [
      "a repository dependency with a local chart's name",
      "charts/aether",
      { name: "roc-api", repository: "oci://r" },
      undefined,
    ],
    [
      "a file:// path leaving the repository",
      "charts/root",
      { name: "x", repository: "file://../../../x" },
      undefined,
    ],
    ["no repository and no charts/ folder", "charts/aether", { name: "redis" }, undefined],
    ["an ambiguous name", "charts/root", { name: "dup" }, undefined],
  ])("resolves %s", (_n, parent, dep, expected) => {
    expect(
      resolveDependency(parent, { ...dep, file: "Chart.yaml", line: 1, index: 0 }, charts),
    ).toBe(expected);
  });

  it("lists each chart's packaging umbrellas, and repository pins apart", () => {
    const parents = chartParents(charts);
    expect(parents.get("charts/aether")?.map((e) => [e.parent, e.via])).toEqual([
      ["charts/root", "file"],
    ]);
    // aether takes roc-api from https://charts.example.com: a published version, not this copy.
    expect(parents.has("charts/roc-api")).toBe(false);
    expect(parents.has("charts/root")).toBe(false);
    const graph = chartGraph(charts);
    expect(
      graph.published.get("charts/roc-api")?.map((p) => [p.parent, p.dependency.name]),
    ).toEqual([["charts/aether", "roc-api"]]);
  });
});

describe("pins", () => {
  it.each([
    ["1.2.3", "1.2.3", true],
    ["1.2.3", "1.2.4", false],
    ["~1.2.0", "1.2.4", true],
    ["~1.2.0", "1.3.0", false],
    ["^1.2.0", "1.9.0", true],
    [">= 1.2.0, < 2.0.0", "1.5.0", true],
    [">= 1.2.0, < 2.0.0", "2.0.0", false],
    ["1.2.x", "1.2.9", true],
    ["*", "3.0.0", true],
    ["", "3.0.0", true],
    [undefined, "3.0.0", true],
    ["^1.2.0", "1.2.4-dev", false],
    ["not a range", "1.0.0", undefined],
  ])("pin %j admits %s: %s", (pin, version, expected) => {
    expect(pinAdmits(pin, version)).toBe(expected);
  });

  it.each([
    ["1.2.3", "1.2.4", "1.2.4"],
    ["=1.2.3", "1.2.4", "=1.2.4"],
    ["~1.2.0", "1.2.4", "~1.2.0"],
    ["~1.2.0", "1.3.0", "~1.3.0"],
    ["^1.2.0", "2.0.0", "^2.0.0"],
    [">=1.0.0 <2.0.0", "2.0.0", "2.0.0"],
    [">=1.0.0", "2.0.0", ">=1.0.0"],
    [undefined, "2.0.0", "2.0.0"],
  ])("pin %j becomes %j for %s", (pin, version, expected) => {
    expect(nextPin(pin, version)).toBe(expected);
    expect(pinAdmits(expected, version)).toBe(true);
  });
});

describe(".helmignore", () => {
  const { rules, problems } = parseHelmignore(
    [
      "# Patterns to ignore when building packages.",
      ".git/",
      "*.tmp",
      "/ci/",
      "docs/*.md",
      "*.bak",
      "!keep.bak",
      "tests/**",
      "",
    ].join("\n"),
  );

  it("reports what Helm cannot use, with the line", () => {
    expect(problems).toEqual([
      { line: 8, message: expect.stringMatching(/uses \*\*, which Helm does not support/) },
    ]);
  });

  it.each([
    ["values.yaml", false],
    ["templates/deploy.yaml", false],
    ["templates/.hidden", true],
    [".git/config", true],
    ["a/b/x.tmp", true],
    ["ci/run.sh", true],
    ["sub/ci/run.sh", false],
    ["docs/readme.md", true],
    ["docs/sub/readme.md", false],
    ["old.bak", true],
    ["keep.bak", false],
    ["tests/t.yaml", false],
  ])("%s is left out: %s", (path, expected) => {
    expect(helmIgnores(rules, path)).toBe(expected);
  });

  it("applies Helm's default rule without a file", () => {
    const none = parseHelmignore(null);
    expect(helmIgnores(none.rules, "templates/.swp")).toBe(true);
    expect(helmIgnores(none.rules, "templates/a.yaml")).toBe(false);
  });
});

describe("where a dependency comes from", () => {
  it.each([
    ["file://../svc", "file"],
    ["  file://./svc  ", "file"],
    [undefined, "embedded"],
    ["", "embedded"],
    ["https://charts.bitnami.com/bitnami", "repository"],
    ["oci://ghcr.io/onosproject/charts", "repository"],
    ["@sdran", "repository"],
    ["alias:sdran", "repository"],
    ["sdran", "repository"],
  ] as const)("repository %j is %s", (repository, expected) => {
    expect(dependencySource(repository === undefined ? {} : { repository })).toBe(expected);
  });

  it.each([
    ["charts/aether/charts/redis", "charts/aether"],
    ["charts/redis", ""],
    ["sd-ran/charts/x", "sd-ran"],
    ["charts/aether/charts/redis/templates", undefined],
    ["charts/aether", ""],
    ["services/api", undefined],
  ])("%s is embedded in %j", (folder, expected) => {
    expect(embeddingFolder(folder)).toBe(expected);
  });
});
