// Prometheus metrics of the server: events by name and outcome, handler time, GitHub API calls.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly events: Counter<"event" | "outcome">;
  readonly handlerSeconds: Histogram<"event" | "outcome">;
  readonly githubRequests: Counter<"method" | "status">;
  readonly queueRejected: Counter<"reason">;
  readonly jobsRecovered: Counter;
  readonly redeliveriesRequested: Counter;
  #queue: { size(): number; oldestWaitingMs?(): number | null } | undefined;
  #log: { readonly dropped: number } | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics)
      collectDefaultMetrics({ register: this.registry, prefix: "monobot_" });
    this.events = new Counter({
      name: "monobot_webhook_events_total",
      help: "Webhook events received, by event name and outcome",
      labelNames: ["event", "outcome"],
      registers: [this.registry],
    });
    this.handlerSeconds = new Histogram({
      name: "monobot_handler_duration_seconds",
      help: "Time spent handling an event's queued work",
      labelNames: ["event", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [this.registry],
    });
    this.githubRequests = new Counter({
      name: "monobot_github_requests_total",
      help: "Requests made to the GitHub API, by method and HTTP status",
      labelNames: ["method", "status"],
      registers: [this.registry],
    });
    this.queueRejected = new Counter({
      name: "monobot_queue_rejected_total",
      help: "Deliveries not queued, by reason (duplicate, full, closed)",
      labelNames: ["reason"],
      registers: [this.registry],
    });
    this.jobsRecovered = new Counter({
      name: "monobot_jobs_recovered_total",
      help: "Jobs accepted before a restart and run again after it (from the journal)",
      registers: [this.registry],
    });
    this.redeliveriesRequested = new Counter({
      name: "monobot_webhook_redeliveries_requested_total",
      help: "Deliveries GitHub failed to hand over that the sweep asked it to redeliver",
      registers: [this.registry],
    });
    const logSink = () => this.#log;
    let droppedSeen = 0;
    new Counter({
      name: "monobot_log_lines_dropped_total",
      help: "Log lines dropped because standard output was closed, failing or not read",
      registers: [this.registry],
      collect() {
        const dropped = logSink()?.dropped ?? 0;
        if (dropped > droppedSeen) this.inc(dropped - droppedSeen);
        droppedSeen = dropped;
      },
    });
    const queue = () => this.#queue;
    new Gauge({
      name: "monobot_queue_depth",
      help: "Jobs waiting or running in this process",
      registers: [this.registry],
      collect() {
        this.set(queue()?.size() ?? 0);
      },
    });
    new Gauge({
      name: "monobot_queue_oldest_job_age_seconds",
      help: "How long the oldest waiting job has waited (0 when none waits)",
      registers: [this.registry],
      collect() {
        this.set((queue()?.oldestWaitingMs?.() ?? 0) / 1000);
      },
    });
  }

  /** The log destination whose dropped lines the counter reports. */
  watchLog(sink: { readonly dropped: number }): void {
    this.#log = sink;
  }

  /** The queue whose depth and oldest job the gauges report. */
  watchQueue(queue: { size(): number; oldestWaitingMs?(): number | null }): void {
    this.#queue = queue;
  }
}
