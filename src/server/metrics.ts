// Prometheus metrics of the server: events by name and outcome, handler time, GitHub API calls.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export class Metrics {
  readonly registry = new Registry();
  readonly events: Counter<"event" | "outcome">;
  readonly handlerSeconds: Histogram<"event" | "outcome">;
  readonly githubRequests: Counter<"method" | "status">;
  readonly queueRejected: Counter<"reason">;

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
  }
}
