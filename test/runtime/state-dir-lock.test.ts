import { spawn } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { Journal, LOCK_FILE, StateDirLockedError } from "../../src/runtime/journal.js";
import { readLockOwner } from "../../src/runtime/state-dir-lock.js";
import { cleanup, deadPid, stateDir } from "./helpers.js";

const children: { kill: () => void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
  cleanup();
});

/** Long enough that a loaded machine's holder still refreshes in time. */
const STALE_MS = 3000;

/** A lock entry as another process wrote it (epoch 1). */
function writeEntry(dir: string, owner: Record<string, unknown>): string {
  const folder = join(dir, LOCK_FILE);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, "000000000001");
  writeFileSync(path, `${JSON.stringify({ token: "theirs", ...owner })}\n`);
  return path;
}

/** A process elsewhere that keeps its lock entry fresh, as a live holder does. */
function refresher(path: string) {
  const child = spawn(
    process.execPath,
    [
      "-e",
      `const fs = require("node:fs");
       setInterval(() => { const t = new Date(); fs.utimesSync(${JSON.stringify(path)}, t, t); }, 100);
       setTimeout(() => process.exit(0), 20000);`,
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGKILL");
    await exited;
  };
  children.push({ kill: () => child.kill("SIGKILL") });
  // Refreshing once it has touched the entry (a loaded machine starts node slowly).
  const before = statSync(path).mtimeMs;
  const started = (async () => {
    while (statSync(path).mtimeMs === before) await new Promise((r) => setTimeout(r, 20));
  })();
  return { stop, started };
}

function openError(dir: string): unknown {
  try {
    Journal.open(dir, { lockStaleMs: STALE_MS });
  } catch (e) {
    return e;
  }
  return null;
}

describe("the state directory's lock across containers and hosts", () => {
  it.each([
    {
      name: "this very pid, from another container (its own pid namespace)",
      owner: () => ({
        pid: process.pid,
        host: "replica-b",
        place: "replica-b/boot-1/pid:[4026532999]",
      }),
    },
    {
      name: "a pid that lives here, from another host",
      owner: () => ({ pid: 1, host: "other-host", place: "other-host/boot-2/pid:[4026531836]" }),
    },
    {
      name: "a pid that does not live here, from another host",
      owner: () => ({ pid: 999_999_999, host: "other-host", place: "" }),
    },
  ])(
    "holding $name: refused while it is refreshed, taken over once it is not",
    async (c) => {
      const dir = stateDir();
      const owner = c.owner();
      const path = writeEntry(dir, owner);
      const holder = refresher(path);
      const error = openError(dir);
      expect(error).toBeInstanceOf(StateDirLockedError);
      expect((error as StateDirLockedError).pid).toBe(owner.pid);
      expect((error as Error).message).toContain(`pid ${owner.pid} on ${owner.host}`);
      expect(readLockOwner(dir)?.token).toBe("theirs");

      // The holder dies (kill -9): its entry stops changing, and is taken over after STALE_MS.
      await holder.stop();
      const started = Date.now();
      const j = Journal.open(dir, { lockStaleMs: STALE_MS });
      expect(Date.now() - started).toBeGreaterThanOrEqual(STALE_MS - 50);
      expect(j.recovery).toMatchObject({ staleLockPid: owner.pid, staleLockHost: owner.host });
      expect(readLockOwner(dir)).toMatchObject({ pid: process.pid, host: hostname() });
      await j.close();
    },
    20_000,
  );

  it("takes over at once a lock of a dead process of this host and pid namespace", async () => {
    const dir = stateDir();
    const first = Journal.open(dir, { lockStaleMs: 60_000 });
    const { place } = readLockOwner(dir) ?? { place: "" };
    expect(place).not.toBe("");
    // As if that process had been killed: a pid that no longer runs, in the same namespace.
    writeEntry(dir, { pid: 999_999_999, host: hostname(), place });
    const started = Date.now();
    const next = Journal.open(dir, { lockStaleMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(next.recovery.staleLockPid).toBe(999_999_999);
    await next.close();
    void first;
  });

  it("is free at once after a clean close, and the next holder reports no unclean stop", async () => {
    const dir = stateDir();
    const first = Journal.open(dir, { lockStaleMs: 60_000 });
    await first.close();
    expect(readLockOwner(dir)?.released).toBe(true);
    const started = Date.now();
    const next = Journal.open(dir, { lockStaleMs: 60_000 });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(next.recovery.staleLockPid).toBeUndefined();
    await next.close();
  });

  it("closes the journal of a holder whose lock was taken over, and says so", async () => {
    const dir = stateDir();
    const lost: Error[] = [];
    const j = Journal.open(dir, { lockStaleMs: 200, onLockLost: (e) => lost.push(e) });
    // A newer entry: another process decided this one was gone (it stalled past the stale time).
    writeFileSync(
      join(dir, LOCK_FILE, "000000000002"),
      JSON.stringify({ pid: 1, host: "x", place: "", token: "t" }),
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(lost.map((e) => e.message)).toEqual([
      expect.stringContaining("another process took the state directory's lock over"),
    ]);
    expect(j.closed).toBe(true);
    await expect(j.append({ t: "done", id: "late" })).rejects.toThrow("closed");
    // Not released: the entry is the other process's now.
    expect(readLockOwner(dir)?.token).toBe("t");
  });
});

describe("racing starts on one folder", () => {
  const child = fileURLToPath(new URL("./fixtures/lock-child.ts", import.meta.url));

  async function race(dir: string, n: number): Promise<string[]> {
    const startAt = Date.now() + 2500;
    const lines = await Promise.all(
      Array.from({ length: n }, () => {
        const proc = spawn(
          process.execPath,
          ["--import", "tsx", child, dir, String(startAt), String(STALE_MS)],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
        children.push({ kill: () => proc.kill("SIGKILL") });
        let out = "";
        let err = "";
        proc.stdout.on("data", (c: Buffer) => (out += c.toString()));
        proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
        return new Promise<string>((resolve) => {
          const timer = setInterval(() => {
            if (out.includes("\n")) {
              clearInterval(timer);
              resolve(out.trim());
            }
          }, 20);
          proc.on("exit", () => {
            clearInterval(timer);
            resolve(out.trim() || `exited: ${err}`);
          });
        });
      }),
    );
    return lines;
  }

  function exactlyOneHolds(lines: string[]) {
    const held = lines.filter((l) => l.startsWith("held "));
    expect(held, lines.join("\n")).toHaveLength(1);
    // Every other start refuses with one line naming a holder. When two take over a dead lock at
    // once, a loser may name the other contender, which then stepped back: exactly one still runs.
    expect(
      lines.filter((l) => /^refused \d+$/.test(l)),
      lines.join("\n"),
    ).toHaveLength(lines.length - 1);
  }

  it("on an empty folder: exactly one runs, the others name it", async () => {
    exactlyOneHolds(await race(stateDir(), 4));
  }, 30_000);

  it("on an older monobot's lock file of a dead process: exactly one takes it over", async () => {
    const dir = stateDir();
    writeFileSync(join(dir, LOCK_FILE), `${await deadPid()}\n`);
    exactlyOneHolds(await race(dir, 4));
  }, 30_000);

  it("on a stale lock from another host: exactly one takes it over", async () => {
    const dir = stateDir();
    writeEntry(dir, { pid: 4242, host: "gone-host", place: "" });
    exactlyOneHolds(await race(dir, 4));
  }, 30_000);
});
