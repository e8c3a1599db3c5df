// A Probot instance wired like production, but with retries and throttling off (they hide faults in tests).
import { Probot, ProbotOctokit } from "probot";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import type { CheckDefinition } from "../../src/core/checks/registry.js";
import { InProcessQueue } from "../../src/queue/work-queue.js";
import { Metrics } from "../../src/server/metrics.js";
import { testPrivateKey } from "./keys.js";
import type { RunTimeouts } from "../../src/workflows/run-timeouts.js";

export const WEBHOOK_SECRET = "test-secret";

export const TestOctokit = ProbotOctokit.defaults((o: Record<string, unknown> | undefined) => ({
  ...o,
  throttle: { ...(o?.throttle as object | undefined), enabled: false },
  retry: { enabled: false },
}));

export async function makeProbot(
  options: { checks?: readonly CheckDefinition[]; onTimeouts?: (t: RunTimeouts) => void } = {},
) {
  const queue = new InProcessQueue();
  const metrics = new Metrics();
  const probot = new Probot({
    appId: 123,
    privateKey: testPrivateKey(),
    secret: WEBHOOK_SECRET,
    Octokit: TestOctokit,
    log: pino({ level: process.env.TEST_LOG ?? "silent" }),
  });
  await probot.load(
    createApp({
      queue,
      metrics,
      botLogin: "monobot[bot]",
      ...(options.checks ? { checks: options.checks } : {}),
      ...(options.onTimeouts ? { onTimeouts: options.onTimeouts } : {}),
    }),
  );
  return { probot, queue, metrics };
}
