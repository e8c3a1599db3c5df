import { describe, expect, it } from "vitest";
import {
  autoMergeAllowed,
  gateFreeze,
  hasAnyAutoMerge,
  hasAnyFreeze,
  isOwnEnvironmentPull,
  promotionBranch,
  rollbackBranch,
} from "../../src/core/env-gate.js";
import { deployGateResult } from "../../src/core/freeze.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";

const POLICY = `
deploy:
  auto_merge: false
  freeze:
    - { from: "2026-12-24T00:00", to: "2026-12-27T00:00", timezone: UTC, reason: holidays }
  environments:
    - name: staging
      pins: [{ file: "envs/staging/values.yaml", key: "{chart_name}.image.tag" }]
      auto_merge: true
    - name: production
      pins: [{ file: "envs/production/values.yaml", key: "{chart_name}.image.tag" }]
      freeze:
        - { days: [Fri], from: "15:00", to: "Mon 08:00", timezone: UTC, reason: weekend }
`;

function policy(text = POLICY): Policy {
  const r = resolvePolicy([{ file: ".github/monobot.yml", text }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

// Friday 2026-12-04 16:00 UTC: inside production's weekend window, outside the holidays.
const FRIDAY = Date.parse("2026-12-04T16:00:00Z");
const CHRISTMAS = Date.parse("2026-12-25T10:00:00Z");

describe("the deployment gate per environment", () => {
  it.each<{ touched: string[]; at: number; conclusion: string; reason?: RegExp }>([
    { touched: [], at: FRIDAY, conclusion: "success" },
    { touched: ["staging"], at: FRIDAY, conclusion: "success" },
    {
      touched: ["production"],
      at: FRIDAY,
      conclusion: "failure",
      reason: /weekend \(production\)/,
    },
    { touched: ["staging", "production"], at: FRIDAY, conclusion: "failure" },
    { touched: ["staging"], at: CHRISTMAS, conclusion: "failure", reason: /holidays/ },
    { touched: [], at: CHRISTMAS, conclusion: "failure", reason: /holidays/ },
  ])("$touched at $at: $conclusion", ({ touched, at, conclusion, reason }) => {
    const result = deployGateResult({ freeze: gateFreeze(policy().deploy, touched), now: at });
    expect(result.conclusion).toBe(conclusion);
    if (reason) expect(result.title).toMatch(reason);
  });

  it("knows when some freeze or auto-merge exists only in an environment", () => {
    const onlyEnv = policy(
      POLICY.replace(/ {2}freeze:\n {4}- \{ from[^\n]*\n/, "").replace(
        "auto_merge: true",
        "auto_merge: false",
      ),
    );
    expect(onlyEnv.deploy.freeze).toEqual([]);
    expect(hasAnyFreeze(onlyEnv.deploy)).toBe(true);
    expect(hasAnyAutoMerge(onlyEnv.deploy)).toBe(false);
    expect(hasAnyAutoMerge(policy().deploy)).toBe(true);
    expect(hasAnyFreeze(policy("deploy: {}\n").deploy)).toBe(false);
  });

  it.each<{ touched: string[]; allowed: boolean }>([
    { touched: ["staging"], allowed: true },
    { touched: ["production"], allowed: false },
    { touched: ["staging", "production"], allowed: false },
    { touched: [], allowed: false },
  ])("auto-merge into $touched: $allowed", ({ touched, allowed }) => {
    expect(autoMergeAllowed(policy().deploy, touched)).toBe(allowed);
  });

  it("an environment without auto_merge follows deploy.auto_merge", () => {
    const on = policy(POLICY.replace("auto_merge: false", "auto_merge: true"));
    expect(autoMergeAllowed(on.deploy, ["production"])).toBe(true);
    expect(autoMergeAllowed(on.deploy, [])).toBe(true);
  });

  it("monobot's own pull requests: deploy, promotion and rollback branches, by the bot, not forks", () => {
    const own = (headRef: string, author = "monobot[bot]", fromFork = false) =>
      isOwnEnvironmentPull({ headRef, author, fromFork }, "monobot[bot]");
    expect(promotionBranch("web", "production")).toBe("monobot/promote-web-production");
    expect(rollbackBranch("web", "production")).toBe("monobot/rollback-web-production");
    expect(own("monobot/deploy-web")).toBe(true);
    expect(own(promotionBranch("web", "production"))).toBe(true);
    expect(own(rollbackBranch("web", "production"))).toBe(true);
    expect(own("feature/x")).toBe(false);
    expect(own(promotionBranch("web", "production"), "mallory")).toBe(false);
    expect(own(promotionBranch("web", "production"), "monobot[bot]", true)).toBe(false);
  });
});
