// The activity record: bounded, newest first, repository from the job key, errors without secrets.
import { describe, expect, it } from "vitest";
import { jobRunner } from "../../src/handlers/run-job.js";
import type { RegisteredHandler, Services } from "../../src/handlers/handler.js";
import { silentLog } from "../../src/log.js";
import { ActivityLog, repositoryOfKey } from "../../src/runtime/activity.js";

const job = (n: number, key = `o/r#${n}`) => ({
  handler: "pull-request",
  deliveryId: `d${n}`,
  key,
});

describe("ActivityLog", () => {
  it("keeps the last `capacity` jobs, newest first, and counts all", () => {
    const log = new ActivityLog(3);
    for (let i = 1; i <= 5; i++) log.record(job(i), "success", i);
    expect(log.size).toBe(3);
    expect(log.total).toBe(5);
    expect(log.recent(10).map((e) => e.deliveryId)).toEqual(["d5", "d4", "d3"]);
    expect(log.recent(2).map((e) => e.deliveryId)).toEqual(["d5", "d4"]);
  });

  it("redacts secrets in error messages", () => {
    const log = new ActivityLog();
    const e = log.record(
      job(1),
      "error",
      5,
      new Error("password=hunter2hunter2 and ghs_abcdefghijklmnopqrstuvwxyz0123456789"),
    );
    expect(e.error).not.toContain("hunter2hunter2");
    expect(e.error).not.toContain("abcdefghijklmnopqrstuvwxyz0123456789");
    expect(log.errorCount()).toBe(1);
  });

  it("refuses a capacity that is not a positive whole number", () => {
    expect(() => new ActivityLog(0)).toThrow(/positive whole number/);
  });

  it.each([
    ["acme/mono#12", "acme/mono"],
    ["acme/mono@refs/heads/main", "acme/mono"],
    ["verify:acme/mono#3", "acme/mono"],
    ["acme/config@deploy-scan", "acme/config"],
    ["schedule", null],
  ])("reads the repository of key %s", (key, repo) => {
    expect(repositoryOfKey(key)).toBe(repo);
  });

  it("is fed by the job runner with each job's outcome and time", async () => {
    const log = new ActivityLog();
    const handlers = [
      { name: "ok", run: () => Promise.resolve() },
      { name: "boom", run: () => Promise.reject(new Error("it broke")) },
    ] as unknown as RegisteredHandler[];
    const run = jobRunner({
      handlers,
      // The runner gives each job the client factory's view of its delivery.
      services: { clients: { forDelivery: () => ({}) } } as unknown as Services,
      log: silentLog,
      onFinished: (j, outcome, ms, err) => log.record(j, outcome, ms, err),
    });
    await run({ handler: "ok", deliveryId: "a", key: "o/r#1", spec: null });
    await expect(
      run({ handler: "boom", deliveryId: "b", key: "o/r#2", spec: null }),
    ).rejects.toThrow();
    expect(log.recent(5).map((e) => [e.deliveryId, e.outcome, e.error])).toEqual([
      ["b", "error", "it broke"],
      ["a", "success", null],
    ]);
  });
});
