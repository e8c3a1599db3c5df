import { describe, expect, it } from "vitest";
import type { JobRunner, QueuedJob } from "../../src/runtime/job.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function job(deliveryId: string, key: string, supersedeKey?: string): QueuedJob {
  return {
    handler: "test",
    deliveryId,
    key,
    spec: { id: deliveryId },
    ...(supersedeKey ? { supersedeKey } : {}),
  };
}

/** A runner that looks up each job's behaviour by delivery id (jobs are data, not closures). */
function runnerOf(behaviour: Record<string, () => Promise<void>>): JobRunner {
  return (j) => {
    const run = behaviour[j.deliveryId];
    if (!run) throw new Error(`no behaviour for ${j.deliveryId}`);
    return run();
  };
}

const never = () => new Promise<void>(() => undefined);

describe("InProcessQueue", () => {
  it("never runs two jobs of the same key at once, and keeps their order", async () => {
    const log: string[] = [];
    const first = deferred();
    const queue = new InProcessQueue(
      runnerOf({
        d1: async () => {
          log.push("start 1");
          await first.promise;
          log.push("end 1");
        },
        d2: async () => void log.push("start 2"),
        d3: async () => void log.push("other PR"),
      }),
      { concurrency: 4 },
    );
    await queue.enqueue(job("d1", "o/r#1"));
    await queue.enqueue(job("d2", "o/r#1"));
    await queue.enqueue(job("d3", "o/r#2"));
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(["start 1", "other PR"]);
    first.resolve();
    await queue.idle();
    expect(log).toEqual(["start 1", "other PR", "end 1", "start 2"]);
  });

  it("runs no more than `concurrency` jobs at once", async () => {
    const gate = deferred();
    let running = 0;
    let most = 0;
    const queue = new InProcessQueue(
      async () => {
        running++;
        most = Math.max(most, running);
        await gate.promise;
        running--;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 5; i++) await queue.enqueue(job(`d${i}`, `k${i}`));
    expect(queue.size()).toBe(5);
    expect(queue.waiting()).toBe(3);
    gate.resolve();
    await queue.idle();
    expect(most).toBe(2);
  });

  it("hands the runner the job's data as enqueued", async () => {
    const seen: QueuedJob[] = [];
    const queue = new InProcessQueue(async (j) => void seen.push(j));
    const data: QueuedJob = {
      handler: "pull-request",
      deliveryId: "d",
      key: "o/r#1",
      installationId: 7,
      spec: { sha: "abc", files: ["a", "b"] },
    };
    await queue.enqueue(data);
    await queue.idle();
    expect(seen).toEqual([data]);
  });

  it("runs a redelivered delivery id once", async () => {
    let runs = 0;
    const queue = new InProcessQueue(async () => void runs++);
    expect(await queue.enqueue(job("same", "k"))).toBe("queued");
    await queue.idle();
    expect(await queue.enqueue(job("same", "k"))).toBe("duplicate");
    await queue.idle();
    expect(runs).toBe(1);
  });

  it("forgets the oldest delivery ids beyond its memory", async () => {
    let runs = 0;
    const queue = new InProcessQueue(async () => void runs++, { rememberDeliveries: 2 });
    for (const id of ["a", "b", "c"]) expect(await queue.enqueue(job(id, "k"))).toBe("queued");
    await queue.idle();
    expect(await queue.enqueue(job("c", "k"))).toBe("duplicate");
    expect(await queue.enqueue(job("a", "k"))).toBe("queued");
    await queue.idle();
    expect(runs).toBe(4);
  });

  it("replaces queued work for an older head with the newer one", async () => {
    const superseded: string[] = [];
    const gate = deferred();
    const ran: string[] = [];
    const queue = new InProcessQueue(
      runnerOf({
        busy: () => gate.promise,
        "old-head": async () => void ran.push("old-head"),
        "new-head": async () => void ran.push("new-head"),
      }),
      { onSuperseded: (j) => superseded.push(j.deliveryId) },
    );
    await queue.enqueue(job("busy", "o/r#1"));
    await queue.enqueue(job("old-head", "o/r#1", "verify:o/r#1"));
    await queue.enqueue(job("new-head", "o/r#1", "verify:o/r#1"));
    gate.resolve();
    await queue.idle();
    expect(ran).toEqual(["new-head"]);
    expect(superseded).toEqual(["old-head"]);
  });

  it("refuses work beyond its bound", async () => {
    const queue = new InProcessQueue(never, { maxPending: 2, concurrency: 1 });
    expect(await queue.enqueue(job("a", "k"))).toBe("queued");
    expect(await queue.enqueue(job("b", "k"))).toBe("queued");
    expect(await queue.enqueue(job("c", "k"))).toBe("queued");
    expect(await queue.enqueue(job("d", "k"))).toBe("full");
  });

  it("keeps running after a job rejects or throws", async () => {
    const errors: Array<[string, unknown]> = [];
    let ran = false;
    const queue = new InProcessQueue(
      runnerOf({
        a: () => Promise.reject(new Error("boom")),
        b: () => {
          throw new Error("thrown at once");
        },
        c: async () => void (ran = true),
      }),
      { onError: (j, e) => errors.push([j.deliveryId, (e as Error).message]) },
    );
    await queue.enqueue(job("a", "k"));
    await queue.enqueue(job("b", "k"));
    await queue.enqueue(job("c", "k"));
    await queue.idle();
    expect(ran).toBe(true);
    expect(errors).toEqual([
      ["a", "boom"],
      ["b", "thrown at once"],
    ]);
  });

  it("drains: finishes work in flight, then takes no more", async () => {
    const gate = deferred();
    let finished = false;
    const queue = new InProcessQueue(async () => {
      await gate.promise;
      finished = true;
    });
    await queue.enqueue(job("a", "k"));
    const drained = queue.drain(5_000);
    expect(await queue.enqueue(job("b", "k"))).toBe("closed");
    gate.resolve();
    await expect(drained).resolves.toEqual({ finished: true, handedBack: [] });
    expect(finished).toBe(true);
  });

  it("hands back jobs not started when the drain times out", async () => {
    const queue = new InProcessQueue(runnerOf({ running: never, waiting: async () => undefined }), {
      concurrency: 1,
    });
    await queue.enqueue(job("running", "k"));
    await queue.enqueue(job("waiting", "k"));
    const result = await queue.drain(20);
    expect(result).toEqual({ finished: false, handedBack: ["waiting"] });
  });

  it.each([
    ["maxPending", { maxPending: 0 }],
    ["concurrency", { concurrency: -1 }],
    ["rememberDeliveries", { rememberDeliveries: 1.5 }],
  ])("refuses a bad %s with a message naming it", (name, options) => {
    expect(() => new InProcessQueue(never, options)).toThrow(name);
  });
});
