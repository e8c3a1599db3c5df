import { describe, expect, it } from "vitest";
import { InProcessQueue, type Job } from "../../src/queue/work-queue.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function job(
  deliveryId: string,
  key: string,
  run: () => Promise<void>,
  supersedeKey?: string,
): Job {
  return { deliveryId, key, run, ...(supersedeKey ? { supersedeKey } : {}) };
}

describe("InProcessQueue", () => {
  it("never runs two jobs of the same key at once, and keeps their order", async () => {
    const queue = new InProcessQueue({ concurrency: 4 });
    const log: string[] = [];
    const first = deferred();
    queue.enqueue(
      job("d1", "o/r#1", async () => {
        log.push("start 1");
        await first.promise;
        log.push("end 1");
      }),
    );
    queue.enqueue(
      job("d2", "o/r#1", async () => {
        log.push("start 2");
      }),
    );
    queue.enqueue(
      job("d3", "o/r#2", async () => {
        log.push("other PR");
      }),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(log).toEqual(["start 1", "other PR"]);
    first.resolve();
    await queue.idle();
    expect(log).toEqual(["start 1", "other PR", "end 1", "start 2"]);
  });

  it("runs a redelivered delivery id once", async () => {
    const queue = new InProcessQueue();
    let runs = 0;
    const work = async () => {
      runs++;
    };
    expect(queue.enqueue(job("same", "k", work))).toBe("queued");
    await queue.idle();
    expect(queue.enqueue(job("same", "k", work))).toBe("duplicate");
    await queue.idle();
    expect(runs).toBe(1);
  });

  it("replaces queued work for an older head with the newer one", async () => {
    const superseded: string[] = [];
    const queue = new InProcessQueue({ onSuperseded: (j) => superseded.push(j.deliveryId) });
    const gate = deferred();
    const ran: string[] = [];
    queue.enqueue(job("busy", "o/r#1", () => gate.promise));
    queue.enqueue(job("old-head", "o/r#1", async () => void ran.push("old-head"), "verify:o/r#1"));
    queue.enqueue(job("new-head", "o/r#1", async () => void ran.push("new-head"), "verify:o/r#1"));
    gate.resolve();
    await queue.idle();
    expect(ran).toEqual(["new-head"]);
    expect(superseded).toEqual(["old-head"]);
  });

  it("refuses work beyond its bound", () => {
    const queue = new InProcessQueue({ maxPending: 2, concurrency: 1 });
    const never = () => new Promise<void>(() => undefined);
    expect(queue.enqueue(job("a", "k", never))).toBe("queued");
    expect(queue.enqueue(job("b", "k", never))).toBe("queued");
    expect(queue.enqueue(job("c", "k", never))).toBe("queued");
    expect(queue.enqueue(job("d", "k", never))).toBe("full");
  });

  it("keeps running after a job throws", async () => {
    const errors: unknown[] = [];
    const queue = new InProcessQueue({ onError: (_j, e) => errors.push(e) });
    let ran = false;
    queue.enqueue(job("a", "k", () => Promise.reject(new Error("boom"))));
    queue.enqueue(
      job("b", "k", async () => {
        ran = true;
      }),
    );
    await queue.idle();
    expect(ran).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it("drains: finishes work in flight, then takes no more", async () => {
    const queue = new InProcessQueue();
    const gate = deferred();
    let finished = false;
    queue.enqueue(
      job("a", "k", async () => {
        await gate.promise;
        finished = true;
      }),
    );
    const drained = queue.drain(5_000);
    expect(queue.enqueue(job("b", "k", async () => undefined))).toBe("closed");
    gate.resolve();
    await expect(drained).resolves.toEqual({ finished: true, handedBack: [] });
    expect(finished).toBe(true);
  });

  it("hands back jobs not started when the drain times out", async () => {
    const queue = new InProcessQueue({ concurrency: 1 });
    queue.enqueue(job("running", "k", () => new Promise<void>(() => undefined)));
    queue.enqueue(job("waiting", "k", async () => undefined));
    const result = await queue.drain(20);
    expect(result).toEqual({ finished: false, handedBack: ["waiting"] });
  });
});
