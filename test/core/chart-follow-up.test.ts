import { describe, expect, it } from "vitest";
import {
  chartFollowUpBody,
  chartFollowUpCommitMessage,
  followUpChart,
  followUpKey,
  planChartFollowUp,
} from "../../src/core/chart-follow-up.js";
import { deployBranch, parseDeployMarker, parseDeployTrailer } from "../../src/core/deploy-pr.js";
import { configRepo, lineDiff, withEdge } from "../helpers/config-repo.js";

const lines = (...l: string[]) => l.join("\n");

/** edge takes roc-api from a chart repository; gateway packages edge; site takes gateway from a repository. */
function withGateway(files: Record<string, string>, pin: string): Record<string, string> {
  return {
    ...files,
    "charts/edge/Chart.yaml": lines(
      "apiVersion: v2",
      "name: edge",
      "version: 3.1.0",
      "dependencies:",
      "  - name: roc-api",
      `    version: "${pin}"`,
      "    repository: oci://ghcr.io/acme/charts",
      "",
    ),
    "charts/gateway/Chart.yaml": lines(
      "apiVersion: v2",
      "name: gateway",
      "version: 0.9.0",
      "dependencies:",
      "  - name: edge",
      "    version: 3.1.0",
      "    repository: file://../edge",
      "",
    ),
    "charts/site/Chart.yaml": lines(
      "apiVersion: v2",
      "name: site",
      "version: 5.0.0",
      "dependencies:",
      "  - name: gateway",
      "    version: ~0.9.0",
      "    repository: https://charts.acme.example",
      "",
    ),
  };
}

const files = (f: Record<string, string>) => new Map(Object.entries(f));

describe("planChartFollowUp", () => {
  it.each([
    {
      name: "a range pin that admits the version: the umbrella goes up, the pin stays",
      files: withEdge(configRepo()),
      version: "0.4.2",
      diffs: { "charts/edge/Chart.yaml": ["3: -version: 3.1.0", "3: +version: 3.1.1"] },
      taken: [
        { umbrella: "charts/edge", dependency: "roc-api", repository: "oci://ghcr.io/acme/charts" },
      ],
    },
    {
      name: "a range pin that does not: the pin moves too",
      files: withEdge(configRepo()),
      version: "0.5.0",
      diffs: {
        "charts/edge/Chart.yaml": [
          "3: -version: 3.1.0",
          "3: +version: 3.1.1",
          "6: -    version: 0.4.x",
          "6: +    version: 0.5.0",
        ],
      },
      taken: [
        {
          umbrella: "charts/edge",
          dependency: "roc-api",
          repository: "oci://ghcr.io/acme/charts",
          pin: { from: "0.4.x", to: "0.5.0" },
        },
      ],
    },
  ])("$name", ({ files: f, version, diffs, taken }) => {
    const plan = planChartFollowUp({ files: files(f), chart: "roc-api", version });
    expect(plan.problems).toEqual([]);
    expect(plan.taken).toEqual(taken);
    expect(
      Object.fromEntries(plan.edits.map((e) => [e.path, lineDiff(e.before, e.after)])),
    ).toEqual(diffs);
    expect(plan.chart).toEqual({ folder: "charts/roc-api", name: "roc-api", version });
  });

  it("goes up through every umbrella that packages the taker; a repository pin above waits", () => {
    const plan = planChartFollowUp({
      files: files(withGateway(configRepo(), "=0.4.1")),
      chart: "roc-api",
      version: "0.4.2",
    });
    expect(plan.problems).toEqual([]);
    expect(plan.chain.map((l) => [l.chart, l.from, l.to])).toEqual([
      ["charts/edge", "3.1.0", "3.1.1"],
      ["charts/gateway", "0.9.0", "0.9.1"],
    ]);
    expect(lineDiff(plan.edits[0]?.before ?? "", plan.edits[0]?.after ?? "")).toEqual([
      "3: -version: 3.1.0",
      "3: +version: 3.1.1",
      '6: -    version: "=0.4.1"',
      '6: +    version: "=0.4.2"',
    ]);
    expect(plan.chain[1]?.takes).toEqual([
      {
        child: "charts/edge",
        dependency: "edge",
        how: "file",
        pin: { from: "3.1.0", to: "3.1.1" },
      },
    ]);
    expect(plan.pendingPublish).toEqual([
      {
        umbrella: "charts/site",
        chart: "charts/gateway",
        dependency: "gateway",
        repository: "https://charts.acme.example",
        pin: "~0.9.0",
        version: "0.9.1",
        admits: true,
      },
    ]);
  });

  it.each([
    {
      name: "no umbrella takes it from a repository",
      chart: "roc-api",
      files: configRepo(),
      skipped: "no umbrella takes roc-api from a chart repository; nothing to follow up.",
      problems: [],
    },
    {
      name: "no chart has the name",
      chart: "nope",
      files: configRepo(),
      skipped: undefined,
      problems: ["no chart of the config repo is named nope"],
    },
  ])("$name", ({ chart, files: f, skipped, problems }) => {
    const plan = planChartFollowUp({ files: files(f), chart, version: "1.0.0" });
    expect(plan.skipped?.reason).toBe(skipped);
    expect(plan.problems).toEqual(problems);
    expect(plan.edits).toEqual([]);
  });

  it("its text: a marker and a trailer of its own key, the branch monobot/deploy-chart-{name}", () => {
    const plan = planChartFollowUp({
      files: files(withEdge(configRepo())),
      chart: "roc-api",
      version: "0.4.2",
    });
    const body = chartFollowUpBody(plan);
    expect(parseDeployMarker(body)).toEqual({ component: "chart:roc-api", version: "0.4.2" });
    expect(body).toContain(
      "- `charts/edge` takes `roc-api` from oci://ghcr.io/acme/charts: its pin admits 0.4.2.",
    );
    expect(body).toContain("| `charts/edge` | 3.1.0 -> 3.1.1 | takes `roc-api` 0.4.2 |");
    expect(chartFollowUpBody(plan)).toBe(body);
    expect(parseDeployTrailer(chartFollowUpCommitMessage(plan))).toEqual({
      component: "chart:roc-api",
      version: "0.4.2",
    });
    expect(deployBranch(followUpKey("roc-api"))).toBe("monobot/deploy-chart-roc-api");
    expect([
      followUpChart("chart:roc-api"),
      followUpChart("roc-api"),
      followUpChart("chart:"),
    ]).toEqual(["roc-api", undefined, undefined]);
  });
});
