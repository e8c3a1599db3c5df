import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { QueuedJob } from "../../src/runtime/job.js";
import { Journal, StateDirUnusableError } from "../../src/runtime/journal.js";
import { openStateDir, stateDirFrom } from "../../src/runtime/state-dir.js";
import { RunTimeouts, type TrackedRun } from "../../src/runtime/run-timeouts.js";
import { silentLog } from "../../src/log.js";
import { cleanup, job, stateDir } from "./helpers.js";

afterEach(cleanup);

describe("stateDirFrom", () => {
  it.each([
    [{}, "/srv/app/.monobot"],
    [{ MONOBOT_STATE_DIR: "" }, "/srv/app/.monobot"],
    [{ MONOBOT_STATE_DIR: "  " }, "/srv/app/.monobot"],
    [{ MONOBOT_STATE_DIR: "state" }, "/srv/app/state"],
    [{ MONOBOT_STATE_DIR: "/var/lib/monobot" }, "/var/lib/monobot"],
  ])("reads %j as %s", (env, expected) => {
    expect(stateDirFrom(env, "/srv/app")).toBe(expected);
  });
});

describe("openStateDir", () => {
  it("keeps jobs, run timeouts and fires in one directory across a restart", async () => {
    const dir = stateDir();
    const never = () => new Promise<void>(() => undefined);
    const first = await openStateDir(dir, never);
    await first.queue.enqueue(job("d1"));
    const run: TrackedRun = {
      owner: "acme",
      repo: "mono",
      sha: "c".repeat(40),
      statusContext: "ci/api/verify",
      timeoutMinutes: 60,
      installationId: 1,
    };
    await new RunTimeouts(async () => undefined, silentLog, first.timers).track(run);
    expect(await first.fires.claim("acme/mono:nightly", new Date("2026-03-10T01:00:00Z"))).toBe(
      true,
    );
    // Killed: no close.
    const ran: QueuedJob[] = [];
    const second = await openStateDir(dir, async (j) => void ran.push(j));
    expect(await second.timers.pending()).toBe(1);
    expect(await second.fires.lastFire("acme/mono:nightly")).toEqual(
      new Date("2026-03-10T01:00:00Z"),
    );
    expect(await second.queue.recover()).toBe(1);
    await second.queue.idle();
    expect(ran).toEqual([job("d1")]);
    await second.close();
    expect(second.journal.closed).toBe(true);
  });

  it("says which folder cannot be used when the state directory is a file", async () => {
    const file = join(stateDir(), "not-a-folder");
    writeFileSync(file, "");
    let error: unknown;
    try {
      Journal.open(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StateDirUnusableError);
    expect((error as Error).message).toMatch(
      new RegExp(`^the state directory ${file} cannot be used \\((EEXIST|ENOTDIR)\\)`),
    );
    expect((error as Error).message).toContain("MONOBOT_STATE_DIR");
  });
});
