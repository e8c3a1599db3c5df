import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { defaultPolicyObject, mergePolicy, type Policy } from "../../src/core/policy.js";
import { silentLog } from "../../src/log.js";
import { JournalFireStore } from "../../src/runtime/fire-store.js";
import { Journal } from "../../src/runtime/journal.js";
import type { CommitStatus } from "../../src/forge/port.js";
import {
  FileFireStore,
  type FireStore,
  MemoryFireStore,
  nextTickDelay,
  Scheduler,
  TICK_OFFSET_MS,
  type ScheduledRepo,
} from "../../src/runtime/scheduler.js";

const policy = mergePolicy(
  defaultPolicyObject(),
  parse(`
jobs:
  templates:
    nightly:
      on: schedule
      cron: "0 2 * * *"
      timezone: Europe/Berlin
      backend: { type: github-actions, workflow: nightly.yml }
      inputs: { component: "{component}" }
`),
) as Policy;

const target: ScheduledRepo = {
  owner: "acme",
  repo: "mono",
  defaultBranch: "main",
  installationId: 1,
};
const HEAD = "a".repeat(40);

function setup(store: FireStore = new MemoryFireStore()) {
  const dispatched: { route: string; params: Record<string, unknown> }[] = [];
  const statuses: CommitStatus[] = [];
  let loads = 0;
  const scheduler = new Scheduler({
    source: {
      load: async () => {
        loads++;
        return { policy, paths: ["services/api/VERSION", "services/web/VERSION"], headSha: HEAD };
      },
      port: async () => ({
        statuses: async () => [],
        setStatus: async (_sha, s) => void statuses.push(s),
        requester: () => ({
          request: async (route: string, params: Record<string, unknown>) => {
            dispatched.push({ route, params });
            return { status: 204, data: "" };
          },
        }),
      }),
    },
    store,
    backend: { env: {} },
    log: silentLog,
  });
  scheduler.register(target);
  return { scheduler, dispatched, statuses, loads: () => loads };
}

describe("Scheduler", () => {
  it("fires a due schedule once per component, and not again until the next day", async () => {
    const s = setup();
    // First sight of the schedule: remembered from now, nothing fired retroactively.
    expect((await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"))).fired).toEqual([]);
    expect((await s.scheduler.tick(new Date("2026-03-10T00:59:00Z"))).fired).toEqual([]);
    // 02:00 in Berlin is 01:00 UTC in March (before DST).
    const fired = await s.scheduler.tick(new Date("2026-03-10T01:00:30Z"));
    expect(fired.fired).toEqual([
      "acme/mono api/nightly@2026-03-10T01:00:00.000Z",
      "acme/mono web/nightly@2026-03-10T01:00:00.000Z",
    ]);
    expect(
      s.dispatched.map((d) => [d.route, (d.params.inputs as Record<string, string>).component]),
    ).toEqual([
      ["POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "api"],
      ["POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", "web"],
    ]);
    expect(s.statuses.map((x) => [x.context, x.state])).toEqual([
      ["ci/api/nightly", "pending"],
      ["ci/web/nightly", "pending"],
    ]);
    expect((await s.scheduler.tick(new Date("2026-03-10T12:00:00Z"))).fired).toEqual([]);
    expect(s.loads()).toBe(1);
  });

  it("after a restart, a fire missed while down runs once, never twice", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "monobot-sched-")), "state", "schedule.json");
    const first = setup(new FileFireStore(path));
    await first.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    // Down for two days: the restarted scheduler reads the file and runs the latest fire once.
    const second = setup(new FileFireStore(path));
    const after = await second.scheduler.tick(new Date("2026-03-12T03:00:00Z"));
    expect(after.fired).toHaveLength(2);
    expect(after.fired[0]).toContain("2026-03-12T01:00:00.000Z");
    const third = setup(new FileFireStore(path));
    expect((await third.scheduler.tick(new Date("2026-03-12T03:05:00Z"))).fired).toEqual([]);
    expect(Object.keys(JSON.parse(readFileSync(path, "utf8")) as object)).toHaveLength(2);
  });

  it("with the journal's store, a restart without a close neither repeats nor loses a fire", async () => {
    const dir = mkdtempSync(join(tmpdir(), "monobot-sched-"));
    try {
      const first = setup(new JournalFireStore(Journal.open(dir)));
      await first.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
      expect((await first.scheduler.tick(new Date("2026-03-10T01:00:30Z"))).fired).toHaveLength(2);
      // Killed: the next process opens the same state directory.
      const second = setup(new JournalFireStore(Journal.open(dir)));
      expect((await second.scheduler.tick(new Date("2026-03-10T01:01:00Z"))).fired).toEqual([]);
      const after = await second.scheduler.tick(new Date("2026-03-12T03:00:00Z"));
      expect(after.fired).toHaveLength(2);
      expect(after.fired[0]).toContain("2026-03-12T01:00:00.000Z");
      expect(second.dispatched).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("dispatches a fire once when two schedulers share a store (the claim decides)", async () => {
    const store = new MemoryFireStore();
    const a = setup(store);
    const b = setup(store);
    await a.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    const at = new Date("2026-03-10T01:00:30Z");
    const [fa, fb] = await Promise.all([a.scheduler.tick(at), b.scheduler.tick(at)]);
    expect([...fa.fired, ...fb.fired]).toHaveLength(2);
    expect(a.dispatched.length + b.dispatched.length).toBe(2);
  });

  it("reads the policy again after the default branch moved", async () => {
    const s = setup();
    await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    s.scheduler.invalidate(target);
    await s.scheduler.tick(new Date("2026-03-10T00:01:00Z"));
    expect(s.loads()).toBe(2);
  });
});

describe.each([
  ["MemoryFireStore", () => new MemoryFireStore()],
  [
    "FileFireStore",
    () => new FileFireStore(join(mkdtempSync(join(tmpdir(), "monobot-fires-")), "schedule.json")),
  ],
])("%s", (_name, make) => {
  it("claims a fire once: the same or an older one loses, a newer one wins", async () => {
    const store = make();
    const day = (d: number) => new Date(`2026-03-${String(d).padStart(2, "0")}T01:00:00Z`);
    expect(await store.lastFire("k")).toBeNull();
    expect(await store.claim("k", day(10))).toBe(true);
    expect(await store.claim("k", day(10))).toBe(false);
    expect(await store.claim("k", day(9))).toBe(false);
    expect(await store.claim("k", day(11))).toBe(true);
    expect(await store.lastFire("k")).toEqual(day(11));
    await expect(store.claim("k", new Date("nope"))).rejects.toThrow("not a date");
  });
});

describe("nextTickDelay", () => {
  // Ticks land TICK_OFFSET_MS after each multiple of the interval on the clock.
  it.each([
    { now: Date.UTC(2026, 2, 10, 1, 0, 0, 0), interval: 60_000, delay: TICK_OFFSET_MS },
    { now: Date.UTC(2026, 2, 10, 1, 0, 0, 100), interval: 60_000, delay: TICK_OFFSET_MS - 100 },
    { now: Date.UTC(2026, 2, 10, 1, 0, 0, TICK_OFFSET_MS), interval: 60_000, delay: 60_000 },
    { now: Date.UTC(2026, 2, 10, 1, 0, 30, 0), interval: 60_000, delay: 30_000 + TICK_OFFSET_MS },
    { now: Date.UTC(2026, 2, 10, 1, 0, 59, 999), interval: 60_000, delay: 1 + TICK_OFFSET_MS },
    { now: 1_000, interval: 1_000, delay: TICK_OFFSET_MS },
  ])("$now every $interval ms: next tick in $delay ms", ({ now, interval, delay }) => {
    expect(nextTickDelay(now, interval)).toBe(delay);
  });
});
