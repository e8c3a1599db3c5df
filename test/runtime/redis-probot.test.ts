// Probot 14 with `redisConfig`: its throttling is clustered through Redis with the ioredis we ship.
// main.ts no longer passes `redisConfig` (a replica killed while a write waits for its turn holds
// that installation's writes on every replica for a minute): replicas share the spacing of writes
// through RedisWriteSpacing instead (test/runtime/redis-write-spacing.test.ts). This keeps what
// Probot does with it on record, for whoever weighs going back.
import { Redis } from "ioredis";
import nock from "nock";
import { pino } from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testPrivateKey } from "../helpers/keys.js";
import { useRedisServer } from "../helpers/redis.js";

const redis = useRedisServer();
let client: Redis;

beforeAll(() => {
  client = new Redis(redis.url);
  nock.disableNetConnect();
  // The Redis server is on the loopback: let ioredis reach it past nock.
  nock.enableNetConnect("127.0.0.1");
});

afterAll(async () => {
  nock.cleanAll();
  nock.enableNetConnect();
  await client.quit();
});

/** Waits for Bottleneck's keys (`b_*`) to appear in Redis. */
async function bottleneckKeys(): Promise<string[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const keys = await client.keys("b_*");
    if (keys.length > 0 || Date.now() > deadline) return keys.sort();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("Probot with redisConfig", () => {
  it("keeps the write throttling in Redis, through a throttle override like main.ts's", async () => {
    // Probot imports ioredis from node_modules (it asks npx only when run through npx), so the
    // direct dependency is what makes REDIS_URL work offline.
    const Octokit = ProbotOctokit.defaults((o: Record<string, unknown> | undefined) => ({
      ...o,
      throttle: { ...(o?.throttle as object | undefined), onRateLimit: () => false },
    }));
    const probot = new Probot({
      appId: 123,
      privateKey: testPrivateKey(),
      redisConfig: redis.url,
      Octokit,
      log: pino({ level: "silent" }),
    });
    const scope = nock("https://api.github.com")
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_test", permissions: { issues: "write" } })
      .post("/repos/o/r/issues/1/comments")
      .reply(201, { id: 1 });
    const octokit = await probot.auth(1);
    await octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
      owner: "o",
      repo: "r",
      issue_number: 1,
      body: "hi",
    });
    expect(scope.isDone()).toBe(true);
    const keys = await bottleneckKeys();
    expect(keys.some((k) => k.includes("octokit-write"))).toBe(true);
  });
});
