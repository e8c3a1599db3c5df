import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  JOURNAL_FILE,
  Journal,
  JournalClosedError,
  LOCK_FILE,
  StateDirLockedError,
  parseRecord,
} from "../../src/runtime/journal.js";
import { readLockOwner } from "../../src/runtime/state-dir-lock.js";
import { cleanup, deadPid, job, liveProcess, stateDir } from "./helpers.js";

afterEach(cleanup);

const ids = (j: Journal) => [...j.state.jobs.keys()];

describe("Journal", () => {
  it("keeps jobs, done ids, timers and fires across a close and an open", async () => {
    const dir = stateDir();
    const first = Journal.open(dir);
    await first.append({ t: "job", job: job("a") }, { t: "job", job: job("b") });
    await first.append({ t: "done", id: "a" });
    await first.append({ t: "timer", key: "t1", due: 1000, data: { run: 1 } });
    await first.append({ t: "timer", key: "t2", due: 2000, data: null });
    await first.append({ t: "untimer", key: "t2" });
    await first.append({ t: "fire", key: "o/r:nightly", at: 5000 });
    await first.close();

    const second = Journal.open(dir);
    expect(ids(second)).toEqual(["b"]);
    expect(second.state.jobs.get("b")).toEqual(job("b"));
    expect([...second.state.seen]).toEqual(["a"]);
    expect([...second.state.timers]).toEqual([["t1", { due: 1000, data: { run: 1 } }]]);
    expect([...second.state.fires]).toEqual([["o/r:nightly", 5000]]);
    expect(second.recovery).toMatchObject({ skipped: 0, tornTail: false });
    await second.close();
  });

  it("after a kill -9 (no close), a new journal on the directory holds every job not done", async () => {
    const dir = stateDir();
    const crashed = Journal.open(dir);
    for (const id of ["a", "b", "c", "d"]) await crashed.append({ t: "job", job: job(id) });
    await crashed.append({ t: "done", id: "b" }, { t: "done", id: "d" });
    // No close: the process is gone; the same pid (here, or a container's pid 1) takes over.
    const restarted = Journal.open(dir);
    expect(ids(restarted)).toEqual(["a", "c"]);
    expect([...restarted.state.seen]).toEqual(["b", "d"]);
    await restarted.close();
  });

  it("ignores a last line cut short, and appends after it still read back", async () => {
    const dir = stateDir();
    const first = Journal.open(dir);
    await first.append({ t: "job", job: job("a") });
    await first.close();
    // A crash in the middle of a write: half a record, no newline.
    appendFileSync(
      join(dir, JOURNAL_FILE),
      JSON.stringify({ t: "job", job: job("b") }).slice(0, 30),
    );

    const second = Journal.open(dir);
    expect(second.recovery.tornTail).toBe(true);
    expect(ids(second)).toEqual(["a"]);
    await second.append({ t: "job", job: job("c") });
    await second.close();

    const third = Journal.open(dir);
    expect(third.recovery).toMatchObject({ tornTail: false, skipped: 0 });
    expect(ids(third)).toEqual(["a", "c"]);
    await third.close();
  });

  it("skips (and counts) complete lines that are not records, keeping the rest", async () => {
    const dir = stateDir();
    const lines = [
      JSON.stringify({ t: "job", job: job("a") }),
      "not json at all",
      JSON.stringify({ t: "job", job: { deliveryId: "no handler" } }),
      JSON.stringify({ t: "mystery" }),
      JSON.stringify({ t: "job", job: job("b") }),
    ];
    writeFileSync(join(dir, JOURNAL_FILE), `${lines.join("\n")}\n`);
    const j = Journal.open(dir);
    expect(j.recovery).toEqual({ records: 2, skipped: 3, tornTail: false });
    expect(ids(j)).toEqual(["a", "b"]);
    await j.close();
  });

  it.each([
    ['{"t":"done","id":"x"}', { t: "done", id: "x" }],
    ['{"t":"done","id":7}', null],
    [
      '{"t":"timer","key":"k","due":5,"data":{"a":1}}',
      { t: "timer", key: "k", due: 5, data: { a: 1 } },
    ],
    ['{"t":"timer","key":"k","due":"soon","data":1}', null],
    ['{"t":"timer","key":"k","due":5}', null],
    ['{"t":"fire","key":"k","at":9}', { t: "fire", key: "k", at: 9 }],
    ['{"t":"untimer"}', null],
    ["[1,2]", null],
    [
      '{"t":"job","job":{"handler":"h","deliveryId":"d","key":"k","spec":null}}',
      {
        t: "job",
        job: { handler: "h", deliveryId: "d", key: "k", spec: null },
      },
    ],
    ['{"t":"job","job":{"handler":"h","deliveryId":"d","key":"k"}}', null],
  ])("parses %s as a record or refuses it", (line, expected) => {
    expect(parseRecord(line)).toEqual(expected);
  });

  it("stays bounded in size over 10,000 jobs accepted and done", async () => {
    const dir = stateDir();
    const compactBytes = 64 * 1024;
    const j = Journal.open(dir, { compactBytes, rememberDeliveries: 500 });
    let largest = 0;
    let written = 0;
    // 100 rounds of 100 deliveries at once, as a busy intake writes them (one fsync per batch).
    for (let round = 0; round < 100; round++) {
      const batch = Array.from({ length: 100 }, (_, i) => `delivery-${round * 100 + i}`);
      await Promise.all(
        batch.map((id) => {
          const record = { t: "job" as const, job: job(id) };
          written += JSON.stringify(record).length;
          return j.append(record);
        }),
      );
      largest = Math.max(largest, j.bytes);
      await Promise.all(batch.map((id) => j.append({ t: "done", id })));
      largest = Math.max(largest, j.bytes);
    }
    expect(written).toBeGreaterThan(1_000_000);
    expect(j.stats.compactions).toBeGreaterThan(10);
    // Live: 500 remembered ids and at most one round of jobs, far below the threshold.
    expect(largest).toBeLessThanOrEqual(compactBytes);
    expect(j.state.jobs.size).toBe(0);
    expect(j.state.seen.size).toBe(500);
    await j.close();
    const reopened = Journal.open(dir, { rememberDeliveries: 500 });
    expect([...reopened.state.seen].at(-1)).toBe("delivery-9999");
    expect(reopened.state.seen.has("delivery-9499")).toBe(false);
    expect(reopened.state.seen.has("delivery-9500")).toBe(true);
    await reopened.close();
  });

  it("keeps jobs still live through compactions, in their order", async () => {
    const dir = stateDir();
    const j = Journal.open(dir, { compactBytes: 4096 });
    await j.append({ t: "job", job: job("keeper-1") });
    for (let i = 0; i < 200; i++) {
      await j.append({ t: "job", job: job(`x${i}`) });
      await j.append({ t: "done", id: `x${i}` });
    }
    await j.append({ t: "job", job: job("keeper-2") });
    expect(j.stats.compactions).toBeGreaterThan(2);
    const restarted = Journal.open(dir);
    expect(ids(restarted)).toEqual(["keeper-1", "keeper-2"]);
    await restarted.close();
  });

  it("writes appends of one tick with one write and one fsync (group commit)", async () => {
    const dir = stateDir();
    const j = Journal.open(dir);
    const before = j.stats.flushes;
    await Promise.all(Array.from({ length: 100 }, (_, i) => j.append({ t: "done", id: `d${i}` })));
    expect(j.stats.flushes - before).toBe(1);
    expect(readFileSync(join(dir, JOURNAL_FILE), "utf8").trim().split("\n")).toHaveLength(100);
    await j.close();
  });

  it("writes appendLater's records with the next append: one fsync for both", async () => {
    const dir = stateDir();
    const j = Journal.open(dir, { lazyMs: 60_000 });
    await j.append({ t: "job", job: job("a") });
    const before = j.stats.flushes;
    const lazy = j.appendLater({ t: "done", id: "a" });
    await new Promise((r) => setTimeout(r, 30));
    // Nothing carried it yet: not written.
    expect(j.stats.flushes).toBe(before);
    await j.append({ t: "job", job: job("b") });
    await lazy;
    expect(j.stats.flushes - before).toBe(1);
    expect(ids(j)).toEqual(["b"]);
    await j.close();
  });

  it("writes appendLater's records within lazyMs when no append comes, and on close", async () => {
    const dir = stateDir();
    const j = Journal.open(dir, { lazyMs: 20 });
    const started = Date.now();
    await j.appendLater({ t: "done", id: "alone" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(j.state.seen.has("alone")).toBe(true);
    const pending = j.appendLater({ t: "done", id: "at-close" });
    await j.close();
    await pending;
    const reopened = Journal.open(dir);
    expect([...reopened.state.seen]).toEqual(["alone", "at-close"]);
    await reopened.close();
  });

  it("a crash before appendLater's record was carried loses it (the job runs again)", async () => {
    const dir = stateDir();
    const crashed = Journal.open(dir, { lazyMs: 60_000 });
    await crashed.append({ t: "job", job: job("a") });
    void crashed.appendLater({ t: "done", id: "a" });
    // No close: the process died. The next one finds the job not done.
    const next = Journal.open(dir);
    expect(ids(next)).toEqual(["a"]);
    await next.close();
  });

  it("refuses appends once closed", async () => {
    const j = Journal.open(stateDir());
    await j.close();
    await expect(j.append({ t: "done", id: "late" })).rejects.toBeInstanceOf(JournalClosedError);
  });
});

describe("the state directory's lock", () => {
  it("is refused while the process holding it lives, naming the pid and the way out", async () => {
    const dir = stateDir();
    const holder = liveProcess();
    try {
      writeFileSync(join(dir, LOCK_FILE), `${holder.pid}\n`);
      let error: unknown;
      try {
        Journal.open(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StateDirLockedError);
      expect((error as Error).message).toContain(`pid ${holder.pid}`);
      expect((error as Error).message).toContain(dir);
      expect((error as Error).message).toContain("MONOBOT_STATE_DIR");
      // The holder's lock is left alone.
      expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(String(holder.pid));
    } finally {
      await holder.stop();
    }
  });

  it("is taken over when the process that held it (an older monobot's lock file) is dead", async () => {
    const dir = stateDir();
    const pid = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${pid}\n`);
    const j = Journal.open(dir);
    expect(j.recovery.staleLockPid).toBe(pid);
    expect(readLockOwner(dir)?.pid).toBe(process.pid);
    await j.close();
  });

  it.each([[""], ["garbage"], ["-4"]])(
    "is taken over when it holds %j (a torn lock)",
    async (text) => {
      const dir = stateDir();
      writeFileSync(join(dir, LOCK_FILE), text);
      const j = Journal.open(dir);
      expect(readLockOwner(dir)?.pid).toBe(process.pid);
      await j.close();
    },
  );

  it("is released by close", async () => {
    const dir = stateDir();
    const j = Journal.open(dir);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    expect(readLockOwner(dir)).toMatchObject({ pid: process.pid });
    expect(readLockOwner(dir)?.released).toBeUndefined();
    await j.close();
    // The entry stays (epochs are never reused) but says released: the next process need not wait.
    expect(readLockOwner(dir)?.released).toBe(true);
  });
});
