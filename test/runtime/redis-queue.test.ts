// RedisQueue on a real redis-server: two replicas in one process, each with its own connections.
import type { QueuedJob } from "../../src/runtime/job.js";
import { describe, expect, it } from "vitest";
import { RedisQueue } from "../../src/runtime/redis-queue.js";
import { useRedisServer } from "../helpers/redis.js";
import { job, perKey, useReplicas, waitFor, within } from "../helpers/redis-fixtures.js";
import { readRunLog } from "../helpers/redis-replica.js";

const redis = useRedisServer();
const r = useReplicas(redis);
const { replica, client } = r;

describe("RedisQueue across replicas", () => {
  it("accepts a delivery id once across replicas, also after it ran", async () => {
    const prefix = redis.prefix("dedup");
    const a = replica(prefix, "a");
    const b = replica(prefix, "b");
    const ids = Array.from({ length: 20 }, (_, i) => `d${i}`);
    const results = await Promise.all(
      ids.map(async (id, i) => {
        const [ra, rb] = await Promise.all([
          a.enqueue(job(id, `k${i % 4}`)),
          b.enqueue(job(id, `k${i % 4}`)),
        ]);
        return [ra, rb].sort();
      }),
    );
    for (const r of results) expect(r).toEqual(["duplicate", "queued"]);
    await within(10_000, "both replicas idle", Promise.all([a.idle(), b.idle()]));
    const starts = (await readRunLog(client(), prefix)).filter((e) => e.phase === "start");
    expect(starts.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(await a.enqueue(job("d3", "k3"))).toBe("duplicate");
    expect(await b.enqueue(job("d3", "k0"))).toBe("duplicate");
  });

  it("runs the jobs of one key one at a time and in order, spread over two workers", async () => {
    const prefix = redis.prefix("order");
    const a = replica(prefix, "a", { concurrency: 2 });
    const b = replica(prefix, "b", { concurrency: 2 });
    const expected = new Map<string, string[]>();
    for (let i = 0; i < 60; i++) {
      const key = `pr#${i % 6}`;
      const id = `o${i}`;
      expected.set(key, [...(expected.get(key) ?? []), id]);
      // Each job waits for the enqueue before it: the order of a key is the order of acceptance.
      const via = i % 2 === 0 ? a : b;
      expect(await via.enqueue(job(id, key, { spec: { ms: (i * 7) % 15 } }))).toBe("queued");
    }
    await within(20_000, "both replicas idle", Promise.all([a.idle(), b.idle()]));
    const events = await readRunLog(client(), prefix);
    const keys = perKey(events);
    for (const [key, ids] of expected) {
      expect(keys.get(key)?.order, key).toEqual(ids);
      expect(keys.get(key)?.maxAtOnce, key).toBe(1);
    }
    const replicas = new Set(events.map((e) => e.replica));
    expect(replicas).toEqual(new Set(["a", "b"]));
  });

  it("replaces queued, not started, work of an older supersede key, across replicas", async () => {
    const prefix = redis.prefix("supersede");
    const superseded: string[] = [];
    const onSuperseded = (j: QueuedJob) => superseded.push(j.deliveryId);
    const a = replica(prefix, "a", { onSuperseded });
    const b = replica(prefix, "b", { onSuperseded });
    const verify = (id: string) => job(id, "o/r#1", { supersedeKey: "verify:o/r#1" });
    r.gate.hold("head1");
    await a.enqueue(verify("head1"));
    const log = client();
    await within(
      5000,
      "head1 starts",
      waitFor(async () => (await readRunLog(log, prefix)).length > 0),
    );
    expect(await b.enqueue(verify("head2"))).toBe("queued");
    expect(await b.enqueue(job("comment", "o/r#1"))).toBe("queued");
    expect(await a.enqueue(verify("head3"))).toBe("queued");
    r.gate.release("head1");
    await within(10_000, "idle", Promise.all([a.idle(), b.idle()]));
    const starts = (await readRunLog(log, prefix)).filter((e) => e.phase === "start");
    // head1 had started: it ran to the end; head2 was still waiting: head3 replaced it.
    expect(starts.map((e) => e.id)).toEqual(["head1", "comment", "head3"]);
    expect(superseded).toEqual(["head2"]);
  });

  it("reports the age of the oldest job waiting in Redis on every replica, none once it started", async () => {
    const prefix = redis.prefix("oldest");
    const a = replica(prefix, "a");
    const b = replica(prefix, "b");
    r.gate.hold("w0");
    await a.enqueue(job("w0", "one"));
    const log = client();
    await within(
      5000,
      "w0 starts",
      waitFor(async () => (await readRunLog(log, prefix)).length > 0),
    );
    // w0 runs (it is not waiting); w1 waits behind it on the same key.
    await a.enqueue(job("w1", "one"));
    await within(
      5000,
      "b to see w1 waiting",
      waitFor(async () => (b.oldestWaitingMs() ?? -1) >= 1000, 100),
    );
    expect(a.oldestWaitingMs()).toBeGreaterThanOrEqual(1000);
    r.gate.release("w0");
    await within(10_000, "idle", Promise.all([a.idle(), b.idle()]));
    await within(
      5000,
      "no job waiting",
      waitFor(async () => b.oldestWaitingMs() === null, 100),
    );
  });

  it("refuses work past maxPending across replicas, and takes it again once there is room", async () => {
    const prefix = redis.prefix("full");
    const a = replica(prefix, "a", { maxPending: 3 });
    const b = replica(prefix, "b", { maxPending: 3 });
    r.gate.hold("f0");
    await a.enqueue(job("f0", "one"));
    const log = client();
    await within(
      5000,
      "f0 starts",
      waitFor(async () => (await readRunLog(log, prefix)).length > 0),
    );
    // f0 runs; three more wait behind it on the same key.
    for (const id of ["f1", "f2", "f3"]) expect(await b.enqueue(job(id, "one"))).toBe("queued");
    expect(await a.enqueue(job("f4", "two"))).toBe("full");
    expect(await b.enqueue(job("f4", "two"))).toBe("full");
    r.gate.release("f0");
    await within(10_000, "idle", Promise.all([a.idle(), b.idle()]));
    // A refused delivery was not remembered: its redelivery is taken.
    expect(await a.enqueue(job("f4", "two"))).toBe("queued");
    await within(5000, "idle", a.idle());
  });

  it("gives a failing job to onError and goes on with the key", async () => {
    const prefix = redis.prefix("errors");
    const errors: string[] = [];
    const ran: string[] = [];
    const q = replica(
      prefix,
      "a",
      { onError: (j, e) => errors.push(`${j.deliveryId}: ${(e as Error).message}`) },
      async (j) => {
        ran.push(j.deliveryId);
        if (j.deliveryId === "bad") throw new Error("handler broke");
      },
    );
    await q.enqueue(job("bad", "k"));
    await q.enqueue(job("good", "k"));
    await within(5000, "idle", q.idle());
    expect(ran).toEqual(["bad", "good"]);
    expect(errors).toEqual(["bad: handler broke"]);
  });

  it("counts in size() the jobs this replica accepted until they finish on any replica", async () => {
    const prefix = redis.prefix("size");
    // The intake replica runs nothing itself: its jobs finish on the worker replica.
    const intake = replica(prefix, "intake", { work: false });
    const worker = replica(prefix, "worker");
    const results = await Promise.all(
      ["s1", "s2", "s3"].map((id, i) => intake.enqueue(job(id, `k${i}`, { spec: { ms: 300 } }))),
    );
    expect(results).toEqual(["queued", "queued", "queued"]);
    expect(intake.size()).toBe(3);
    await within(10_000, "intake idle", intake.idle());
    expect(intake.size()).toBe(0);
    const events = await readRunLog(client(), prefix);
    const ends = events.filter((e) => e.phase === "end");
    expect(ends.map((e) => e.id).sort()).toEqual(["s1", "s2", "s3"]);
    expect(new Set(events.map((e) => e.replica))).toEqual(new Set(["worker"]));
    await within(5000, "worker idle", worker.idle());
    expect(worker.size()).toBe(0);
  });

  it("drain() waits for the job running here and leaves the waiting ones to the other replica", async () => {
    const prefix = redis.prefix("drain");
    const a = replica(prefix, "a", { concurrency: 1 });
    r.gate.hold("long");
    await a.enqueue(job("long", "k1"));
    await a.enqueue(job("next", "k1"));
    await a.enqueue(job("other", "k2"));
    const log = client();
    await within(
      5000,
      "long starts",
      waitFor(async () => (await readRunLog(log, prefix)).length > 0),
    );
    const draining = a.drain(5000);
    r.gate.release("long");
    const drained = await within(5000, "drain", draining);
    expect(drained).toEqual({ finished: true, handedBack: [] });
    expect(await a.enqueue(job("late", "k1"))).toBe("closed");
    const afterDrain = (await readRunLog(log, prefix)).filter((e) => e.phase === "end");
    expect(afterDrain.map((e) => e.id)).toEqual(["long"]);
    const b = replica(prefix, "b");
    await within(
      10_000,
      "the rest runs on b",
      waitFor(
        async () => (await readRunLog(log, prefix)).filter((e) => e.phase === "end").length === 3,
      ),
    );
    const rest = (await readRunLog(log, prefix)).filter(
      (e) => e.phase === "start" && e.id !== "long",
    );
    expect(rest.map((e) => e.replica)).toEqual(["b", "b"]);
    expect(rest.map((e) => e.id).sort()).toEqual(["next", "other"]);
    await within(5000, "a idle", a.idle());
    expect(b.size()).toBe(0);
  });

  it("drain() stops waiting after its timeout", async () => {
    const prefix = redis.prefix("drain-timeout");
    const a = replica(prefix, "a");
    r.gate.hold("slow");
    await a.enqueue(job("slow", "k"));
    const log = client();
    await within(
      5000,
      "slow starts",
      waitFor(async () => (await readRunLog(log, prefix)).length > 0),
    );
    expect(await within(3000, "drain", a.drain(100))).toEqual({ finished: false, handedBack: [] });
    // The job goes on here until the process ends (or it finishes): it is not run twice meanwhile.
    await new Promise((r) => setTimeout(r, 300));
    r.gate.release("slow");
    await within(5000, "slow finishes", a.idle());
    const events = await readRunLog(log, prefix);
    expect(events.map((e) => `${e.id} ${e.phase}`)).toEqual(["slow start", "slow end"]);
  });

  it("answers ping() while Redis is up, and false when Redis cannot be reached", async () => {
    const q = replica(redis.prefix("ping"), "a", { work: false });
    expect(await q.ping()).toBe(true);
    const dead = new RedisQueue("redis://127.0.0.1:1", async () => undefined, { work: false });
    try {
      expect(await dead.ping(300)).toBe(false);
    } finally {
      await dead.close();
    }
  });

  it.each([
    ["deliveryId", { deliveryId: "" }],
    ["key", { key: "" }],
    ["handler", { handler: 3 as unknown as string }],
    ["supersedeKey", { supersedeKey: 1 as unknown as string }],
  ])("rejects a job whose %s is bad, naming it", async (field, bad) => {
    const q = replica(redis.prefix("bad"), "a");
    await expect(q.enqueue({ ...job("x", "k"), ...bad })).rejects.toThrow(field);
  });
});
