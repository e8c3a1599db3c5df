// End to end: GitHub failing for a while (5xx, secondary rate limits) does not lose the event.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  E2E_TIMEOUT_MS,
  checkNamesOk,
  checkRunsOn,
  deliverAndWait,
  openCleanPullRequest,
  startWorld,
  summaryComments,
  violationLines,
  type World,
} from "./harness.js";

describe("GitHub failing for a while, end to end", () => {
  let world: World;

  beforeAll(async () => {
    world = await startWorld();
  });
  beforeEach(() => world.sandbox.clearFaults());
  afterEach(() => {
    expect(violationLines(world)).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  /** Opens a clean PR and delivers `opened`; the verification must complete as if nothing happened. */
  async function openAndVerify() {
    const pr = openCleanPullRequest(world);
    const mark = world.sandbox.mark();
    await deliverAndWait(
      world,
      world.sandbox.events.pullRequest({ repo: world.repo, number: pr.number, action: "opened" }),
    );
    const runs = checkRunsOn(world, pr.headSha);
    expect(checkNamesOk(runs.map((r) => r.name))).toBe(true);
    expect(runs.every((r) => r.status === "completed" && r.conclusion === "success")).toBe(true);
    expect(summaryComments(world, pr.number)).toHaveLength(1);
    return { pr, requests: world.sandbox.requests({ since: mark }) };
  }

  it(
    "502 twice, then 200, on the PR files listing: Probot retries and the event completes",
    async () => {
      const fault = world.sandbox.injectFault({
        method: "GET",
        pathPattern: "/repos/{owner}/{repo}/pulls/{pull_number}/files",
        times: 2,
        kind: { status: 502 },
      });
      const { requests } = await openAndVerify();
      expect(fault.hits()).toBe(2);
      expect(
        requests.filter((r) => r.operationId === "pulls/list-files").map((r) => r.status),
      ).toEqual([502, 502, 200]);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "502 once on the GraphQL file read: retried, the event completes",
    async () => {
      const fault = world.sandbox.injectFault({
        method: "POST",
        pathPattern: "/graphql",
        times: 1,
        kind: { status: 502 },
      });
      const { requests } = await openAndVerify();
      expect(fault.hits()).toBe(1);
      expect(requests.filter((r) => r.operationId === "graphql").map((r) => r.status)).toEqual([
        502, 200,
      ]);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a secondary rate limit (retry-after 1) on creating a check run: monobot waits, retries once, completes",
    async () => {
      const fault = world.sandbox.injectFault({
        method: "POST",
        pathPattern: "/repos/{owner}/{repo}/check-runs",
        times: 1,
        kind: { secondaryRateLimit: { retryAfter: 1 } },
      });
      const logsBefore = world.server.logs().length;
      const { pr, requests } = await openAndVerify();
      expect(fault.hits()).toBe(1);
      const creates = requests.filter((r) => r.operationId === "checks/create");
      const runs = checkRunsOn(world, pr.headSha);
      // One 403, then every check run created once: the limited request was not lost nor doubled.
      expect(creates.map((r) => r.status)).toEqual([403, ...runs.map(() => 201)]);
      const [limited, retried] = creates;
      const waitedMs = Date.parse(retried?.time ?? "") - Date.parse(limited?.time ?? "");
      expect(waitedMs).toBeGreaterThanOrEqual(1_000);
      expect(
        world.server
          .logs()
          .slice(logsBefore)
          .some((l) => l.msg === "secondary rate limit" && l.retryAfter === 1),
      ).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );
});
