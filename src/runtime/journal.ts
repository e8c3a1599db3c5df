// The state directory's journal: an fsync'd append-only JSONL log of jobs, timers and fires.
import {
  closeSync,
  fsync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  write,
  writeSync,
} from "node:fs";
import { open, rename } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { Log } from "../log.js";
import type { Json, QueuedJob } from "./job.js";
import { LOCK_FILE, StateDirLock, StateDirLockedError } from "./state-dir-lock.js";

const writeAsync = promisify(write);
const fsyncAsync = promisify(fsync);

/** One line of the journal. */
export type JournalRecord =
  /** A job accepted: it runs (again, after a restart) until its `done` is written. */
  | { t: "job"; job: QueuedJob }
  /** The job of this delivery finished (or was superseded); its id stays remembered. */
  | { t: "done"; id: string }
  /** A finished delivery id remembered for deduplication (written by compaction). */
  | { t: "seen"; id: string }
  /** A timer set (or replaced). */
  | { t: "timer"; key: string; due: number; data: Json }
  /** A timer cleared or fired. */
  | { t: "untimer"; key: string }
  /** The latest fire claimed for a schedule key (epoch ms). */
  | { t: "fire"; key: string; at: number }
  /** A schedule's fires forgotten (the schedule or its repository is gone). */
  | { t: "unfire"; key: string };

/** What the journal holds once replayed: the live records only. */
export interface JournalState {
  /** Accepted and not done, in the order they were accepted. */
  readonly jobs: ReadonlyMap<string, QueuedJob>;
  /** Finished delivery ids, oldest first (at most `rememberDeliveries`). */
  readonly seen: ReadonlySet<string>;
  readonly timers: ReadonlyMap<string, { due: number; data: Json }>;
  readonly fires: ReadonlyMap<string, number>;
}

export interface JournalOptions {
  /** Finished delivery ids kept for deduplication across restarts. */
  rememberDeliveries?: number;
  /**
   * The file is rewritten with its live records once it grows past this many bytes and past
   * twice the size of its last rewrite, so it stays within about max(this, 2 × live) bytes.
   */
  compactBytes?: number;
  /**
   * How long records appended with `appendLater` may wait for a write of their own when no
   * `append` comes to carry them (default 100 ms).
   */
  lazyMs?: number;
  /**
   * How long the state directory's lock may go unrefreshed before another process takes it
   * over (default 10 s); also how long opening may wait to tell a gone holder from a live one.
   */
  lockStaleMs?: number;
  /**
   * Called if another process took the lock over (this one stalled past `lockStaleMs`): the
   * journal has closed itself by then, and the process should stop.
   */
  onLockLost?: (error: Error) => void;
  log?: Log;
}

/** What opening found on disk. */
export interface JournalRecovery {
  /** Complete lines read. */
  records: number;
  /** Complete lines that were not a journal record (skipped, with a warning). */
  skipped: number;
  /** Whether the last line was cut short (a write torn by a crash; ignored). */
  tornTail: boolean;
  /** The pid of a process that stopped uncleanly and whose lock was taken over, if known. */
  staleLockPid?: number;
  /** The host that process ran on, if known. */
  staleLockHost?: string;
}

/** The journal was closed; what was not written runs again after a restart. */
export class JournalClosedError extends Error {
  constructor() {
    super("the journal is closed");
    this.name = "JournalClosedError";
  }
}

export const JOURNAL_FILE = "journal.jsonl";
export { LOCK_FILE, StateDirLockedError };

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class Journal {
  readonly dir: string;
  readonly recovery: JournalRecovery;
  readonly #path: string;
  readonly #remember: number;
  readonly #compactBytes: number;
  readonly #log: Log | undefined;
  readonly #jobs = new Map<string, QueuedJob>();
  readonly #seen = new Set<string>();
  readonly #timers = new Map<string, { due: number; data: Json }>();
  readonly #fires = new Map<string, number>();
  readonly #lock: StateDirLock;
  #fd: number;
  #bytes = 0;
  #liveBytes = 0;
  #lines: string[] = [];
  #records: JournalRecord[] = [];
  #waiters: Waiter[] = [];
  #flushing: Promise<void> | null = null;
  /** An `append` waits in the buffer: the flush loop must write (`appendLater` alone may wait). */
  #urgent = false;
  #lazyTimer: NodeJS.Timeout | undefined;
  readonly #lazyMs: number;
  /** A failed write may have left a partial line: the next flush rewrites the file whole. */
  #mustRewrite = false;
  #closed = false;
  #compactions = 0;
  #flushes = 0;

  private constructor(dir: string, options: JournalOptions) {
    this.dir = resolve(dir);
    this.#path = join(this.dir, JOURNAL_FILE);
    this.#remember = options.rememberDeliveries ?? 10_000;
    this.#compactBytes = options.compactBytes ?? 1 << 20;
    this.#lazyMs = options.lazyMs ?? 100;
    this.#log = options.log;
    if (!Number.isInteger(this.#remember) || this.#remember < 0) {
      throw new Error(`journal: rememberDeliveries must be a whole number (got ${this.#remember})`);
    }
    this.#lock = usable(this.dir, () => {
      mkdirSync(this.dir, { recursive: true });
      return StateDirLock.take(this.dir, {
        ...(options.lockStaleMs !== undefined ? { staleMs: options.lockStaleMs } : {}),
        onLost: (e) => this.#lockLost(e, options.onLockLost),
      });
    });
    const stale = this.#lock.stale;
    try {
      this.recovery = {
        ...this.#replay(),
        ...(stale?.pid !== undefined ? { staleLockPid: stale.pid } : {}),
        ...(stale?.host ? { staleLockHost: stale.host } : {}),
      };
      // Start from a clean file: drops a torn tail, so later appends begin on a fresh line.
      this.#fd = usable(this.dir, () => this.#rewrite([]));
    } catch (e) {
      this.#lock.release();
      throw e;
    }
  }

  /**
   * Opens (creating) the journal in `dir`: takes the directory's lock, replays the file and
   * rewrites it with its live records. Throws StateDirLockedError when a live process holds it.
   */
  static open(dir: string, options: JournalOptions = {}): Journal {
    return new Journal(dir, options);
  }

  get state(): JournalState {
    return { jobs: this.#jobs, seen: this.#seen, timers: this.#timers, fires: this.#fires };
  }

  /** Bytes in the file now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Counters for benchmarks and tests: rewrites, and fsync'd batches of appends. */
  get stats(): { compactions: number; flushes: number } {
    return { compactions: this.#compactions, flushes: this.#flushes };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Appends records; resolves once they are on disk (fsync'd). Appends made while a write is in
   * flight share the next write and fsync (group commit).
   */
  append(...records: JournalRecord[]): Promise<void> {
    const done = this.#buffer(records);
    this.#urgent = true;
    this.#write();
    return done;
  }

  /**
   * Appends records whose loss in a crash only repeats work (a job's `done`: the job runs again,
   * and jobs are idempotent). They ride with the next `append`'s write and fsync, or are written
   * within `lazyMs`; so finishing jobs costs intake no fsync of its own. Resolves once on disk.
   */
  appendLater(...records: JournalRecord[]): Promise<void> {
    const done = this.#buffer(records);
    if (!this.#flushing) this.#armLazy();
    return done;
  }

  /** Writes what is buffered now, `appendLater`'s records too; resolves once on disk. */
  async flush(): Promise<void> {
    if (this.#closed) return;
    if (this.#lines.length > 0) {
      this.#urgent = true;
      this.#write();
    }
    while (this.#flushing) await this.#flushing;
  }

  /** Writes what is buffered, closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#lazyTimer);
    closeSync(this.#fd);
    this.#lock.release();
  }

  /** Another process holds the folder now: nothing more is written here (it is theirs). */
  #lockLost(error: Error, onLost: ((error: Error) => void) | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#lazyTimer);
    this.#log?.error({ err: error.message, dir: this.dir }, "state directory: lock lost");
    for (const w of this.#waiters.splice(0)) w.reject(new JournalClosedError());
    this.#lines = [];
    this.#records = [];
    onLost?.(error);
  }

  #buffer(records: JournalRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalClosedError());
    for (const r of records) {
      this.#records.push(r);
      this.#lines.push(`${JSON.stringify(r)}\n`);
    }
    return new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  #write(): void {
    clearTimeout(this.#lazyTimer);
    this.#lazyTimer = undefined;
    this.#flushing ??= this.#flushLoop();
  }

  async #flushLoop(): Promise<void> {
    // Let the appends of the current tick join the first batch.
    await Promise.resolve();
    // Each pass writes everything buffered (lazy records too) with one fsync; records that
    // arrive meanwhile go in the next pass, when one of them is urgent (group commit).
    while (this.#lines.length > 0 && this.#urgent) {
      this.#urgent = false;
      const lines = this.#lines.splice(0);
      const records = this.#records.splice(0);
      const waiters = this.#waiters.splice(0);
      try {
        const text = lines.join("");
        const size = Buffer.byteLength(text);
        if (this.#mustRewrite || this.#dueForCompaction(size)) {
          // The batch goes into the rewritten file after the live records it follows.
          const fd = await this.#rewriteAsync(lines);
          closeSync(this.#fd);
          this.#fd = fd;
          this.#mustRewrite = false;
        } else {
          await writeAll(this.#fd, Buffer.from(text));
          await fsyncAsync(this.#fd);
          this.#bytes += size;
        }
        this.#flushes++;
        for (const r of records) this.#apply(r);
        for (const w of waiters) w.resolve();
      } catch (e) {
        this.#mustRewrite = true;
        this.#log?.error({ err: (e as Error).message, path: this.#path }, "journal write failed");
        for (const w of waiters) w.reject(e);
      }
    }
    this.#flushing = null;
    // Only lazy records arrived during the last pass: they wait for a carrier, or the timer.
    if (this.#lines.length > 0) this.#armLazy();
  }

  #armLazy(): void {
    if (this.#lazyTimer || this.#closed) return;
    this.#lazyTimer = setTimeout(() => {
      this.#lazyTimer = undefined;
      this.#urgent = true;
      this.#write();
    }, this.#lazyMs);
  }

  #dueForCompaction(adding: number): boolean {
    const after = this.#bytes + adding;
    return after > this.#compactBytes && after > 2 * this.#liveBytes;
  }

  /**
   * Writes the live records (then `tail`) to a temporary file, fsyncs it, renames it over the
   * journal and fsyncs the directory; returns the new file, open for appending.
   */
  #rewrite(tail: string[]): number {
    const live = this.#liveLines();
    const text = live.join("") + tail.join("");
    const tmp = `${this.#path}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.#path);
    syncDir(this.dir);
    this.#liveBytes = Buffer.byteLength(live.join(""));
    this.#bytes = Buffer.byteLength(text);
    this.#compactions++;
    return openSync(this.#path, "a");
  }

  /** `#rewrite` off the event loop (the flush loop's compactions): intake goes on meanwhile. */
  async #rewriteAsync(tail: string[]): Promise<number> {
    const live = this.#liveLines().join("");
    const text = live + tail.join("");
    const tmp = `${this.#path}.tmp`;
    const file = await open(tmp, "w");
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.#path);
    syncDir(this.dir);
    this.#liveBytes = Buffer.byteLength(live);
    this.#bytes = Buffer.byteLength(text);
    this.#compactions++;
    return openSync(this.#path, "a");
  }

  #liveLines(): string[] {
    const out: string[] = [];
    const line = (r: JournalRecord) => out.push(`${JSON.stringify(r)}\n`);
    for (const id of this.#seen) line({ t: "seen", id });
    for (const [key, at] of this.#fires) line({ t: "fire", key, at });
    for (const [key, { due, data }] of this.#timers) line({ t: "timer", key, due, data });
    for (const job of this.#jobs.values()) line({ t: "job", job });
    return out;
  }

  #apply(r: JournalRecord): void {
    switch (r.t) {
      case "job":
        this.#seen.delete(r.job.deliveryId);
        this.#jobs.set(r.job.deliveryId, r.job);
        break;
      case "done":
      case "seen":
        this.#jobs.delete(r.id);
        this.#seen.delete(r.id);
        this.#seen.add(r.id);
        while (this.#seen.size > this.#remember) {
          const oldest = this.#seen.values().next().value;
          if (oldest === undefined) break;
          this.#seen.delete(oldest);
        }
        break;
      case "timer":
        this.#timers.set(r.key, { due: r.due, data: r.data });
        break;
      case "untimer":
        this.#timers.delete(r.key);
        break;
      case "fire":
        this.#fires.set(r.key, Math.max(r.at, this.#fires.get(r.key) ?? r.at));
        break;
      case "unfire":
        this.#fires.delete(r.key);
        break;
    }
  }

  #replay(): Omit<JournalRecovery, "staleLockPid" | "staleLockHost"> {
    let text: string;
    try {
      text = readFileSync(this.#path, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        return { records: 0, skipped: 0, tornTail: false };
      }
      throw e;
    }
    const lines = text.split("\n");
    // Whatever follows the last newline is a write cut short by a crash.
    const tail = lines.pop() ?? "";
    let records = 0;
    let skipped = 0;
    lines.forEach((line, index) => {
      if (line.trim() === "") return;
      const record = parseRecord(line);
      if (record) {
        records++;
        this.#apply(record);
      } else {
        skipped++;
        this.#log?.warn(
          { path: this.#path, line: index + 1 },
          "journal: skipped a line that is not a journal record",
        );
      }
    });
    if (tail !== "") {
      this.#log?.warn({ path: this.#path }, "journal: ignored a last line cut short by a crash");
    }
    return { records, skipped, tornTail: tail !== "" };
  }
}

/** Parses one line; null when it is not a well-formed record. */
export function parseRecord(line: string): JournalRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isObject(value)) return null;
  switch (value.t) {
    case "job":
      return isJob(value.job) ? { t: "job", job: value.job } : null;
    case "done":
    case "seen":
      return typeof value.id === "string" ? { t: value.t, id: value.id } : null;
    case "timer":
      return typeof value.key === "string" && Number.isFinite(value.due) && "data" in value
        ? { t: "timer", key: value.key, due: value.due as number, data: value.data as Json }
        : null;
    case "untimer":
    case "unfire":
      return typeof value.key === "string" ? { t: value.t, key: value.key } : null;
    case "fire":
      return typeof value.key === "string" && Number.isFinite(value.at)
        ? { t: "fire", key: value.key, at: value.at as number }
        : null;
    default:
      return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isJob(v: unknown): v is QueuedJob {
  return (
    isObject(v) &&
    typeof v.handler === "string" &&
    typeof v.deliveryId === "string" &&
    typeof v.key === "string" &&
    (v.supersedeKey === undefined || typeof v.supersedeKey === "string") &&
    (v.installationId === undefined || typeof v.installationId === "number") &&
    "spec" in v
  );
}

async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await writeAsync(fd, buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch (e) {
    // Some platforms cannot fsync a directory; the rename is then as durable as they allow.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM") throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The state directory exists but cannot be written (or is not a folder). */
export class StateDirUnusableError extends Error {
  constructor(
    readonly dir: string,
    readonly code: string,
  ) {
    super(
      `the state directory ${dir} cannot be used (${code}): give MONOBOT_STATE_DIR a folder ` +
        `this process may write`,
    );
    this.name = "StateDirUnusableError";
  }
}

/** Runs `use`, turning the file system's refusals into one sentence naming the directory. */
function usable<T>(dir: string, use: () => T): T {
  try {
    return use();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code && ["EACCES", "EPERM", "EROFS", "ENOTDIR", "EEXIST", "EISDIR"].includes(code)) {
      throw new StateDirUnusableError(dir, code);
    }
    throw e;
  }
}
