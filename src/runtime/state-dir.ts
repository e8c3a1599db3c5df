// One process's durable state in MONOBOT_STATE_DIR: the queue, run timers and schedule fires.
import { resolve } from "node:path";
import { DurableQueue, type DurableQueueOptions } from "./durable-queue.js";
import { JournalFireStore } from "./fire-store.js";
import type { JobRunner } from "./job.js";
import { Journal, type JournalOptions, type JournalRecovery } from "./journal.js";
import { JournalTimerStore } from "./timer-store.js";

/** Where the state lives: `MONOBOT_STATE_DIR`, else `.monobot` in the working directory. */
export function stateDirFrom(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  const dir = env.MONOBOT_STATE_DIR?.trim();
  return resolve(cwd, dir ? dir : ".monobot");
}

export interface StateDir {
  readonly dir: string;
  readonly journal: Journal;
  /** What opening found: lines read and skipped, a torn last line, a dead process's lock. */
  readonly recovery: JournalRecovery;
  readonly queue: DurableQueue;
  /** Run timeouts (RunTimeouts' store). */
  readonly timers: JournalTimerStore;
  /** The scheduler's fires. */
  readonly fires: JournalFireStore;
  /** Stops the timers and closes the journal (after the queue's drain). */
  close(): Promise<void>;
}

/**
 * Opens the state directory: one journal behind the queue, the run timers and the schedule
 * fires. Throws StateDirLockedError (another live process) or StateDirUnusableError (not
 * writable). Call `queue.recover()` once the handlers are registered.
 */
export async function openStateDir(
  dir: string,
  runner: JobRunner,
  options: DurableQueueOptions & Pick<JournalOptions, "lockStaleMs" | "onLockLost"> = {},
): Promise<StateDir> {
  const journal = Journal.open(dir, {
    ...(options.rememberDeliveries !== undefined
      ? { rememberDeliveries: options.rememberDeliveries }
      : {}),
    ...(options.compactBytes !== undefined ? { compactBytes: options.compactBytes } : {}),
    ...(options.lockStaleMs !== undefined ? { lockStaleMs: options.lockStaleMs } : {}),
    ...(options.onLockLost ? { onLockLost: options.onLockLost } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  // The queue owns the journal: closing the queue closes it.
  const queue = new DurableQueue(journal, runner, options, true);
  const timers = new JournalTimerStore(journal, "run-timeout:", options.log);
  const fires = new JournalFireStore(journal);
  return {
    dir: journal.dir,
    journal,
    recovery: journal.recovery,
    queue,
    timers,
    fires,
    close: async () => {
      await timers.stop();
      // The queue opened the journal: closing it closes the journal too.
      await queue.close();
    },
  };
}
