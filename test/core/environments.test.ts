import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  environmentList,
  environmentNames,
  environmentPinKind,
  findEnvironment,
  nextEnvironment,
  previewEnvironments,
  previousEnvironment,
  soakMs,
} from "../../src/core/environments.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";

const FILE = ".github/monobot.yml";

function policyOf(text: string): Policy {
  const r = resolvePolicy([{ file: FILE, text }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

function errorsOf(text: string): string {
  const r = resolvePolicy([{ file: FILE, text }]);
  return r.ok ? "" : formatPolicyErrors(r.errors);
}

const pins = (env: string) =>
  `      pins:\n        - { file: fleet.yaml, key: "targetCustomizations[name=${env}].helm.values.{chart_name}.image.tag" }\n`;

const THREE = [
  "deploy:",
  "  environments:",
  "    - name: dev",
  pins("dev").trimEnd(),
  "    - name: staging",
  pins("staging").trimEnd(),
  "      verify: { soak: 1h30m }",
  "    - name: production",
  "      production: true",
  pins("production").trimEnd(),
  "",
].join("\n");

describe("the environments contract", () => {
  it.each(["config-repo-fleet", "config-repo-values", "config-repo-umbrella"])(
    "the example %s is a valid policy",
    (example) => {
      const text = readFileSync(
        new URL(`../../examples/${example}/.github/monobot.yml`, import.meta.url),
        "utf8",
      );
      expect(errorsOf(text)).toBe("");
    },
  );

  it("keeps the order, and knows the environment after and before", () => {
    const config = policyOf(THREE).deploy.environments;
    expect(environmentNames(config)).toEqual(["dev", "staging", "production"]);
    expect(nextEnvironment(config, "dev")?.name).toBe("staging");
    expect(nextEnvironment(config, "staging")?.name).toBe("production");
    expect(nextEnvironment(config, "production")).toBeUndefined();
    expect(nextEnvironment(config, "qa")).toBeUndefined();
    expect(previousEnvironment(config, "dev")).toBeUndefined();
    expect(previousEnvironment(config, "production")?.name).toBe("staging");
    expect(findEnvironment(config, "production")?.production).toBe(true);
    expect(soakMs(findEnvironment(config, "staging")!)).toBe(5_400_000);
    expect(soakMs(findEnvironment(config, "dev")!)).toBe(0);
    expect(environmentPinKind(findEnvironment(config, "dev")!)).toBe("image");
    expect(previewEnvironments(config)).toEqual({});
  });

  it("still accepts the older chart -> environments map, for the deploy preview", () => {
    const config = policyOf("deploy:\n  environments: { charts/aether: [staging, production] }\n")
      .deploy.environments;
    expect(environmentList(config)).toEqual([]);
    expect(previewEnvironments(config)).toEqual({ "charts/aether": ["staging", "production"] });
  });

  it("accepts deployed as a job trigger, with {environment}", () => {
    expect(
      errorsOf(
        'jobs:\n  templates:\n    smoke:\n      on: deployed\n      backend: { type: repository-dispatch, event_type: "smoke-{environment}" }\n',
      ),
    ).toBe("");
    expect(
      errorsOf(
        'jobs:\n  templates:\n    smoke:\n      on: pull_request\n      backend: { type: repository-dispatch, event_type: "smoke-{environment}" }\n',
      ),
    ).toContain("{environment} is only known for deployed jobs");
  });

  it.each([
    [
      "an environment named twice",
      THREE.replace("name: staging", "name: dev"),
      `${FILE}:6:7: deploy.environments: "dev" is named twice (entries 1 and 2); give each environment its own name`,
    ],
    [
      "a soak that is not a duration",
      THREE.replace("soak: 1h30m", "soak: 30 minutes"),
      `${FILE}:9:17: deploy.environments.1.verify.soak must be a duration such as 20s, 10m, 1h or 1h30m`,
    ],
    [
      "an unknown verification job",
      THREE.replace("verify: { soak: 1h30m }", "verify: { jobs: [api-test] }") +
        "jobs:\n  templates:\n    api-tests:\n      on: deployed\n      backend: { type: github-actions, workflow: api.yml }\n",
      `${FILE}:9:24: deploy.environments[1] (staging) verify.jobs: no job template "api-test" (did you mean "api-tests"?); define it under jobs.templates with on: deployed`,
    ],
    [
      "a verification job that is not on: deployed",
      THREE.replace("verify: { soak: 1h30m }", "verify: { jobs: [api-tests] }") +
        "jobs:\n  templates:\n    api-tests:\n      on: [pull_request, postmerge]\n      backend: { type: github-actions, workflow: api.yml }\n",
      `${FILE}:9:24: deploy.environments[1] (staging) verify.jobs: the job template "api-tests" runs on pull_request, postmerge, not on deployed; add deployed to its on`,
    ],
    [
      "an unknown placeholder",
      THREE.replace(
        '{chart_name}.image.tag" }\n    - name: staging',
        '{chart_nam}.image.tag" }\n    - name: staging',
      ),
      `${FILE}:5:31: deploy.environments[0] (dev) pins[0].key: unknown placeholder {chart_nam} (did you mean {chart_name}?); known: {environment}, {component}, {chart}, {chart_name}`,
    ],
    [
      "a key that does not parse",
      THREE.replace("[name=dev]", "[name=dev"),
      `${FILE}:5:31: deploy.environments[0] (dev) pins[0].key: "targetCustomizations[name=dev.helm.values.{chart_name}.image.tag" is not a pin key: a [ has no closing ]; write a dotted path such as image.tag or targetCustomizations[name=staging].helm.values.image.tag`,
    ],
    [
      "two environments pinning the same place",
      THREE.replace("[name=staging]", "[name=dev]"),
      `${FILE}:8:11: deploy.environments[1] (staging) pins the same place as dev (fleet.yaml, targetCustomizations[name=dev].helm.values.{chart_name}.image.tag); give each environment its own file or key, e.g. with {environment} or [name=staging]`,
    ],
    [
      "an umbrella pin that is not a dependency version",
      "deploy:\n  environments:\n    - name: staging\n      pins: [{ file: envs/staging/Chart.yaml, key: version }]\n",
      `${FILE}:4:47: deploy.environments[0] (staging) pins[0].key: an umbrella pin's key must be the dependency's version, dependencies[name={chart_name}].version (or [alias=...]), not version`,
    ],
    [
      "chart versions in one environment, image tags in the next",
      'deploy:\n  environments:\n    - name: staging\n      pins: [{ file: "envs/{environment}/Chart.yaml", key: "dependencies[name={chart_name}].version" }]\n    - name: production\n      pins: [{ file: "envs/{environment}/values.yaml", key: "{chart_name}.image.tag" }]\n',
      `${FILE}:6:7: deploy.environments[1] (production) pins image tags but staging pins chart versions; a promotion copies one environment's version to the next, so every environment must pin the same kind`,
    ],
    [
      "a freeze window of an environment",
      THREE.replace(
        "      production: true\n",
        '      production: true\n      freeze: [{ days: [Fri], from: "25:00", to: "Mon 08:00", reason: weekend }]\n',
      ),
      `${FILE}:12:31: deploy.environments[2].freeze[0].from "25:00" must be a time HH:MM`,
    ],
    [
      "a pin without a key",
      "deploy:\n  environments:\n    - name: staging\n      pins: [{ file: a.yaml }]\n",
      `${FILE}:4:14: deploy.environments.0.pins.0 must have required property 'key'`,
    ],
    [
      "an environment without pins",
      "deploy:\n  environments:\n    - name: staging\n",
      `${FILE}:3:7: deploy.environments.0 must have required property 'pins'`,
    ],
  ])("%s is a located error", (_name, text, message) => {
    expect(errorsOf(text)).toContain(message);
  });

  it("reports an error inside the older map form once, at its key", () => {
    expect(errorsOf("deploy:\n  environments:\n    charts/a: staging\n")).toBe(
      `${FILE}:3:5: deploy.environments.charts/a must be an array`,
    );
  });
});
