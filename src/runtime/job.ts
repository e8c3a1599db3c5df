// Jobs are plain data: what the queue carries between intake and a handler, on disk or in Redis.

/** A JSON value: what a job spec may hold, so a job can be written to a journal or to Redis. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One unit of queued work; the consumer finds the handler by name and builds its clients. */
export interface QueuedJob {
  /** The registered handler's name (e.g. `pull-request`). */
  handler: string;
  /** The webhook delivery id (or a derived id): a job whose delivery was seen already is dropped. */
  deliveryId: string;
  /** Jobs with the same key never run at the same time (e.g. `owner/repo#12`). */
  key: string;
  /**
   * Jobs with the same supersede key replace each other while queued: a newer head makes
   * queued work for an older head pointless (e.g. `verify:owner/repo#12`).
   */
  supersedeKey?: string;
  /** The GitHub App installation the work acts for; clients are built from it. */
  installationId?: number;
  /** The handler's own plain, JSON-serialisable description of the work. */
  spec: Json;
}

export type EnqueueResult = "queued" | "duplicate" | "full" | "closed";

/** Runs one job; a rejection is logged by the queue and the job counts as finished. */
export type JobRunner = (job: QueuedJob) => Promise<void>;

/** The queue as intake sees it: in-process, a durable journal, or Redis stand behind it. */
export interface JobQueue {
  /** Resolves once the job is accepted durably (the webhook is answered after that). */
  enqueue(job: QueuedJob): Promise<EnqueueResult>;
  /** Jobs waiting plus jobs running (in this process). */
  size(): number;
  /** How long the oldest waiting job has waited, in ms; null when none waits (for metrics). */
  oldestWaitingMs?(): number | null;
  /**
   * Stop taking jobs and wait for the work in hand; after `timeoutMs`, give back the jobs not
   * started (their delivery ids) and stop waiting.
   */
  drain(timeoutMs: number): Promise<{ finished: boolean; handedBack: string[] }>;
  /** Resolves when nothing is waiting or running (tests and the demo wait on it). */
  idle(): Promise<void>;
}

/**
 * A handler's spec as the queue carries it. Specs are typed as interfaces, which TypeScript
 * does not take as JSON index types; every handler's specs are checked to round-trip through
 * JSON in test/handlers, so this cast is the one place that trusts it.
 */
export function jobSpec(spec: unknown): Json {
  return spec as Json;
}
