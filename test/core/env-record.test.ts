// The deployment record's rules: verified versions, holds, the version that runs in an environment.
import { describe, expect, it } from "vitest";
import {
  currentVersion,
  holdOf,
  isVerified,
  type DeploymentRecord,
} from "../../src/core/env-record.js";

let nextId = 1;
function rec(
  environment: string,
  task: string,
  payload: Record<string, unknown>,
  state: DeploymentRecord["state"],
  createdAt: string,
): DeploymentRecord {
  return {
    id: nextId++,
    environment,
    sha: "a".repeat(40),
    ref: "main",
    task,
    payload,
    createdAt,
    state,
  };
}
const deploy = (
  env: string,
  component: string,
  version: string,
  state: DeploymentRecord["state"],
  at: string,
) => rec(env, "deploy", { component, version }, state, at);
const hold = (env: string, component: string, held: boolean, at: string, reason = "incident") =>
  rec(env, "monobot:hold", { component, hold: held, reason, by: "alice" }, "success", at);

const T1 = "2026-12-01T10:00:00Z";
const T2 = "2026-12-01T11:00:00Z";
const T3 = "2026-12-01T12:00:00Z";

describe("isVerified", () => {
  const cases: Array<[string, DeploymentRecord[], boolean]> = [
    ["no record", [], false],
    [
      "the newest deploy of the version succeeded",
      [deploy("staging", "api", "1.2.0", "success", T1)],
      true,
    ],
    ["still in progress", [deploy("staging", "api", "1.2.0", "in_progress", T1)], false],
    ["failed", [deploy("staging", "api", "1.2.0", "failure", T1)], false],
    [
      "a later deploy of the same version failed: the verdict is taken back",
      [
        deploy("staging", "api", "1.2.0", "success", T1),
        deploy("staging", "api", "1.2.0", "failure", T2),
      ],
      false,
    ],
    [
      "a later failing deploy of another version leaves this one verified",
      [
        deploy("staging", "api", "1.2.0", "success", T1),
        deploy("staging", "api", "1.3.0", "failure", T2),
      ],
      true,
    ],
    [
      "verified in another environment only",
      [deploy("production", "api", "1.2.0", "success", T1)],
      false,
    ],
    ["another component's success", [deploy("staging", "web", "1.2.0", "success", T1)], false],
    [
      "a hold deployment is not a deploy",
      [rec("staging", "monobot:hold", { component: "api", version: "1.2.0" }, "success", T1)],
      false,
    ],
    [
      "order of the records does not matter (newest by time decides)",
      [
        deploy("staging", "api", "1.2.0", "failure", T2),
        deploy("staging", "api", "1.2.0", "success", T1),
      ],
      false,
    ],
  ];
  it.each(cases)("%s", (_name, records, expected) => {
    expect(isVerified(records, "staging", "api", "1.2.0")).toBe(expected);
  });
});

describe("holdOf", () => {
  it("none without a hold deployment", () => {
    expect(
      holdOf([deploy("production", "api", "1.0.0", "success", T1)], "production", "api"),
    ).toBeUndefined();
  });
  it("the newest hold decides: held, then released", () => {
    const records = [
      hold("production", "api", true, T1),
      hold("production", "api", false, T2, "fixed"),
    ];
    expect(holdOf(records, "production", "api")).toMatchObject({
      held: false,
      reason: "fixed",
      by: "alice",
    });
    expect(holdOf(records.slice(0, 1), "production", "api")).toMatchObject({
      held: true,
      reason: "incident",
    });
  });
  it("a hold of another environment or component does not count", () => {
    const records = [hold("staging", "api", true, T1), hold("production", "web", true, T1)];
    expect(holdOf(records, "production", "api")).toBeUndefined();
  });
  it("a payload whose hold is not literally true is no hold", () => {
    const r = rec("production", "monobot:hold", { component: "api", hold: "yes" }, "success", T1);
    expect(holdOf([r], "production", "api")?.held).toBe(false);
  });
});

describe("currentVersion", () => {
  it("the newest deploy's version, verified or not", () => {
    const records = [
      deploy("production", "api", "1.1.0", "success", T1),
      deploy("production", "api", "1.2.0", "failure", T3),
      deploy("staging", "api", "1.3.0", "success", T2),
    ];
    expect(currentVersion(records, "production", "api")).toBe("1.2.0");
    expect(currentVersion(records, "staging", "api")).toBe("1.3.0");
    expect(currentVersion(records, "staging", "web")).toBeUndefined();
  });
});
