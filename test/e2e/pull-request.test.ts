// End to end: pull requests and PR comments through the real server process and the GitHub sandbox.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  CHECK_NAMES,
  E2E_TIMEOUT_MS,
  checkNamesOk,
  checkRunsOn,
  commentsOn,
  deliverAndWait,
  handledJobs,
  metricValue,
  openCleanPullRequest,
  pause,
  startWorld,
  summaryComments,
  violationLines,
  type World,
} from "./harness.js";
import type { Delivery } from "../../src/sandbox/webhooks.js";

describe("a pull request's life, end to end", () => {
  let world: World;
  let shared:
    Promise<{ pr: ReturnType<typeof openCleanPullRequest>; opened: Delivery }> | undefined;

  /** One PR opened and verified, shared by the tests so each does not wait for a verification of its own. */
  function openedPullRequest() {
    shared ??= (async () => {
      const pr = openCleanPullRequest(world);
      const opened = await deliverAndWait(
        world,
        world.sandbox.events.pullRequest({ repo: world.repo, number: pr.number, action: "opened" }),
      );
      return { pr, opened };
    })();
    return shared;
  }

  beforeAll(async () => {
    // The scheduler off: "no API call" after a redelivery is exact.
    world = await startWorld({ env: { MONOBOT_SCHEDULER: "off" } });
  });
  afterEach(() => {
    expect(violationLines(world)).toEqual([]);
  });
  afterAll(async () => {
    await world?.close();
  });

  it(
    "PR opened: the five check runs on the head SHA and one summary comment",
    async () => {
      const { pr, opened: delivery } = await openedPullRequest();
      const runs = checkRunsOn(world, pr.headSha);
      expect(runs.map((r) => r.name)).toEqual(expect.arrayContaining(CHECK_NAMES));
      expect(checkNamesOk(runs.map((r) => r.name))).toBe(true);
      for (const run of runs) {
        expect(run).toMatchObject({
          head_sha: pr.headSha,
          status: "completed",
          conclusion: "success",
          external_id: delivery.id,
        });
      }
      const summaries = summaryComments(world, pr.number);
      expect(summaries).toHaveLength(1);
      expect(summaries[0]?.body).toContain(pr.headSha.slice(0, 7));
      expect(summaries[0]?.body).toContain("roc-api");
      for (const name of CHECK_NAMES) expect(summaries[0]?.body).toContain(name);
      expect(commentsOn(world, pr.number)).toHaveLength(1);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "redelivery of the same webhook (same delivery id): no duplicate check run or comment, no API call",
    async () => {
      const { pr, opened } = await openedPullRequest();
      const runs = checkRunsOn(world, pr.headSha).length;
      const comments = commentsOn(world, pr.number).length;
      const jobs = await handledJobs(world);
      const mark = world.sandbox.mark();

      // GitHub's "Redeliver" sends the same body with the same X-GitHub-Delivery.
      const again = await world.sandbox.deliver(
        { name: "pull_request", payload: JSON.parse(opened.body) as Record<string, unknown> },
        { deliveryId: opened.id, rawBody: opened.body },
      );
      expect(again.status).toBe(202);
      await pause(2_000);
      expect(await handledJobs(world)).toBe(jobs);
      expect(world.sandbox.requests({ since: mark })).toEqual([]);
      expect(checkRunsOn(world, pr.headSha)).toHaveLength(runs);
      expect(commentsOn(world, pr.number)).toHaveLength(comments);
      // Counted per job: the verification's, the deployment gate's and the access check's.
      expect(
        await metricValue(world, "monobot_webhook_events_total", { outcome: "duplicate" }),
      ).toBe(3);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a member comments recheck: the checks run again, the summary comment is not duplicated",
    async () => {
      const { pr } = await openedPullRequest();
      const [summary] = summaryComments(world, pr.number);
      expect(summary).toBeDefined();
      const before = checkRunsOn(world, pr.headSha).length;
      const comments = commentsOn(world, pr.number).length;

      const comment = world.sandbox.comment(world.repo, pr.number, {
        user: "bob",
        body: "recheck",
      });
      const recheck = await deliverAndWait(
        world,
        world.sandbox.events.issueComment({ repo: world.repo, commentId: comment.id }),
      );
      const runs = checkRunsOn(world, pr.headSha);
      expect(runs).toHaveLength(2 * before);
      const again = runs.filter((r) => r.external_id === recheck.id);
      expect(again.map((r) => r.name)).toEqual(runs.slice(0, before).map((r) => r.name));
      expect(again.every((r) => r.conclusion === "success")).toBe(true);
      expect(summaryComments(world, pr.number).map((c) => c.id)).toEqual([summary?.id]);
      // Only bob's comment is new: a trusted recheck gets no reply.
      expect(commentsOn(world, pr.number)).toHaveLength(comments + 1);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "an outsider comments recheck: one reply saying why, no check run",
    async () => {
      const { pr } = await openedPullRequest();
      const [summary] = summaryComments(world, pr.number);
      const runs = checkRunsOn(world, pr.headSha).length;
      const mark = world.sandbox.mark();

      const comment = world.sandbox.comment(world.repo, pr.number, {
        user: "oscar",
        body: "recheck",
      });
      await deliverAndWait(
        world,
        world.sandbox.events.issueComment({ repo: world.repo, commentId: comment.id }),
      );
      expect(checkRunsOn(world, pr.headSha)).toHaveLength(runs);
      expect(
        world.sandbox.requests({ since: mark, method: "POST" }).map((r) => r.operationId),
      ).toEqual(["issues/create-comment"]);
      const replies = commentsOn(world, pr.number).filter((c) => c.id > comment.id);
      expect(replies).toHaveLength(1);
      expect(replies[0]?.user.login).toBe(world.sandbox.botLogin);
      expect(replies[0]?.body).toMatch(/^@oscar /);
      expect(replies[0]?.body).toContain("recheck");
      expect(replies[0]?.body).toMatch(/not run/);
      expect(summaryComments(world, pr.number)).toEqual([summary]);
    },
    E2E_TIMEOUT_MS,
  );

  it(
    "a push to the PR: check runs on the new head, the same summary comment edited in place",
    async () => {
      const { pr } = await openedPullRequest();
      const [summary] = summaryComments(world, pr.number);
      const oldRuns = checkRunsOn(world, pr.headSha).length;

      // The second commit adds a file without its license header: the license check now fails.
      const push = world.sandbox.pushCommit(world.repo, {
        branch: pr.headRef,
        author: "alice",
        message: "roc-api: readiness\n\nSigned-off-by: Alice Liddell <alice@example.com>",
        files: {
          "services/roc-api/ready.go": "package main\n\nfunc ready() bool { return true }\n",
        },
      });
      await deliverAndWait(
        world,
        world.sandbox.events.pullRequest({
          repo: world.repo,
          number: pr.number,
          action: "synchronize",
        }),
      );
      const runs = checkRunsOn(world, push.sha);
      expect(checkNamesOk(runs.map((r) => r.name))).toBe(true);
      const license = runs.find((r) => r.name === "monobot/license");
      expect(license?.conclusion).toBe("failure");
      expect(license?.annotations).toContainEqual(
        expect.objectContaining({ path: "services/roc-api/ready.go", start_line: 1 }),
      );
      const summaries = summaryComments(world, pr.number);
      expect(summaries.map((c) => c.id)).toEqual([summary?.id]);
      expect(summaries[0]?.body).toContain(push.sha.slice(0, 7));
      expect(summaries[0]?.body).not.toBe(summary?.body);
      expect(checkRunsOn(world, pr.headSha)).toHaveLength(oldRuns);
    },
    E2E_TIMEOUT_MS,
  );
});
