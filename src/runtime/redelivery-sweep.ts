// A bounded, periodic sweep that asks GitHub to redeliver webhook deliveries that never reached
// monobot (GitHub never redelivers on its own): each failed event once, within GitHub's 3-day window.
// Which guids were already asked for is kept behind `RequestedGuids`; the in-memory default forgets
// them on restart (a restart within 3 days may ask once more: harmless, intake dedupes by delivery
// id), so the durable store (journal or Redis) should implement it.
import type { Log } from "../log.js";

/** One attempt to deliver an event to the App's webhook, as `GET /app/hook/deliveries` lists it. */
export interface HookDeliveryAttempt {
  /** The attempt's id: what a redelivery request names. */
  id: number;
  /** The event's id (`X-GitHub-Delivery`), shared by every attempt to deliver that event. */
  guid: string;
  /** ISO 8601. */
  deliveredAt: string;
  /** HTTP status of monobot's answer (0: no answer). */
  statusCode: number;
  redelivery: boolean;
  event: string;
}

/** The narrow view of GitHub's App webhook deliveries that the sweep needs. */
export interface HookDeliveriesPort {
  /** One page of attempts, newest first; `next` is the cursor of the page after it, if any. */
  list(cursor?: string): Promise<{ deliveries: HookDeliveryAttempt[]; next?: string }>;
  /** Asks GitHub to deliver attempt `id` again (same guid); GitHub answers at once, sends later. */
  redeliver(id: number): Promise<void>;
}

/** The guids whose redelivery this sweep already asked for. A durable store should implement it. */
export interface RequestedGuids {
  has(guid: string): Promise<boolean>;
  add(guid: string): Promise<void>;
}

/** GitHub lists and redelivers deliveries of the past 3 days only. */
export const GITHUB_REDELIVERY_WINDOW_MS = 3 * 24 * 3600_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * The guids of `attempts` to redeliver, with the attempt to name: every attempt of the guid failed
 * (no 2xx, counting attempts seen outside the window), its newest failed attempt is within the
 * window, and the guid is not in `skip`. Ordered by that attempt's time, oldest first, so events
 * go back to monobot roughly in their order. Pure: the sweep's rule, table-tested on its own.
 */
export function failedDeliveries(
  attempts: readonly HookDeliveryAttempt[],
  options: { now: Date; windowMs?: number; skip?: (guid: string) => boolean },
): { guid: string; id: number; event: string; deliveredAt: string }[] {
  const since = options.now.getTime() - (options.windowMs ?? GITHUB_REDELIVERY_WINDOW_MS);
  const delivered = new Set<string>();
  const latest = new Map<string, HookDeliveryAttempt>();
  for (const a of attempts) {
    if (a.statusCode >= 200 && a.statusCode < 300) {
      delivered.add(a.guid);
      continue;
    }
    const at = Date.parse(a.deliveredAt);
    if (Number.isNaN(at) || at < since) continue;
    // The newest failed attempt is the one to name (a later one has the later id at equal times).
    const seen = latest.get(a.guid);
    const seenAt = seen ? Date.parse(seen.deliveredAt) : -Infinity;
    if (!seen || at > seenAt || (at === seenAt && a.id > seen.id)) latest.set(a.guid, a);
  }
  return [...latest.values()]
    .filter((a) => !delivered.has(a.guid) && !(options.skip?.(a.guid) ?? false))
    .sort((x, y) => Date.parse(x.deliveredAt) - Date.parse(y.deliveredAt) || x.id - y.id)
    .map((a) => ({ guid: a.guid, id: a.id, event: a.event, deliveredAt: a.deliveredAt }));
}

/** An in-memory {@link RequestedGuids} that forgets the oldest guid past `capacity`. */
export class BoundedGuidSet implements RequestedGuids {
  private readonly guids = new Set<string>();

  constructor(readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`BoundedGuidSet: capacity must be a positive integer, got ${capacity}`);
  }

  has(guid: string): Promise<boolean> {
    return Promise.resolve(this.guids.has(guid));
  }

  add(guid: string): Promise<void> {
    this.guids.delete(guid);
    this.guids.add(guid);
    while (this.guids.size > this.capacity) {
      const oldest = this.guids.values().next().value;
      if (oldest === undefined) break;
      this.guids.delete(oldest);
    }
    return Promise.resolve();
  }

  get size(): number {
    return this.guids.size;
  }
}

export interface SweepReport {
  pages: number;
  /** Attempts read. */
  attempts: number;
  /** Whether the listing stopped at the page cap with more pages left. */
  truncated: boolean;
  /** Guids whose redelivery was requested by this sweep. */
  requested: string[];
  /** Requests GitHub refused or that failed; a server error or a network failure is tried again next sweep. */
  failed: { guid: string; id: number; status?: number }[];
}

export interface RedeliverySweepOptions {
  port: HookDeliveriesPort;
  /** Metrics: called with the number of redeliveries each sweep requested (when more than 0). */
  redeliveriesRequested?: (count: number) => void;
  requested?: RequestedGuids;
  log?: Log;
  now?: () => Date;
  windowMs?: number;
  /** Pages of the listing read at most per sweep (100 attempts a page on GitHub). */
  maxPages?: number;
  /** Redeliveries requested at most per sweep; the rest wait for the next one. */
  maxRedeliveries?: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`redelivery sweep: ${name} must be a positive integer, got ${value}`);
  return value;
}

/** Runs {@link RedeliverySweep.sweep} once at `start` and then every interval, never two at once. */
export class RedeliverySweep {
  private readonly port: HookDeliveriesPort;
  private readonly requested: RequestedGuids;
  private readonly now: () => Date;
  private readonly windowMs: number;
  private readonly maxPages: number;
  private readonly maxRedeliveries: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport | undefined> | undefined;
  private stopped = true;

  constructor(private readonly options: RedeliverySweepOptions) {
    this.port = options.port;
    this.requested = options.requested ?? new BoundedGuidSet();
    this.now = options.now ?? (() => new Date());
    this.windowMs = positiveInteger("windowMs", options.windowMs ?? GITHUB_REDELIVERY_WINDOW_MS);
    this.maxPages = positiveInteger("maxPages", options.maxPages ?? 10);
    this.maxRedeliveries = positiveInteger("maxRedeliveries", options.maxRedeliveries ?? 100);
  }

  /** Reads the recent deliveries and asks for each failed guid's redelivery, once. */
  async sweep(): Promise<SweepReport> {
    const now = this.now();
    const since = now.getTime() - this.windowMs;
    const attempts: HookDeliveryAttempt[] = [];
    let cursor: string | undefined;
    let pages = 0;
    let truncated = false;
    for (;;) {
      const page = await this.port.list(cursor);
      pages++;
      attempts.push(...page.deliveries);
      // Newest first: once a page reaches past the window, every later page is older still.
      const pastWindow = page.deliveries.some((d) => Date.parse(d.deliveredAt) < since);
      if (!page.next || page.deliveries.length === 0 || pastWindow) break;
      if (pages >= this.maxPages) {
        truncated = true;
        break;
      }
      cursor = page.next;
    }
    const known = new Set<string>();
    for (const guid of new Set(attempts.map((a) => a.guid)))
      if (await this.requested.has(guid)) known.add(guid);
    const due = failedDeliveries(attempts, {
      now,
      windowMs: this.windowMs,
      skip: (guid) => known.has(guid),
    }).slice(0, this.maxRedeliveries);
    const report: SweepReport = {
      pages,
      attempts: attempts.length,
      truncated,
      requested: [],
      failed: [],
    };
    for (const d of due) {
      try {
        await this.port.redeliver(d.id);
        await this.requested.add(d.guid);
        report.requested.push(d.guid);
      } catch (e) {
        const status = (e as { status?: unknown }).status;
        if (typeof status !== "number") {
          report.failed.push({ guid: d.guid, id: d.id });
          continue;
        }
        report.failed.push({ guid: d.guid, id: d.id, status });
        // GitHub refused it for good (gone, too old, invalid): do not ask again every sweep.
        if (status >= 400 && status < 500) await this.requested.add(d.guid);
      }
    }
    if (report.requested.length > 0) this.options.redeliveriesRequested?.(report.requested.length);
    const quiet = report.requested.length === 0 && report.failed.length === 0;
    this.options.log?.[quiet ? "debug" : "info"](
      {
        pages,
        attempts: attempts.length,
        truncated,
        redeliveries: report.requested.length,
        failed: report.failed.length,
      },
      "redelivery sweep",
    );
    return report;
  }

  /** Sweeps now, then every `intervalMs` (default 10 minutes) until {@link stop}. */
  start(intervalMs = DEFAULT_SWEEP_INTERVAL_MS): void {
    positiveInteger("intervalMs", intervalMs);
    if (!this.stopped) throw new Error("redelivery sweep: already started");
    this.stopped = false;
    const tick = (): void => {
      this.running = this.sweep().catch((e: unknown) => {
        // A sweep that failed (GitHub down, bad credentials) is tried again at the next tick.
        this.options.log?.warn(
          { err: e instanceof Error ? e.message : String(e) },
          "redelivery sweep failed",
        );
        return undefined;
      });
      void this.running.then(() => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, intervalMs);
        this.timer.unref();
      });
    };
    tick();
  }

  /** Stops the timer and waits for a sweep under way to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

/** What {@link GitHubHookDeliveries} needs of an app-authenticated Octokit (`await probot.auth()`). */
export interface AppOctokit {
  request(
    route: string,
    params?: Record<string, unknown>,
  ): Promise<{ data: unknown; headers: Record<string, string | number | undefined> }>;
}

interface RestHookDeliveryItem {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
  redelivery: boolean;
  event: string;
}

/** The `cursor` of GitHub's `Link: <...&cursor=X>; rel="next"`, if there is a next page. */
export function nextCursor(link: string | number | undefined): string | undefined {
  if (typeof link !== "string") return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (!m?.[1]) continue;
    try {
      return new URL(m[1]).searchParams.get("cursor") ?? undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** {@link HookDeliveriesPort} over GitHub's REST API, authenticated as the App (its JWT). */
export class GitHubHookDeliveries implements HookDeliveriesPort {
  constructor(
    private readonly octokit: AppOctokit,
    private readonly perPage = 100,
  ) {
    positiveInteger("perPage", perPage);
  }

  async list(cursor?: string): Promise<{ deliveries: HookDeliveryAttempt[]; next?: string }> {
    const res = await this.octokit.request("GET /app/hook/deliveries", {
      per_page: this.perPage,
      ...(cursor ? { cursor } : {}),
    });
    if (!Array.isArray(res.data))
      throw new Error("GET /app/hook/deliveries: expected a JSON array of deliveries");
    const deliveries = (res.data as RestHookDeliveryItem[]).map((d) => ({
      id: d.id,
      guid: d.guid,
      deliveredAt: d.delivered_at,
      statusCode: d.status_code,
      redelivery: d.redelivery,
      event: d.event,
    }));
    const next = nextCursor(res.headers.link);
    return next ? { deliveries, next } : { deliveries };
  }

  async redeliver(id: number): Promise<void> {
    await this.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: id,
    });
  }
}
