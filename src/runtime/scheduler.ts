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
    mkdirSync(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.fires), null, 1));
    renameSync(tmp, this.path);
    return true;
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
  defaultBranch: string;
  installationId: number;
}

export interface ScheduleSource {
  /** The repository's policy and components at the default branch head, and that head. */
  load(target: ScheduledRepo): Promise<{ policy: Policy; paths: string[]; headSha: string } | null>;
  port(target: ScheduledRepo): Promise<CiPort>;
}

export interface SchedulerDeps {
  source: ScheduleSource;
  store: FireStore;
  backend: Omit<BackendDeps, "github" | "owner" | "repo">;
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
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #ticking = false;

  constructor(private readonly deps: SchedulerDeps) {}

  static repoKey(t: ScheduledRepo): string {
    return `${t.owner}/${t.repo}`;
  }

  /** A repository monobot has seen; its schedules are read on the next tick. */
  register(target: ScheduledRepo): void {
    // The latest event wins: the default branch or the installation may have changed.
    this.#targets.set(Scheduler.repoKey(target), target);
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
      for (const [key, target] of this.#targets) {
        try {
          await this.#tickRepo(key, target, now, result);
        } catch (e) {
          this.deps.log.error({ repo: key, err: (e as Error).message }, "schedule tick failed");
        }
      }
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
      this.#loaded.set(
        repoKey,
        got
          ? (() => {
              const components = discoverComponents(got.paths, got.policy, target.repo).components;
              return {
                jobs: scheduledJobs(got.policy, components),
                components,
                policy: got.policy,
                headSha: got.headSha,
              };
            })()
          : null,
      );
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
