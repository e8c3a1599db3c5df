// Marks CI runs that never report back as timed out, after the job's `timeout_minutes`.
import type { PlannedRun } from "../core/jobs.js";
import type { Log } from "../log.js";

export interface TrackedRun {
  owner: string;
  repo: string;
  sha: string;
  statusContext: string;
  timeoutMinutes: number;
  installationId: number;
}

/**
 * In-process timers, one per run: a restart forgets them (the run's status then stays pending
 * until it reports or is re-run), which the README says.
 */
export class RunTimeouts {
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onTimeout: (run: TrackedRun) => Promise<void>,
    private readonly log: Log,
  ) {}

  static key(run: Pick<TrackedRun, "owner" | "repo" | "sha" | "statusContext">): string {
    return `${run.owner}/${run.repo}@${run.sha}:${run.statusContext}`;
  }

  /** A tracker for runs of one installation, as the PR workflow wants it. */
  forInstallation(installationId: number): { track(run: PlannedRun): void } {
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

  track(run: TrackedRun): void {
    const key = RunTimeouts.key(run);
    clearTimeout(this.#timers.get(key));
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.onTimeout(run).catch((e: unknown) =>
        this.log.error(
          { run: key, err: (e as Error).message },
          "could not mark a run as timed out",
        ),
      );
    }, run.timeoutMinutes * 60_000);
    timer.unref();
    this.#timers.set(key, timer);
  }

  /** The run reported: forget its timer. */
  settle(run: Pick<TrackedRun, "owner" | "repo" | "sha" | "statusContext">): void {
    const key = RunTimeouts.key(run);
    clearTimeout(this.#timers.get(key));
    this.#timers.delete(key);
  }

  pending(): number {
    return this.#timers.size;
  }

  stop(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }
}
