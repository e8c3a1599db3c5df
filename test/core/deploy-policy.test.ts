import { describe, expect, it } from "vitest";
import { formatPolicyErrors, resolvePolicy } from "../../src/core/policy.js";

function errorsOf(text: string): string {
  const r = resolvePolicy([{ file: ".github/monobot.yml", text }]);
  return r.ok ? "" : formatPolicyErrors(r.errors);
}

describe("deploy policy keys", () => {
  it("has documented defaults", () => {
    const r = resolvePolicy([]);
    expect(r.ok && r.policy.deploy).toEqual({
      config_repo: "",
      values_key: "image.tag",
      chart_bump: "patch",
      environments: {},
      auto_merge: false,
      merge_method: "squash",
      freeze: [],
    });
  });

  it("takes a component's chart list and values key", () => {
    const r = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: [
          "components:",
          "  define:",
          "    roc-api:",
          "      image: ghcr.io/acme/roc-api",
          "      chart: [charts/roc-api, charts/roc-worker]",
          "      values_key: app.image.tag",
          "deploy:",
          "  config_repo: acme/aether-config",
          "  chart_bump: follow",
          "  environments: { charts/aether: [staging, production] }",
          "  auto_merge: true",
          "  merge_method: rebase",
          "",
        ].join("\n"),
      },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.policy.components.define["roc-api"]).toEqual({
      image: "ghcr.io/acme/roc-api",
      chart: ["charts/roc-api", "charts/roc-worker"],
      values_key: "app.image.tag",
    });
    expect(r.policy.deploy.config_repo).toBe("acme/aether-config");
    expect(r.policy.deploy.environments).toEqual({ "charts/aether": ["staging", "production"] });
  });

  it.each([
    [
      "components:\n  define:\n    a:\n      chart: 5\n",
      ".github/monobot.yml:4:7: components.define.a.chart must be a chart folder in the config repo, or a list of them",
    ],
    [
      "components:\n  define:\n    a:\n      values_key: image..tag\n",
      ".github/monobot.yml:4:7: components.define.a.values_key must be a dotted path of keys into values.yaml, e.g. image.tag",
    ],
    [
      "deploy:\n  config_repo: aether-config\n",
      '.github/monobot.yml:2:3: deploy.config_repo must be owner/name of the config repository, e.g. acme/aether-config ("" for none)',
    ],
    [
      "deploy:\n  chart_bump: minor\n",
      '.github/monobot.yml:2:3: deploy.chart_bump must be one of "patch", "follow"',
    ],
    [
      "deploy:\n  merge_method: fast-forward\n",
      '.github/monobot.yml:2:3: deploy.merge_method must be one of "merge", "squash", "rebase"',
    ],
    [
      "deploy:\n  auto_merge: yes please\n",
      ".github/monobot.yml:2:3: deploy.auto_merge must be a boolean",
    ],
    [
      "deploy:\n  freeze:\n    - { days: [Fri] }\n",
      ".github/monobot.yml:3:7: deploy.freeze.0 must have required property 'reason'",
    ],
    [
      "deploy:\n  environments:\n    charts/a: staging\n",
      ".github/monobot.yml:3:5: deploy.environments.charts/a must be an array",
    ],
    [
      "deploy:\n  freez: []\n",
      '.github/monobot.yml:2:3: unknown key "deploy.freez": expected one of config_repo, values_key, chart_bump, environments, auto_merge, merge_method, freeze, dashboard',
    ],
  ])("%j", (text, message) => {
    expect(errorsOf(text)).toBe(message);
  });
});
