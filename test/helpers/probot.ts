// A Probot instance wired like production, but with retries and throttling off (they hide faults in tests).
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import type { CheckDefinition } from "../../src/core/checks/registry.js";
import type { RegisteredHandler, Services } from "../../src/handlers/handler.js";
import { handlers } from "../../src/handlers/index.js";
import { jobRunner } from "../../src/handlers/run-job.js";
import type { Log } from "../../src/log.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";
import { createServices } from "../../src/runtime/services.js";
import type { TimerStore } from "../../src/runtime/stores.js";
import { Metrics } from "../../src/server/metrics.js";
import type { KeyRing } from "../../src/secrets/sealing.js";
import { testPrivateKey } from "./keys.js";

export const WEBHOOK_SECRET = "test-secret";

export const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown> | undefined) => ({
  ...o,
  throttle: { ...(o?.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));

export async function makeProbot(
  options: {
    checks?: readonly CheckDefinition[];
    sealingKeys?: KeyRing;
    /** The handlers to register (all of them by default). */
    handlers?: readonly RegisteredHandler[];
    /** Where follow-up jobs wait for their time (in memory by default). */
    later?: TimerStore;
  } = {},
) {
  const metrics = new Metrics();
  const log = pino({ level: process.env.TEST_LOG ?? "silent" });
  const probot = new Probot({
    appId: 123,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    Octokit: TestOctokit,
    log,
  });
  const services: Services = createServices({
    app: probot,
    log: log as unknown as Log,
    botLogin: "monobot[bot]",
    ...(options.checks ? { checks: options.checks } : {}),
    ...(options.sealingKeys ? { sealingKeys: options.sealingKeys } : {}),
    ...(options.later ? { later: options.later } : {}),
  });
  const registered = options.handlers ?? handlers;
  const queue = new InProcessQueue(
    jobRunner({ handlers: registered, services, log: log as unknown as Log, metrics }),
  );
  services.followUps.bind(queue);
  await probot.load(createApp({ queue, handlers: registered, services, metrics }));
  return { probot, queue, metrics, services };
}
