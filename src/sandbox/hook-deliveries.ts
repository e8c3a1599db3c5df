// The App webhook's delivery log, as GitHub keeps it: every attempt with its guid and the app's answer,
// listed newest first with cursor pagination, and redelivered on request.
import { notFound } from "./errors.js";

/** One attempt to deliver an event to the App's webhook URL. */
export interface HookDelivery {
  /** The attempt's own id (GitHub's `id`); a redelivery gets a new one. */
  id: number;
  /** The event's id, sent as `X-GitHub-Delivery`; shared by every attempt of one event. */
  guid: string;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  /** HTTP status of the app's answer; 0 when no answer came. */
  statusCode: number;
  /** GitHub's words for the outcome: `OK`, `Invalid HTTP Response: 503`, `failed to connect`... */
  status: string;
  durationSeconds: number;
  /** ISO 8601, whole seconds, UTC. */
  deliveredAt: string;
  redelivery: boolean;
  /** The exact body sent, so a redelivery sends the same bytes. */
  body: string;
}

export type HookDeliveryInput = Omit<HookDelivery, "id" | "status" | "deliveredAt"> & {
  deliveredAt: Date;
  /** Why no answer came (connection refused, timeout), when `statusCode` is 0. */
  error?: string;
};

/** GitHub's status text for an attempt. */
function statusText(statusCode: number, error: string | undefined): string {
  if (statusCode >= 200 && statusCode < 300) return "OK";
  if (statusCode > 0) return `Invalid HTTP Response: ${statusCode}`;
  return error && /timeout|timed out|abort/i.test(error) ? "timed out" : "failed to connect";
}

const CURSOR = /^v1_(\d+)$/;

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class HookDeliveryLog {
  private readonly attempts: HookDelivery[] = [];
  // Ids in the range of GitHub's (int64, about 10^10 today), unrelated to the sandbox's other ids.
  private nextId = 40_000_000_000;
  private readonly inFlight = new Set<Promise<void>>();
  /** Redeliveries that could not be sent at all (the sandbox's own faults, not the app's answers). */
  readonly failures: string[] = [];
  /**
   * Sends an attempt again to the App's webhook URL, with the same guid, and records the new attempt
   * (set by the driver, which knows the URL and the secret).
   */
  resend: ((attempt: HookDelivery) => Promise<void>) | undefined;

  record(input: HookDeliveryInput): HookDelivery {
    const { error, deliveredAt, ...rest } = input;
    const attempt: HookDelivery = {
      ...rest,
      id: ++this.nextId,
      status: statusText(input.statusCode, error),
      deliveredAt: iso(deliveredAt),
    };
    this.attempts.push(attempt);
    return attempt;
  }

  get(id: number): HookDelivery {
    const found = this.attempts.find((a) => a.id === id);
    if (!found) throw notFound();
    return found;
  }

  hasGuid(guid: string): boolean {
    return this.attempts.some((a) => a.guid === guid);
  }

  /** Every attempt, oldest first. */
  all(): HookDelivery[] {
    return [...this.attempts];
  }

  /**
   * One page, newest first (by `delivered_at`, then id, as a backdated delivery sorts among older
   * ones): `cursor` (from the previous page's `next`) starts after that attempt; `status` keeps only
   * 2xx (`success`) or other (`failure`) attempts.
   */
  page(options: { perPage: number; cursor?: string | null; status?: string | null }): {
    items: HookDelivery[];
    next?: string;
  } {
    let items = [...this.attempts].sort(
      (a, b) => Date.parse(b.deliveredAt) - Date.parse(a.deliveredAt) || b.id - a.id,
    );
    if (options.status === "success" || options.status === "failure") {
      const wanted = options.status === "success";
      items = items.filter((a) => (a.statusCode >= 200 && a.statusCode < 300) === wanted);
    }
    if (options.cursor) {
      const after = CURSOR.exec(options.cursor);
      // GitHub treats a cursor it did not hand out as the end of the list.
      const at = after ? items.findIndex((a) => a.id === Number(after[1])) : -1;
      items = at < 0 ? [] : items.slice(at + 1);
    }
    const slice = items.slice(0, options.perPage);
    const last = slice.at(-1);
    return items.length > slice.length && last
      ? { items: slice, next: `v1_${last.id}` }
      : { items: slice };
  }

  /** Starts a redelivery of attempt `id` (GitHub answers 202 at once and delivers afterwards). */
  redeliver(id: number): void {
    const attempt = this.get(id);
    const resend = this.resend;
    if (!resend) throw new Error("the sandbox has no webhook sender for redeliveries");
    const sending: Promise<void> = resend(attempt)
      .catch((e: unknown) => {
        this.failures.push(
          `redelivery of ${attempt.id}: ${e instanceof Error ? e.message : String(e)}`,
        );
      })
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  /** Resolves once every redelivery started so far has been answered (or failed). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
