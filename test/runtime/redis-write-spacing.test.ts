// RedisWriteSpacing on a real redis-server: an installation's writes spaced across replicas.
import { Octokit } from "@octokit/core";
import { afterEach, describe, expect, it } from "vitest";
import { silentLog } from "../../src/log.js";
import { isSpacedWrite, RedisWriteSpacing } from "../../src/runtime/redis-write-spacing.js";
import { useRedisServer } from "../helpers/redis.js";

const redis = useRedisServer();
const open: RedisWriteSpacing[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function replica(prefix: string, gapMs = 1000): RedisWriteSpacing {
  const spacing = new RedisWriteSpacing(redis.url, { prefix, gapMs, log: silentLog });
  open.push(spacing);
  return spacing;
}

describe("isSpacedWrite", () => {
  it.each([
    ["POST", "/repos/{owner}/{repo}/check-runs", true],
    ["PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", true],
    ["DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}", true],
    ["PUT", "/repos/{owner}/{repo}/actions/secrets/{secret_name}", true],
    ["GET", "/repos/{owner}/{repo}/pulls/{pull_number}/files", false],
    ["HEAD", "/repos/{owner}/{repo}", false],
    // GraphQL serves monobot's batched reads; a token is not a write to space.
    ["POST", "/graphql", false],
    ["POST", "/app/installations/{installation_id}/access_tokens", false],
    ["POST", "/app/installations/12/access_tokens?x=1", false],
  ])("%s %s: %s", (method, url, spaced) => {
    expect(isSpacedWrite(method, url)).toBe(spaced);
  });
});

describe("RedisWriteSpacing", () => {
  it("gives the writes of one installation slots a gap apart, whichever replica asks", async () => {
    const prefix = redis.prefix("slots");
    const [a, b] = [replica(prefix), replica(prefix)];
    const waits = await Promise.all([a.take("7"), b.take("7"), a.take("7"), b.take("7")]);
    // Taken in some order: 0, then about 1, 2 and 3 s (less the few ms the calls took).
    const sorted = [...waits].sort((x, y) => x - y);
    expect(sorted[0]).toBe(0);
    for (let i = 1; i < sorted.length; i++) {
      expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThan(950);
      expect(sorted[i]! - sorted[i - 1]!).toBeLessThanOrEqual(1000);
    }
    // Another installation has its own lane.
    expect(await b.take("8")).toBe(0);
  });

  it("once the gap has passed, a write goes at once", async () => {
    const prefix = redis.prefix("idle");
    const a = replica(prefix, 50);
    expect(await a.take("1")).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(await a.take("1")).toBe(0);
  });

  it("as a plugin: an installation's client waits for its slot before a write, not before a read", async () => {
    const prefix = redis.prefix("plugin");
    const spacing = replica(prefix, 300);
    const sent: { method: string; at: number }[] = [];
    const Spaced = Octokit.plugin(spacing.plugin());
    const client = new Spaced({
      throttle: { id: "42" },
      request: {
        fetch: async (_url: string, init: { method: string }) => {
          sent.push({ method: init.method, at: Date.now() });
          return new Response("{}", {
            status: 200,
            headers: { "content-type": "application/json" },
          });
        },
      },
    } as ConstructorParameters<typeof Octokit>[0]);
    await client.request("POST /repos/o/r/check-runs", { name: "x", head_sha: "a" });
    await client.request("POST /repos/o/r/check-runs", { name: "y", head_sha: "a" });
    await client.request("GET /repos/o/r");
    expect(sent.map((s) => s.method)).toEqual(["POST", "POST", "GET"]);
    expect(sent[1]!.at - sent[0]!.at).toBeGreaterThanOrEqual(250);
    expect(sent[2]!.at - sent[1]!.at).toBeLessThan(250);
  });

  it("when Redis does not answer, writes go without waiting", async () => {
    const spacing = new RedisWriteSpacing("redis://127.0.0.1:1", { log: silentLog });
    open.push(spacing);
    expect(await spacing.take("1")).toBe(0);
  });
});
