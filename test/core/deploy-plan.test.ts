import { describe, expect, it } from "vitest";
import { versionsCheck } from "../../src/core/checks/versions.js";
import {
  deployComponent,
  deployPlanReads,
  deployTarget,
  planDeploy,
  type DeployComponent,
  type DeployPlan,
} from "../../src/core/deploy-plan.js";
import { chartGraph, parseChart, type ChartManifest } from "../../src/core/charts.js";
import { contentKey, type ChangeSnapshot, type ChangedFile } from "../../src/core/types.js";
import { unifiedPatch } from "../../src/sandbox/diff.js";
import { policyFrom } from "../helpers/check-harness.js";
import { configRepo, lineDiff, withEdge } from "../helpers/config-repo.js";

const ROC_API: DeployComponent = {
  name: "roc-api",
  image: "ghcr.io/acme/roc-api",
  charts: ["charts/roc-api"],
  valuesKey: "image.tag",
  chartBump: "patch",
};

function plan(
  files: Record<string, string>,
  to: string,
  component: Partial<DeployComponent> = {},
  from = "1.2.3",
): DeployPlan {
  return planDeploy({
    files: new Map(Object.entries(files)),
    component: { ...ROC_API, ...component },
    version: { from, to },
  });
}

/** The plan's edits as exact line diffs per file, in the order the plan made them. */
function diffs(p: DeployPlan): Record<string, string[]> {
  return Object.fromEntries(p.edits.map((e) => [e.path, lineDiff(e.before, e.after)]));
}

function applied(files: Record<string, string>, p: DeployPlan): Record<string, string> {
  const out = { ...files };
  for (const e of p.edits) out[e.path] = e.after;
  return out;
}

/** monobot/versions on the config repo, for the change from `before` to `after`, as the pipeline runs it. */
function versionsVerdict(before: Record<string, string>, after: Record<string, string>) {
  const policy = policyFrom();
  const components = { components: [], affected: [], outside: [], errors: [] };
  const files: ChangedFile[] = Object.keys(after)
    .filter((p) => before[p] !== after[p])
    .sort()
    .map((path) => {
      const patch = unifiedPatch(before[path] ?? "", after[path] as string);
      return {
        path,
        status: before[path] === undefined ? "added" : "modified",
        additions: patch?.additions ?? 0,
        deletions: patch?.deletions ?? 0,
        ...(patch ? { patch: patch.patch } : {}),
      };
    });
  const snapshot: Omit<ChangeSnapshot, "contents"> = {
    repo: { owner: "acme", name: "aether-config", defaultBranch: "main" },
    base: { ref: "main", sha: "b".repeat(40) },
    head: { ref: "monobot/deploy-roc-api", sha: "h".repeat(40) },
    files,
    truncated: false,
    commits: [],
    headPaths: Object.keys(after),
    basePaths: Object.keys(before),
    releaseTags: [],
  };
  const contents = new Map<string, string | null>();
  for (const r of versionsCheck.needs?.({ snapshot, policy, components }) ?? []) {
    contents.set(contentKey(r.side, r.path), (r.side === "base" ? before : after)[r.path] ?? null);
  }
  return versionsCheck.run({ snapshot: { ...snapshot, contents }, policy, components });
}

describe("planDeploy: the image tag, the chart, and every umbrella up to the root", () => {
  it("roc-api 1.2.3 -> 1.3.0 with chart_bump: patch (exact line diffs)", () => {
    const p = plan(withEdge(configRepo()), "1.3.0");
    expect(p.problems).toEqual([]);
    expect(p.skipped).toBeUndefined();
    expect(diffs(p)).toEqual({
      "charts/roc-api/values.yaml": [
        "7: -  tag: 1.2.3  # roc-api release",
        "7: +  tag: 1.3.0  # roc-api release",
      ],
      "charts/roc-api/Chart.yaml": [
        "6: -version: 0.4.1   # bumped by monobot",
        "6: +version: 0.4.2   # bumped by monobot",
        '7: -appVersion: "1.2.3"',
        '7: +appVersion: "1.3.0"',
      ],
      "charts/aether/Chart.yaml": [
        "4: -version: 1.4.0",
        "4: +version: 1.4.1",
        "7: -    version: 0.4.1",
        "7: +    version: 0.4.2",
      ],
      "charts/legacy/Chart.yaml": ["3: -version: 0.9.0\r", "3: +version: 0.9.1\r"],
      "charts/legacy/requirements.yaml": ['3: -  version: "=0.4.1"\r', '3: +  version: "=0.4.2"\r'],
      "charts/platform/Chart.yaml": [
        "3: -version: 2.0.0",
        "3: +version: 2.0.1",
        "9: -  version: 0.9.0",
        "9: +  version: 0.9.1",
      ],
      "charts/platform/values.yaml": ["4: -      tag: 1.2.3", "4: +      tag: 1.3.0"],
    });
    expect(p.edits.find((e) => e.path === "charts/roc-api/Chart.yaml")?.changes).toEqual([
      "appVersion 1.2.3 -> 1.3.0",
      "version 0.4.1 -> 0.4.2",
    ]);
    const tag = ["image", "tag"];
    expect(p.chain).toEqual([
      {
        chart: "charts/roc-api",
        name: "roc-api",
        role: "chart",
        from: "0.4.1",
        to: "0.4.2",
        tagKeys: [{ key: tag, via: ["charts/roc-api"] }],
        takes: [],
      },
      {
        chart: "charts/aether",
        name: "aether",
        role: "umbrella",
        from: "1.4.0",
        to: "1.4.1",
        tagKeys: [{ key: ["roc-api", ...tag], via: ["charts/aether", "charts/roc-api"] }],
        takes: [
          {
            child: "charts/roc-api",
            dependency: "roc-api",
            how: "file",
            pin: { from: "0.4.1", to: "0.4.2" },
          },
        ],
      },
      {
        chart: "charts/legacy",
        name: "legacy",
        role: "umbrella",
        from: "0.9.0",
        to: "0.9.1",
        tagKeys: [{ key: ["roc-api", ...tag], via: ["charts/legacy", "charts/roc-api"] }],
        takes: [
          {
            child: "charts/roc-api",
            dependency: "roc-api",
            how: "file",
            pin: { from: "=0.4.1", to: "=0.4.2" },
          },
        ],
      },
      {
        chart: "charts/platform",
        name: "platform",
        role: "umbrella",
        from: "2.0.0",
        to: "2.0.1",
        tagKeys: [
          {
            key: ["aether", "roc-api", ...tag],
            via: ["charts/platform", "charts/aether", "charts/roc-api"],
          },
          {
            key: ["legacy", "roc-api", ...tag],
            via: ["charts/platform", "charts/legacy", "charts/roc-api"],
          },
        ],
        // ~1.4.0 admits 1.4.1: the range stays.
        takes: [
          { child: "charts/aether", dependency: "aether", how: "file" },
          {
            child: "charts/legacy",
            dependency: "legacy",
            how: "file",
            pin: { from: "0.9.0", to: "0.9.1" },
          },
        ],
      },
    ]);
    expect(p.pendingPublish).toEqual([
      {
        umbrella: "charts/edge",
        chart: "charts/roc-api",
        dependency: "roc-api",
        repository: "oci://ghcr.io/acme/charts",
        pin: "0.4.x",
        version: "0.4.2",
        admits: true,
      },
    ]);
    expect(p.running).toEqual({ "charts/roc-api": "1.2.3" });
  });

  it("chart_bump: follow takes the component's level to the chart and its umbrellas", () => {
    const p = plan(withEdge(configRepo()), "2.0.0", { chartBump: "follow" });
    expect(p.problems).toEqual([]);
    expect(p.chain.map((l) => `${l.chart} ${l.from} -> ${l.to}`)).toEqual([
      "charts/roc-api 0.4.1 -> 1.0.0",
      "charts/aether 1.4.0 -> 2.0.0",
      "charts/legacy 0.9.0 -> 1.0.0",
      "charts/platform 2.0.0 -> 3.0.0",
    ]);
    // ~1.4.0 does not admit 2.0.0: the operator is kept on the new version.
    expect(diffs(p)["charts/platform/Chart.yaml"]).toEqual([
      "3: -version: 2.0.0",
      "3: +version: 3.0.0",
      "6: -  version: ~1.4.0",
      "6: +  version: ~2.0.0",
      "9: -  version: 0.9.0",
      "9: +  version: 1.0.0",
    ]);
    expect(p.pendingPublish[0]).toMatchObject({ version: "1.0.0", pin: "0.4.x", admits: false });
  });

  it.each([
    ["1.2.4", "patch", "0.4.2"],
    ["1.3.0", "minor", "0.5.0"],
    ["1.3.0-rc.1", "minor", "0.5.0"],
  ])("follow: roc-api 1.2.3 -> %s is %s, the chart goes to %s", (to, _level, chart) => {
    const p = plan(configRepo(), to, { chartBump: "follow" });
    expect(p.chain[0]?.to).toBe(chart);
  });

  it("a flow-style values file and a range that admits the new chart version (roc-web)", () => {
    const p = plan(
      configRepo(),
      "2.1.0",
      {
        name: "roc-web",
        charts: ["charts/roc-web"],
        image: "ghcr.io/acme/roc-web",
      },
      "2.0.1",
    );
    expect(diffs(p)).toEqual({
      "charts/roc-web/values.yaml": [
        "1: -image: {repository: ghcr.io/acme/roc-web, tag: '2.0.1'}",
        "1: +image: {repository: ghcr.io/acme/roc-web, tag: '2.1.0'}",
      ],
      "charts/roc-web/Chart.yaml": ["3: -version: 0.2.7", "3: +version: 0.2.8"],
      // ^0.2.0 admits 0.2.8: only aether's own version moves.
      "charts/aether/Chart.yaml": ["4: -version: 1.4.0", "4: +version: 1.4.1"],
      "charts/platform/Chart.yaml": ["3: -version: 2.0.0", "3: +version: 2.0.1"],
    });
  });

  it("an embedded chart (aether/charts/metrics-agent, not in dependencies) bumps its umbrella", () => {
    const p = plan(
      configRepo(),
      "0.9.1",
      {
        name: "metrics-agent",
        charts: ["charts/aether/charts/metrics-agent"],
      },
      "0.9.0",
    );
    expect(p.chain.map((l) => [l.chart, l.to, l.takes])).toEqual([
      ["charts/aether/charts/metrics-agent", "0.1.1", []],
      [
        "charts/aether",
        "1.4.1",
        [{ child: "charts/aether/charts/metrics-agent", how: "embedded" }],
      ],
      ["charts/platform", "2.0.1", [{ child: "charts/aether", dependency: "aether", how: "file" }]],
    ]);
    expect(diffs(p)["charts/aether/charts/metrics-agent/values.yaml"]).toEqual([
      '2: -  tag: "0.9.0"',
      '2: +  tag: "0.9.1"',
    ]);
  });

  it("several charts of one image: the shared umbrella and the root go up once", () => {
    const files = configRepo();
    files["charts/roc-api-worker/Chart.yaml"] =
      "apiVersion: v2\nname: roc-api-worker\nversion: 0.1.4\n";
    files["charts/roc-api-worker/values.yaml"] = "image:\n  tag: 1.2.3\n";
    files["charts/aether/Chart.yaml"] = (files["charts/aether/Chart.yaml"] as string).replace(
      "  - name: roc-web\n",
      "  - name: roc-api-worker\n    version: 0.1.4\n    repository: file://../roc-api-worker\n  - name: roc-web\n",
    );
    const p = plan(files, "1.3.0", { charts: ["charts/roc-api", "charts/roc-api-worker"] });
    expect(p.problems).toEqual([]);
    expect(p.chain.map((l) => `${l.chart} ${l.to}`)).toEqual([
      "charts/roc-api 0.4.2",
      "charts/roc-api-worker 0.1.5",
      "charts/aether 1.4.1",
      "charts/legacy 0.9.1",
      "charts/platform 2.0.1",
    ]);
    expect(diffs(p)["charts/aether/Chart.yaml"]).toEqual([
      "4: -version: 1.4.0",
      "4: +version: 1.4.1",
      "7: -    version: 0.4.1",
      "7: +    version: 0.4.2",
      "10: -    version: 0.1.4",
      "10: +    version: 0.1.5",
    ]);
    expect(versionsVerdict(files, applied(files, p)).conclusion).toBe("success");
  });

  it("a chart reached twice (platform via aether and legacy) goes up once", () => {
    const p = plan(configRepo(), "1.3.0");
    expect(p.chain.filter((l) => l.chart === "charts/platform")).toHaveLength(1);
    const platform = p.edits.find((e) => e.path === "charts/platform/Chart.yaml");
    expect(platform?.changes).toEqual(["version 2.0.0 -> 2.0.1", "legacy pin 0.9.0 -> 0.9.1"]);
  });

  it("adds the values key when the chart has none, and creates values.yaml when it is missing", () => {
    const files = configRepo();
    files["charts/roc-api/values.yaml"] = "image:\n  repository: ghcr.io/acme/roc-api\n";
    delete files["charts/roc-web/values.yaml"];
    const p = plan(files, "1.3.0");
    expect(diffs(p)["charts/roc-api/values.yaml"]).toEqual(['3: +  tag: "1.3.0"']);
    expect(p.notes).toContain("charts/roc-api/values.yaml had no image.tag; monobot adds it.");

    const web = plan(files, "2.1.0", { name: "roc-web", charts: ["charts/roc-web"] });
    expect(web.edits[0]).toMatchObject({
      path: "charts/roc-web/values.yaml",
      before: "",
      after: 'image:\n  tag: "2.1.0"\n',
      created: true,
    });
  });

  it("a per-component values key", () => {
    const files = configRepo();
    files["charts/roc-api/values.yaml"] = "app:\n  image:\n    version: 1.2.3 # here\n";
    const p = plan(files, "1.3.0", { valuesKey: "app.image.version" });
    expect(diffs(p)["charts/roc-api/values.yaml"]).toEqual([
      "3: -    version: 1.2.3 # here",
      "3: +    version: 1.3.0 # here",
    ]);
  });

  it("an umbrella value that pins a newer or non-version tag is left, with a note", () => {
    const files = configRepo();
    files["charts/platform/values.yaml"] = "aether:\n  roc-api:\n    image:\n      tag: latest\n";
    const p = plan(files, "1.3.0");
    expect(p.edits.map((e) => e.path)).not.toContain("charts/platform/values.yaml");
    expect(p.notes).toContain(
      "charts/platform/values.yaml sets aether.roc-api.image.tag: latest, which overrides charts/roc-api's image.tag in charts/platform; left as is.",
    );
  });
});

describe("planDeploy: nothing to propose", () => {
  it.each([
    [
      "a lower version is a rollback",
      "1.2.0",
      "rollback",
      "the config repo runs a newer roc-api already (charts/roc-api runs 1.2.3); 1.2.0 would be a rollback, so monobot proposes nothing. Roll back in the config repo by hand if that is what you want.",
    ],
    ["a pre-release of the running version is lower", "1.2.3-rc.1", "rollback", undefined],
    [
      "the same version",
      "1.2.3",
      "current",
      "the config repo runs roc-api 1.2.3 already (charts/roc-api); nothing to propose.",
    ],
  ])("%s", (_name, to, kind, reason) => {
    const p = plan(configRepo(), to);
    expect(p.edits).toEqual([]);
    expect(p.chain).toEqual([]);
    expect(p.skipped?.kind).toBe(kind);
    if (reason) expect(p.skipped?.reason).toBe(reason);
  });
});

describe("planDeploy: problems name the file and what to fix", () => {
  it.each([
    [
      "a chart folder that does not exist",
      (f: Record<string, string>) => f,
      { charts: ["charts/roc-apii"] },
      "charts/roc-apii/Chart.yaml does not exist in the config repo; correct `chart` of components.define.roc-api in the monorepo's .github/monobot.yml",
    ],
    [
      "an umbrella whose version is not SemVer",
      (f: Record<string, string>) => ({
        ...f,
        "charts/aether/Chart.yaml": (f["charts/aether/Chart.yaml"] as string).replace(
          "version: 1.4.0",
          "version: v1.4",
        ),
      }),
      {},
      'charts/aether/Chart.yaml line 4: version "v1.4" is not a SemVer 2.0.0 version; write version: 1.4.0',
    ],
    [
      "a values key written as a block scalar",
      (f: Record<string, string>) => ({
        ...f,
        "charts/roc-api/values.yaml": "image:\n  tag: >-\n    1.2.3x\n",
      }),
      {},
      "charts/roc-api/values.yaml: image.tag is written as a block scalar in values.yaml; change it by hand to 1.3.0",
    ],
    [
      "a Chart.yaml that does not parse",
      (f: Record<string, string>) => ({ ...f, "charts/legacy/Chart.yaml": "name: [legacy\n" }),
      {},
      "charts/legacy/Chart.yaml line 2 is not valid YAML",
    ],
  ])("%s", (_name, edit, component, problem) => {
    const p = plan(edit(configRepo()), "1.3.0", component as Partial<DeployComponent>);
    expect(p.problems.join("\n")).toContain(problem);
  });

  it("a chart that does not parse and is not reached is a note", () => {
    const files = { ...configRepo(), "charts/other/Chart.yaml": "name: [other\n" };
    const p = plan(files, "1.3.0");
    expect(p.problems).toEqual([]);
    expect(p.notes.join("\n")).toContain("charts/other/Chart.yaml line 2 is not valid YAML");
  });

  it("a version that is not SemVer", () => {
    expect(plan(configRepo(), "v1.3").problems).toEqual([
      '"v1.3" is not a SemVer 2.0.0 version; nothing can be deployed',
    ]);
  });
});

describe("the planned commit passes monobot/versions on the config repo", () => {
  // Without charts/edge: today's versions check still treats a chart-repository dependency as an
  // umbrella edge (src/core/charts.ts is moving to Helm's rule separately).
  it.each([
    ["roc-api patch", "1.3.0", {}],
    ["roc-api follow (major)", "2.0.0", { chartBump: "follow" as const }],
    ["roc-web (flow style)", "2.1.0", { name: "roc-web", charts: ["charts/roc-web"] }],
    [
      "metrics-agent (embedded)",
      "0.9.1",
      { name: "metrics-agent", charts: ["charts/aether/charts/metrics-agent"] },
    ],
  ])("%s", (_name, to, component) => {
    const before = configRepo();
    const p = plan(before, to, component);
    expect(p.problems).toEqual([]);
    const result = versionsVerdict(before, applied(before, p));
    expect(result.summary).not.toContain("must");
    expect(result.conclusion).toBe("success");
  });

  it("and the check fails without the umbrella bumps (the test can tell)", () => {
    const before = configRepo();
    const p = plan(before, "1.3.0");
    const partial = { ...before };
    for (const e of p.edits.filter((e) => e.path.startsWith("charts/roc-api/")))
      partial[e.path] = e.after;
    expect(versionsVerdict(before, partial).conclusion).toBe("failure");
  });
});

describe("the chart graph: Helm's packaging rule", () => {
  it("file:// and embedded charts are packaged; chart-repository dependencies are not", () => {
    const files = withEdge(configRepo());
    const charts = new Map<string, ChartManifest>();
    for (const [path, text] of Object.entries(files)) {
      if (!path.endsWith("/Chart.yaml")) continue;
      const parsed = parseChart(text, path);
      if (parsed.ok) charts.set(path.slice(0, -"/Chart.yaml".length), parsed.chart);
    }
    // The one chart graph the walk reads: packaging edges, and repository pins apart.
    const graph = chartGraph(charts);
    const edges = (child: string) => [
      ...(graph.parents.get(child) ?? []).map((e) => [e.parent, e.via]),
      ...(graph.published.get(child) ?? []).map((p) => [p.parent, "repository"]),
    ];
    expect(edges("charts/roc-api")).toEqual([
      ["charts/aether", "file"],
      ["charts/edge", "repository"],
    ]);
    expect(edges("charts/aether/charts/metrics-agent")).toEqual([["charts/aether", "embedded"]]);
  });
});

describe("deployComponent and deployPlanReads", () => {
  it("reads the component's charts and values key from the monorepo policy", () => {
    const policy = policyFrom(
      "components:\n  define:\n    roc-api:\n      values_key: app.tag\ndeploy:\n  config_repo: acme/aether-config\n  chart_bump: follow\n",
    );
    expect(
      deployComponent(policy, {
        name: "roc-api",
        image: "ghcr.io/acme/roc-api",
        chart: ["./charts/roc-api/", "charts/roc-api"],
      }),
    ).toEqual({
      name: "roc-api",
      image: "ghcr.io/acme/roc-api",
      charts: ["charts/roc-api"],
      valuesKey: "app.tag",
      chartBump: "follow",
    });
    expect(deployComponent(policy, { name: "roc-web", chart: "charts/roc-web" })?.valuesKey).toBe(
      "image.tag",
    );
    expect(deployComponent(policy, { name: "tools" })).toBeUndefined();
  });

  it("deployTarget: the config repo, or none", () => {
    expect(deployTarget(policyFrom("deploy:\n  config_repo: acme/aether-config\n"))).toEqual({
      owner: "acme",
      name: "aether-config",
    });
    expect(deployTarget(policyFrom())).toBeUndefined();
  });

  it("reads each chart's Chart.yaml, requirements.yaml and values.yaml, nothing else", () => {
    expect(deployPlanReads(Object.keys(configRepo()))).toEqual([
      "charts/aether/Chart.yaml",
      "charts/aether/charts/metrics-agent/Chart.yaml",
      "charts/aether/charts/metrics-agent/values.yaml",
      "charts/aether/values.yaml",
      "charts/legacy/Chart.yaml",
      "charts/legacy/requirements.yaml",
      "charts/platform/Chart.yaml",
      "charts/platform/values.yaml",
      "charts/roc-api/Chart.yaml",
      "charts/roc-api/values.yaml",
      "charts/roc-web/Chart.yaml",
      "charts/roc-web/values.yaml",
    ]);
  });
});
