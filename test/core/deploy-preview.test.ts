import { describe, expect, it } from "vitest";
import { planDeploy, type DeployPlan } from "../../src/core/deploy-plan.js";
import { describeSelector, deployPreview, parseFleet } from "../../src/core/deploy-preview.js";
import { configRepo, fleetFiles } from "../helpers/config-repo.js";

function planned(files: Record<string, string>): { plan: DeployPlan; after: Map<string, string> } {
  const plan = planDeploy({
    files: new Map(Object.entries(files)),
    component: {
      name: "roc-api",
      image: "ghcr.io/acme/roc-api",
      charts: ["charts/roc-api"],
      valuesKey: "image.tag",
      chartBump: "patch",
    },
    version: { from: "1.2.3", to: "1.3.0" },
  });
  const after = new Map(Object.entries(files));
  for (const e of plan.edits) after.set(e.path, e.after);
  return { plan, after };
}

describe("deployPreview from Fleet bundles", () => {
  it("lists each target customization with its selector as written and the version it gets", () => {
    const { plan, after } = planned({ ...configRepo(), ...fleetFiles() });
    const preview = deployPreview({
      component: { name: "roc-api", image: "ghcr.io/acme/roc-api" },
      version: "1.3.0",
      plan,
      files: after,
      environments: {},
    });
    expect(preview.table).toBe(
      [
        "| Target | Clusters | Chart | Version | Defined in |",
        "|---|---|---|---|---|",
        "| staging | cluster group `staging` | `charts/platform` | **1.3.0** | `fleet/aether/fleet.yaml` |",
        "| production-eu | clusters with `env=production`, `region=eu-west-1` | `charts/platform` | **1.3.0** | `fleet/aether/fleet.yaml` |",
        "| production-us | cluster groups with `region in (us-east-1, us-west-2)` | `charts/platform` | 1.2.3 (pinned by fleet/aether/fleet.yaml production-us helm.values (aether.roc-api.image.tag)) | `fleet/aether/fleet.yaml` |",
        "| lab | cluster `lab-01` | `charts/platform` | not deployed (doNotDeploy) | `fleet/aether/fleet.yaml` |",
        "| other targets | clusters the GitRepo targets that no customization matches | `charts/platform` | **1.3.0** | `fleet/aether/fleet.yaml` |",
        "| canary | clusters with `canary=true`, `!quarantine` | `charts/roc-api` | **1.3.0** | `fleet/roc-api-canary/fleet.yaml` |",
        "| other targets | clusters the GitRepo targets that no customization matches | `charts/roc-api` | **1.3.0** | `fleet/roc-api-canary/fleet.yaml` |",
      ].join("\n"),
    );
    expect(preview.mermaid).toBe(
      [
        "graph LR",
        '  n0["roc-api 1.3.0 (ghcr.io/acme/roc-api)"]',
        '  n1["charts/roc-api 0.4.2"]',
        '  n2["charts/aether 1.4.1"]',
        '  n3["charts/legacy 0.9.1"]',
        '  n4["charts/platform 2.0.1"]',
        "  n0 --> n1",
        "  n1 --> n2",
        "  n1 --> n3",
        "  n2 --> n4",
        "  n3 --> n4",
        '  n5["staging: cluster group staging: 1.3.0"]',
        "  n4 --> n5",
        '  n6["production-eu: clusters with env=production, region=eu-west-1: 1.3.0"]',
        "  n4 --> n6",
        '  n7["production-us: cluster groups with region in (us-east-1, us-west-2): 1.2.3"]',
        "  n4 --> n7",
        '  n8["lab: cluster lab-01: not deployed (doNotDeploy)"]',
        "  n4 --> n8",
        '  n9["other targets: clusters the GitRepo targets that no customization matches: 1.3.0"]',
        "  n4 --> n9",
        '  n10["canary: clusters with canary=true, !quarantine: 1.3.0"]',
        "  n1 --> n10",
        '  n11["other targets: clusters the GitRepo targets that no customization matches: 1.3.0"]',
        "  n1 --> n11",
      ].join("\n"),
    );
    expect(preview.notes).toEqual([]);
  });

  it("an umbrella value the plan left (not a version) shows as what pins the tag", () => {
    const files = { ...configRepo(), ...fleetFiles() };
    files["charts/platform/values.yaml"] = "aether:\n  roc-api:\n    image:\n      tag: stable\n";
    const { plan, after } = planned(files);
    const rows = deployPreview({
      component: { name: "roc-api" },
      version: "1.3.0",
      plan,
      files: after,
      environments: {},
    }).rows;
    expect(rows[0]).toEqual({
      source: "fleet/aether/fleet.yaml",
      target: "staging",
      selects: "cluster group `staging`",
      chart: "charts/platform",
      version: "stable",
      pinnedBy: "charts/platform/values.yaml (aether.roc-api.image.tag)",
    });
  });

  it("a fleet.yaml that does not parse is left out with a note", () => {
    const { plan, after } = planned({ ...configRepo(), "fleet/bad/fleet.yaml": "helm: [\n" });
    const preview = deployPreview({
      component: { name: "roc-api" },
      version: "1.3.0",
      plan,
      files: after,
      environments: {},
    });
    expect(preview.notes).toEqual([
      "fleet/bad/fleet.yaml line 2 is not valid YAML, so it was left out",
    ]);
  });
});

describe("deployPreview without Fleet", () => {
  it("uses deploy.environments for the chain's charts", () => {
    const { plan, after } = planned(configRepo());
    const preview = deployPreview({
      component: { name: "roc-api" },
      version: "1.3.0",
      plan,
      files: after,
      environments: { "charts/platform": ["staging", "production"], "charts/unrelated": ["x"] },
    });
    expect(preview.table).toBe(
      [
        "| Target | Clusters | Chart | Version | Defined in |",
        "|---|---|---|---|---|",
        "| staging | environment `staging` | `charts/platform` | **1.3.0** | `deploy.environments` |",
        "| production | environment `production` | `charts/platform` | **1.3.0** | `deploy.environments` |",
      ].join("\n"),
    );
  });

  it("says so when nothing names where the charts go", () => {
    const { plan, after } = planned(configRepo());
    const preview = deployPreview({
      component: { name: "roc-api" },
      version: "1.3.0",
      plan,
      files: after,
      environments: {},
    });
    expect(preview.rows).toEqual([]);
    expect(preview.table).toBe(
      "No Fleet bundle (fleet.yaml) deploys these charts and `deploy.environments` names none of them, so where roc-api 1.3.0 lands is not known to monobot.",
    );
  });
});

describe("Fleet parsing", () => {
  it.each([
    [{ matchLabels: { env: "prod" } }, "`env=prod`"],
    [
      { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["a", "b"] }] },
      "`tier notin (a, b)`",
    ],
    [{ matchExpressions: [{ key: "gpu", operator: "Exists" }] }, "`gpu`"],
    [{}, "every one"],
    [null, "every one"],
  ])("selector %j", (selector, words) => {
    expect(describeSelector(selector)).toBe(words);
  });

  it("a bundle without helm.chart deploys its own folder when it is a chart", () => {
    const r = parseFleet(
      "charts/roc-api/fleet.yaml",
      "defaultNamespace: x\n",
      new Set(["charts/roc-api"]),
    );
    expect(r).toEqual({
      ok: true,
      bundle: {
        path: "charts/roc-api/fleet.yaml",
        chart: "charts/roc-api",
        chartRef: "./ (charts/roc-api)",
        targets: [],
      },
    });
  });

  it("a chart from a Helm repository is not a local chart", () => {
    const r = parseFleet(
      "fleet/redis/fleet.yaml",
      fleetFiles()["fleet/redis/fleet.yaml"] as string,
      new Set(),
    );
    expect(r).toMatchObject({
      ok: true,
      bundle: { chartRef: "redis from https://charts.bitnami.com/bitnami" },
    });
    expect(r.ok && r.bundle.chart).toBeUndefined();
  });
});
