// The work queue between webhook intake and handlers: bounded, per-PR serialized, deduplicated.

export interface Job {
  /** The webhook delivery id: a job whose delivery was seen already is dropped. */
  deliveryId: string;
  /** Jobs with the same key never run at the same time (e.g. `owner/repo#12`). */
  key: string;
  /**
   * Jobs with the same supersede key replace each other while queued: a newer head makes
   * queued work for an older head pointless (e.g. `verify:owner/repo#12`).
   */
  supersedeKey?: string;
  run(): Promise<void>;
}

export type EnqueueResult = "queued" | "duplicate" | "full" | "closed";

/** The queue as the server sees it; a shared (Redis-backed) queue can stand in for several replicas. */
export interface WorkQueue {
  enqueue(job: Job): EnqueueResult;
  /** Jobs waiting plus jobs running. */
  size(): number;
  /**
   * Stop taking jobs and wait for the work in hand; after `timeoutMs`, give back the jobs not started
   * (their delivery ids, so they can be redelivered) and stop waiting.
   */
  drain(timeoutMs: number): Promise<{ finished: boolean; handedBack: string[] }>;
  /** Resolves when nothing is waiting or running (tests and the demo wait on it). */
  idle(): Promise<void>;
}

export interface InProcessQueueOptions {
  /** Most jobs waiting at once; more are refused (the intake answers 503 so GitHub shows a failure). */
  maxPending?: number;
  /** Jobs of different keys running at once. */
  concurrency?: number;
  /** Delivery ids remembered for deduplication. */
  rememberDeliveries?: number;
  onError?: (job: Job, error: unknown) => void;
  /** Called when a queued job is replaced by a newer one with the same supersede key. */
  onSuperseded?: (job: Job) => void;
}

export class InProcessQueue implements WorkQueue {
  readonly #pending: Job[] = [];
  readonly #runningKeys = new Set<string>();
  readonly #seen = new Set<string>();
  readonly #maxPending: number;
  readonly #concurrency: number;
  readonly #remember: number;
  readonly #options: InProcessQueueOptions;
  #running = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(options: InProcessQueueOptions = {}) {
    this.#options = options;
    this.#maxPending = options.maxPending ?? 1000;
    this.#concurrency = options.concurrency ?? 4;
    this.#remember = options.rememberDeliveries ?? 10_000;
  }

  enqueue(job: Job): EnqueueResult {
    if (this.#closed) return "closed";
    if (this.#seen.has(job.deliveryId)) return "duplicate";
    if (job.supersedeKey) {
      const older = this.#pending.findIndex((p) => p.supersedeKey === job.supersedeKey);
      if (older >= 0) {
        const [dropped] = this.#pending.splice(older, 1);
        if (dropped) this.#options.onSuperseded?.(dropped);
      }
    }
    if (this.#pending.length >= this.#maxPending) return "full";
    this.#rememberDelivery(job.deliveryId);
    this.#pending.push(job);
    this.#pump();
    return "queued";
  }

  size(): number {
    return this.#pending.length + this.#running;
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

  #start(job: Job): void {
    this.#running++;
    this.#runningKeys.add(job.key);
    void job
      .run()
      .catch((e: unknown) => this.#options.onError?.(job, e))
      .finally(() => {
        this.#running--;
        this.#runningKeys.delete(job.key);
        this.#pump();
      });
  }
}
