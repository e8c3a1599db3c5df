import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { configRepoComponents, expandEnvironmentPins } from "../../src/core/env-matrix.js";
import { changedPins, type PinChange } from "../../src/core/env-pin-edits.js";
import {
  holdOf,
  isVerified,
  verifiedVersions,
  type DeploymentRecord,
} from "../../src/core/env-record.js";
import { judgePins, promotionCheck, PROMOTION_CHECK } from "../../src/core/promotion-check.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../../src/core/policy.js";

const ROOT = fileURLToPath(new URL("../../examples/config-repo-fleet/", import.meta.url));
const FLEET = "fleet/aether/fleet.yaml";
const read = (p: string) => readFileSync(`${ROOT}${p}`, "utf8");

function policy(): Policy {
  const r = resolvePolicy([{ file: ".github/monobot.yml", text: read(".github/monobot.yml") }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

/** The pins a hand edit of the example's fleet.yaml moves. */
function moved(edit: (text: string) => string): PinChange[] {
  const p = policy();
  const files = new Map([
    ["charts/roc-api/Chart.yaml", read("charts/roc-api/Chart.yaml")],
    ["charts/web/Chart.yaml", read("charts/web/Chart.yaml")],
  ]);
  const pins = expandEnvironmentPins(p.deploy.environments, configRepoComponents(p, files));
  const before = read(FLEET);
  return changedPins(pins, [{ path: FLEET, before, after: edit(before) }]);
}

let nextId = 1;
function record(
  environment: string,
  component: string,
  version: string,
  state: DeploymentRecord["state"],
  createdAt: string,
  task = "deploy",
  extra: Record<string, unknown> = {},
): DeploymentRecord {
  return {
    id: nextId++,
    environment,
    sha: "a".repeat(40),
    ref: "main",
    task,
    payload: { component, version, ...extra },
    createdAt,
    state,
  };
}

const toProduction = (v: string) => (t: string) => t.replace('tag: "1.2.3"', `tag: "${v}"`);
const toStaging = (v: string) => (t: string) => t.replace('tag: "1.3.0"', `tag: "${v}"`);

describe("monobot/promotion decides on the pins a pull request moves", () => {
  it.each<{
    name: string;
    edit: (t: string) => string;
    records: DeploymentRecord[];
    conclusion: string;
    title: RegExp;
  }>([
    {
      name: "a hand-edited production pin to a version never deployed to staging fails",
      edit: toProduction("9.9.9"),
      records: [record("staging", "roc-api", "1.3.0", "success", "2026-01-01T10:00:00Z")],
      conclusion: "failure",
      title: /roc-api 9\.9\.9 is not verified in staging/,
    },
    {
      name: "a production pin to the version staging verified passes",
      edit: toProduction("1.3.0"),
      records: [record("staging", "roc-api", "1.3.0", "success", "2026-01-01T10:00:00Z")],
      conclusion: "success",
      title: /1 pin moved, each allowed/,
    },
    {
      name: "a version whose newest staging deployment failed is not verified",
      edit: toProduction("1.3.0"),
      records: [
        record("staging", "roc-api", "1.3.0", "success", "2026-01-01T10:00:00Z"),
        record("staging", "roc-api", "1.3.0", "failure", "2026-01-02T10:00:00Z"),
      ],
      conclusion: "failure",
      title: /roc-api 1\.3\.0 is not verified in staging/,
    },
    {
      name: "verification in production itself does not count",
      edit: toProduction("1.3.0"),
      records: [record("production", "roc-api", "1.3.0", "success", "2026-01-01T10:00:00Z")],
      conclusion: "failure",
      title: /not verified in staging/,
    },
    {
      name: "another component's verified version does not count",
      edit: toProduction("1.3.0"),
      records: [record("staging", "web", "1.3.0", "success", "2026-01-01T10:00:00Z")],
      conclusion: "failure",
      title: /not verified in staging/,
    },
    {
      name: "the first environment's pins need no previous environment",
      edit: toStaging("1.4.0"),
      records: [],
      conclusion: "success",
      title: /1 pin moved/,
    },
    {
      name: "a change that moves no pin passes",
      edit: (t) => t.replace("replicaCount: 5", "replicaCount: 6"),
      records: [],
      conclusion: "success",
      title: /No environment's pins change/,
    },
  ])("$name", ({ edit, records, conclusion, title }) => {
    const result = promotionCheck({
      environments: policy().deploy.environments,
      moved: moved(edit),
      records,
    });
    expect(result.name).toBe(PROMOTION_CHECK);
    expect(result.conclusion).toBe(conclusion);
    expect(result.title).toMatch(title);
  });

  it("annotates the refused pin on its line and names what is verified", () => {
    const result = promotionCheck({
      environments: policy().deploy.environments,
      moved: moved(toProduction("9.9.9")),
      records: [
        record("staging", "roc-api", "1.3.0", "success", "2026-01-01T10:00:00Z"),
        record("staging", "roc-api", "1.2.9", "success", "2025-12-01T10:00:00Z"),
      ],
    });
    expect(result.annotations).toEqual([
      expect.objectContaining({ path: FLEET, start_line: 27, level: "failure" }),
    ]);
    expect(result.annotations[0]?.message).toContain("Verified there: 1.3.0, 1.2.9.");
    expect(result.summary).toContain("/deploy-anyway REASON");
  });

  it("an admin's override for the head makes it neutral, with the reason", () => {
    const result = promotionCheck({
      environments: policy().deploy.environments,
      moved: moved(toProduction("9.9.9")),
      records: [],
      override: { by: "alice", reason: "hotfix" },
    });
    expect(result.conclusion).toBe("neutral");
    expect(result.title).toContain("@alice");
    expect(result.summary).toContain("hotfix");
  });

  it("judges a pin of an environment the policy no longer names", () => {
    const [change] = moved(toProduction("1.3.0"));
    const verdicts = judgePins({
      environments: policy().deploy.environments,
      moved: [{ ...(change as PinChange), environment: "qa" }],
      records: [],
    });
    expect(verdicts.map((v) => v.kind)).toEqual(["unknown-environment"]);
  });
});

describe("deployment records", () => {
  it("a version is verified by the newest deploy of it, and listed newest first", () => {
    const records = [
      record("staging", "web", "2.0.0", "success", "2026-01-01T00:00:00Z"),
      record("staging", "web", "2.1.0", "success", "2026-01-02T00:00:00Z"),
      record("staging", "web", "2.2.0", "in_progress", "2026-01-03T00:00:00Z"),
      record("staging", "web", "2.0.0", "error", "2026-01-04T00:00:00Z"),
    ];
    expect(isVerified(records, "staging", "web", "2.1.0")).toBe(true);
    expect(isVerified(records, "staging", "web", "2.0.0")).toBe(false);
    expect(isVerified(records, "staging", "web", "2.2.0")).toBe(false);
    expect(verifiedVersions(records, "staging", "web")).toEqual(["2.1.0"]);
  });

  it("the newest hold record decides", () => {
    const hold = (on: boolean, at: string) =>
      record("production", "web", "", "none", at, "monobot:hold", {
        hold: on,
        by: "bob",
        reason: "bad release",
      });
    expect(holdOf([hold(true, "2026-01-01T00:00:00Z")], "production", "web")).toMatchObject({
      held: true,
      by: "bob",
      reason: "bad release",
      at: "2026-01-01T00:00:00Z",
    });
    expect(
      holdOf(
        [hold(true, "2026-01-01T00:00:00Z"), hold(false, "2026-01-02T00:00:00Z")],
        "production",
        "web",
      )?.held,
    ).toBe(false);
    expect(holdOf([hold(true, "2026-01-01T00:00:00Z")], "staging", "web")).toBeUndefined();
  });
});
