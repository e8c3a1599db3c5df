// A bounded in-memory record of the jobs this process ran, for the status page's operator view.
import { redactSecrets } from "../core/redact.js";
import type { QueuedJob } from "./job.js";

/** One finished job as the status page shows it; never holds a secret (errors are redacted). */
export interface ActivityEntry {
  /** ISO time the job finished. */
  at: string;
  deliveryId: string;
  /** The handler that ran it, which names the event (`pull-request`, `push`, ...). */
  event: string;
  /** `owner/name` when the job's key names one, else null. */
  repository: string | null;
  installationId: number | null;
  outcome: "success" | "error";
  durationMs: number;
  error: string | null;
}

/** Errors longer than this are cut: the page shows a line, the log keeps the whole story. */
const MAX_ERROR_CHARS = 500;

/** The repository a job key names: keys start with `owner/name` followed by `#`, `@` or `:`. */
export function repositoryOfKey(key: string): string | null {
  const m = /^(?:[a-z-]+:)?([A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+)(?=$|[#@:])/.exec(key);
  return m?.[1] ?? null;
}

/**
 * The last `capacity` jobs, newest last, in a ring so recording stays O(1) at any volume. Per
 * process: with several replicas each shows the jobs it ran itself.
 */
export class ActivityLog {
  readonly #ring: (ActivityEntry | undefined)[];
  #next = 0;
  #count = 0;
  #total = 0;

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`activity log capacity must be a positive whole number (got ${capacity})`);
    this.#ring = new Array<ActivityEntry | undefined>(capacity);
  }

  /** Records a finished job; the error text goes through the secret redaction first. */
  record(
    job: Pick<QueuedJob, "handler" | "deliveryId" | "key" | "installationId">,
    outcome: ActivityEntry["outcome"],
    durationMs: number,
    error?: unknown,
    at: Date = new Date(),
  ): ActivityEntry {
    const message =
      error === undefined
        ? null
        : redactSecrets(String((error as { message?: unknown }).message ?? error)).slice(
            0,
            MAX_ERROR_CHARS,
          );
    const entry: ActivityEntry = {
      at: at.toISOString(),
      deliveryId: job.deliveryId,
      event: job.handler,
      repository: repositoryOfKey(job.key),
      installationId: job.installationId ?? null,
      outcome,
      durationMs: Math.round(durationMs * 10) / 10,
      error: message,
    };
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.capacity;
    this.#count = Math.min(this.#count + 1, this.capacity);
    this.#total += 1;
    return entry;
  }

  /** Jobs recorded since start-up, including those the ring has dropped. */
  get total(): number {
    return this.#total;
  }

  get size(): number {
    return this.#count;
  }

  /** Up to `limit` entries that `keep` accepts, newest first. */
  recent(limit: number, keep: (e: ActivityEntry) => boolean = () => true): ActivityEntry[] {
    const out: ActivityEntry[] = [];
    for (let i = 1; i <= this.#count && out.length < limit; i++) {
      const e = this.#ring[(this.#next - i + this.capacity) % this.capacity];
      if (e && keep(e)) out.push(e);
    }
    return out;
  }

  /** Errors among the entries kept (the page's aggregate health). */
  errorCount(): number {
    let n = 0;
    for (const e of this.#ring) if (e?.outcome === "error") n++;
    return n;
  }
}
