// The promotion PR's text and the marker that says what a pending one proposes.
import { describe, expect, it } from "vitest";
import {
  parsePromotionMarker,
  promotionBody,
  promotionBranch,
  promotionTargets,
  promotionTitle,
  type PromotionText,
} from "../../src/core/promotion-pr.js";

const text: PromotionText = {
  component: "roc-api",
  from: "staging",
  to: "production",
  version: "1.5.0",
  supersedes: "1.2.3",
  replaced: "1.4.0",
  deployment: { id: 77, soak: "30m" },
  runs: [{ context: "ci/roc-api/api-tests@staging", state: "success", url: "https://ci/9" }],
  pins: [
    {
      file: "fleet/aether/fleet.yaml",
      key: "targetCustomizations[name=production].helm.values.roc-api.image.tag",
      line: 27,
      before: "1.2.3",
    },
  ],
};

describe("promotion PR text", () => {
  it("one branch per component and environment", () => {
    expect(promotionBranch("roc-api", "production")).toBe("monobot/promote-roc-api-production");
    expect(promotionTitle(text)).toBe("Promote roc-api 1.5.0 to production");
  });

  it("the body says what it supersedes and replaced, the evidence and the pin diff", () => {
    const body = promotionBody(text);
    expect(body).toContain("Supersedes roc-api 1.2.3 in production.");
    expect(body).toContain("Replaces the pending promotion of 1.4.0");
    expect(body).toContain("- deployment 77: success, after a soak of 30m");
    expect(body).toContain("- `ci/roc-api/api-tests@staging`: success ([run](https://ci/9))");
    expect(body).toContain(
      "| `fleet/aether/fleet.yaml:27` | `targetCustomizations[name=production].helm.values.roc-api.image.tag` | 1.2.3 | 1.5.0 |",
    );
  });

  it("the marker reads back; anything else is no marker", () => {
    expect(parsePromotionMarker(promotionBody(text))).toEqual({
      component: "roc-api",
      environment: "production",
      version: "1.5.0",
      deployment: 77,
    });
    expect(parsePromotionMarker("no marker")).toBeUndefined();
    expect(parsePromotionMarker('<!-- monobot:promote {"component":1} -->')).toBeUndefined();
    expect(parsePromotionMarker("<!-- monobot:promote {broken} -->")).toBeUndefined();
  });
});

const sha = (n: number) => n.toString(16).padStart(40, "0");

describe("promotion PR body: release notes and where it goes", () => {
  const notes = {
    component: { name: "roc-api" },
    version: { from: "1.2.3", to: "1.5.0" },
    monorepo: { owner: "acme", name: "mono" },
    tags: { from: "roc-api/v1.2.3", to: "roc-api/v1.5.0" },
    changes: [
      { sha: sha(1), title: "Retry on 503 (#42)", pr: { number: 42, title: "Retry on 503" } },
    ],
    changesFilter: { paths: ["libs/log", "services/roc-api"], others: 3 },
  };

  it("lists the component's changes between the two versions, and says what was left out", () => {
    const body = promotionBody({ ...text, notes });
    expect(body).toContain("### Changes in acme/mono (roc-api/v1.2.3...roc-api/v1.5.0)");
    expect(body).toContain(
      "Only the commits that touched roc-api's folders (`libs/log`, `services/roc-api`); 3 other commits between the tags did not.",
    );
    expect(body).toContain("- acme/mono#42 Retry on 503");
    expect(body).toContain(
      "[Compare roc-api/v1.2.3...roc-api/v1.5.0](https://github.com/acme/mono/compare/roc-api/v1.2.3...roc-api/v1.5.0)",
    );
    expect(body.endsWith(")\n")).toBe(true);
  });

  it("no commit touched the component: said so", () => {
    const body = promotionBody({ ...text, notes: { ...notes, changes: [] } });
    expect(body).toContain("No commit between the two release tags touched roc-api.");
  });

  it("notes that cannot be had: the reason instead", () => {
    const body = promotionBody({ ...text, notes: { missing: "No release notes: a hand edit." } });
    expect(body).toContain("### Release notes\n\nNo release notes: a hand edit.\n");
  });

  it("where it goes: a table of targets and clusters, after the pins", () => {
    const body = promotionBody({
      ...text,
      targets: [
        { target: "production", clusters: "cluster group `production`", pin: "fleet.yaml:27" },
      ],
    });
    expect(body).toContain(
      "### Where it goes in production\n\n| Target | Clusters | Pin |\n| --- | --- | --- |\n| production | cluster group `production` | `fleet.yaml:27` |",
    );
    expect(body.indexOf("### Where it goes")).toBeGreaterThan(body.indexOf("### Pins"));
    expect(promotionBody(text)).not.toContain("### Where it goes");
  });
});

describe("promotionTargets", () => {
  const fleet = [
    "defaultNamespace: aether",
    "targetCustomizations:",
    "  - name: staging",
    "    clusterGroup: staging",
    "  - name: production",
    "    clusterSelector:",
    "      matchLabels: { env: prod }",
    "  - name: paused",
    "    clusterGroup: lab",
    "    doNotDeploy: true",
    "",
  ].join("\n");
  const files = new Map([["fleet/aether/fleet.yaml", fleet]]);
  const fleetPin = (step: { field: string; value: string } | { index: number }) => ({
    file: "fleet/aether/fleet.yaml",
    line: 9,
    layout: "fleet" as const,
    steps: [{ key: "targetCustomizations" }, step, { key: "helm" }],
  });

  it.each([
    [
      "a Fleet target by name: the clusters it selects",
      fleetPin({ field: "name", value: "production" }),
      {
        target: "production",
        clusters: "clusters with `env=prod`",
        pin: "fleet/aether/fleet.yaml:9",
      },
    ],
    [
      "a Fleet target by position",
      fleetPin({ index: 0 }),
      { target: "staging", clusters: "cluster group `staging`", pin: "fleet/aether/fleet.yaml:9" },
    ],
    [
      "a target that deploys nothing says so",
      fleetPin({ field: "name", value: "paused" }),
      { target: "paused", clusters: "none (doNotDeploy)", pin: "fleet/aether/fleet.yaml:9" },
    ],
    [
      "a Fleet target the file lacks: the environment",
      fleetPin({ field: "name", value: "qa" }),
      {
        target: "production",
        clusters: "the clusters that deploy `fleet/aether/fleet.yaml`",
        pin: "fleet/aether/fleet.yaml:9",
      },
    ],
    [
      "a values file per environment: the environment",
      {
        file: "envs/production/values.yaml",
        line: 3,
        layout: "values" as const,
        steps: [{ key: "roc-api" }],
      },
      {
        target: "production",
        clusters: "the clusters that deploy `envs/production/values.yaml`",
        pin: "envs/production/values.yaml:3",
      },
    ],
  ])("%s", (_, pin, expected) => {
    expect(promotionTargets("production", [pin], files)).toEqual([expected]);
  });
});
