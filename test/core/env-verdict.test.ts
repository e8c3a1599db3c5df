// The verdict of a version's verification jobs, and the failure comment it leads to.
import { describe, expect, it } from "vitest";
import { failureComment, failureMarker, verificationVerdict } from "../../src/core/env-verdict.js";

const A = "ci/api/api-tests@staging";
const B = "ci/api/smoke@staging";

describe("verificationVerdict", () => {
  const cases: Array<[string, string[], Parameters<typeof verificationVerdict>[1], string]> = [
    ["no jobs: waiting for an outside status", [], [], "waiting"],
    ["one pending", [A], [{ context: A, state: "pending" }], "waiting"],
    ["none reported yet", [A, B], [], "waiting"],
    [
      "all green",
      [A, B],
      [
        { context: A, state: "success" },
        { context: B, state: "success" },
      ],
      "verified",
    ],
    ["one failed while another is pending", [A, B], [{ context: A, state: "failure" }], "failed"],
    ["an error (a timeout, a cancel) fails", [A], [{ context: A, state: "error" }], "failed"],
    [
      "another context's failure does not count",
      [A],
      [
        { context: B, state: "failure" },
        { context: A, state: "success" },
      ],
      "verified",
    ],
  ];
  it.each(cases)("%s", (_n, contexts, statuses, kind) => {
    expect(verificationVerdict(contexts, statuses).kind).toBe(kind);
  });

  it("names the failed runs with their links", () => {
    expect(
      verificationVerdict([A], [{ context: A, state: "failure", targetUrl: "https://ci/1" }]),
    ).toEqual({ kind: "failed", failed: [{ context: A, targetUrl: "https://ci/1" }] });
  });
});

describe("failureComment", () => {
  it("carries the marker, the version, the environment and the failed runs", () => {
    const body = failureComment({
      deploymentId: 42,
      environment: "staging",
      component: "api",
      version: "1.4.0",
      failed: [{ context: A, targetUrl: "https://ci/1" }],
      outside: { by: "argocd", description: "Degraded" },
    });
    expect(body.startsWith(failureMarker(42))).toBe(true);
    expect(body).toContain("api 1.4.0 failed verification in staging");
    expect(body).toContain(`\`${A}\`: [the run](https://ci/1)`);
    expect(body).toContain("a deployment status from @argocd: Degraded");
  });
});
