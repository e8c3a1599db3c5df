import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DurableQueue } from "../../src/runtime/durable-queue.js";
import type { JobRunner, QueuedJob } from "../../src/runtime/job.js";
import { JOURNAL_FILE, Journal, StateDirLockedError } from "../../src/runtime/journal.js";
import { cleanup, deferred, job, liveProcess, stateDir } from "./helpers.js";

afterEach(cleanup);

const never = () => new Promise<void>(() => undefined);

/** A runner recording what it ran; jobs whose id is in `hang` never finish. */
function recorder(hang: ReadonlySet<string> = new Set()) {
  const ran: string[] = [];
  const runner: JobRunner = (j) => {
    ran.push(j.deliveryId);
    return hang.has(j.deliveryId) ? never() : Promise.resolve();
  };
  return { ran, runner };
}

describe("DurableQueue", () => {
  it("has the job on disk when enqueue resolves", async () => {
    const dir = stateDir();
    const gate = deferred();
    const queue = await DurableQueue.open(dir, () => gate.promise);
    expect(await queue.enqueue(job("d1"))).toBe("queued");
    const lines = readFileSync(join(dir, JOURNAL_FILE), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([{ t: "job", job: job("d1") }]);
    gate.resolve();
    await queue.idle();
    await queue.close();
  });

  it("records jobs done, failed ones too: a restart runs nothing again", async () => {
    const dir = stateDir();
    const errors: string[] = [];
    const queue = await DurableQueue.open(
      dir,
      async (j) => {
        if (j.deliveryId === "bad") throw new Error("boom");
      },
      { onError: (j, e) => errors.push(`${j.deliveryId}: ${(e as Error).message}`) },
    );
    for (const id of ["a", "bad", "c"]) await queue.enqueue(job(id));
    await queue.idle();
    await queue.close();
    expect(errors).toEqual(["bad: boom"]);

    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner);
    expect(await restarted.recover()).toBe(0);
    await restarted.idle();
    expect(ran).toEqual([]);
    await restarted.close();
  });

  it("after a kill -9, recovers exactly the jobs accepted and not finished, oldest first", async () => {
    const dir = stateDir();
    const hang = new Set(["b", "d", "e"]);
    const crashed = await DurableQueue.open(dir, recorder(hang).runner, { concurrency: 2 });
    for (const id of ["a", "b", "c", "d", "e", "f"]) await crashed.enqueue(job(id));
    // a and c ran; b and d hang in the two slots; e and f wait. Then the process dies.
    await new Promise((r) => setTimeout(r, 20));
    expect(crashed.size()).toBe(4);

    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner);
    expect(await restarted.recover()).toBe(4);
    await restarted.idle();
    expect(ran).toEqual(["b", "d", "e", "f"]);
    // Recovered once: a second call finds nothing more.
    expect(await restarted.recover()).toBe(0);
    await restarted.close();
  });

  it("drops a redelivery across a restart, and remembers a bounded number of deliveries", async () => {
    const dir = stateDir();
    const first = await DurableQueue.open(dir, async () => undefined, { rememberDeliveries: 3 });
    for (const id of ["a", "b", "c", "d"]) expect(await first.enqueue(job(id))).toBe("queued");
    await first.idle();
    await first.close();

    const { ran, runner } = recorder();
    const second = await DurableQueue.open(dir, runner, { rememberDeliveries: 3 });
    await second.recover();
    expect(await second.enqueue(job("d"))).toBe("duplicate");
    expect(await second.enqueue(job("b"))).toBe("duplicate");
    // The oldest fell out of the memory.
    expect(await second.enqueue(job("a"))).toBe("queued");
    await second.idle();
    expect(ran).toEqual(["a"]);
    await second.close();
  });

  it("answers a concurrent redelivery as a duplicate while the first is written", async () => {
    const queue = await DurableQueue.open(stateDir(), async () => undefined);
    const results = await Promise.all([queue.enqueue(job("same")), queue.enqueue(job("same"))]);
    expect(results).toEqual(["queued", "duplicate"]);
    await queue.idle();
    await queue.close();
  });

  it("records a superseded job done: a restart does not run it", async () => {
    const dir = stateDir();
    const superseded: string[] = [];
    const hang = new Set(["busy"]);
    const queue = await DurableQueue.open(dir, recorder(hang).runner, {
      onSuperseded: (j) => superseded.push(j.deliveryId),
    });
    await queue.enqueue(job("busy", "o/r#1"));
    await queue.enqueue(job("old-head", "o/r#1", "verify:o/r#1"));
    await queue.enqueue(job("new-head", "o/r#1", "verify:o/r#1"));
    expect(superseded).toEqual(["old-head"]);
    await new Promise((r) => setTimeout(r, 20));

    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner);
    expect(await restarted.recover()).toBe(2);
    await restarted.idle();
    expect(ran).toEqual(["busy", "new-head"]);
    await restarted.close();
  });

  it("recovers only the newest of jobs that supersede each other, even when their key is free", async () => {
    const dir = stateDir();
    // Killed right after two heads of one PR were accepted: their `done` records (written
    // lazily) are not on disk, so the journal holds both as not done.
    const crashed = await DurableQueue.open(dir, recorder(new Set(["busy"])).runner);
    await crashed.enqueue(job("busy", "o/r#1"));
    await crashed.enqueue(job("head1", "o/r#2", "verify:o/r#2"));
    await crashed.enqueue(job("head2", "o/r#2", "verify:o/r#2"));
    const journal = readFileSync(join(dir, JOURNAL_FILE), "utf8");
    expect(journal).toContain('"deliveryId":"head1"');

    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner);
    // head1's `done` (it was superseded) may not have reached the disk: it is superseded again.
    expect(await restarted.recover()).toBe(2);
    await restarted.idle();
    expect(ran.sort()).toEqual(["busy", "head2"]);
    await restarted.close();
  });

  it("does not recover work for an older head once a newer one arrived since the start", async () => {
    const dir = stateDir();
    const crashed = await DurableQueue.open(dir, recorder(new Set(["busy"])).runner);
    await crashed.enqueue(job("busy", "o/r#1"));
    await crashed.enqueue(job("old-head", "o/r#1", "verify:o/r#1"));
    await new Promise((r) => setTimeout(r, 10));

    const superseded: string[] = [];
    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner, {
      onSuperseded: (j) => superseded.push(j.deliveryId),
    });
    // A redelivery for a newer head lands before the recovery.
    await restarted.enqueue(job("new-head", "o/r#1", "verify:o/r#1"));
    expect(await restarted.recover()).toBe(1);
    await restarted.idle();
    expect(ran).toEqual(["new-head", "busy"]);
    expect(superseded).toEqual(["old-head"]);
    await restarted.close();
    const again = await DurableQueue.open(dir, recorder().runner);
    expect(await again.recover()).toBe(0);
    await again.close();
  });

  it("refuses work beyond its bound, counting jobs being written", async () => {
    const queue = await DurableQueue.open(stateDir(), never, { maxPending: 2, concurrency: 1 });
    expect(await queue.enqueue(job("a", "k"))).toBe("queued");
    expect(await queue.enqueue(job("b", "k"))).toBe("queued");
    expect(await queue.enqueue(job("c", "k"))).toBe("queued");
    expect(await queue.enqueue(job("d", "k"))).toBe("full");
    // A newer head replacing a waiting one is taken even at the bound.
    const other = await DurableQueue.open(stateDir(), never, { maxPending: 1, concurrency: 1 });
    await other.enqueue(job("busy", "k"));
    expect(await other.enqueue(job("h1", "k", "verify:k"))).toBe("queued");
    expect(await other.enqueue(job("x", "k"))).toBe("full");
    expect(await other.enqueue(job("h2", "k", "verify:k"))).toBe("queued");
    // Jobs being written hold their place: of four at once, the bound lets two through.
    const busy = await DurableQueue.open(stateDir(), never, { maxPending: 2, concurrency: 1 });
    const results = await Promise.all(["e", "f", "g", "h"].map((id) => busy.enqueue(job(id, "k"))));
    expect(results).toEqual(["queued", "queued", "full", "full"]);
    await busy.close();
    await queue.close();
    await other.close();
  });

  it("on a drain, leaves jobs not started in the journal; they run after the restart", async () => {
    const dir = stateDir();
    const queue = await DurableQueue.open(dir, recorder(new Set(["running"])).runner, {
      concurrency: 1,
    });
    await queue.enqueue(job("running", "k"));
    await queue.enqueue(job("waiting", "k"));
    expect(await queue.drain(20)).toEqual({ finished: false, handedBack: ["waiting"] });
    expect(await queue.enqueue(job("late", "k"))).toBe("closed");
    await queue.close();

    const { ran, runner } = recorder();
    const restarted = await DurableQueue.open(dir, runner);
    // The job cut off mid-run comes back too (at least once).
    expect(await restarted.recover()).toBe(2);
    await restarted.idle();
    expect(ran).toEqual(["running", "waiting"]);
    await restarted.close();
  });

  it("drains to the end when the work finishes in time", async () => {
    const queue = await DurableQueue.open(stateDir(), async () => undefined);
    await queue.enqueue(job("a"));
    await expect(queue.drain(5_000)).resolves.toEqual({ finished: true, handedBack: [] });
    await queue.close();
  });

  it("shares its journal with other stores when given one", async () => {
    const dir = stateDir();
    const journal = Journal.open(dir);
    const queue = new DurableQueue(journal, async () => undefined);
    await queue.enqueue(job("a"));
    await queue.idle();
    await queue.close();
    // Not its journal: still open for the others.
    expect(journal.closed).toBe(false);
    await journal.close();
  });

  it("refuses a second live process on the state directory", async () => {
    const dir = stateDir();
    const other = liveProcess();
    try {
      writeFileSync(join(dir, "monobot.lock"), String(other.pid));
      await expect(DurableQueue.open(dir, async () => undefined)).rejects.toBeInstanceOf(
        StateDirLockedError,
      );
    } finally {
      await other.stop();
    }
  });

  it.each<[string, Partial<QueuedJob>, string]>([
    ["an empty delivery id", { deliveryId: "" }, "deliveryId"],
    ["no handler", { handler: undefined as unknown as string }, "handler"],
    ["no spec", { spec: undefined as unknown as null }, "spec"],
  ])("refuses a job with %s, naming the field", async (_name, change, field) => {
    const queue = await DurableQueue.open(stateDir(), async () => undefined);
    await expect(queue.enqueue({ ...job("a"), ...change })).rejects.toThrow(field);
    await queue.close();
  });
});
