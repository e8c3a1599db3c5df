// The durable pieces of per-process state besides the queue: run timeouts and schedule fires.
// A journal in MONOBOT_STATE_DIR implements them for one process, Redis for several replicas.
import type { Json } from "./job.js";

/** Timers that survive a restart: a due timer calls back once (once across replicas). */
export interface TimerStore {
  /** Sets (or replaces) the timer `key`, due at `dueAtMs` (epoch ms), with its data. */
  set(key: string, dueAtMs: number, data: Json): Promise<void>;
  /** Forgets the timer `key` (the run reported); no-op when it is not set. */
  clear(key: string): Promise<void>;
  /** Starts firing: `onDue` is called once per due timer, also for timers due while stopped. */
  start(onDue: (key: string, data: Json) => Promise<void>): void;
  /** Timers set and not yet fired or cleared (in this store). */
  pending(): Promise<number>;
  stop(): Promise<void>;
}

/** The scheduler's record of fires, so a restart neither repeats nor loses a fire. */
export interface FireStore {
  lastFire(key: string): Promise<Date | null>;
  /**
   * Records the fire `at` for `key`; true only for the first caller to record it (a replica that
   * loses the claim does not dispatch).
   */
  claim(key: string, at: Date): Promise<boolean>;
  /**
   * Forgets the fires `forget` picks (schedules no longer defined, repositories uninstalled), so
   * the store keeps only what deduplication needs; how many it forgot.
   */
  prune(forget: (key: string) => boolean): Promise<number>;
}
