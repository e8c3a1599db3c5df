import { afterEach, describe, expect, it, vi } from "vitest";
import { silentLog } from "../../src/log.js";
import { RunTimeouts, type TrackedRun } from "../../src/workflows/run-timeouts.js";

const run: TrackedRun = {
  owner: "acme",
  repo: "mono",
  sha: "c".repeat(40),
  statusContext: "ci/api/verify",
  timeoutMinutes: 30,
  installationId: 1,
};

afterEach(() => vi.useRealTimers());

describe("RunTimeouts", () => {
  it("calls back once the job's timeout passed without a result", () => {
    vi.useFakeTimers();
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), silentLog);
    t.track(run);
    vi.advanceTimersByTime(29 * 60_000);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(60_000);
    expect(expired).toEqual([run]);
    expect(t.pending()).toBe(0);
  });

  it("forgets a run that reported, and a re-run restarts the clock", () => {
    vi.useFakeTimers();
    const expired: TrackedRun[] = [];
    const t = new RunTimeouts(async (r) => void expired.push(r), silentLog);
    t.track(run);
    t.settle(run);
    vi.advanceTimersByTime(31 * 60_000);
    expect(expired).toEqual([]);
    t.track(run);
    vi.advanceTimersByTime(20 * 60_000);
    t.track(run);
    vi.advanceTimersByTime(20 * 60_000);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(10 * 60_000);
    expect(expired).toHaveLength(1);
  });
});
