import { describe, expect, it } from "vitest";
import {
  deployGateForPull,
  gateScope,
  isOwnDeployPull,
  mayDeployAnyway,
  overrideFor,
  overrideReply,
  refusedAsClean,
  type GateScope,
} from "../../src/core/deploy-gate.js";
import type { FreezeWindowConfig } from "../../src/core/policy.js";

const HEAD = "a".repeat(40);
const OTHER = "b".repeat(40);

const TREE = [
  "README.md",
  "charts/aether/Chart.yaml",
  "charts/aether/values.yaml",
  "charts/aether/templates/deploy.yaml",
  "charts/aether/charts/sub/Chart.yaml",
  "charts/aether/charts/sub/values.yaml",
  "fleet/prod/fleet.yaml",
  "fleet/prod/manifests/cm.yaml",
  "fleet/staging/fleet.yml",
  "apps/web/Chart.yaml",
  "apps/web/fleet.yaml",
  "apps/web/values.yaml",
  "docs/runbook.md",
];

function scope(
  files: { path: string; previousPath?: string }[],
  headPaths = TREE,
  truncated = false,
) {
  const s = gateScope(files, { truncated, headPaths });
  if (s === "needs-tree") throw new Error("the tree was given");
  return s;
}

describe("gateScope: which changed files the deployment gate holds", () => {
  it.each([
    // [changed path, deployed folder, kind] — undefined: not held.
    ["charts/aether/values.yaml", "charts/aether", "chart"],
    ["charts/aether/templates/deploy.yaml", "charts/aether", "chart"],
    ["charts/aether/Chart.yaml", "charts/aether", "chart"],
    // A sub-chart's file belongs to the sub-chart.
    ["charts/aether/charts/sub/values.yaml", "charts/aether/charts/sub", "chart"],
    ["fleet/prod/manifests/cm.yaml", "fleet/prod", "fleet"],
    ["fleet/staging/fleet.yml", "fleet/staging", "fleet"],
    // A folder that is both a chart and a Fleet bundle is named as the chart.
    ["apps/web/values.yaml", "apps/web", "chart"],
    // A file added to a chart folder counts even though the tree listing is what tells.
    ["charts/aether/new.yaml", "charts/aether", "chart"],
    ["docs/runbook.md", undefined, undefined],
    ["README.md", undefined, undefined],
    // A folder merely named like a chart's is not one.
    ["charts/aether-old/values.yaml", undefined, undefined],
  ])("%s -> %s (%s)", (path, folder, kind) => {
    const s = scope([{ path }]);
    if (folder === undefined) {
      expect(s).toEqual({ applies: false, hits: [], complete: true, truncated: false });
    } else {
      expect(s).toEqual({
        applies: true,
        hits: [{ path, folder, kind }],
        complete: true,
        truncated: false,
      });
    }
  });

  it("a repository-root Chart.yaml or fleet.yaml makes every file deployed", () => {
    expect(scope([{ path: "anything.txt" }], ["Chart.yaml", "anything.txt"]).hits).toEqual([
      { path: "anything.txt", folder: "", kind: "chart" },
    ]);
  });

  it("counts a rename at its old path, and a removed chart by its Chart.yaml", () => {
    expect(
      scope([{ path: "archive/values.yaml", previousPath: "charts/aether/values.yaml" }]).hits,
    ).toEqual([{ path: "charts/aether/values.yaml", folder: "charts/aether", kind: "chart" }]);
    // The chart is gone from the head: its Chart.yaml in the listing still says where it was.
    const removed = scope(
      [{ path: "charts/gone/Chart.yaml" }, { path: "charts/gone/values.yaml" }],
      ["README.md"],
    );
    expect(removed.hits.map((h) => h.path)).toEqual([
      "charts/gone/Chart.yaml",
      "charts/gone/values.yaml",
    ]);
  });

  it("decides from the listing alone when a Chart.yaml or fleet.yaml is among the files", () => {
    expect(
      gateScope([{ path: "x/Chart.yaml" }, { path: "x/values.yaml" }], { truncated: false }),
    ).toEqual({
      applies: true,
      hits: [{ path: "x/Chart.yaml", folder: "x", kind: "chart" }],
      complete: false,
      truncated: false,
    });
    expect(gateScope([{ path: "x/values.yaml" }], { truncated: false })).toBe("needs-tree");
  });

  it("holds a listing GitHub truncated, without reading further", () => {
    const s = gateScope([{ path: "docs/a.md" }], { truncated: true });
    expect(s).toMatchObject({ applies: true, truncated: true });
  });
});

const WEEKEND: FreezeWindowConfig[] = [
  {
    days: ["Fri"],
    from: "17:00",
    to: "Mon 08:00",
    timezone: "America/Los_Angeles",
    reason: "no deploys into the weekend",
  },
];
const SATURDAY = Date.parse("2026-03-07T20:00:00Z");
const held: GateScope = {
  applies: true,
  hits: [{ path: "charts/aether/values.yaml", folder: "charts/aether", kind: "chart" }],
  complete: true,
  truncated: false,
};

describe("deployGateForPull", () => {
  it("passes a pull request it does not hold, even inside a freeze", () => {
    const r = deployGateForPull({
      freeze: WEEKEND,
      now: SATURDAY,
      headSha: HEAD,
      scope: { applies: false, hits: [], complete: true, truncated: false },
    });
    expect(r).toMatchObject({ name: "monobot/deploy-gate", conclusion: "success" });
  });

  it("fails inside a freeze and lists the files it holds", () => {
    const r = deployGateForPull({ freeze: WEEKEND, now: SATURDAY, headSha: HEAD, scope: held });
    expect(r.conclusion).toBe("failure");
    expect(r.summary).toContain("- `charts/aether/values.yaml` (the chart `charts/aether`)");
  });

  it("lists at most ten files", () => {
    const many: GateScope = {
      ...held,
      hits: Array.from({ length: 12 }, (_, i) => ({
        path: `c/f${String(i).padStart(2, "0")}.yaml`,
        folder: "c",
        kind: "chart" as const,
      })),
    };
    const r = deployGateForPull({ freeze: WEEKEND, now: SATURDAY, headSha: HEAD, scope: many });
    expect(r.summary).toContain("- `c/f09.yaml`");
    expect(r.summary).not.toContain("c/f10.yaml");
    expect(r.summary).toContain("- and 2 more");
  });

  it.each([
    ["the head it was given for", HEAD, "neutral"],
    ["the head in another case", HEAD.toUpperCase(), "neutral"],
    ["an older head", OTHER, "failure"],
  ])("applies an override for %s", (_what, sha, conclusion) => {
    const r = deployGateForPull({
      freeze: WEEKEND,
      now: SATURDAY,
      headSha: HEAD,
      scope: held,
      override: { sha, by: "dana", reason: "hotfix" },
    });
    expect(r.conclusion).toBe(conclusion);
    if (conclusion === "failure") {
      expect(r.summary).toContain("@dana's `/deploy-anyway` was for commit bbbbbbb");
    }
  });

  it("tells the user who may override: an admin", () => {
    const r = deployGateForPull({ freeze: WEEKEND, now: SATURDAY, headSha: HEAD, scope: held });
    expect(r.summary).toContain("an admin of this repository comments `/deploy-anyway REASON`");
  });
});

describe("overrides and auto-merge: the small rules", () => {
  it("takes an override for its own commit only", () => {
    const o = { sha: HEAD, by: "dana", reason: "r" };
    expect(overrideFor(o, HEAD)).toBe(o);
    expect(overrideFor(o, OTHER)).toBeUndefined();
    expect(overrideFor(null, HEAD)).toBeUndefined();
  });

  it.each([
    ["admin", true],
    ["ADMIN", true],
    ["maintain", false],
    ["write", false],
    ["read", false],
    [null, false],
  ])("permission %s may override: %s", (permission, allowed) => {
    const d = mayDeployAnyway("erin", permission);
    expect(d.allowed).toBe(allowed);
    if (!allowed) {
      expect(d.reason).toContain("only admins of this repository may override the deployment gate");
      expect(d.reason).toContain(permission ? `${permission} permission` : "no permission");
    }
  });

  it.each([
    [{ headRef: "monobot/deploy-roc-api", author: "monobot[bot]", fromFork: false }, true],
    [{ headRef: "monobot/deploy-roc-api", author: "mallory", fromFork: false }, false],
    [{ headRef: "monobot/deploy-roc-api", author: "monobot[bot]", fromFork: true }, false],
    [{ headRef: "feature/deploy-roc-api", author: "monobot[bot]", fromFork: false }, false],
  ])("own deploy pull request %j: %s", (pr, own) => {
    expect(isOwnDeployPull(pr, "monobot[bot]")).toBe(own);
  });

  it.each([
    ["Pull request Pull request is in clean status", true],
    ["Pull request is in unstable status", false],
    ["Auto merge is not allowed for this repository", false],
  ])("GitHub's answer %j means the pull request can merge now: %s", (reason, clean) => {
    expect(refusedAsClean(reason)).toBe(clean);
  });

  it("answers an override by what the gate now says", () => {
    const base = { name: "monobot/deploy-gate", title: "t", summary: "", annotations: [] };
    expect(overrideReply({ ...base, conclusion: "neutral" }, HEAD)).toContain(
      "overridden for commit aaaaaaa",
    );
    expect(overrideReply({ ...base, conclusion: "success" }, HEAD)).toContain(
      "no deploy freeze holds now",
    );
  });
});
