// The single-process default queue: each job is journaled (fsync'd) before it is accepted.
import type { Log } from "../log.js";
import { InProcessQueue, type InProcessQueueOptions } from "./in-process-queue.js";
import type { EnqueueResult, JobQueue, JobRunner, QueuedJob } from "./job.js";
import { Journal, JournalClosedError, type JournalOptions } from "./journal.js";

export interface DurableQueueOptions extends InProcessQueueOptions {
  /** See JournalOptions.compactBytes (used when `open` opens the journal). */
  compactBytes?: number;
  /** Where journal write failures are reported. */
  log?: Log;
}

/**
 * A JobQueue that journals every job before accepting it and marks it done once it ran (or was
 * superseded), then hands it to an InProcessQueue. After a crash, `recover()` enqueues again what
 * was accepted and not done (at least once: handlers are idempotent).
 */
export class DurableQueue implements JobQueue {
  readonly journal: Journal;
  readonly #inner: InProcessQueue;
  readonly #seen = new Set<string>();
  readonly #remember: number;
  readonly #log: Log | undefined;
  readonly #ownsJournal: boolean;
  /** Jobs accepted at start-up and not done: what `recover()` enqueues. */
  #unfinished: QueuedJob[];
  /** Supersede keys of jobs accepted before `recover()`: recovered jobs they replace are done. */
  readonly #newerHeads = new Set<string>();
  readonly #onSuperseded: ((job: QueuedJob) => void) | undefined;
  /** Jobs whose record is being written (counted against `maxPending`). */
  #reserved = 0;
  readonly #writes = new Set<Promise<unknown>>();
  /** Journaled after a drain began: they run after the restart. */
  readonly #parked: string[] = [];
  #closed = false;

  /**
   * Opens (creating) the journal in `dir` and a queue over it. Throws StateDirLockedError when
   * another live process holds `dir`. Call `recover()` once handlers can run.
   */
  static async open(
    dir: string,
    runner: JobRunner,
    options: DurableQueueOptions = {},
  ): Promise<DurableQueue> {
    const journalOptions: JournalOptions = {
      ...(options.rememberDeliveries !== undefined
        ? { rememberDeliveries: options.rememberDeliveries }
        : {}),
      ...(options.compactBytes !== undefined ? { compactBytes: options.compactBytes } : {}),
      ...(options.log ? { log: options.log } : {}),
    };
    return new DurableQueue(Journal.open(dir, journalOptions), runner, options, true);
  }

  /** A queue over a journal opened by the caller (who closes it). */
  constructor(
    journal: Journal,
    runner: JobRunner,
    options: DurableQueueOptions = {},
    ownsJournal = false,
  ) {
    this.journal = journal;
    this.#ownsJournal = ownsJournal;
    this.#log = options.log;
    this.#remember = options.rememberDeliveries ?? 10_000;
    this.#onSuperseded = options.onSuperseded;
    const { state } = journal;
    for (const id of state.seen) this.#rememberDelivery(id);
    this.#unfinished = [...state.jobs.values()];
    for (const job of this.#unfinished) this.#rememberDelivery(job.deliveryId);
    this.#inner = new InProcessQueue(
      async (job) => {
        try {
          await runner(job);
        } finally {
          // Not awaited: the key's next job need not wait for the record (written lazily).
          this.#track(this.#finish(job.deliveryId));
        }
      },
      {
        ...options,
        onSuperseded: (job) => this.#superseded(job),
      },
    );
  }

  /**
   * Enqueues the jobs accepted before a restart and not finished, oldest first (once; later
   * calls return 0). Returns how many.
   */
  async recover(): Promise<number> {
    const jobs = this.#unfinished;
    this.#unfinished = [];
    // The newest job of each supersede key: an older one (its `done`, written lazily, lost in
    // the crash) would only be replaced, or run first if its key were free.
    const newest = new Map<string, string>();
    for (const job of jobs) if (job.supersedeKey) newest.set(job.supersedeKey, job.deliveryId);
    let count = 0;
    for (const job of jobs) {
      // Work for an older head, when a newer one arrived since the start (or before the crash):
      // as if queued together.
      if (
        job.supersedeKey !== undefined &&
        (this.#newerHeads.has(job.supersedeKey) || newest.get(job.supersedeKey) !== job.deliveryId)
      ) {
        this.#superseded(job);
        continue;
      }
      if (this.#inner.offer(job, { ignoreBound: true }) === "queued") count++;
      else this.#parked.push(job.deliveryId);
    }
    this.#newerHeads.clear();
    return count;
  }

  async enqueue(job: QueuedJob): Promise<EnqueueResult> {
    checkJob(job);
    if (this.#closed || this.#inner.closed) return "closed";
    if (this.#seen.has(job.deliveryId)) return "duplicate";
    const replaces = job.supersedeKey !== undefined && this.#inner.hasWaiting(job.supersedeKey);
    if (!replaces && this.#inner.waiting() + this.#reserved >= this.#inner.maxPending) {
      return "full";
    }
    // Taken now, so a concurrent redelivery is a duplicate while this one is written.
    this.#rememberDelivery(job.deliveryId);
    this.#reserved++;
    const write = this.journal.append({ t: "job", job });
    this.#track(write);
    try {
      await write;
    } catch (e) {
      this.#seen.delete(job.deliveryId);
      throw e;
    } finally {
      this.#reserved--;
    }
    if (job.supersedeKey !== undefined && this.#unfinished.length > 0) {
      this.#newerHeads.add(job.supersedeKey);
    }
    // Accepted durably: past the bound if need be; after a drain began it waits for the restart.
    if (this.#inner.offer(job, { ignoreBound: true }) === "closed") {
      this.#parked.push(job.deliveryId);
    }
    return "queued";
  }

  oldestWaitingMs(): number | null {
    return this.#inner.oldestWaitingMs();
  }

  size(): number {
    return this.#inner.size() + this.#reserved;
  }

  /**
   * Stops taking jobs and waits for the work in hand. Jobs not started stay in the journal (they
   * run after the restart); their delivery ids are handed back for the log.
   */
  async drain(timeoutMs: number): Promise<{ finished: boolean; handedBack: string[] }> {
    this.#closed = true;
    const started = Date.now();
    void this.journal.flush().catch(() => undefined);
    await Promise.allSettled([...this.#writes]);
    const result = await this.#inner.drain(Math.max(0, timeoutMs - (Date.now() - started)));
    const handedBack = [...this.#parked, ...result.handedBack];
    return { finished: result.finished && this.#parked.length === 0, handedBack };
  }

  async idle(): Promise<void> {
    while (this.#writes.size > 0 || this.#inner.size() > 0) {
      // The `done` records are written now rather than when the lazy timer fires.
      void this.journal.flush().catch(() => undefined);
      await Promise.allSettled([...this.#writes]);
      await this.#inner.idle();
    }
  }

  /** Closes the journal when `open` opened it (after `drain`, and after the stores sharing it). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#writes]);
    if (this.#ownsJournal) await this.journal.close();
  }

  #superseded(job: QueuedJob): void {
    this.#track(this.#finish(job.deliveryId));
    this.#onSuperseded?.(job);
  }

  /**
   * Records the job done, lazily (its loss in a crash only runs the job again); a closed journal
   * leaves it to run again after the restart.
   */
  #finish(deliveryId: string): Promise<void> {
    return this.journal.appendLater({ t: "done", id: deliveryId }).catch((e: unknown) => {
      if (e instanceof JournalClosedError) return;
      this.#log?.warn(
        { deliveryId, err: (e as Error).message },
        "journal: could not record a job done; it runs again after a restart",
      );
    });
  }

  #track(write: Promise<unknown>): void {
    const forget = (): void => void this.#writes.delete(settled);
    const settled: Promise<void> = write.then(forget, forget);
    this.#writes.add(settled);
  }

  #rememberDelivery(id: string): void {
    this.#seen.delete(id);
    this.#seen.add(id);
    if (this.#seen.size > this.#remember) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}

/** A job must survive a trip through JSON: the names the queue relies on are strings. */
function checkJob(job: QueuedJob): void {
  for (const field of ["handler", "deliveryId", "key"] as const) {
    if (typeof job[field] !== "string" || job[field] === "") {
      throw new TypeError(`a queued job needs a non-empty string ${field} (got ${job[field]})`);
    }
  }
  if (job.spec === undefined) {
    throw new TypeError(`the job ${job.deliveryId} has no spec (use null for none)`);
  }
}
