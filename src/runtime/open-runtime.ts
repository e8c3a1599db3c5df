// Opens the runtime the environment asks for: one process with a journal in MONOBOT_STATE_DIR
// (the default), or several replicas sharing Redis (REDIS_URL). Both give the same pieces.
import { access, constants } from "node:fs/promises";
import type { Log } from "../log.js";
import type { JobQueue, JobRunner } from "./job.js";
import { InProcessQueue, type InProcessQueueOptions } from "./in-process-queue.js";
import { RedisQueue } from "./redis-queue.js";
import { RedisFireStore, RedisScheduledRepos, RedisTimerStore } from "./redis-stores.js";
import { openStateDir, type StateDir } from "./state-dir.js";
import { MemoryFireStore, type SharedRepositories } from "./scheduler.js";
import { JournalTimerStore, MemoryTimerStore } from "./timer-store.js";
import type { FireStore, TimerStore } from "./stores.js";

export interface Runtime {
  mode: "journal" | "redis" | "memory";
  queue: JobQueue;
  timers: TimerStore;
  /** Timers that queue a job when due (follow-ups at a time). */
  later: TimerStore;
  fires: FireStore;
  /** Redis mode: the repositories every replica schedules (one process needs none). */
  repositories?: SharedRepositories;
  /** Runs again the work accepted before a restart and not finished; how many jobs. */
  recover(): Promise<number>;
  /** Null when the store takes work; otherwise why not (for /readyz). */
  unready(): Promise<string | null>;
  /** After the queue's drain: stops the timers and closes the store. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  stateDir: string;
  redisUrl?: string;
  /** No journal: jobs, timers and fires in memory, lost on a restart (benchmarks, throwaway runs). */
  memory?: boolean;
  /**
   * Redis mode: how long a replica may go silent before another takes over its running job
   * (BullMQ's lock; default 5 s). Stalled jobs are looked for four times as often.
   */
  redisLockMs?: number;
  runner: JobRunner;
  log: Log;
  /** Journal mode: another process took the state directory over; this one must stop. */
  onLockLost?: (error: Error) => void;
  queue: Pick<InProcessQueueOptions, "concurrency" | "onError" | "onSuperseded">;
}

export async function openRuntime(options: RuntimeOptions): Promise<Runtime> {
  if (options.redisUrl) return openRedis(options, options.redisUrl);
  return options.memory ? openMemory(options) : openJournal(options);
}

function openMemory(options: RuntimeOptions): Runtime {
  options.log.warn(
    "MONOBOT_JOURNAL=off: accepted deliveries, run timeouts and schedule fires are kept in memory only; a restart loses them",
  );
  const queue = new InProcessQueue(options.runner, options.queue);
  const timers = new MemoryTimerStore(options.log);
  const later = new MemoryTimerStore(options.log);
  return {
    mode: "memory",
    queue,
    timers,
    later,
    fires: new MemoryFireStore(),
    recover: () => Promise.resolve(0),
    unready: () => Promise.resolve(null),
    close: async () => {
      await timers.stop();
      await later.stop();
    },
  };
}

async function openJournal(options: RuntimeOptions): Promise<Runtime> {
  const state: StateDir = await openStateDir(options.stateDir, options.runner, {
    ...options.queue,
    ...(options.onLockLost ? { onLockLost: options.onLockLost } : {}),
    log: options.log,
  });
  const { recovery } = state;
  if (recovery.tornTail || recovery.skipped > 0 || recovery.staleLockPid) {
    options.log.warn(
      {
        tornTail: recovery.tornTail,
        skipped: recovery.skipped,
        staleLockPid: recovery.staleLockPid,
        ...(recovery.staleLockHost ? { staleLockHost: recovery.staleLockHost } : {}),
      },
      "state directory: recovered from an unclean stop",
    );
  }
  const later = new JournalTimerStore(state.journal, "later:", options.log);
  return {
    mode: "journal",
    queue: state.queue,
    timers: state.timers,
    later,
    fires: state.fires,
    recover: () => state.queue.recover(),
    unready: async () => {
      if (state.journal.closed) return "the journal is closed";
      try {
        await access(state.dir, constants.W_OK);
        return null;
      } catch {
        return `the state directory ${state.dir} is not writable`;
      }
    },
    close: async () => {
      await later.stop();
      await state.close();
    },
  };
}

/**
 * How long a replica may go silent before another takes over its running job. Short, so that a
 * failover costs seconds: renewal every 2.5 s keeps a slow job owned; only an event loop blocked
 * for 5 s loses it (and the take step's lock fence keeps that replica from running more).
 */
export const DEFAULT_REDIS_LOCK_MS = 5_000;

async function openRedis(options: RuntimeOptions, url: string): Promise<Runtime> {
  const lockDurationMs = options.redisLockMs ?? DEFAULT_REDIS_LOCK_MS;
  const locks = {
    lockDurationMs,
    // A dead replica's job is taken over within about lock + lock / 4. BullMQ renews a live
    // worker's lock every lock / 2, so a slow job on a live replica keeps its lock.
    stalledIntervalMs: Math.max(500, Math.round(lockDurationMs / 4)),
  };
  const queue = new RedisQueue(url, options.runner, {
    ...options.queue,
    ...locks,
    log: options.log,
  });
  const timers = new RedisTimerStore(url, { ...locks, log: options.log });
  const later = new RedisTimerStore(url, { ...locks, name: "later", log: options.log });
  const fires = new RedisFireStore(url);
  const repositories = new RedisScheduledRepos(url);
  return {
    mode: "redis",
    queue,
    timers,
    later,
    fires,
    repositories,
    // Redis keeps the jobs; a stalled job of a killed replica is taken over by the workers.
    recover: () => Promise.resolve(0),
    unready: async () => ((await queue.ping()) ? null : "Redis does not answer (REDIS_URL)"),
    close: async () => {
      await queue.close();
      await timers.stop();
      await later.stop();
      await fires.close();
      await repositories.close();
    },
  };
}
