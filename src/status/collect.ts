// Gathers the status snapshot from the runtime (activity, queue, scheduler) and GitHub (deploy PRs).
import {
  describeWindow,
  evaluateFreeze,
  nextTransition,
  parseFreezeWindows,
  type FreezeWindow,
} from "../core/freeze.js";
import type { BoardSource, EnvBoard } from "../core/env-board.js";
import type { ScheduledJob } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import { nextFire } from "../core/schedule.js";
import type { Log } from "../log.js";
import type { ActivityLog } from "../runtime/activity.js";
import type { ScheduledRepo } from "../runtime/scheduler.js";
import { MAX_CONFIG_REPOS, readDeployPulls, type RequestFn } from "./github-reads.js";
import type { DeployPull, FreezeChange, ScheduleFire, StatusSnapshot, Viewer } from "./snapshot.js";

/** How long GitHub reads and computed timelines are reused: every open page polls every few seconds. */
const DEPLOY_PULLS_TTL_MS = 15_000;
const TIMELINE_TTL_MS = 10_000;
/** Entries handed to the views (a view shows fewer once filtered). */
const MAX_ACTIVITY = 200;

export interface StatusSourceDeps {
  activity: ActivityLog;
  queue: { size(): number; oldestWaitingMs?(): number | null };
  scheduler: {
    loaded(): Array<ScheduledRepo & { jobs: readonly ScheduledJob[]; policy: Policy }>;
  };
  /** `journal`, `memory` or `redis`. */
  mode: string;
  signInAvailable: boolean;
  /** Requests with an installation's token; absent, deploy PRs are not read. */
  installationRequest?: (installationId: number) => Promise<RequestFn>;
  /**
   * The environment boards the bot keeps; absent, "what runs where" says none is kept yet. A board
   * is read as a value: a changed board is a new object, or at least carries a later `updatedAt`
   * (the page's caches are keyed by both).
   */
  boards?: BoardSource;
  log: Log;
  now?: () => Date;
}

interface Timeline {
  schedules: ScheduleFire[];
  freezes: FreezeChange[];
  /** Config repo -> why its deploys are frozen now. */
  frozenNow: Map<string, string>;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

export class StatusSource {
  readonly startedAt: string;
  #timeline: { at: number; value: Timeline } | undefined;
  readonly #fires = new Map<string, number>();
  #pulls: Cached<{ pulls: DeployPull[]; error: string | null }> | undefined;

  constructor(private readonly deps: StatusSourceDeps) {
    this.startedAt = this.#now().toISOString();
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** One snapshot for one viewer; `visible` is "all" for admins, else the viewer's repositories. */
  async snapshot(
    viewer: Viewer | null,
    visible: "all" | ReadonlySet<string>,
  ): Promise<StatusSnapshot> {
    const now = this.#now();
    const timeline = this.#timelineAt(now);
    // Nobody signed in sees no repository data, so GitHub is not read for them.
    const pulls = viewer ? await this.#deployPulls(now, timeline) : { pulls: [], error: null };
    const boards = viewer ? this.#boards() : { boards: [], error: null };
    const perInstallation = new Map<number, number>();
    for (const r of this.deps.scheduler.loaded())
      perInstallation.set(r.installationId, (perInstallation.get(r.installationId) ?? 0) + 1);
    return {
      now: now.toISOString(),
      viewer,
      signInAvailable: this.deps.signInAvailable,
      visible,
      runtime: {
        mode: this.deps.mode,
        startedAt: this.startedAt,
        queueDepth: this.deps.queue.size(),
        oldestJobAgeMs: this.deps.queue.oldestWaitingMs?.() ?? null,
        jobsRecorded: this.deps.activity.total,
      },
      activity: this.deps.activity.recent(MAX_ACTIVITY),
      schedules: timeline.schedules,
      freezes: timeline.freezes,
      deployPulls: pulls.pulls,
      deployPullsError: pulls.error,
      installations: [...perInstallation].map(([id, repositories]) => ({ id, repositories })),
      boards: boards.boards,
      boardsError: boards.error,
    };
  }

  /** The boards as the store holds them now: they are memory reads, so every poll sees the latest. */
  #boards(): { boards: readonly EnvBoard[]; error: string | null } {
    try {
      return { boards: this.deps.boards?.boards() ?? [], error: null };
    } catch (e) {
      this.deps.log.warn({ err: (e as Error).message }, "status page: could not read the boards");
      return { boards: [], error: "Could not read the environment boards; see the log." };
    }
  }

  #timelineAt(now: Date): Timeline {
    const cached = this.#timeline;
    if (cached && now.getTime() - cached.at < TIMELINE_TTL_MS) return cached.value;
    const value = timeline(this.deps.scheduler.loaded(), now, this.#fires);
    this.#timeline = { at: now.getTime(), value };
    return value;
  }

  /** Shared by every viewer (filtered per viewer by the views), read at most every 15 s. */
  #deployPulls(now: Date, t: Timeline): Promise<{ pulls: DeployPull[]; error: string | null }> {
    const read = this.deps.installationRequest;
    if (!read) return Promise.resolve({ pulls: [], error: null });
    const cached = this.#pulls;
    if (cached && now.getTime() - cached.at < DEPLOY_PULLS_TTL_MS) return cached.value;
    const value = this.#readDeployPulls(read, t);
    this.#pulls = { at: now.getTime(), value };
    return value;
  }

  async #readDeployPulls(
    read: (installationId: number) => Promise<RequestFn>,
    t: Timeline,
  ): Promise<{ pulls: DeployPull[]; error: string | null }> {
    const configRepos = new Map<string, number>();
    for (const r of this.deps.scheduler.loaded()) {
      const name = r.policy.deploy.config_repo.trim();
      if (name.includes("/") && !configRepos.has(name)) configRepos.set(name, r.installationId);
    }
    const pulls: DeployPull[] = [];
    const failed: string[] = [];
    for (const [repository, installationId] of [...configRepos].slice(0, MAX_CONFIG_REPOS)) {
      try {
        const found = await readDeployPulls(await read(installationId), repository);
        const frozen = t.frozenNow.get(repository.toLowerCase());
        for (const p of found) pulls.push(frozen ? { ...p, waiting: [...p.waiting, frozen] } : p);
      } catch (e) {
        failed.push(repository);
        this.deps.log.warn(
          { repository, err: (e as Error).message },
          "status page: could not read deploy PRs",
        );
      }
    }
    return {
      pulls,
      error: failed.length ? `Could not read the PRs of ${failed.join(", ")}; see the log.` : null,
    };
  }
}

/** Next fires and freeze changes of every scheduled repository, soonest first. */
export function timeline(
  repos: ReadonlyArray<ScheduledRepo & { jobs: readonly ScheduledJob[]; policy: Policy }>,
  now: Date,
  /** Next fires computed before, by schedule: reused until they pass (a cron costs milliseconds). */
  fires: Map<string, number> = new Map(),
): Timeline {
  const schedules: ScheduleFire[] = [];
  const freezes: FreezeChange[] = [];
  const frozenNow = new Map<string, string>();
  for (const r of repos) {
    const repository = `${r.owner}/${r.repo}`;
    for (const j of r.jobs) {
      try {
        const id = `${repository}\n${j.key}\n${j.cron}\n${j.timezone}`;
        let next = fires.get(id);
        if (next === undefined || next <= now.getTime()) {
          next = nextFire(j.cron, j.timezone, j.key, now).getTime();
          fires.set(id, next);
        }
        const at = new Date(next).toISOString();
        schedules.push({
          repository,
          job: j.job,
          component: j.component,
          at,
          cron: j.cron,
          timezone: j.timezone,
        });
      } catch {
        // An invalid schedule is reported by monobot/config on the repository itself.
      }
    }
    const windows: FreezeWindow[] = parseFreezeWindows(r.policy.deploy.freeze).windows;
    if (windows.length === 0) continue;
    const next = nextTransition(windows, now);
    if (next) {
      freezes.push({
        repository,
        at: next.at.iso,
        local: next.at.local,
        frozen: next.frozen,
        window: describeWindow(next.window),
      });
    }
    const state = evaluateFreeze(windows, now);
    const configRepo = r.policy.deploy.config_repo.trim().toLowerCase();
    if (state.frozen && state.window) {
      const why = `deploy freeze (${describeWindow(state.window)})${state.endsAt ? ` until ${state.endsAt.local}` : ""}`;
      frozenNow.set(repository.toLowerCase(), why);
      if (configRepo && !frozenNow.has(configRepo)) frozenNow.set(configRepo, why);
    }
  }
  schedules.sort((a, b) => a.at.localeCompare(b.at));
  freezes.sort((a, b) => a.at.localeCompare(b.at));
  return { schedules, freezes, frozenNow };
}
