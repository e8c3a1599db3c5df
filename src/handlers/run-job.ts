// The queue's consumer: finds a job's handler by name and runs its spec with the services.
import type { Log } from "../log.js";
import type { JobRunner, QueuedJob } from "../runtime/job.js";
import type { Metrics } from "../server/metrics.js";
import { eventDeliveryOf } from "../workflows/job-context.js";
import type { RegisteredHandler, Services } from "./handler.js";

/** Errors from Octokit carry request headers; keep only what is safe to log. */
export function redactError(e: unknown): { name?: string; message: string; status?: number } {
  const err = e as { name?: string; message?: string; status?: number };
  return {
    name: err.name ?? "Error",
    message: String(err.message ?? e),
    ...(err.status ? { status: err.status } : {}),
  };
}

export function jobRunner(deps: {
  handlers: readonly RegisteredHandler[];
  services: Services;
  log: Log;
  metrics?: Metrics;
  /** Told of every job that ran, with its time (the status page's activity record). */
  onFinished?: (job: QueuedJob, outcome: "success" | "error", ms: number, error?: unknown) => void;
}): JobRunner {
  const byName = new Map(deps.handlers.map((h) => [h.name, h]));
  return async (job) => {
    const log = deps.log.child({ delivery: job.deliveryId, handler: job.handler });
    const handler = byName.get(job.handler);
    if (!handler) {
      // A journaled job of a handler this version no longer has: say so once, drop it.
      log.error(`no handler named "${job.handler}": job dropped`);
      return;
    }
    const end = deps.metrics?.handlerSeconds.startTimer({ event: job.handler });
    const started = performance.now();
    try {
      // The jobs of one event read the policy once between them (the factory keeps it per event).
      const clients = deps.services.clients.forDelivery(eventDeliveryOf(job.deliveryId));
      await handler.run(job.spec, {
        deliveryId: job.deliveryId,
        installationId: job.installationId,
        services: { ...deps.services, clients },
        log,
      });
      end?.({ outcome: "success" });
      deps.onFinished?.(job, "success", performance.now() - started);
    } catch (e) {
      end?.({ outcome: "error" });
      deps.onFinished?.(job, "error", performance.now() - started, e);
      log.error({ err: redactError(e) }, `${job.handler} failed`);
      throw e;
    }
  };
}
