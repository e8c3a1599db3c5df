import { afterEach, describe, expect, it, vi } from "vitest";
import type { PlannedRun } from "../../src/core/jobs.js";
import type { Log } from "../../src/log.js";
import { silentLog } from "../../src/log.js";
import { Journal } from "../../src/runtime/journal.js";
import { JournalTimerStore, MemoryTimerStore } from "../../src/runtime/timer-store.js";
import { RunTimeouts, type TrackedRun } from "../../src/runtime/run-timeouts.js";
import { cleanup, stateDir } from "../runtime/helpers.js";

const run: TrackedRun = {
  owner: "acme",
  repo: "mono",
  sha: "c".repeat(40),
  statusContext: "ci/api/verify",
  timeoutMinutes: 30,
  installationId: 1,
};

afterEach(() => {
  vi.useRealTimers();
  cleanup();
});

function errorLog() {
  const errors: string[] = [];
  const log: Log = {
    ...silentLog,
    error: (_o, msg) => void errors.push(msg ?? ""),
    child: () => log,
  };
  return { log, errors };
}

describe("RunTimeouts", () => {
  it("calls back once the job's timeout passed without a result", async () => {
    vi.useFakeTimers();
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), silentLog);
    await t.track(run);
    expect(await t.pending()).toBe(1);
    await vi.advanceTimersByTimeAsync(29 * 60_000);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(expired).toEqual([run]);
    expect(await t.pending()).toBe(0);
  });

  it("forgets a run that reported, and a re-run restarts the clock", async () => {
    vi.useFakeTimers();
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), silentLog);
    await t.track(run);
    await t.settle(run);
    await vi.advanceTimersByTimeAsync(31 * 60_000);
    expect(expired).toEqual([]);
    await t.track(run);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    await t.track(run);
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(expired).toHaveLength(1);
  });

  it("tracks runs for an installation, as the PR workflow hands them over", async () => {
    vi.useFakeTimers();
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), silentLog);
    const planned: PlannedRun = {
      job: "verify",
      component: "api",
      trigger: "pull_request",
      statusContext: run.statusContext,
      backend: { type: "repository-dispatch", event_type: "verify" },
      inputs: {},
      runId: "r1",
      owner: run.owner,
      repo: run.repo,
      sha: run.sha,
      ref: "refs/heads/feature",
      timeoutMinutes: 5,
    };
    await t.forInstallation(9).track(planned);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(expired).toEqual([{ ...run, timeoutMinutes: 5, installationId: 9 }]);
  });

  it("logs a callback that fails, and goes on with the others", async () => {
    vi.useFakeTimers();
    const { log, errors } = errorLog();
    const seen: string[] = [];
    const t = new RunTimeouts(async (r) => {
      seen.push(r.statusContext);
      if (r.statusContext === "ci/a/verify") throw new Error("GitHub said 502");
    }, log);
    await t.track({ ...run, statusContext: "ci/a/verify" });
    await t.track({ ...run, statusContext: "ci/b/verify" });
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(seen).toEqual(["ci/a/verify", "ci/b/verify"]);
    expect(errors).toEqual(["could not mark a run as timed out"]);
  });

  it("keeps its timers in the journal: a restart marks a run that fell due while down", async () => {
    const dir = stateDir();
    const first = Journal.open(dir);
    const before = new RunTimeouts(async () => undefined, silentLog, new JournalTimerStore(first));
    // Due in 60 ms; settled runs are forgotten for good.
    await before.track({ ...run, timeoutMinutes: 0.001 });
    await before.track({ ...run, statusContext: "ci/settled/verify" });
    await before.settle({ ...run, statusContext: "ci/settled/verify" });
    await before.stop();
    // The process dies (no close); the run falls due meanwhile.
    await new Promise((r) => setTimeout(r, 100));

    const expired: TrackedRun[] = [];
    const second = Journal.open(dir);
    const after = new RunTimeouts(
      async (r) => void expired.push(r),
      silentLog,
      new JournalTimerStore(second),
    );
    for (let i = 0; i < 100 && (await after.pending()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(expired).toEqual([{ ...run, timeoutMinutes: 0.001 }]);
    await after.stop();
    await second.close();
    // Marked once: not again after another restart.
    const third = Journal.open(dir);
    expect(third.state.timers.size).toBe(0);
    await third.close();
  });

  it("drops a stored timer that is not a run, saying so", async () => {
    const { log, errors } = errorLog();
    const store = new MemoryTimerStore();
    await store.set(RunTimeouts.key(run), Date.now(), { owner: "acme" });
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), log, store);
    for (let i = 0; i < 100 && (await t.pending()) > 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(expired).toEqual([]);
    expect(errors).toEqual(["a stored run timeout is not a run; dropped"]);
  });
});
