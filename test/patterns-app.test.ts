// A catastrophic recheck pattern in a repository's policy cannot stall the app: the comment is
// answered, and the next event of the same process is handled.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  API,
  captured,
  config,
  prComment,
  reads,
  REPO,
  token,
  writes,
} from "./helpers/github-nock.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const POLICY = `triggers:\n  recheck: "(?i)^(a+)+recheck$"\n`;

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("a policy whose recheck pattern backtracks catastrophically in JavaScript", () => {
  it("ignores a 50,000-character comment that does not match, then handles a recheck", async () => {
    const { probot, queue } = await makeProbot();
    const c = captured();
    token();
    config(POLICY);
    writes(c);
    // With JavaScript's engine this comment never finishes matching; re2js answers it at once.
    const flood = `${"a".repeat(50_000)}recheck!`;
    await probot.receive({
      id: "d-flood",
      name: "issue_comment",
      payload: prComment(flood, "OWNER", "Codertocat"),
    } as Parameters<typeof probot.receive>[0]);
    await queue.idle();
    expect(c.checkRuns).toEqual([]);
    expect(c.comments).toEqual([]);

    token();
    config(POLICY);
    const pr = examplePayload<{ pull_request: Record<string, unknown> }>(
      "pull_request",
      "opened",
    ).pull_request;
    nock(API).get(`${REPO}/pulls/2`).reply(200, pr);
    reads({ tags: [] });
    await probot.receive({
      id: "d-recheck",
      name: "issue_comment",
      payload: prComment("aaarecheck", "OWNER", "Codertocat"),
    } as Parameters<typeof probot.receive>[0]);
    await queue.idle();
    expect(c.checkRuns.map((r) => r.name)).toContain("monobot/config");
  });
});
