// Timers by key and due time: in memory, or kept in the journal so a restart forgets none.
import { silentLog, type Log } from "../log.js";
import type { Json } from "./job.js";
import type { Journal } from "./journal.js";
import type { TimerStore } from "./stores.js";

/** setTimeout's longest delay; a later timer wakes up and waits again. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Entry {
  due: number;
  data: Json;
  handle?: NodeJS.Timeout;
}

type OnDue = (key: string, data: Json) => Promise<void>;

/** Timers of this process only: a restart forgets them (tests, and no MONOBOT_STATE_DIR). */
export class MemoryTimerStore implements TimerStore {
  protected readonly timers = new Map<string, Entry>();
  readonly #firing = new Set<Promise<void>>();
  #onDue: OnDue | undefined;
  #stopped = false;

  constructor(protected readonly log: Log = silentLog) {}

  async set(key: string, dueAtMs: number, data: Json): Promise<void> {
    if (!Number.isFinite(dueAtMs)) {
      throw new TypeError(
        `timer ${key}: the due time must be a number of epoch ms (got ${dueAtMs})`,
      );
    }
    this.#disarm(key);
    const entry: Entry = { due: dueAtMs, data };
    this.timers.set(key, entry);
    this.#arm(key, entry);
    await this.persistSet(key, dueAtMs, data);
  }

  async clear(key: string): Promise<void> {
    if (!this.timers.has(key)) return;
    this.#disarm(key);
    this.timers.delete(key);
    await this.persistClear(key);
  }

  start(onDue: OnDue): void {
    this.#onDue = onDue;
    this.#stopped = false;
    for (const [key, entry] of this.timers) {
      this.#disarm(key);
      this.#arm(key, entry);
    }
  }

  async pending(): Promise<number> {
    return this.timers.size;
  }

  /** Stops firing (the timers stay set) and waits for callbacks under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const key of this.timers.keys()) this.#disarm(key);
    await Promise.allSettled([...this.#firing]);
  }

  /** Makes a set durable (the journal's store writes it). */
  protected persistSet(_key: string, _dueAtMs: number, _data: Json): Promise<void> {
    return Promise.resolve();
  }

  /** Makes a clear (or a fire) durable. */
  protected persistClear(_key: string): Promise<void> {
    return Promise.resolve();
  }

  #arm(key: string, entry: Entry): void {
    if (!this.#onDue || this.#stopped) return;
    const delay = Math.min(Math.max(0, entry.due - Date.now()), MAX_DELAY_MS);
    entry.handle = setTimeout(() => this.#wake(key, entry), delay);
    entry.handle.unref();
  }

  #disarm(key: string): void {
    const entry = this.timers.get(key);
    if (entry?.handle) clearTimeout(entry.handle);
    if (entry) delete entry.handle;
  }

  #wake(key: string, entry: Entry): void {
    // Replaced or cleared since it was armed.
    if (this.timers.get(key) !== entry) return;
    delete entry.handle;
    if (entry.due > Date.now()) return this.#arm(key, entry);
    this.timers.delete(key);
    const firing: Promise<void> = this.#fire(key, entry).finally(() => this.#firing.delete(firing));
    this.#firing.add(firing);
  }

  async #fire(key: string, entry: Entry): Promise<void> {
    try {
      await this.#onDue?.(key, entry.data);
    } catch (e) {
      this.log.error({ timer: key, err: (e as Error).message }, "a due timer's callback failed");
    }
    // Set again while its callback ran: the new timer stands.
    if (this.timers.has(key)) return;
    // Cleared only after the callback: a crash in between fires it again (at least once).
    await this.persistClear(key).catch((e: unknown) =>
      this.log.warn(
        { timer: key, err: (e as Error).message },
        "could not record a timer as fired; it fires again after a restart",
      ),
    );
  }
}

/**
 * Timers kept in the state directory's journal: timers set before a restart fire after it (at
 * once when they fell due meanwhile). `prefix` keeps apart stores that share a journal.
 */
export class JournalTimerStore extends MemoryTimerStore {
  constructor(
    private readonly journal: Journal,
    private readonly prefix = "",
    log: Log = silentLog,
  ) {
    super(log);
    for (const [key, { due, data }] of journal.state.timers) {
      if (key.startsWith(prefix)) this.timers.set(key.slice(prefix.length), { due, data });
    }
  }

  protected override persistSet(key: string, dueAtMs: number, data: Json): Promise<void> {
    return this.journal.append({ t: "timer", key: this.prefix + key, due: dueAtMs, data });
  }

  protected override persistClear(key: string): Promise<void> {
    return this.journal.append({ t: "untimer", key: this.prefix + key });
  }
}
