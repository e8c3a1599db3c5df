// Marks CI runs that never report back as timed out, after the job's `timeout_minutes`.
import type { PlannedRun } from "../core/jobs.js";
import type { Log } from "../log.js";
import type { Json } from "./job.js";
import type { TimerStore } from "./stores.js";
import { MemoryTimerStore } from "./timer-store.js";

export interface TrackedRun {
  owner: string;
  repo: string;
  sha: string;
  statusContext: string;
  timeoutMinutes: number;
  installationId: number;
}

type RunRef = Pick<TrackedRun, "owner" | "repo" | "sha" | "statusContext">;

/**
 * One timer per run in a TimerStore: with the journal's (or Redis's) store a restart keeps them,
 * and a run that fell due while monobot was down is marked at start-up. In memory by default.
 */
export class RunTimeouts {
  readonly #store: TimerStore;

  constructor(
    private readonly onTimeout: (run: TrackedRun) => Promise<void>,
    private readonly log: Log,
    store: TimerStore = new MemoryTimerStore(log),
  ) {
    this.#store = store;
    store.start((key, data) => this.#due(key, data));
  }

  static key(run: RunRef): string {
    return `${run.owner}/${run.repo}@${run.sha}:${run.statusContext}`;
  }

  /** A tracker for runs of one installation, as the PR workflow wants it. */
  forInstallation(installationId: number): { track(run: PlannedRun): Promise<void> } {
    return {
      track: (run) =>
        this.track({
          owner: run.owner,
          repo: run.repo,
          sha: run.sha,
          statusContext: run.statusContext,
          timeoutMinutes: run.timeoutMinutes,
          installationId,
        }),
    };
  }

  /**
   * Starts (or restarts) the run's clock. Resolves once the timer is stored; a store that fails
   * is logged, not thrown (the run then stays pending until it reports or is re-run).
   */
  async track(run: TrackedRun): Promise<void> {
    const key = RunTimeouts.key(run);
    try {
      await this.#store.set(key, Date.now() + run.timeoutMinutes * 60_000, { ...run });
    } catch (e) {
      this.log.error({ run: key, err: (e as Error).message }, "could not store a run's timeout");
    }
  }

  /** The run reported: forget its timer (failures logged, as for `track`). */
  async settle(run: RunRef): Promise<void> {
    const key = RunTimeouts.key(run);
    try {
      await this.#store.clear(key);
    } catch (e) {
      this.log.error({ run: key, err: (e as Error).message }, "could not clear a run's timeout");
    }
  }

  pending(): Promise<number> {
    return this.#store.pending();
  }

  stop(): Promise<void> {
    return this.#store.stop();
  }

  async #due(key: string, data: Json): Promise<void> {
    const run = trackedRun(data);
    if (!run) {
      this.log.error({ run: key }, "a stored run timeout is not a run; dropped");
      return;
    }
    try {
      await this.onTimeout(run);
    } catch (e) {
      this.log.error({ run: key, err: (e as Error).message }, "could not mark a run as timed out");
    }
  }
}

/** The run a timer was stored with (it may come from a journal written by an older version). */
function trackedRun(data: Json): TrackedRun | null {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return null;
  const { owner, repo, sha, statusContext, timeoutMinutes, installationId } = data;
  if (
    typeof owner !== "string" ||
    typeof repo !== "string" ||
    typeof sha !== "string" ||
    typeof statusContext !== "string" ||
    typeof timeoutMinutes !== "number" ||
    typeof installationId !== "number"
  ) {
    return null;
  }
  return { owner, repo, sha, statusContext, timeoutMinutes, installationId };
}
