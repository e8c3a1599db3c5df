// RedisTimerStore, RedisFireStore and the shared scheduled repositories on a real redis-server,
// each with two replicas.
import { afterEach, describe, expect, it } from "vitest";
import type { Json } from "../../src/runtime/job.js";
import { parse } from "yaml";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../src/core/policy.js";
import { silentLog } from "../../src/log.js";
import {
  RedisFireStore,
  RedisScheduledRepos,
  RedisTimerStore,
} from "../../src/runtime/redis-stores.js";
import { Scheduler } from "../../src/runtime/scheduler.js";
import { useRedisServer } from "../helpers/redis.js";

const redis = useRedisServer();
const policy = mergePolicy(
  defaultPolicyObject(),
  parse(`
jobs:
  templates:
    nightly:
      on: schedule
      cron: "0 2 * * *"
      backend: { type: github-actions, workflow: nightly.yml }
`),
) as Policy;
const open: { stop?(): Promise<void>; close?(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => (s.stop ? s.stop() : s.close?.())));
});

function timers(prefix: string): RedisTimerStore {
  const store = new RedisTimerStore(redis.url, {
    prefix,
    lockDurationMs: 15_000,
    stalledIntervalMs: 500,
  });
  open.push(store);
  return store;
}

function fires(prefix: string): RedisFireStore {
  const store = new RedisFireStore(redis.url, { prefix });
  open.push(store);
  return store;
}

/** Starts firing on each store, recording `replica key data` for every call. */
function record(stores: RedisTimerStore[]): string[] {
  const fired: string[] = [];
  stores.forEach((store, i) =>
    store.start(async (key: string, data: Json) => {
      fired.push(`${i} ${key} ${JSON.stringify(data)}`);
    }),
  );
  return fired;
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const keysOf = (fired: string[]) => fired.map((f) => f.split(" ")[1]).sort();

describe("RedisTimerStore across replicas", () => {
  it("fires each due timer once across two replicas, with its data", async () => {
    const prefix = redis.prefix("timers");
    const [a, b] = [timers(prefix), timers(prefix)];
    const now = Date.now();
    for (let i = 0; i < 8; i++) await (i % 2 ? a : b).set(`run:${i}`, now + 100 + i * 20, { i });
    // Counted before either replica fires (a slow machine could have fired some already).
    expect(await a.pending()).toBe(8);
    const fired = record([a, b]);
    await until("all fired", () => fired.length >= 8);
    // Let a second firing, if there were one, show itself.
    await new Promise((r) => setTimeout(r, 300));
    expect(keysOf(fired)).toEqual(Array.from({ length: 8 }, (_, i) => `run:${i}`).sort());
    expect(fired.find((f) => f.includes("run:3"))).toMatch(/ run:3 \{"i":3\}$/);
    expect(await b.pending()).toBe(0);
  });

  it("never fires a timer cleared before it was due, on either replica", async () => {
    const prefix = redis.prefix("cleared");
    const [a, b] = [timers(prefix), timers(prefix)];
    const now = Date.now();
    await a.set("run:cleared", now + 100, "x");
    // A later timer on the same stores: once it has fired, the cleared one was due long before.
    await a.set("run:sentinel", now + 300, "y");
    await b.clear("run:cleared");
    await b.clear("run:never-set");
    expect(await a.pending()).toBe(1);
    const fired = record([a, b]);
    await until("the sentinel fired", () => fired.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(keysOf(fired)).toEqual(["run:sentinel"]);
    expect(await a.pending()).toBe(0);
  });

  it("replaces a timer set again: it fires once, with the new data, at the new time", async () => {
    const prefix = redis.prefix("replaced");
    const [a, b] = [timers(prefix), timers(prefix)];
    const due = Date.now() + 400;
    await a.set("run:1", due - 300, { v: 1 });
    await b.set("run:1", due, { v: 2 });
    expect(await a.pending()).toBe(1);
    const fired: { data: Json; at: number }[] = [];
    for (const store of [a, b])
      store.start(async (_key, data) => void fired.push({ data, at: Date.now() }));
    await until("fired", () => fired.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(fired.map((f) => f.data)).toEqual([{ v: 2 }]);
    expect(fired[0]!.at).toBeGreaterThanOrEqual(due);
  });

  it("fires a timer that fell due while no replica was firing, once one starts", async () => {
    const prefix = redis.prefix("late");
    const writer = timers(prefix);
    await writer.set("run:late", Date.now() + 50, [1, 2]);
    await writer.stop();
    await new Promise((r) => setTimeout(r, 200));
    const [a, b] = [timers(prefix), timers(prefix)];
    const fired = record([a, b]);
    await until("fired", () => fired.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatch(/ run:late \[1,2\]$/);
  });

  it.each([
    ["an empty key", "", 1, "non-empty string"],
    ["a due time that is not a number", "run:x", Number.NaN, "epoch milliseconds"],
  ])("rejects %s with a message saying what to fix", async (_what, key, due, message) => {
    await expect(timers(redis.prefix("bad")).set(key, due, null)).rejects.toThrow(message);
  });
});

describe("RedisFireStore across replicas", () => {
  const slot = (minute: number) => new Date(Date.UTC(2026, 0, 5, 10, minute));

  it("lets one of two replicas claim each slot", async () => {
    const prefix = redis.prefix("fires");
    const [a, b] = [fires(prefix), fires(prefix)];
    expect(await a.lastFire("o/r:nightly")).toBeNull();
    for (let minute = 0; minute < 10; minute++) {
      const claims = await Promise.all([
        a.claim("o/r:nightly", slot(minute)),
        b.claim("o/r:nightly", slot(minute)),
      ]);
      expect(claims.filter(Boolean), `slot ${minute}`).toHaveLength(1);
    }
    expect(await b.lastFire("o/r:nightly")).toEqual(slot(9));
  });

  it.each([
    ["the same slot again", 5, 5, false],
    ["an older slot than the last fire", 5, 4, false],
    ["a newer slot", 5, 6, true],
  ])("claims %s: %s then %s gives %s", async (_what, first, then, expected) => {
    const prefix = redis.prefix("fire-rule");
    const [a, b] = [fires(prefix), fires(prefix)];
    expect(await a.claim("k", slot(first))).toBe(true);
    expect(await b.claim("k", slot(then))).toBe(expected);
    expect(await a.lastFire("k")).toEqual(slot(Math.max(first, then)));
  });

  it("keeps each schedule's fires apart", async () => {
    const prefix = redis.prefix("fire-keys");
    const [a, b] = [fires(prefix), fires(prefix)];
    expect(await a.claim("o/r:nightly", slot(1))).toBe(true);
    expect(await b.claim("o/r:weekly", slot(1))).toBe(true);
    expect(await b.lastFire("o/r:nightly")).toEqual(slot(1));
  });

  it("rejects an invalid Date with a message", async () => {
    await expect(fires(redis.prefix("fire-bad")).claim("k", new Date(Number.NaN))).rejects.toThrow(
      "valid Date",
    );
  });
});

describe("schedules across replicas: fires pruned, repositories shared", () => {
  const slot = (minute: number) => new Date(Date.UTC(2026, 0, 5, 10, minute));

  function repos(prefix: string): RedisScheduledRepos {
    const store = new RedisScheduledRepos(redis.url, { prefix });
    open.push(store);
    return store;
  }

  /** A replica's scheduler whose repositories have a nightly schedule of one component. */
  function replica(prefix: string) {
    const loaded: string[] = [];
    const scheduler = new Scheduler({
      source: {
        load: async (t) => {
          loaded.push(`${Scheduler.repoKey(t)}@${t.defaultBranch}`);
          return {
            policy,
            paths: ["services/api/VERSION"],
            headSha: "a".repeat(40),
            ...(t.defaultBranch ? {} : { defaultBranch: "main" }),
          };
        },
        port: async () => {
          throw new Error("not dispatched in this test");
        },
      },
      store: fires(prefix),
      repositories: repos(prefix),
      backend: { env: {} },
      log: silentLog,
    });
    return { scheduler, loaded };
  }

  it("forgets only the fires picked, on every replica", async () => {
    const prefix = redis.prefix("fire-prune");
    const [a, b] = [fires(prefix), fires(prefix)];
    for (let i = 0; i < 1200; i++) await a.claim(`o/r${i}:nightly/api`, slot(1));
    await a.claim("o/keep:nightly/api", slot(2));
    expect(await b.prune((key) => key.startsWith("o/r"))).toBe(1200);
    expect(await a.lastFire("o/r7:nightly/api")).toBeNull();
    expect(await a.lastFire("o/keep:nightly/api")).toEqual(slot(2));
  });

  it("a repository one replica learns from an installation is scheduled by the other", async () => {
    const prefix = redis.prefix("shared-repos");
    const a = replica(prefix);
    const b = replica(prefix);
    a.scheduler.followInstallation("installation_repositories", {
      action: "added",
      installation: { id: 9 },
      repositories_added: [{ full_name: "acme/new" }],
      repositories_removed: [],
    });
    await a.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    await b.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    expect(b.loaded).toEqual(["acme/new@main"]);
    expect(b.scheduler.repositories).toEqual([
      { owner: "acme", repo: "new", defaultBranch: "main", installationId: 9 },
    ]);
    const store = fires(prefix);
    expect(await store.lastFire("acme/new:nightly/api")).not.toBeNull();

    // Removed on the other replica: dropped here at the next tick, its fires forgotten.
    b.scheduler.followInstallation("installation", {
      action: "deleted",
      installation: { id: 9 },
      repositories: [{ full_name: "acme/new" }],
    });
    await b.scheduler.tick(new Date("2026-03-10T00:01:00Z"));
    await a.scheduler.tick(new Date("2026-03-10T00:01:00Z"));
    expect(a.scheduler.repositories).toEqual([]);
    expect(await store.lastFire("acme/new:nightly/api")).toBeNull();
  });
});
