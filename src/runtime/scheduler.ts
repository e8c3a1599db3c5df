// The in-process scheduler: dispatches `schedule` jobs on the default branch when their cron fires.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { BackendDeps } from "../ci/backend.js";
import { discoverComponents } from "../core/components.js";
import { planJobs, scheduledJobs, type ScheduledJob } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import { dueFires } from "../core/schedule.js";
import type { Component } from "../core/types.js";
import type { Log } from "../log.js";
import type { FireStore } from "./stores.js";
import type { CiPort } from "../workflows/pull-request-ci.js";
import { startRun } from "../workflows/start-run.js";

export type { FireStore } from "./stores.js";

/** Fires of this process only (tests; a restart forgets them). */
export class MemoryFireStore implements FireStore {
  protected readonly fires = new Map<string, number>();
  async lastFire(key: string): Promise<Date | null> {
    const t = this.fires.get(key);
    return t === undefined ? null : new Date(t);
  }
  /** True when `at` is later than the last fire claimed for `key`. */
  async claim(key: string, at: Date): Promise<boolean> {
    return this.take(key, at);
  }
  async prune(forget: (key: string) => boolean): Promise<number> {
    return this.drop(forget);
  }
  protected drop(forget: (key: string) => boolean): number {
    let n = 0;
    for (const key of [...this.fires.keys()]) if (forget(key) && this.fires.delete(key)) n++;
    return n;
  }
  /** Takes the claim in memory, at once (so a concurrent claim of the same fire loses). */
  protected take(key: string, at: Date): boolean {
    const ms = at.getTime();
    if (!Number.isFinite(ms)) throw new TypeError(`schedule ${key}: the fire time is not a date`);
    const last = this.fires.get(key);
    if (last !== undefined && last >= ms) return false;
    this.fires.set(key, ms);
    return true;
  }
}

/** A JSON file of last fires, written atomically (temp file, then rename) before a claim answers. */
export class FileFireStore extends MemoryFireStore {
  constructor(private readonly path: string) {
    super();
    try {
      const data = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      for (const [k, v] of Object.entries(data)) if (typeof v === "number") this.fires.set(k, v);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  override async claim(key: string, at: Date): Promise<boolean> {
    if (!this.take(key, at)) return false;
    this.#save();
    return true;
  }
  override async prune(forget: (key: string) => boolean): Promise<number> {
    const n = this.drop(forget);
    if (n > 0) this.#save();
    return n;
  }
  #save(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.fires), null, 1));
    renameSync(tmp, this.path);
  }
}

/** A tick lands this long after a boundary, so clocks a little behind still see the new minute. */
export const TICK_OFFSET_MS = 250;

/** Milliseconds from `nowMs` to the next tick: the next multiple of `intervalMs`, plus the offset. */
export function nextTickDelay(nowMs: number, intervalMs: number): number {
  const boundary = Math.floor(nowMs / intervalMs) * intervalMs + TICK_OFFSET_MS;
  return boundary > nowMs ? boundary - nowMs : boundary + intervalMs - nowMs;
}

/** What the scheduler needs of one repository, read once and kept until a push changes it. */
export interface ScheduledRepo {
  owner: string;
  repo: string;
  /** Empty when not known yet (an installation event does not say): read on the first load. */
  defaultBranch: string;
  installationId: number;
}

/** A repository as stored (the shared registry); null when it is not one. */
export function parseScheduledRepo(text: string): ScheduledRepo | null {
  try {
    const v = JSON.parse(text) as Partial<ScheduledRepo>;
    return typeof v.owner === "string" &&
      typeof v.repo === "string" &&
      typeof v.defaultBranch === "string" &&
      typeof v.installationId === "number"
      ? {
          owner: v.owner,
          repo: v.repo,
          defaultBranch: v.defaultBranch,
          installationId: v.installationId,
        }
      : null;
  } catch {
    return null;
  }
}

/**
 * The repositories scheduled by every replica (Redis): what one replica learns, the others tick
 * from their next tick on. One process alone needs none.
 */
export interface SharedRepositories {
  add(target: ScheduledRepo): Promise<void>;
  remove(repoKey: string): Promise<void>;
  all(): Promise<ScheduledRepo[]>;
}

/** The repositories an `installation` or `installation_repositories` event adds or removes. */
export function installationChanges(
  event: string,
  payload: unknown,
): { added: ScheduledRepo[]; removed: ScheduledRepo[] } {
  const none = { added: [], removed: [] };
  const p = payload as {
    action?: string;
    installation?: { id?: unknown };
    repositories?: unknown;
    repositories_added?: unknown;
    repositories_removed?: unknown;
  } | null;
  const id = p?.installation?.id;
  if (!p || typeof id !== "number") return none;
  const repos = (list: unknown): ScheduledRepo[] =>
    (Array.isArray(list) ? list : []).flatMap((r: { full_name?: unknown }) => {
      const [owner, repo, ...rest] = typeof r?.full_name === "string" ? r.full_name.split("/") : [];
      return owner && repo && rest.length === 0
        ? [{ owner, repo, defaultBranch: "", installationId: id }]
        : [];
    });
  if (event === "installation") {
    if (["created", "new_permissions_accepted", "unsuspend"].includes(p.action ?? "")) {
      return { added: repos(p.repositories), removed: [] };
    }
    if (["deleted", "suspend"].includes(p.action ?? "")) {
      return { added: [], removed: repos(p.repositories) };
    }
  }
  if (event === "installation_repositories") {
    return { added: repos(p.repositories_added), removed: repos(p.repositories_removed) };
  }
  return none;
}

export interface ScheduleSource {
  /**
   * The repository's policy and components at the default branch head, and that head; with the
   * default branch's name when the target did not know it.
   */
  load(
    target: ScheduledRepo,
  ): Promise<{ policy: Policy; paths: string[]; headSha: string; defaultBranch?: string } | null>;
  port(target: ScheduledRepo): Promise<CiPort>;
}

export interface SchedulerDeps {
  source: ScheduleSource;
  store: FireStore;
  backend: Omit<BackendDeps, "github" | "owner" | "repo">;
  /** Redis mode: the repositories every replica schedules. */
  repositories?: SharedRepositories;
  log: Log;
}

interface Loaded {
  jobs: ScheduledJob[];
  components: Component[];
  policy: Policy;
  headSha: string;
}

export class Scheduler {
  readonly #targets = new Map<string, ScheduledRepo>();
  readonly #loaded = new Map<string, Loaded | null>();
  /** Repositories loaded since the last prune: the fire keys their schedules have now. */
  readonly #fresh = new Map<string, Set<string>>();
  /** Repositories uninstalled since the last prune: their fires are forgotten. */
  readonly #removed = new Set<string>();
  /** Repositories whose write to the shared registry has not succeeded (yet). */
  readonly #unsynced = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #ticking = false;

  constructor(private readonly deps: SchedulerDeps) {}

  static repoKey(t: Pick<ScheduledRepo, "owner" | "repo">): string {
    return `${t.owner}/${t.repo}`;
  }

  /** A repository monobot has seen; its schedules are read on the next tick (on every replica). */
  register(target: ScheduledRepo): void {
    const key = Scheduler.repoKey(target);
    const known = this.#targets.get(key);
    // The latest event wins (the default branch or the installation may have changed), but an
    // installation event, which does not name the default branch, keeps the one known.
    const next =
      target.defaultBranch || !known ? target : { ...target, defaultBranch: known.defaultBranch };
    this.#removed.delete(key);
    this.#targets.set(key, next);
    if (!known || !sameTarget(known, next)) this.#share(next);
  }

  /** A repository monobot may no longer act on: not scheduled, its fires forgotten. */
  unregister(target: Pick<ScheduledRepo, "owner" | "repo">): void {
    const key = Scheduler.repoKey(target);
    this.#targets.delete(key);
    this.#loaded.delete(key);
    this.#unsynced.delete(key);
    this.#removed.add(key);
    this.deps.repositories
      ?.remove(key)
      .catch((e: unknown) =>
        this.deps.log.warn({ repo: key, err: (e as Error).message }, "scheduler: not unshared"),
      );
  }

  /** An `installation` or `installation_repositories` event: repositories added or removed. */
  followInstallation(event: string, payload: unknown): { added: number; removed: number } {
    const { added, removed } = installationChanges(event, payload);
    for (const t of added) this.register(t);
    for (const t of removed) this.unregister(t);
    return { added: added.length, removed: removed.length };
  }

  /** The repositories this scheduler ticks (for tests and logs). */
  get repositories(): ScheduledRepo[] {
    return [...this.#targets.values()];
  }

  /** Each repository's schedules and policy as last read (the status page's next fires). */
  loaded(): Array<ScheduledRepo & { jobs: readonly ScheduledJob[]; policy: Policy }> {
    const out: Array<ScheduledRepo & { jobs: readonly ScheduledJob[]; policy: Policy }> = [];
    for (const [key, target] of this.#targets) {
      const l = this.#loaded.get(key);
      if (l) out.push({ ...target, jobs: l.jobs, policy: l.policy });
    }
    return out;
  }

  /** The default branch moved: schedules and components are read again on the next tick. */
  invalidate(target: ScheduledRepo): void {
    this.register(target);
    this.#loaded.delete(Scheduler.repoKey(target));
  }

  #share(target: ScheduledRepo): void {
    const shared = this.deps.repositories;
    if (!shared) return;
    const key = Scheduler.repoKey(target);
    this.#unsynced.add(key);
    shared.add(target).then(
      () => {
        if (this.#targets.get(key) === target) this.#unsynced.delete(key);
      },
      (e: unknown) =>
        this.deps.log.warn(
          { repo: key, err: (e as Error).message },
          "scheduler: could not share a repository with the other replicas; retried next tick",
        ),
    );
  }

  /** Redis mode: takes the shared registry's repositories, and drops those removed elsewhere. */
  async #sync(): Promise<void> {
    const shared = this.deps.repositories;
    if (!shared) return;
    let all: ScheduledRepo[];
    try {
      all = await shared.all();
    } catch (e) {
      this.deps.log.warn({ err: (e as Error).message }, "scheduler: shared repositories unread");
      return;
    }
    const listed = new Set<string>();
    for (const t of all) {
      const key = Scheduler.repoKey(t);
      listed.add(key);
      if (this.#unsynced.has(key)) continue;
      const known = this.#targets.get(key);
      const next = t.defaultBranch || !known ? t : { ...t, defaultBranch: known.defaultBranch };
      if (known && !sameTarget(known, next)) this.#loaded.delete(key);
      this.#targets.set(key, next);
    }
    for (const key of [...this.#targets.keys()]) {
      if (listed.has(key)) continue;
      const target = this.#targets.get(key);
      // Ours and not written yet: write it again. Otherwise another replica removed it.
      if (this.#unsynced.has(key) && target) this.#share(target);
      else {
        this.#targets.delete(key);
        this.#loaded.delete(key);
      }
    }
  }

  /** Forgets the fires of schedules no longer defined and of repositories uninstalled. */
  async #prune(): Promise<void> {
    if (this.#fresh.size === 0 && this.#removed.size === 0) return;
    const fresh = new Map(this.#fresh);
    const removed = new Set(this.#removed);
    this.#fresh.clear();
    this.#removed.clear();
    try {
      const forgotten = await this.deps.store.prune((key) => {
        const at = key.indexOf(":");
        if (at < 0) return false;
        const repo = key.slice(0, at);
        if (removed.has(repo)) return true;
        const live = fresh.get(repo);
        return live !== undefined && !live.has(key);
      });
      if (forgotten > 0) {
        this.deps.log.info({ forgotten }, "scheduler: forgot the fires of schedules that are gone");
      }
    } catch (e) {
      for (const r of removed) if (!this.#targets.has(r)) this.#removed.add(r);
      this.deps.log.warn({ err: (e as Error).message }, "scheduler: could not prune fires");
    }
  }

  /**
   * Ticks just after each multiple of `intervalMs` on the clock (a cron minute fires as it
   * starts, not up to a minute late), until `stop`.
   */
  start(intervalMs = 60_000): void {
    if (!Number.isInteger(intervalMs) || intervalMs < 1) {
      throw new Error(`scheduler: intervalMs must be a positive whole number (got ${intervalMs})`);
    }
    this.stop();
    this.#stopped = false;
    const next = (): void => {
      if (this.#stopped) return;
      this.#timer = setTimeout(
        () => {
          void this.tick(new Date());
          next();
        },
        nextTickDelay(Date.now(), intervalMs),
      );
      this.#timer.unref();
    };
    next();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Fires every schedule due up to `now`; returns the runs started, for tests and logs. */
  async tick(now: Date): Promise<{ fired: string[]; failed: string[] }> {
    const result = { fired: [] as string[], failed: [] as string[] };
    if (this.#ticking) return result;
    this.#ticking = true;
    try {
      await this.#sync();
      for (const [key, target] of [...this.#targets]) {
        try {
          await this.#tickRepo(key, target, now, result);
        } catch (e) {
          this.deps.log.error({ repo: key, err: (e as Error).message }, "schedule tick failed");
        }
      }
      await this.#prune();
    } finally {
      this.#ticking = false;
    }
    return result;
  }

  async #tickRepo(
    repoKey: string,
    target: ScheduledRepo,
    now: Date,
    result: { fired: string[]; failed: string[] },
  ): Promise<void> {
    if (!this.#loaded.has(repoKey)) {
      const got = await this.deps.source.load(target);
      if (got?.defaultBranch && got.defaultBranch !== target.defaultBranch) {
        target = { ...target, defaultBranch: got.defaultBranch };
        this.#targets.set(repoKey, target);
        this.#share(target);
      }
      const loaded = got && target.defaultBranch ? this.#plan(target, got) : null;
      this.#loaded.set(repoKey, loaded);
      this.#fresh.set(repoKey, new Set(loaded?.jobs.map((s) => `${repoKey}:${s.key}`) ?? []));
    }
    const loaded = this.#loaded.get(repoKey);
    if (!loaded || loaded.jobs.length === 0) return;
    for (const s of loaded.jobs) {
      const fireKey = `${repoKey}:${s.key}`;
      const last = await this.deps.store.lastFire(fireKey);
      if (!last) {
        // A schedule seen for the first time starts from now: nothing is fired retroactively.
        await this.deps.store.claim(fireKey, now);
        continue;
      }
      const fires = dueFires(s.cron, s.timezone, s.key, last, now);
      const latest = fires.at(-1);
      if (!latest) continue;
      // Claimed before dispatching: a crash in between loses this fire rather than repeating it,
      // and whoever loses the claim (a replica, an overlapping tick) does not dispatch it.
      if (!(await this.deps.store.claim(fireKey, latest))) continue;
      if (fires.length > 1) {
        this.deps.log.warn(
          { repo: repoKey, job: s.job, component: s.component, missed: fires.length - 1 },
          "missed fires: running the latest once",
        );
      }
      const ok = await this.#fire(target, loaded, s, latest);
      (ok ? result.fired : result.failed).push(
        `${repoKey} ${s.component}/${s.job}@${latest.toISOString()}`,
      );
    }
  }

  #plan(target: ScheduledRepo, got: { policy: Policy; paths: string[]; headSha: string }): Loaded {
    const components = discoverComponents(got.paths, got.policy, target.repo).components;
    return {
      jobs: scheduledJobs(got.policy, components),
      components,
      policy: got.policy,
      headSha: got.headSha,
    };
  }

  async #fire(target: ScheduledRepo, loaded: Loaded, s: ScheduledJob, at: Date): Promise<boolean> {
    const component = loaded.components.find((c) => c.name === s.component);
    if (!component) return false;
    const plan = planJobs({
      policy: loaded.policy,
      trigger: "schedule",
      components: [component],
      context: {
        owner: target.owner,
        repo: target.repo,
        sha: loaded.headSha,
        ref: target.defaultBranch,
        defaultBranch: target.defaultBranch,
      },
      only: { job: s.job },
    });
    const run = plan.runs[0];
    const log = this.deps.log.child({
      repo: `${target.owner}/${target.repo}`,
      job: s.job,
      component: s.component,
    });
    if (!run) {
      log.info({ reason: plan.skipped[0]?.reason }, "scheduled job skipped");
      return false;
    }
    const port = await this.deps.source.port(target);
    const started = await startRun(
      port,
      loaded.headSha,
      run,
      { ...this.deps.backend, github: port.requester(), owner: target.owner, repo: target.repo },
      { prefix: `scheduled ${at.toISOString()}` },
    );
    if (started.ok) log.info({ fire: at.toISOString() }, "scheduled job started");
    else log.warn({ fire: at.toISOString(), err: started.message }, "scheduled job did not start");
    return started.ok;
  }
}

function sameTarget(a: ScheduledRepo, b: ScheduledRepo): boolean {
  return (
    a.owner === b.owner &&
    a.repo === b.repo &&
    a.defaultBranch === b.defaultBranch &&
    a.installationId === b.installationId
  );
}
