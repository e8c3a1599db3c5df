import { describe, expect, it } from "vitest";
import { changedChartFiles, chartReleases, chartReleaseTag } from "../../src/core/chart-release.js";
import type { ChangedFile } from "../../src/core/types.js";

const chart = (name: string, version: string) =>
  `apiVersion: v2\nname: ${name}\nversion: ${version}\n`;

function file(path: string, status: ChangedFile["status"] = "modified"): ChangedFile {
  return { path, status, additions: 1, deletions: 1 };
}

describe("chartReleaseTag", () => {
  it("is chart-releaser's tag: {name}-{version}", () => {
    expect(chartReleaseTag("roc-api", "0.4.2")).toBe("roc-api-0.4.2");
  });
});

describe("changedChartFiles", () => {
  it("takes added and modified Chart.yaml files, not removed ones or look-alikes", () => {
    expect(
      changedChartFiles([
        file("charts/b/Chart.yaml"),
        file("charts/a/Chart.yaml", "added"),
        file("charts/c/Chart.yaml", "removed"),
        file("charts/a/values.yaml"),
        file("charts/d/MyChart.yaml"),
        file("Chart.yaml"),
      ]),
    ).toEqual(["Chart.yaml", "charts/a/Chart.yaml", "charts/b/Chart.yaml"]);
  });
});

describe("chartReleases", () => {
  it.each([
    {
      name: "the version went up",
      before: chart("a", "0.4.1"),
      after: chart("a", "0.4.2"),
      released: "0.4.2",
    },
    { name: "a new chart", before: null, after: chart("a", "0.1.0"), released: "0.1.0" },
    {
      name: "only the values changed",
      before: chart("a", "0.4.1"),
      after: chart("a", "0.4.1"),
      released: undefined,
    },
    {
      name: "the version went down",
      before: chart("a", "0.4.1"),
      after: chart("a", "0.4.0"),
      released: undefined,
    },
    {
      name: "a version that is not SemVer",
      before: chart("a", "0.4.1"),
      after: chart("a", "next"),
      released: undefined,
    },
    {
      name: "no name",
      before: null,
      after: "apiVersion: v2\nversion: 1.0.0\n",
      released: undefined,
    },
    {
      name: "a Chart.yaml that does not parse",
      before: null,
      after: "version: [1\n",
      released: undefined,
    },
    {
      name: "a base version that was not SemVer",
      before: chart("a", "x"),
      after: chart("a", "1.0.0"),
      released: "1.0.0",
    },
  ])("$name", ({ before, after, released }) => {
    const path = "charts/a/Chart.yaml";
    const out = chartReleases(
      [path],
      () => before,
      () => after,
    );
    expect(out).toEqual(released ? [{ folder: "charts/a", name: "a", version: released }] : []);
  });

  it('a chart at the root has the folder ""', () => {
    expect(
      chartReleases(
        ["Chart.yaml"],
        () => null,
        () => chart("root", "1.0.0"),
      ),
    ).toEqual([{ folder: "", name: "root", version: "1.0.0" }]);
  });
});
