// RedisQueue with a second replica in a child process: SIGKILL, a stuck event loop, and a burst.
import { describe, expect, it } from "vitest";
import { useRedisServer } from "../helpers/redis.js";
import {
  childKillLocks,
  childLocks,
  FAST,
  job,
  KILL,
  perKey,
  useReplicas,
  waitFor,
  within,
} from "../helpers/redis-fixtures.js";
import { readRunLog, startChildReplica } from "../helpers/redis-replica.js";

const redis = useRedisServer();
const r = useReplicas(redis);
const { replica, client } = r;

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
    r.children.push(child);
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
    r.children.push(child);
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

  it("leaves a live replica's job that outlasts the lock four times to that replica (renewal)", async () => {
    const prefix = redis.prefix("slow");
    const locks = { lockMs: 1000, stalledMs: 250 };
    const child = startChildReplica({
      url: redis.url,
      prefix,
      replica: "slowpoke",
      ...locks,
      jobs: [job("slow", "pr#3", { spec: { msOn: { slowpoke: 4000 } } })],
    });
    r.children.push(child);
    await within(15_000, "the child starts the job", child.line("started slow"));
    // A second replica looking for stalled jobs every 250 ms, with the same 1 s lock.
    replica(prefix, "watcher", { lockDurationMs: 1000, stalledIntervalMs: 250 });
    const log = client();
    await within(
      15_000,
      "the slow job ends",
      waitFor(async () => (await readRunLog(log, prefix)).some((e) => e.phase === "end")),
    );
    await new Promise((res) => setTimeout(res, 500));
    const events = await readRunLog(log, prefix);
    expect(events.map((e) => `${e.replica} ${e.id} ${e.phase}`)).toEqual([
      "slowpoke slow start",
      "slowpoke slow end",
    ]);
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
    r.children.push(child);
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
    r.children.push(child);
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
