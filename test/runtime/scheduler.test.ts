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
  type SharedRepositories,
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

interface SetupOptions {
  /** The policy each load reads (null: the repository schedules nothing). */
  policy?: () => Policy | null;
  repositories?: SharedRepositories;
  /** Registers `target` (default true). */
  register?: boolean;
}

function setup(store: FireStore = new MemoryFireStore(), options: SetupOptions = {}) {
  const dispatched: { route: string; params: Record<string, unknown> }[] = [];
  const statuses: CommitStatus[] = [];
  const loaded: ScheduledRepo[] = [];
  let loads = 0;
  const scheduler = new Scheduler({
    source: {
      load: async (t) => {
        loads++;
        loaded.push(t);
        const current = options.policy ? options.policy() : policy;
        if (!current) return null;
        return {
          policy: current,
          paths: ["services/api/VERSION", "services/web/VERSION"],
          headSha: HEAD,
          // As GitHub answers for a repository whose default branch was not known.
          ...(t.defaultBranch ? {} : { defaultBranch: "trunk" }),
        };
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
    ...(options.repositories ? { repositories: options.repositories } : {}),
    backend: { env: {} },
    log: silentLog,
  });
  if (options.register ?? true) scheduler.register(target);
  return { scheduler, dispatched, statuses, loads: () => loads, loaded };
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

describe("Scheduler: fire records and installations", () => {
  /** The nightly schedule for the `api` component only. */
  const apiOnly = mergePolicy(
    defaultPolicyObject(),
    parse(`
jobs:
  templates:
    nightly:
      on: schedule
      cron: "0 2 * * *"
      components: [api]
      backend: { type: github-actions, workflow: nightly.yml }
`),
  ) as Policy;

  it("forgets the fires of schedules removed from the policy (journal: also after a restart)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "monobot-sched-"));
    try {
      let current: Policy | null = policy;
      const journal = Journal.open(dir);
      const s = setup(new JournalFireStore(journal), { policy: () => current });
      await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
      expect([...journal.state.fires.keys()]).toEqual([
        "acme/mono:nightly/api",
        "acme/mono:nightly/web",
      ]);
      current = apiOnly;
      s.scheduler.invalidate(target);
      await s.scheduler.tick(new Date("2026-03-10T00:01:00Z"));
      expect([...journal.state.fires.keys()]).toEqual(["acme/mono:nightly/api"]);
      // The repository stops scheduling anything: nothing of it is kept.
      current = null;
      s.scheduler.invalidate(target);
      await s.scheduler.tick(new Date("2026-03-10T00:02:00Z"));
      expect(journal.state.fires.size).toBe(0);
      // Killed: the next process reads no fire back either.
      expect(Journal.open(dir).state.fires.size).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps the fires of repositories it did not read this time", async () => {
    const store = new MemoryFireStore();
    await store.claim("other/repo:nightly/api", new Date("2026-03-09T01:00:00Z"));
    const s = setup(store);
    await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    expect(await store.lastFire("other/repo:nightly/api")).toEqual(
      new Date("2026-03-09T01:00:00Z"),
    );
  });

  it("schedules repositories an installation adds, reading their default branch", async () => {
    const s = setup(new MemoryFireStore(), { register: false });
    expect(
      s.scheduler.followInstallation("installation", {
        action: "created",
        installation: { id: 7 },
        repositories: [{ full_name: "acme/new" }, { full_name: "not a repository" }],
      }),
    ).toEqual({ added: 1, removed: 0 });
    await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    expect(s.loaded).toEqual([
      { owner: "acme", repo: "new", defaultBranch: "", installationId: 7 },
    ]);
    expect(s.scheduler.repositories).toEqual([
      { owner: "acme", repo: "new", defaultBranch: "trunk", installationId: 7 },
    ]);
    const fired = await s.scheduler.tick(new Date("2026-03-10T01:00:30Z"));
    expect(fired.fired).toHaveLength(2);
    expect(s.dispatched[0]?.params.ref).toBe("trunk");
  });

  it("drops a repository removed from the installation, and forgets its fires", async () => {
    const store = new MemoryFireStore();
    const s = setup(store);
    await s.scheduler.tick(new Date("2026-03-10T00:00:00Z"));
    expect(await store.lastFire("acme/mono:nightly/api")).not.toBeNull();
    s.scheduler.followInstallation("installation_repositories", {
      action: "removed",
      installation: { id: 1 },
      repositories_added: [],
      repositories_removed: [{ full_name: "acme/mono" }],
    });
    expect(s.scheduler.repositories).toEqual([]);
    await s.scheduler.tick(new Date("2026-03-10T01:00:30Z"));
    expect(s.dispatched).toEqual([]);
    expect(await store.lastFire("acme/mono:nightly/api")).toBeNull();
    expect(await store.lastFire("acme/mono:nightly/web")).toBeNull();
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
