// The state directory's lock: one live monobot per folder, across processes, containers and hosts.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { readdir, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";

export const LOCK_FILE = "monobot.lock";

/** Another live process holds the state directory. */
export class StateDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly host?: string,
  ) {
    super(
      `the state directory ${dir} is in use by another monobot process (pid ${pid}` +
        `${host ? ` on ${host}` : ""}): stop that process, or give this one its own MONOBOT_STATE_DIR`,
    );
    this.name = "StateDirLockedError";
  }
}

/** Who holds (or held) a lock, as written in its entry. */
export interface LockOwner {
  pid: number;
  host: string;
  /**
   * The host, boot and pid namespace the pid belongs to (empty when unknown): only there does a
   * pid name one process. Every container's `node` may be pid 1.
   */
  place: string;
  token: string;
  /** Written by a clean stop: the next process takes the lock at once. */
  released?: boolean;
}

/** A lock taken over: from a process that is gone (an unclean stop), not one that released it. */
export interface StaleLock {
  pid?: number;
  host?: string;
}

export interface LockOptions {
  /**
   * A holder refreshes its entry's modification time four times within this; an entry seen
   * unchanged for this long belongs to a process that is gone (default 10 s).
   */
  staleMs?: number;
  /** Called once if another process took the lock over (this one stalled past `staleMs`). */
  onLost?: (error: Error) => void;
}

const EPOCH_DIGITS = 12;
const EPOCH = /^\d{12}$/;

/** Where this process's pids are unique; empty when the platform cannot say. */
function currentPlace(): string {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const pidNamespace = readlinkSync("/proc/self/ns/pid");
    return boot && pidNamespace ? `${hostname()}/${boot}/${pidNamespace}` : "";
  } catch {
    return "";
  }
}

/** Whether a process with this pid runs here (EPERM: it runs as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Blocks the thread: the lock is taken at start-up, before anything is served. */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.pid !== "number" || typeof v.token !== "string") return null;
    return {
      pid: v.pid,
      host: typeof v.host === "string" ? v.host : "",
      place: typeof v.place === "string" ? v.place : "",
      token: v.token,
      ...(v.released === true ? { released: true } : {}),
    };
  } catch {
    return null;
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    return parseOwner(readFileSync(path, "utf8"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** The entries' epochs, lowest first. */
function epochs(folder: string): number[] {
  return readdirSync(folder)
    .filter((n) => EPOCH.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

const entryName = (epoch: number) => String(epoch).padStart(EPOCH_DIGITS, "0");

/** The holder of `dir`'s lock as its newest entry says (for tests and operators); null if none. */
export function readLockOwner(dir: string): LockOwner | null {
  const folder = join(dir, LOCK_FILE);
  try {
    const top = epochs(folder).at(-1);
    return top === undefined ? null : readOwner(join(folder, entryName(top)));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/**
 * The lock is a folder of entries numbered by epoch; the newest entry is the lock. Taking it
 * creates the next epoch's entry exclusively, so of processes that race for it (even over a
 * network volume) exactly one creates it; the others find it taken. An entry is never reused, and
 * the newest is never deleted, so a process that decided long ago cannot take an old epoch
 * again unnoticed (it checks that no newer entry exists once it holds its own).
 *
 * A holder touches its entry every `staleMs / 4`. Whether a holder lives is seen, not guessed
 * from pids or clocks: a contender watches the entry, and an entry that changes is alive; one
 * unchanged for `staleMs` is stale and taken over. Only where a pid is known to be unique (same
 * host, boot and pid namespace) does a dead pid (or this very pid) end the wait at once.
 */
export class StateDirLock {
  readonly dir: string;
  readonly owner: LockOwner;
  /** The lock taken over from a process that stopped uncleanly, if any. */
  readonly stale: StaleLock | undefined;
  readonly #folder: string;
  readonly #entry: string;
  readonly #epoch: number;
  readonly #staleMs: number;
  readonly #onLost: ((error: Error) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #released = false;
  #refreshing = false;

  private constructor(
    dir: string,
    taken: { epoch: number; owner: LockOwner; stale: StaleLock | undefined },
    options: LockOptions,
  ) {
    this.dir = dir;
    this.#folder = join(dir, LOCK_FILE);
    this.#epoch = taken.epoch;
    this.#entry = join(this.#folder, entryName(taken.epoch));
    this.owner = taken.owner;
    this.stale = taken.stale;
    this.#staleMs = options.staleMs ?? 10_000;
    this.#onLost = options.onLost;
    this.#schedule();
  }

  /** Takes `dir`'s lock, waiting (up to `staleMs`) to tell a live holder from a gone one. */
  static take(dir: string, options: LockOptions = {}): StateDirLock {
    const staleMs = options.staleMs ?? 10_000;
    if (!Number.isFinite(staleMs) || staleMs < 100) {
      throw new Error(`state directory lock: staleMs must be at least 100 (got ${staleMs})`);
    }
    const legacy = takeLegacyLock(dir);
    const taken = acquire(dir, staleMs);
    return new StateDirLock(
      dir,
      { ...taken, stale: taken.stale ?? legacy },
      { ...options, staleMs },
    );
  }

  get released(): boolean {
    return this.#released;
  }

  /** Marks the entry released (the next process need not wait) and stops refreshing it. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    try {
      // Whole or not at all: a half-written entry would look alive to a starting process.
      const tmp = `${this.#entry}.${this.owner.token}.tmp`;
      writeEntry(tmp, { ...this.owner, released: true }, "w");
      renameSync(tmp, this.#entry);
    } catch (e) {
      // Someone took it over, or the folder is gone: there is nothing of ours to release.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }

  #schedule(): void {
    if (this.#released) return;
    this.#timer = setTimeout(() => void this.#refresh(), Math.floor(this.#staleMs / 4));
    this.#timer.unref();
  }

  async #refresh(): Promise<void> {
    if (this.#released || this.#refreshing) return;
    this.#refreshing = true;
    try {
      const now = new Date();
      await utimes(this.#entry, now, now);
      const newer = (await readdir(this.#folder)).some(
        (n) => EPOCH.test(n) && Number(n) > this.#epoch,
      );
      if (newer && !this.#released) {
        this.#lost("another process took the state directory's lock over");
        return;
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" && !this.#released) {
        this.#lost("the state directory's lock entry was removed");
        return;
      }
      // A passing I/O error: the next refresh tries again; a contender waits staleMs first.
    } finally {
      this.#refreshing = false;
    }
    this.#schedule();
  }

  #lost(why: string): void {
    this.#released = true;
    clearTimeout(this.#timer);
    this.#onLost?.(new Error(`${why} (${this.dir}): this process must stop writing to it`));
  }
}

/**
 * Not fsync'd: other processes see the entry without it (and a network volume's close flushes it);
 * after a machine crash a lost entry only means nobody holds the lock, which is true.
 */
function writeEntry(path: string, owner: LockOwner, flag: "w" | "wx"): void {
  const fd = openSync(path, flag);
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Watches an entry: "live" once it changes, "stale" if unchanged for `staleMs`, "gone". */
function watch(path: string, staleMs: number): "live" | "stale" | "gone" {
  const first = statOrNull(path);
  if (!first) return "gone";
  const deadline = Date.now() + staleMs;
  const poll = Math.max(20, Math.floor(staleMs / 40));
  for (let left = staleMs; left > 0; left = deadline - Date.now()) {
    sleep(Math.min(poll, left));
    const now = statOrNull(path);
    if (!now) return "gone";
    if (now.mtimeMs !== first.mtimeMs || now.ctimeMs !== first.ctimeMs || now.size !== first.size) {
      return "live";
    }
  }
  return "stale";
}

/** Whether the newest entry's holder is gone for sure, without waiting. */
function goneAtOnce(owner: LockOwner | null, place: string): boolean {
  if (!owner) return false;
  if (owner.released) return true;
  // Only where a pid names one process: this very pid is a predecessor (a restart), not a rival.
  return place !== "" && owner.place === place && (owner.pid === process.pid || !alive(owner.pid));
}

function acquire(
  dir: string,
  staleMs: number,
): { epoch: number; owner: LockOwner; stale: StaleLock | undefined } {
  const folder = join(dir, LOCK_FILE);
  mkdirSync(folder, { recursive: true });
  const place = currentPlace();
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    place,
    token: randomBytes(12).toString("hex"),
  };
  let stale: StaleLock | undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const top = epochs(folder).at(-1);
    if (top !== undefined) {
      const path = join(folder, entryName(top));
      const holder = readOwner(path);
      if (!goneAtOnce(holder, place)) {
        const seen = watch(path, staleMs);
        if (seen === "gone") continue;
        if (seen === "live") {
          const now = readOwner(path);
          if (now && !now.released) throw new StateDirLockedError(dir, now.pid, now.host);
          continue;
        }
      }
      stale = holder?.released ? undefined : { pid: holder?.pid, host: holder?.host };
    }
    const epoch = (top ?? 0) + 1;
    try {
      writeEntry(join(folder, entryName(epoch)), owner, "wx");
    } catch (e) {
      // Another process took this epoch first: look again (it is alive, or soon seen to be).
      if ((e as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw e;
    }
    const all = epochs(folder);
    if (all.some((n) => n > epoch)) {
      // This process decided on an old view; a newer holder exists.
      unlinkQuietly(join(folder, entryName(epoch)));
      continue;
    }
    for (const old of all) if (old < epoch) unlinkQuietly(join(folder, entryName(old)));
    return { epoch, owner, stale: stale?.pid === undefined && !stale?.host ? undefined : stale };
  }
  throw new Error(
    `could not take the lock ${folder}: it keeps changing; is another process starting?`,
  );
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * A lock file of an older monobot (a file holding a pid): refused while that pid lives here,
 * otherwise removed (its pid is returned as the stale holder).
 */
function takeLegacyLock(dir: string): StaleLock | undefined {
  const path = join(dir, LOCK_FILE);
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  if (stat.isDirectory()) return undefined;
  // Racing starts: another process may remove the old file and make the lock folder in its
  // place between any two of these steps. Gone, or a folder now: it was migrated already.
  const migrated = (e: unknown) =>
    ["ENOENT", "EISDIR"].includes(String((e as NodeJS.ErrnoException).code));
  let content: string;
  try {
    content = readFileSync(path, "utf8").trim();
  } catch (e) {
    if (migrated(e)) return undefined;
    throw e;
  }
  const pid = /^\d+$/.test(content) ? Number(content) : NaN;
  const known = Number.isSafeInteger(pid) && pid > 0;
  if (known && pid !== process.pid && alive(pid)) throw new StateDirLockedError(dir, pid);
  try {
    // Only the file: unlink never removes a folder that a faster process made meanwhile.
    unlinkSync(path);
  } catch (e) {
    if (!migrated(e)) throw e;
  }
  return known ? { pid } : undefined;
}
