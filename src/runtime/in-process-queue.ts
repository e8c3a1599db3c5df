// The in-memory job queue: bounded, serialized per key, deduplicated, newer work superseding older.
import type { EnqueueResult, JobQueue, JobRunner, QueuedJob } from "./job.js";

export interface InProcessQueueOptions {
  /** Most jobs waiting at once; more are refused (the intake answers 503 so GitHub shows a failure). */
  maxPending?: number;
  /** Jobs of different keys running at once. */
  concurrency?: number;
  /** Delivery ids remembered for deduplication. */
  rememberDeliveries?: number;
  /** A job's runner rejected; the job counts as finished. */
  onError?: (job: QueuedJob, error: unknown) => void;
  /** Called when a queued job is replaced by a newer one with the same supersede key. */
  onSuperseded?: (job: QueuedJob) => void;
}

export class InProcessQueue implements JobQueue {
  readonly #pending: QueuedJob[] = [];
  /** When each waiting job was queued, for the oldest job's age. */
  readonly #queuedAt = new WeakMap<QueuedJob, number>();
  readonly #runningKeys = new Set<string>();
  readonly #seen = new Set<string>();
  readonly #maxPending: number;
  readonly #concurrency: number;
  readonly #remember: number;
  readonly #options: InProcessQueueOptions;
  #running = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(
    private readonly runner: JobRunner,
    options: InProcessQueueOptions = {},
  ) {
    this.#options = options;
    this.#maxPending = positive(options.maxPending ?? 1000, "maxPending");
    this.#concurrency = positive(options.concurrency ?? 4, "concurrency");
    this.#remember = positive(options.rememberDeliveries ?? 10_000, "rememberDeliveries");
  }

  get maxPending(): number {
    return this.#maxPending;
  }

  enqueue(job: QueuedJob): Promise<EnqueueResult> {
    return Promise.resolve(this.offer(job));
  }

  /**
   * `enqueue`, answered at once. `ignoreBound` takes a job past `maxPending`: a wrapping queue
   * that accepted it durably already (or recovers it after a restart) must not drop it.
   */
  offer(job: QueuedJob, { ignoreBound = false }: { ignoreBound?: boolean } = {}): EnqueueResult {
    if (this.#closed) return "closed";
    if (this.#seen.has(job.deliveryId)) return "duplicate";
    if (job.supersedeKey) {
      const older = this.#pending.findIndex((p) => p.supersedeKey === job.supersedeKey);
      if (older >= 0) {
        const [dropped] = this.#pending.splice(older, 1);
        if (dropped) this.#options.onSuperseded?.(dropped);
      }
    }
    if (!ignoreBound && this.#pending.length >= this.#maxPending) return "full";
    this.#rememberDelivery(job.deliveryId);
    this.#pending.push(job);
    this.#queuedAt.set(job, Date.now());
    this.#pump();
    return "queued";
  }

  /** Jobs waiting (not started). */
  waiting(): number {
    return this.#pending.length;
  }

  /** Whether a job with this supersede key waits (a newer one would replace it). */
  hasWaiting(supersedeKey: string): boolean {
    return this.#pending.some((p) => p.supersedeKey === supersedeKey);
  }

  /** Whether the queue stopped taking jobs (a drain began). */
  get closed(): boolean {
    return this.#closed;
  }

  size(): number {
    return this.#pending.length + this.#running;
  }

  oldestWaitingMs(): number | null {
    let oldest: number | undefined;
    for (const job of this.#pending) {
      const at = this.#queuedAt.get(job);
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest === undefined ? null : Date.now() - oldest;
  }

  async drain(timeoutMs: number): Promise<{ finished: boolean; handedBack: string[] }> {
    this.#closed = true;
    if (this.size() === 0) return { finished: true, handedBack: [] };
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => this.#idle.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([done, timeout]);
    clearTimeout(timer);
    if (finished) return { finished: true, handedBack: [] };
    const handedBack = this.#pending.splice(0).map((j) => j.deliveryId);
    return { finished: false, handedBack };
  }

  idle(): Promise<void> {
    if (this.size() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #rememberDelivery(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > this.#remember) {
      const oldest = this.#seen.values().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }

  #pump(): void {
    while (this.#running < this.#concurrency) {
      const index = this.#pending.findIndex((j) => !this.#runningKeys.has(j.key));
      if (index < 0) break;
      const [job] = this.#pending.splice(index, 1);
      if (!job) break;
      this.#start(job);
    }
    if (this.size() === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  #start(job: QueuedJob): void {
    this.#running++;
    this.#runningKeys.add(job.key);
    let running: Promise<void>;
    try {
      running = this.runner(job);
    } catch (e) {
      // A runner that throws at once counts like one that rejects.
      running = Promise.reject(e);
    }
    void running
      .catch((e: unknown) => this.#options.onError?.(job, e))
      .finally(() => {
        this.#running--;
        this.#runningKeys.delete(job.key);
        this.#pump();
      });
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`InProcessQueue: ${name} must be a whole number of at least 1 (got ${value})`);
  }
  return value;
}
