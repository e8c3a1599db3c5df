// The Probot app: subscribes each registered handler to its events and enqueues the jobs it plans.
import type { Context, Probot } from "probot";
import type { RegisteredHandler, Services } from "./handlers/handler.js";
import type { Log } from "./log.js";
import { jobSpec, type JobQueue } from "./runtime/job.js";
import type { Metrics } from "./server/metrics.js";

export interface AppOptions {
  queue: JobQueue;
  handlers: readonly RegisteredHandler[];
  services: Services;
  metrics?: Metrics;
}

export function createApp(options: AppOptions) {
  const { queue, handlers, services, metrics } = options;
  return (app: Probot): void => {
    // Every event tells the scheduler about its repository (no polling to find them).
    app.onAny(async (context) => {
      // Repositories added to (or removed from) the App are scheduled (or not) on every replica.
      services.scheduler.followInstallation(context.name, context.payload);
      const payload = context.payload as {
        repository?: { name: string; owner: { login: string }; default_branch?: string };
        installation?: { id: number };
      };
      if (payload.repository?.default_branch && payload.installation?.id) {
        services.scheduler.register({
          owner: payload.repository.owner.login,
          repo: payload.repository.name,
          defaultBranch: payload.repository.default_branch,
          installationId: payload.installation.id,
        });
      }
    });
    for (const handler of handlers) {
      app.on([...handler.events], async (context: Context) => {
        const event = { id: context.id, name: context.name, payload: context.payload };
        for (const draft of handler.plan(event, services)) {
          const log = context.log.child({ delivery: context.id, handler: handler.name }) as Log;
          const outcome = await queue.enqueue({
            handler: handler.name,
            deliveryId: draft.deliveryId ?? context.id,
            key: draft.key,
            ...(draft.supersedeKey ? { supersedeKey: draft.supersedeKey } : {}),
            ...(draft.installationId ? { installationId: draft.installationId } : {}),
            spec: jobSpec(draft.spec),
          });
          metrics?.events.inc({ event: context.name, outcome });
          if (outcome === "queued") {
            log.debug({ key: draft.key }, "queued");
            continue;
          }
          metrics?.queueRejected.inc({ reason: outcome });
          log.info({ outcome, key: draft.key }, "delivery not queued");
          if (outcome === "full" || outcome === "closed") {
            // Makes GitHub record a failed delivery, so it can be redelivered later.
            throw Object.assign(new Error(`work queue ${outcome}: retry this delivery later`), {
              status: 503,
            });
          }
        }
      });
    }
  };
}
