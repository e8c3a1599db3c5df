import { afterEach, describe, expect, it, vi } from "vitest";
import type { Json } from "../../src/runtime/job.js";
import { Journal } from "../../src/runtime/journal.js";
import { JournalTimerStore, MemoryTimerStore } from "../../src/runtime/timer-store.js";
import { cleanup, deferred, stateDir } from "./helpers.js";

afterEach(() => {
  vi.useRealTimers();
  cleanup();
});

function collector() {
  const fired: Array<[string, Json]> = [];
  return { fired, onDue: async (key: string, data: Json) => void fired.push([key, data]) };
}

async function until(check: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 5));
}

describe("MemoryTimerStore", () => {
  it("fires each timer once at its due time; a set replaces, a clear forgets", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = new MemoryTimerStore();
    const { fired, onDue } = collector();
    store.start(onDue);
    await store.set("a", 1000, "first");
    await store.set("a", 3000, "replaced");
    await store.set("b", 2000, { n: 2 });
    await store.set("c", 2500, null);
    await store.clear("c");
    await store.clear("never-set");
    expect(await store.pending()).toBe(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(fired).toEqual([["b", { n: 2 }]]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(fired).toEqual([
      ["b", { n: 2 }],
      ["a", "replaced"],
    ]);
    expect(await store.pending()).toBe(0);
  });

  it("holds timers set before start, and fires those already due at once", async () => {
    vi.useFakeTimers({ now: 10_000 });
    const store = new MemoryTimerStore();
    await store.set("late", 5_000, 1);
    await store.set("later", 20_000, 2);
    const { fired, onDue } = collector();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual([]);
    store.start(onDue);
    await vi.advanceTimersByTimeAsync(0);
    expect(fired).toEqual([
      ["late", 1],
      ["later", 2],
    ]);
  });

  it("waits out a delay longer than setTimeout allows (about 25 days)", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = new MemoryTimerStore();
    const { fired, onDue } = collector();
    store.start(onDue);
    const day = 24 * 3600_000;
    await store.set("long", 40 * day, "x");
    await vi.advanceTimersByTimeAsync(30 * day);
    expect(fired).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * day);
    expect(fired).toEqual([["long", "x"]]);
  });

  it("stops firing on stop, keeping its timers", async () => {
    vi.useFakeTimers({ now: 0 });
    const store = new MemoryTimerStore();
    const { fired, onDue } = collector();
    store.start(onDue);
    await store.set("a", 1000, 1);
    await store.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(fired).toEqual([]);
    expect(await store.pending()).toBe(1);
  });

  it("refuses a due time that is not a number", async () => {
    await expect(new MemoryTimerStore().set("k", Number.NaN, 1)).rejects.toThrow("epoch ms");
  });
});

describe("JournalTimerStore", () => {
  it("keeps timers across a restart without a close; fired and cleared ones stay gone", async () => {
    const dir = stateDir();
    const first = new JournalTimerStore(Journal.open(dir));
    const { fired, onDue } = collector();
    first.start(onDue);
    const now = Date.now();
    await first.set("soon", now, "fires now");
    await first.set("cleared", now + 60_000, 0);
    await first.set("kept", now + 3600_000, { run: "r1" });
    await first.clear("cleared");
    await until(async () => (await first.pending()) === 1);
    expect(fired).toEqual([["soon", "fires now"]]);
    // Wait for the fire to be recorded, then the process dies.
    await first.stop();

    const second = new JournalTimerStore(Journal.open(dir));
    expect(await second.pending()).toBe(1);
    const again = collector();
    second.start(again.onDue);
    await new Promise((r) => setTimeout(r, 30));
    expect(again.fired).toEqual([]);
    await second.stop();
  });

  it("fires after the restart a timer that fell due while the process was down", async () => {
    const dir = stateDir();
    const first = new JournalTimerStore(Journal.open(dir));
    await first.set("t", Date.now() + 20, "late");
    // Never started: the process dies before it fires.
    await new Promise((r) => setTimeout(r, 40));
    const journal = Journal.open(dir);
    const second = new JournalTimerStore(journal);
    const { fired, onDue } = collector();
    second.start(onDue);
    await until(async () => (await second.pending()) === 0);
    expect(fired).toEqual([["t", "late"]]);
    await second.stop();
    await journal.close();
    const third = Journal.open(dir);
    expect(third.state.timers.size).toBe(0);
    await third.close();
  });

  it("keeps a timer set again while its callback ran", async () => {
    const dir = stateDir();
    const journal = Journal.open(dir);
    const store = new JournalTimerStore(journal);
    const gate = deferred();
    const fired: string[] = [];
    store.start(async (key) => {
      fired.push(key);
      if (fired.length === 1) {
        await store.set("k", Date.now() + 3600_000, "second");
        await gate.promise;
      }
    });
    await store.set("k", Date.now(), "first");
    await until(() => fired.length === 1);
    gate.resolve();
    await store.stop();
    await journal.close();
    const reopened = Journal.open(dir);
    expect(reopened.state.timers.get("k")?.data).toBe("second");
    await reopened.close();
  });

  it("keeps stores sharing a journal apart by prefix", async () => {
    const dir = stateDir();
    const journal = Journal.open(dir);
    await new JournalTimerStore(journal, "run:").set("a", Date.now() + 60_000, 1);
    await new JournalTimerStore(journal, "other:").set("a", Date.now() + 60_000, 2);
    const runs = new JournalTimerStore(journal, "run:");
    expect(await runs.pending()).toBe(1);
    expect([...journal.state.timers.keys()]).toEqual(["run:a", "other:a"]);
    await journal.close();
  });
});
