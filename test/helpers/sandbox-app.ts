// The real app (every handler, its services and an in-process queue) in this process, against the GitHub sandbox.
import { randomUUID } from "node:crypto";
import { Probot } from "probot";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import { handlers } from "../../src/handlers/index.js";
import { jobRunner } from "../../src/handlers/run-job.js";
import type { Log } from "../../src/log.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";
import type { JobQueue, QueuedJob } from "../../src/runtime/job.js";
import { createServices } from "../../src/runtime/services.js";
import type { Sandbox } from "../../src/sandbox/driver.js";
import type { WebhookEvent } from "../../src/sandbox/webhooks.js";
import type { KeyRing } from "../../src/secrets/sealing.js";
import { TestOctokit } from "./probot.js";

export interface SandboxApp {
  /** Every job intake queued, as the queue received it (specs included). */
  jobs: QueuedJob[];
  /** Jobs whose run rejected, with the error. */
  failures: { job: QueuedJob; error: unknown }[];
  /** Hands one event to the app (as a delivery `id`, default a new one) and waits for its jobs. */
  receive(event: WebhookEvent, id?: string): Promise<string>;
}

/**
 * One app instance: a new one on the same sandbox is a restarted process (its queue has seen no
 * delivery yet, so a redelivery reaches the handlers again). `log` receives every line.
 */
export async function sandboxApp(
  sandbox: Sandbox,
  options: {
    sealingKeys?: KeyRing;
    log?: Log;
    /** Sees every request the app's Octokit clients send, as Octokit gives it (body included). */
    onRequest?: (options: unknown) => void;
  } = {},
): Promise<SandboxApp> {
  const onRequest = options.onRequest;
  const Octokit = onRequest
    ? TestOctokit.plugin((octokit) => {
        octokit.hook.before("request", (o) => onRequest(o));
      })
    : TestOctokit;
  const log = options.log ?? (pino({ level: process.env.TEST_LOG ?? "silent" }) as unknown as Log);
  const probot = new Probot({
    appId: sandbox.appId,
    privateKey: sandbox.privateKeyPem,
    secret: sandbox.webhookSecret,
    baseUrl: sandbox.apiBaseUrl,
    Octokit,
    // Probot's own logger must take pino's shape; the app's lines go to `log` through the services.
    log: pino({ level: "silent" }),
  });
  const services = createServices({
    app: probot,
    log,
    botLogin: sandbox.botLogin,
    ...(options.sealingKeys ? { sealingKeys: options.sealingKeys } : {}),
  });
  const failures: SandboxApp["failures"] = [];
  const inner = new InProcessQueue(jobRunner({ handlers, services, log }), {
    onError: (job, error) => failures.push({ job, error }),
  });
  const jobs: QueuedJob[] = [];
  const queue: JobQueue = {
    enqueue: (job) => {
      jobs.push(job);
      return inner.enqueue(job);
    },
    size: () => inner.size(),
    drain: (ms) => inner.drain(ms),
    idle: () => inner.idle(),
  };
  services.followUps.bind(queue);
  await probot.load(createApp({ queue, handlers, services }));
  return {
    jobs,
    failures,
    async receive(event, id = randomUUID()) {
      await probot.receive({
        id,
        name: event.name,
        payload: event.payload,
      } as Parameters<typeof probot.receive>[0]);
      await inner.idle();
      return id;
    },
  };
}
