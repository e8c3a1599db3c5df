import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { planChartFollowUp } from "../../src/core/chart-follow-up.js";
import {
  planDeployTo,
  rolloutSentence,
  withoutEnvironmentUmbrellas,
} from "../../src/core/deploy-environments.js";
import { deployPrBody } from "../../src/core/deploy-pr.js";
import { deployPreview } from "../../src/core/deploy-preview.js";
import type { DeployComponent, DeployPlan } from "../../src/core/deploy-plan.js";
import { configRepoComponents, expandEnvironmentPins } from "../../src/core/env-matrix.js";
import { changedPins } from "../../src/core/env-pin-edits.js";
import { readPin } from "../../src/core/env-pins.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";

const POLICY = ".github/monobot.yml";

const ROC_API: DeployComponent = {
  name: "roc-api",
  image: "ghcr.io/acme/roc-api",
  charts: ["charts/roc-api"],
  valuesKey: "image.tag",
  chartBump: "patch",
};

function exampleRepo(name: string): Map<string, string> {
  const root = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.set(relative(root, p), readFileSync(p, "utf8"));
    }
  };
  walk(root);
  return files;
}

function policyOf(files: ReadonlyMap<string, string>): Policy {
  const r = resolvePolicy([{ file: POLICY, text: files.get(POLICY) ?? "" }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

function deploy(files: Map<string, string>, to: string, component = ROC_API): DeployPlan {
  return planDeployTo({
    files,
    component,
    version: { from: "1.2.3", to },
    policy: policyOf(files),
  });
}

/** The pins the plan's edits move, as `environment from -> to`: what monobot/promotion and the merge see. */
function moved(files: Map<string, string>, plan: DeployPlan): string[] {
  const policy = policyOf(files);
  const pins = expandEnvironmentPins(
    policy.deploy.environments,
    configRepoComponents(policy, files),
  ).filter((p) => p.component === "roc-api");
  return changedPins(
    pins,
    plan.edits.map((e) => ({ path: e.path, before: e.before, after: e.after })),
  ).map((c) => `${c.environment} ${c.from ?? "(none)"} -> ${c.to ?? "(none)"}`);
}

/** The umbrella example's chart source at the version staging runs (0.5.0), so the deploy makes 0.5.1. */
function umbrellaRepo(): Map<string, string> {
  const files = exampleRepo("config-repo-umbrella");
  const chart = "charts/roc-api/Chart.yaml";
  files.set(chart, (files.get(chart) as string).replace("version: 0.4.1", "version: 0.5.0"));
  return files;
}

describe("the deploy PR writes the first environment's pins, on each layout", () => {
  it.each([
    {
      layout: "fleet",
      files: () => exampleRepo("config-repo-fleet"),
      first: { file: "fleet/aether/fleet.yaml", line: 15, before: "1.3.0", after: "1.4.0" },
      moved: ["staging 1.3.0 -> 1.4.0"],
      sentence: "Deploys to staging; production keeps 1.2.3 until promoted.",
      untouched: ["charts/roc-api/values.yaml"],
    },
    {
      layout: "values",
      files: () => exampleRepo("config-repo-values"),
      first: { file: "envs/dev/values.yaml", line: 6, before: "1.4.0-rc.1", after: "1.4.0" },
      moved: ["dev 1.4.0-rc.1 -> 1.4.0"],
      sentence:
        "Deploys to dev; staging keeps 1.3.0 until promoted; production keeps 1.2.3 until promoted.",
      untouched: ["envs/staging/values.yaml", "envs/production/values.yaml"],
    },
    {
      layout: "umbrella",
      files: umbrellaRepo,
      first: { file: "envs/staging/Chart.yaml", line: 9, before: "0.5.0", after: "0.5.1" },
      moved: ["staging 0.5.0 -> 0.5.1"],
      sentence: "Deploys to staging; production keeps chart 0.4.1 until promoted.",
      untouched: ["envs/production/Chart.yaml"],
    },
  ])("$layout", ({ files: make, first, moved: want, sentence, untouched }) => {
    const files = make();
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([]);
    const env = plan.environments;
    expect(env?.environments[0]).toMatchObject({
      how: "deployed",
      before: first.before,
      after: first.after,
      pin: { file: first.file, line: first.line },
    });
    expect(env?.environments.slice(1).every((r) => r.how === "own-pin")).toBe(true);
    expect(rolloutSentence(env as NonNullable<typeof env>)).toBe(sentence);
    // Only the first environment's pin moves; the chart's default moves as before.
    expect(moved(files, plan)).toEqual(want);
    const edited = new Set(plan.edits.map((e) => e.path));
    expect(edited.has(first.file)).toBe(true);
    for (const path of untouched.filter((p) => p.startsWith("envs/"))) {
      expect(edited.has(path)).toBe(false);
    }
    // No environment umbrella is left for a chart follow-up to move.
    expect(plan.pendingPublish.filter((p) => p.umbrella.startsWith("envs/"))).toEqual([]);
    const edit = plan.edits.find((e) => e.path === first.file);
    expect(edit?.changes.join(", ")).toContain(`${first.before} -> ${first.after}`);
  });

  it.each([
    {
      layout: "fleet",
      files: () => exampleRepo("config-repo-fleet"),
      rows: [
        "| staging | **1.4.0** (this pull request) | `fleet/aether/fleet.yaml` line 15: `targetCustomizations[name=staging].helm.values.roc-api.image.tag` |",
        "| production | 1.2.3, until promoted | `fleet/aether/fleet.yaml` line 27: `targetCustomizations[name=production].helm.values.roc-api.image.tag` |",
      ],
    },
    {
      layout: "values",
      files: () => exampleRepo("config-repo-values"),
      rows: [
        "| dev | **1.4.0** (this pull request) | `envs/dev/values.yaml` line 6: `roc-api.image.tag` |",
        "| staging | 1.3.0, until promoted | `envs/staging/values.yaml` line 4: `roc-api.image.tag` |",
        "| production | 1.2.3, until promoted | `envs/production/values.yaml` line 7: `roc-api.image.tag` |",
      ],
    },
    {
      layout: "umbrella",
      files: umbrellaRepo,
      rows: [
        "| staging | **chart 0.5.1** (this pull request) | `envs/staging/Chart.yaml` line 9: `dependencies[name=roc-api].version` |",
        "| production | chart 0.4.1, until promoted | `envs/production/Chart.yaml` line 9: `dependencies[name=roc-api].version` |",
      ],
    },
  ])("$layout: the preview and the body say the same as the edits", ({ files: make, rows }) => {
    const files = make();
    const plan = deploy(files, "1.4.0");
    const after = new Map(files);
    for (const e of plan.edits) after.set(e.path, e.after);
    const preview = deployPreview({
      component: ROC_API,
      version: "1.4.0",
      plan,
      files: after,
      environments: policyOf(files).deploy.environments,
    });
    expect(preview.table.split("\n").slice(2)).toEqual(rows);
    // Every row agrees with the plan's view of each environment.
    expect(preview.rows.map((r) => `${r.target} ${r.version}`)).toEqual(
      plan.environments?.environments.map((e) => `${e.environment} ${e.after}`),
    );
    const body = deployPrBody({
      component: ROC_API,
      version: { from: "1.2.3", to: "1.4.0" },
      monorepo: { owner: "acme", name: "mono" },
      changes: [],
      plan,
      preview,
    });
    expect(body).toContain(
      rolloutSentence(plan.environments as NonNullable<DeployPlan["environments"]>),
    );
    expect(body).toContain(rows[0] as string);
  });

  it("keeps the umbrella's own version raised once, and its comments", () => {
    const files = umbrellaRepo();
    const plan = deploy(files, "1.4.0");
    const after = plan.edits.find((e) => e.path === "envs/staging/Chart.yaml")?.after ?? "";
    expect(after).toContain("version: 1.0.8");
    expect(after).toContain("# The staging umbrella");
  });

  it("a component the config repo's policy does not define is pinned by its chart's name", () => {
    const files = exampleRepo("config-repo-fleet");
    const api: DeployComponent = { ...ROC_API, name: "api" };
    files.set(
      POLICY,
      `components:\n  define:\n    web: { chart: charts/web }\n${files.get(POLICY) as string}`,
    );
    const plan = planDeployTo({
      files,
      component: api,
      version: { from: "1.2.3", to: "1.4.0" },
      policy: policyOf(files),
    });
    expect(plan.problems).toEqual([]);
    expect(plan.environments?.environments[0]).toMatchObject({ how: "deployed", after: "1.4.0" });
    expect(plan.edits.find((e) => e.path === "fleet/aether/fleet.yaml")?.changes).toEqual([
      "staging: targetCustomizations[name=staging].helm.values.roc-api.image.tag 1.3.0 -> 1.4.0",
    ]);
  });

  it("without environments, writes no pin", () => {
    const files = exampleRepo("config-repo-fleet");
    files.set(POLICY, "deploy: {}\n");
    const plan = deploy(files, "1.4.0");
    expect(plan.environments).toBeUndefined();
    expect(plan.edits.map((e) => e.path)).not.toContain("fleet/aether/fleet.yaml");
  });
});

describe("a later environment without a pin of its own keeps its version", () => {
  it("values: pinned at the version it ran (the chart default before the deploy)", () => {
    const files = exampleRepo("config-repo-values");
    files.set(
      "envs/production/values.yaml",
      '# Production: promoted from staging only.\nroc-api:\n  replicaCount: 5\nweb:\n  image:\n    tag: "2.0.1"\n',
    );
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([]);
    const production = plan.environments?.environments.find((r) => r.environment === "production");
    expect(production).toMatchObject({ how: "kept", before: "1.2.3", after: "1.2.3" });
    const after = plan.edits.find((e) => e.path === "envs/production/values.yaml")?.after ?? "";
    expect(
      readPin(after, "values", [{ key: "roc-api" }, { key: "image" }, { key: "tag" }]),
    ).toMatchObject({
      ok: true,
      found: true,
      value: "1.2.3",
    });
    expect(after).toContain("# Production: promoted from staging only.");
    expect(plan.notes.join("\n")).toContain("this pull request pins it at 1.2.3");
    expect(rolloutSentence(plan.environments as NonNullable<DeployPlan["environments"]>)).toBe(
      "Deploys to dev; staging keeps 1.3.0 until promoted; production keeps 1.2.3 until promoted.",
    );
    // What a merge records: dev moves to the new version, production is pinned where it was.
    expect(moved(files, plan)).toEqual(["dev 1.4.0-rc.1 -> 1.4.0", "production (none) -> 1.2.3"]);
  });

  it("fleet: the key is added below production's target, as the example writes it", () => {
    const original = exampleRepo("config-repo-fleet");
    const files = exampleRepo("config-repo-fleet");
    const path = "fleet/aether/fleet.yaml";
    files.set(
      path,
      (files.get(path) as string).replace(
        '          replicaCount: 5\n          image:\n            tag: "1.2.3"\n',
        "          replicaCount: 5\n",
      ),
    );
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([]);
    expect(plan.environments?.environments[1]).toMatchObject({
      how: "kept",
      before: "1.2.3",
      after: "1.2.3",
    });
    // Production's lines come back exactly as the example has them; staging moves.
    expect(plan.edits.find((e) => e.path === path)?.after).toBe(
      (original.get(path) as string).replace('tag: "1.3.0"', 'tag: "1.4.0"'),
    );
    expect(moved(files, plan)).toEqual(["staging 1.3.0 -> 1.4.0", "production (none) -> 1.2.3"]);
  });

  it("fleet: the same with CRLF line endings keeps them", () => {
    const files = exampleRepo("config-repo-fleet");
    const path = "fleet/aether/fleet.yaml";
    const crlf = (files.get(path) as string).replace(/\n/g, "\r\n");
    files.set(
      path,
      crlf.replace(
        '          replicaCount: 5\r\n          image:\r\n            tag: "1.2.3"\r\n',
        "          replicaCount: 5\r\n",
      ),
    );
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([]);
    expect(plan.edits.find((e) => e.path === path)?.after).toBe(
      crlf.replace('tag: "1.3.0"', 'tag: "1.4.0"'),
    );
  });

  it("fleet: a target whose values are a flow mapping cannot take the key: refused with what to add", () => {
    const files = exampleRepo("config-repo-fleet");
    const path = "fleet/aether/fleet.yaml";
    files.set(
      path,
      (files.get(path) as string).replace(
        '        roc-api:\n          replicaCount: 5\n          image:\n            tag: "1.2.3"\n',
        "        roc-api: { replicaCount: 5 }\n",
      ),
    );
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([
      expect.stringContaining(
        "production has no pin of its own for roc-api (fleet/aether/fleet.yaml: targetCustomizations[name=production].helm.values.roc-api.image.tag) and follows the chart's default, which this deploy changes (1.2.3 -> 1.4.0); monobot cannot pin it at 1.2.3 there, so add that pin by hand once",
      ),
    ]);
    expect(plan.environments?.environments[1]?.how).toBe("problem");
  });

  it("fleet: a production target that is missing is a problem named for the PR", () => {
    const files = exampleRepo("config-repo-fleet");
    const path = "fleet/aether/fleet.yaml";
    const text = files.get(path) as string;
    files.set(path, text.slice(0, text.indexOf("  - name: production")));
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([
      expect.stringContaining(
        "production has no place of its own for roc-api in fleet/aether/fleet.yaml",
      ),
    ]);
  });

  it("values: a default nobody can read is a problem", () => {
    const files = exampleRepo("config-repo-values");
    files.set("envs/production/values.yaml", "roc-api:\n  replicaCount: 5\n");
    files.set("charts/roc-api/values.yaml", "replicaCount: 2\n");
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([
      expect.stringContaining("monobot cannot tell which version production runs"),
    ]);
  });

  it("a later environment that follows a Fleet bundle's own value stays, unwritten", () => {
    const files = exampleRepo("config-repo-fleet");
    const path = "fleet/aether/fleet.yaml";
    files.set(
      path,
      (files.get(path) as string)
        .replace(
          "  releaseName: aether\n",
          "  releaseName: aether\n  values:\n    roc-api:\n      image:\n        tag: 1.1.0\n",
        )
        .replace(
          '          replicaCount: 5\n          image:\n            tag: "1.2.3"\n',
          "          replicaCount: 5\n",
        ),
    );
    const plan = deploy(files, "1.4.0");
    expect(plan.problems).toEqual([]);
    expect(plan.environments?.environments[1]).toMatchObject({ how: "follows", after: "1.1.0" });
  });

  it("a first environment ahead of the version is a problem, not a rollback", () => {
    const files = exampleRepo("config-repo-fleet");
    const plan = deploy(files, "1.2.5");
    expect(plan.problems).toEqual([expect.stringContaining("staging runs roc-api 1.3.0")]);
  });
});

describe("a published chart's follow-up and the environments' umbrellas", () => {
  it("leaves them to the deploy and promotion PRs (production's pin never moves by a follow-up)", () => {
    const files = exampleRepo("config-repo-umbrella");
    const everything = planChartFollowUp({ files, chart: "roc-api", version: "0.5.1" });
    // Without the filter, a follow-up would move production's pin: what it guards against.
    expect(everything.edits.map((e) => e.path)).toContain("envs/production/Chart.yaml");
    const plan = planChartFollowUp({
      files: withoutEnvironmentUmbrellas(policyOf(files), files),
      chart: "roc-api",
      version: "0.5.1",
    });
    expect(plan.edits).toEqual([]);
    expect(plan.skipped?.kind).toBe("current");
  });

  it("keeps every umbrella that is not an environment's", () => {
    const files = exampleRepo("config-repo-umbrella");
    files.set(
      "charts/suite/Chart.yaml",
      "apiVersion: v2\nname: suite\nversion: 2.0.0\ndependencies:\n  - name: roc-api\n    version: 0.4.1\n    repository: https://charts.acme.example/aether\n",
    );
    const plan = planChartFollowUp({
      files: withoutEnvironmentUmbrellas(policyOf(files), files),
      chart: "roc-api",
      version: "0.5.1",
    });
    expect(plan.edits.map((e) => e.path)).toEqual(["charts/suite/Chart.yaml"]);
  });
});
