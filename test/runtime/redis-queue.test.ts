// RedisQueue on a real redis-server: two replicas (two connections each, or a child process).
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { QueuedJob } from "../../src/runtime/job.js";
import { RedisQueue, type RedisQueueOptions } from "../../src/runtime/redis-queue.js";
import { useRedisServer } from "../helpers/redis.js";
import {
  readRunLog,
  recordingRunner,
  startChildReplica,
  type ChildReplica,
  type RunEvent,
} from "../helpers/redis-replica.js";

const redis = useRedisServer();
const open: { close(): Promise<unknown> }[] = [];
const children: ChildReplica[] = [];

afterEach(async () => {
  await Promise.all(children.splice(0).map((c) => c.stop()));
  await Promise.all(open.splice(0).map((q) => q.close()));
});

/**
 * Locks long enough that a busy CI machine never mistakes a live replica for a dead one; the
 * tests that kill a replica use KILL, short locks, so the death is noticed in about 3 s.
 */
const FAST = { lockDurationMs: 15_000, stalledIntervalMs: 500, sweepIntervalMs: 1000 };
const KILL = { lockDurationMs: 3000 };

function client(): Redis {
  const c = new Redis(redis.url);
  open.push({ close: () => c.quit() });
  return c;
}

/** Jobs a test holds running until it releases them (in this process's replicas). */
class Gate {
  readonly #held = new Map<string, { promise: Promise<void>; release: () => void }>();
  hold(id: string): void {
    let release: () => void = () => undefined;
    const promise = new Promise<void>((r) => (release = r));
    this.#held.set(id, { promise, release });
  }
  wait = (job: QueuedJob): Promise<void> =>
    this.#held.get(job.deliveryId)?.promise ?? Promise.resolve();
  release(id: string): void {
    this.#held.get(id)?.release();
  }
}
let gate = new Gate();
beforeEach(() => {
  gate = new Gate();
});

function replica(
  prefix: string,
  name: string,
  options: Partial<RedisQueueOptions> = {},
  runner = recordingRunner(client(), prefix, name, { hold: (j) => gate.wait(j) }),
): RedisQueue {
  const q = new RedisQueue(redis.url, runner, { prefix, ...FAST, ...options });
  open.push(q);
  return q;
}

function job(deliveryId: string, key: string, extra: Partial<QueuedJob> = {}): QueuedJob {
  return { handler: "test", deliveryId, key, spec: { ms: 0 }, ...extra };
}

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Per key: the ids in the order they started, and the most runs of the key at once. */
function perKey(events: RunEvent[]): Map<string, { order: string[]; maxAtOnce: number }> {
  const out = new Map<string, { order: string[]; maxAtOnce: number; now: number }>();
  for (const e of events) {
    const k = out.get(e.key) ?? { order: [], maxAtOnce: 0, now: 0 };
    if (e.phase === "start") {
      k.order.push(e.id);
      k.now++;
      k.maxAtOnce = Math.max(k.maxAtOnce, k.now);
    } else k.now--;
    out.set(e.key, k);
  }
  return out;
}

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
    gate.hold("head1");
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
    gate.release("head1");
    await within(10_000, "idle", Promise.all([a.idle(), b.idle()]));
    const starts = (await readRunLog(log, prefix)).filter((e) => e.phase === "start");
    // head1 had started: it ran to the end; head2 was still waiting: head3 replaced it.
    expect(starts.map((e) => e.id)).toEqual(["head1", "comment", "head3"]);
    expect(superseded).toEqual(["head2"]);
  });

  it("refuses work past maxPending across replicas, and takes it again once there is room", async () => {
    const prefix = redis.prefix("full");
    const a = replica(prefix, "a", { maxPending: 3 });
    const b = replica(prefix, "b", { maxPending: 3 });
    gate.hold("f0");
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
    gate.release("f0");
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
    gate.hold("long");
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
    gate.release("long");
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
    gate.hold("slow");
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
    gate.release("slow");
    await within(5000, "slow finishes", a.idle());
    const events = await readRunLog(log, prefix);
    expect(events.map((e) => `${e.id} ${e.phase}`)).toEqual(["slow start", "slow end"]);
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

describe("RedisQueue with a replica in a child process", () => {
  it("runs every delivery once and keeps per-key order with a second process", async () => {
    const prefix = redis.prefix("child");
    const jobs = Array.from({ length: 40 }, (_, i) =>
      job(`c${i}`, `pr#${i % 4}`, { spec: { ms: (i * 5) % 12 } }),
    );
    const child = startChildReplica({
      url: redis.url,
      prefix,
      replica: "child",
      ...childLocks,
      jobs: jobs.filter((_, i) => i % 2 === 1),
    });
    children.push(child);
    const a = replica(prefix, "parent");
    // The parent offers every delivery too: each is accepted once, wherever it arrived first.
    for (const j of jobs) await a.enqueue(j);
    await within(10_000, "child ready", child.line("ready"));
    const log = client();
    await within(
      20_000,
      "all ran",
      waitFor(
        async () => (await readRunLog(log, prefix)).filter((e) => e.phase === "end").length >= 40,
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    const events = await readRunLog(log, prefix);
    const starts = events.filter((e) => e.phase === "start");
    expect(starts.map((e) => e.id).sort()).toEqual(jobs.map((j) => j.deliveryId).sort());
    for (const [key, run] of perKey(events)) {
      expect(run.maxAtOnce, key).toBe(1);
      const order = run.order.map((id) => Number(id.slice(1)));
      expect(order, key).toEqual([...order].sort((x, y) => x - y));
    }
  });

  it("takes over the job of a replica killed with SIGKILL, and completes it once", async () => {
    const prefix = redis.prefix("kill");
    const child = startChildReplica({
      url: redis.url,
      prefix,
      replica: "victim",
      ...childKillLocks,
      jobs: [job("doomed", "pr#9", { spec: { msOn: { victim: 60_000 } } }), job("after", "pr#9")],
    });
    children.push(child);
    await within(15_000, "the child starts the job", child.line("started doomed"));
    child.child.kill("SIGKILL");
    const survivor = replica(prefix, "survivor", KILL);
    const log = client();
    const ends = async () => (await readRunLog(log, prefix)).filter((e) => e.phase === "end");
    await within(
      15_000,
      "the survivor finishes both",
      waitFor(async () => (await ends()).length >= 2),
    );
    const events = await readRunLog(log, prefix);
    expect(events.map((e) => `${e.replica} ${e.id} ${e.phase}`)).toEqual([
      "victim doomed start",
      "survivor doomed start",
      "survivor doomed end",
      "survivor after start",
      "survivor after end",
    ]);
    expect(survivor.size()).toBe(0);
  });

  it("gives up a job whose replica died maxCrashes times, and goes on with its key", async () => {
    const prefix = redis.prefix("poison");
    const child = startChildReplica({
      url: redis.url,
      prefix,
      replica: "victim",
      ...childKillLocks,
      jobs: [job("poison", "pr#5", { spec: { msOn: { victim: 60_000 } } }), job("next", "pr#5")],
    });
    children.push(child);
    await within(15_000, "the child starts the job", child.line("started poison"));
    child.child.kill("SIGKILL");
    const errors: string[] = [];
    replica(prefix, "survivor", {
      ...KILL,
      maxCrashes: 1,
      onError: (j, e) => errors.push(`${j.deliveryId}: ${(e as Error).message}`),
    });
    const log = client();
    await within(
      15_000,
      "next runs",
      waitFor(async () => (await readRunLog(log, prefix)).some((e) => e.phase === "end")),
    );
    const events = await readRunLog(log, prefix);
    expect(events.map((e) => `${e.replica} ${e.id} ${e.phase}`)).toEqual([
      "victim poison start",
      "survivor next start",
      "survivor next end",
    ]);
    expect(errors).toEqual([
      "poison: given up: its run was cut off 1 time (a replica died mid-job)",
    ]);
  });

  it("keeps a replica that lost its lock (event loop stuck) from taking more of the key", async () => {
    const prefix = redis.prefix("fence");
    const child = startChildReplica({
      url: redis.url,
      prefix,
      replica: "stuck",
      lockMs: 1000,
      stalledMs: FAST.stalledIntervalMs,
      jobs: [
        job("spin", "pr#7", { spec: { spinOn: { stuck: 3000 } } }),
        job("n1", "pr#7", { spec: { msOn: { survivor: 3000 } } }),
        job("n2", "pr#7"),
      ],
    });
    children.push(child);
    await within(15_000, "the child starts spinning", child.line("started spin"));
    replica(prefix, "survivor", { stalledIntervalMs: 250 });
    const log = client();
    await within(
      20_000,
      "n2 ends",
      waitFor(async () =>
        (await readRunLog(log, prefix)).some((e) => e.id === "n2" && e.phase === "end"),
      ),
    );
    // The stuck replica wakes up while the survivor runs n1: fenced off, it takes neither n1 nor n2.
    await within(
      10_000,
      "the child's spin ends",
      waitFor(
        async () =>
          (await readRunLog(log, prefix)).filter((e) => e.id === "spin" && e.phase === "end")
            .length === 2,
      ),
    );
    const events = await readRunLog(log, prefix);
    const starts = (id: string) =>
      events.filter((e) => e.id === id && e.phase === "start").map((e) => e.replica);
    expect(starts("spin").sort()).toEqual(["stuck", "survivor"]);
    expect(starts("n1")).toEqual(["survivor"]);
    expect(starts("n2")).toEqual(["survivor"]);
  });
});

const childLocks = { lockMs: FAST.lockDurationMs, stalledMs: FAST.stalledIntervalMs };
const childKillLocks = { lockMs: KILL.lockDurationMs, stalledMs: FAST.stalledIntervalMs };

async function waitFor(check: () => Promise<boolean>, everyMs = 50): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}
