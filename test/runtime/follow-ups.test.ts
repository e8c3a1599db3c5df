import { describe, expect, it } from "vitest";
import { silentLog } from "../../src/log.js";
import { FollowUps } from "../../src/runtime/follow-ups.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";
import type { QueuedJob } from "../../src/runtime/job.js";
import { MemoryTimerStore } from "../../src/runtime/timer-store.js";

const job = (id: string): QueuedJob => ({
  handler: "h",
  deliveryId: id,
  key: "o/r#1",
  spec: { id },
});

describe("follow-up jobs", () => {
  it("refuses to queue before the queue is bound, then queues now and at a time", async () => {
    const ran: string[] = [];
    const queue = new InProcessQueue(async (j) => void ran.push(j.deliveryId));
    const followUps = new FollowUps(new MemoryTimerStore(), silentLog);
    await expect(followUps.submit(job("early"))).rejects.toThrow(/not bound/);
    followUps.bind(queue);
    expect(await followUps.submit(job("now"))).toBe("queued");
    expect(await followUps.submit(job("now"))).toBe("duplicate");
    await followUps.at("gate:o/r#1", Date.now() + 30, job("later"));
    await followUps.at("gone", Date.now() + 30, job("cancelled"));
    await followUps.cancel("gone");
    await new Promise((r) => setTimeout(r, 120));
    await queue.idle();
    expect(ran).toEqual(["now", "later"]);
    await followUps.stop();
  });
});
