import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  configRepoComponents,
  environmentMatrix,
  expandEnvironmentPins,
  pinFiles,
  validateEnvironmentPins,
} from "../../src/core/env-matrix.js";
import {
  applyPinEdits,
  changedPins,
  planPinMove,
  touchedEnvironments,
} from "../../src/core/env-pin-edits.js";
import { parseChart } from "../../src/core/charts.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";

const POLICY = ".github/monobot.yml";

/** Every file of an example config repo, by its path in the repository. */
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

function matrixOf(files: ReadonlyMap<string, string>) {
  return environmentMatrix({
    policy: policyOf(files),
    files,
    policySource: { file: POLICY, text: files.get(POLICY) ?? "" },
  });
}

/** `component env version file:line` per cell, for short assertions. */
function cells(files: ReadonlyMap<string, string>): string[] {
  return matrixOf(files).cells.map(
    (c) =>
      `${c.component} ${c.environment} ${c.version ?? "-"} ${c.pins.map((p) => `${p.file}:${p.line}`).join(",")}`,
  );
}

describe("the environment matrix of each example layout", () => {
  it.each([
    [
      "config-repo-fleet",
      [
        "roc-api staging 1.3.0 fleet/aether/fleet.yaml:15",
        "roc-api production 1.2.3 fleet/aether/fleet.yaml:27",
        "web staging 2.1.0 fleet/aether/fleet.yaml:17",
        "web production 2.0.1 fleet/aether/fleet.yaml:29",
      ],
    ],
    [
      "config-repo-values",
      [
        "roc-api dev 1.4.0-rc.1 envs/dev/values.yaml:6",
        "roc-api staging 1.3.0 envs/staging/values.yaml:4",
        "roc-api production 1.2.3 envs/production/values.yaml:7",
        "web dev 2.2.0 envs/dev/values.yaml:8",
        "web staging 2.1.0 envs/staging/values.yaml:7",
        "web production 2.0.1 envs/production/values.yaml:10",
      ],
    ],
    [
      "config-repo-umbrella",
      [
        "roc-api staging 0.5.0 envs/staging/Chart.yaml:9",
        "roc-api production 0.4.1 envs/production/Chart.yaml:9",
        "web staging 0.2.1 envs/staging/Chart.yaml:12",
        "web production 0.2.0 envs/production/Chart.yaml:12",
      ],
    ],
  ])("%s", (example, expected) => {
    const files = exampleRepo(example);
    expect(cells(files)).toEqual(expected);
    expect(validateEnvironmentPins(policyOf(files), files)).toEqual([]);
  });

  it("takes the charts that package no chart and are no environment's umbrella as components", () => {
    const fleet = exampleRepo("config-repo-fleet");
    expect(configRepoComponents(policyOf(fleet), fleet).map((c) => c.name)).toEqual([
      "roc-api",
      "web",
    ]);
    const umbrella = exampleRepo("config-repo-umbrella");
    expect(configRepoComponents(policyOf(umbrella), umbrella)).toEqual([
      { name: "roc-api", charts: [{ folder: "charts/roc-api", name: "roc-api" }] },
      { name: "web", charts: [{ folder: "charts/web", name: "web" }] },
    ]);
  });

  it("takes the policy's components when it defines their charts", () => {
    const files = exampleRepo("config-repo-fleet");
    files.set(
      POLICY,
      `${files.get(POLICY)}components:\n  define:\n    api: { chart: charts/roc-api }\n`,
    );
    expect(cells(files)).toEqual([
      "api staging 1.3.0 fleet/aether/fleet.yaml:15",
      "api production 1.2.3 fleet/aether/fleet.yaml:27",
    ]);
  });

  it("shows a component one environment does not pin yet without an error", () => {
    const files = exampleRepo("config-repo-values");
    const prod = files.get("envs/production/values.yaml") as string;
    files.set("envs/production/values.yaml", prod.slice(0, prod.indexOf("web:")));
    expect(cells(files)).toContain("web production - envs/production/values.yaml:3");
    expect(validateEnvironmentPins(policyOf(files), files)).toEqual([]);
  });

  it("lists the files a caller must read", () => {
    const files = exampleRepo("config-repo-values");
    const policy = policyOf(files);
    const pins = expandEnvironmentPins(
      policy.deploy.environments,
      configRepoComponents(policy, files),
    );
    expect(pinFiles(pins)).toEqual([
      "envs/dev/values.yaml",
      "envs/production/values.yaml",
      "envs/staging/values.yaml",
    ]);
  });
});

describe("validateEnvironmentPins: bad pins are errors on their line", () => {
  const edit = (example: string, path: string, change: (text: string) => string) => {
    const files = exampleRepo(example);
    files.set(path, change(files.get(path) ?? ""));
    return files;
  };
  const errors = (files: Map<string, string>) =>
    validateEnvironmentPins(policyOf(files), files, {
      file: POLICY,
      text: files.get(POLICY) ?? "",
    }).map((e) => `${e.file}:${e.line}: ${e.message}`);

  it.each([
    [
      "a fleet.yaml that does not parse",
      edit("config-repo-fleet", "fleet/aether/fleet.yaml", (t) =>
        t.replace("    clusterGroup: staging", "    clusterGroup: [staging"),
      ),
      "fleet/aether/fleet.yaml:11: fleet/aether/fleet.yaml does not parse",
    ],
    [
      "a target customization the fleet.yaml lacks",
      edit("config-repo-fleet", "fleet/aether/fleet.yaml", (t) =>
        t.replace("- name: production", "- name: prod"),
      ),
      ".github/monobot.yml:18: deploy.environments[1] (production) pins[0].key names nothing in fleet/aether/fleet.yaml: targetCustomizations[name=production]: no entry has name: production",
    ],
    [
      "a key that names nothing for any component",
      edit("config-repo-values", POLICY, (t) =>
        t.replace(
          'key: "{chart_name}.image.tag" }\n      verify',
          'key: "{chart_name}.imag.tag" }\n      verify',
        ),
      ),
      ".github/monobot.yml:10: deploy.environments[1] (staging) pins[0] names nothing for any component: envs/staging/values.yaml: roc-api.imag is not in the file",
    ],
    [
      "a pin file that does not exist",
      edit("config-repo-values", POLICY, (t) =>
        t.replace(
          'file: "envs/{environment}/values.yaml", key: "{chart_name}.image.tag" }\n      auto_merge',
          'file: "env/{environment}/values.yaml", key: "{chart_name}.image.tag" }\n      auto_merge',
        ),
      ),
      ".github/monobot.yml:6: deploy.environments[0] (dev) pins[0] names nothing for any component: env/dev/values.yaml does not exist",
    ],
    [
      "a file:// dependency in an environment's umbrella",
      edit("config-repo-umbrella", "envs/production/Chart.yaml", (t) =>
        t.replace("https://charts.acme.example/aether", "file://../../charts/roc-api"),
      ),
      "envs/production/Chart.yaml:8: envs/production/Chart.yaml: dependencies[name=roc-api].version: the dependency is file://../../charts/roc-api, which packages whatever that folder holds: it pins no version.",
    ],
    [
      "a version range in an environment's umbrella",
      edit("config-repo-umbrella", "envs/staging/Chart.yaml", (t) =>
        t.replace("version: 0.5.0", "version: ^0.5.0"),
      ),
      "envs/staging/Chart.yaml:9: envs/staging/Chart.yaml: dependencies[name=roc-api].version is ^0.5.0, a range",
    ],
    [
      "a dependency an environment's umbrella lacks",
      edit("config-repo-umbrella", "envs/production/Chart.yaml", (t) =>
        t.replace("name: web", "name: website"),
      ),
      ".github/monobot.yml:16: deploy.environments[1] (production) pins[0].key names nothing in envs/production/Chart.yaml: dependencies[name=web]: no entry has name: web",
    ],
    [
      "a pin that names no component",
      edit("config-repo-values", POLICY, (t) =>
        t.replace(
          'key: "{chart_name}.image.tag" }\n      auto_merge',
          'key: "image.tag" }\n      auto_merge',
        ),
      ),
      ".github/monobot.yml:6: deploy.environments[0] (dev) pins[0] names no component, so all 2 components would share one pin",
    ],
  ])("%s", (_name, files, message) => {
    const found = errors(files);
    expect(
      found.some((e) => e.startsWith(message)),
      found.join("\n"),
    ).toBe(true);
  });
});

describe("moving pins and reading what a change moved", () => {
  it("promotes roc-api to production in the Fleet layout: one line, and the change reads back", () => {
    const files = exampleRepo("config-repo-fleet");
    const policy = policyOf(files);
    const pins = expandEnvironmentPins(
      policy.deploy.environments,
      configRepoComponents(policy, files),
    );
    const edits = planPinMove(pins, {
      environment: "production",
      component: "roc-api",
      version: "1.3.0",
    });
    expect(edits.map((e) => e.path)).toEqual(["fleet/aether/fleet.yaml"]);
    const applied = applyPinEdits(files, edits);
    if (!applied.ok) throw new Error(applied.reason);
    const after = applied.changed.get("fleet/aether/fleet.yaml") as string;
    const changes = changedPins(pins, [
      { path: "fleet/aether/fleet.yaml", before: files.get("fleet/aether/fleet.yaml"), after },
    ]);
    expect(changes).toEqual([
      {
        environment: "production",
        component: "roc-api",
        chart: "charts/roc-api",
        kind: "image",
        file: "fleet/aether/fleet.yaml",
        key: "targetCustomizations[name=production].helm.values.roc-api.image.tag",
        line: 27,
        from: "1.2.3",
        to: "1.3.0",
      },
    ]);
    expect(touchedEnvironments(changes)).toEqual(["production"]);
    // Applying the same move again changes nothing.
    const again = applyPinEdits(new Map([...files, ...applied.changed]), edits);
    expect(again.ok && again.changed.size).toBe(0);
  });

  it("promotes web in the umbrella layout: the pin and the umbrella's own version", () => {
    const files = exampleRepo("config-repo-umbrella");
    const policy = policyOf(files);
    const pins = expandEnvironmentPins(
      policy.deploy.environments,
      configRepoComponents(policy, files),
    );
    const applied = applyPinEdits(
      files,
      planPinMove(pins, { environment: "production", component: "web", version: "0.2.1" }),
    );
    if (!applied.ok) throw new Error(applied.reason);
    const after = applied.changed.get("envs/production/Chart.yaml") as string;
    expect(after).toContain("version: 1.0.5\n");
    expect(after).toContain('    version: "0.2.1"\n');
    expect(
      changedPins(pins, [
        {
          path: "envs/production/Chart.yaml",
          before: files.get("envs/production/Chart.yaml"),
          after,
        },
      ]).map((c) => `${c.environment} ${c.component} ${c.from} -> ${c.to}`),
    ).toEqual(["production web 0.2.0 -> 0.2.1"]);
  });

  it("reads pins added, removed and moved by one change, and ignores other files", () => {
    const files = exampleRepo("config-repo-values");
    const policy = policyOf(files);
    const pins = expandEnvironmentPins(
      policy.deploy.environments,
      configRepoComponents(policy, files),
    );
    const dev = files.get("envs/dev/values.yaml") as string;
    const staging = files.get("envs/staging/values.yaml") as string;
    const changes = changedPins(pins, [
      { path: "envs/dev/values.yaml", before: dev, after: dev.replace("1.4.0-rc.1", "1.4.0-rc.2") },
      {
        path: "envs/staging/values.yaml",
        before: staging,
        after: staging.slice(0, staging.indexOf("web:")),
      },
      { path: "README.md", before: "a", after: "b" },
      { path: "envs/production/values.yaml", after: "web: { image: { tag: 3.0.0 } }\n" },
    ]);
    expect(
      changes.map(
        (c) => `${c.environment} ${c.component} ${c.from ?? "none"} -> ${c.to ?? "none"}`,
      ),
    ).toEqual([
      "dev roc-api 1.4.0-rc.1 -> 1.4.0-rc.2",
      "staging web 2.1.0 -> none",
      "production web none -> 3.0.0",
    ]);
    expect(touchedEnvironments(changes)).toEqual(["dev", "staging", "production"]);
  });

  it("refuses a move it cannot make, naming the file", () => {
    const files = exampleRepo("config-repo-fleet");
    const policy = policyOf(files);
    const pins = expandEnvironmentPins(policy.deploy.environments, [
      { name: "billing", charts: [{ folder: "charts/billing", name: "billing" }] },
    ]);
    const r = applyPinEdits(
      files,
      planPinMove(pins, { environment: "staging", component: "billing", version: "1.0.0" }),
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.reason).toContain(
        "fleet/aether/fleet.yaml: targetCustomizations[name=staging].helm.values.billing.image.tag names nothing in the file",
      );
  });
});

describe("configRepoComponents reads a Chart.yaml's name as parseChart does, fast or not", () => {
  const policy = (() => {
    const r = resolvePolicy([]);
    if (!r.ok) throw new Error("defaults");
    return r.policy;
  })();
  it.each([
    ["plain", "apiVersion: v2\nname: roc-api\nversion: 0.1.0\n"],
    [
      "quoted, CRLF, comments",
      '# chart\r\napiVersion: v2\r\nname: "roc-api" # the api\r\nversion: "0.1.0"\r\n',
    ],
    ["single-quoted", "name: 'roc-web'\nversion: 1.0.0\n"],
    ["a number is a number", "name: 1.10\nversion: 0.1.0\n"],
    ["null is no name", "name: null\nversion: 0.1.0\n"],
    ["a boolean", "name: true\nversion: 0.1.0\n"],
    ["nested maintainers", "name: roc-api\nmaintainers:\n  - name: alice\nversion: 0.1.0\n"],
    ["flow style", "{ name: roc-api, version: 0.1.0 }\n"],
    ["not YAML", "name: roc-api\nversion: [0.1.0\n"],
    ["a value with ': '", "name: roc-api\ndescription: a: b\n"],
    ["a duplicate key", "name: a\nname: b\n"],
    ["a tab", "name:\troc-api\n"],
    ["a document marker", "---\nname: roc-api\n"],
    ["no name", "version: 0.1.0\n"],
    ["an anchor", "name: &n roc-api\n"],
  ])("%s", (_, text) => {
    const parsed = parseChart(text, "Chart.yaml");
    // A Chart.yaml that does not parse makes no component; one without a name is its folder's.
    const expected = parsed.ok ? [parsed.chart.name ?? "api"] : [];
    const files = new Map([["charts/api/Chart.yaml", text]]);
    expect(configRepoComponents(policy, files).map((c) => c.name)).toEqual(expected);
  });
});
