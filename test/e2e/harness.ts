// The end-to-end suite's world: a GitHub sandbox, the real monobot server process, a seeded monorepo, waits.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startMonobot, waitUntil, type MonobotProcess } from "../../src/demo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import type { Delivery } from "../../src/sandbox/webhooks.js";

export const MAIN_PATH = fileURLToPath(new URL("../../dist/main.js", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../../examples/monorepo", import.meta.url));

/** Probot paces writes a second apart: a verification posts five check runs and a comment. */
export const E2E_TIMEOUT_MS = 60_000;
export const WAIT_MS = 45_000;

import { SUMMARY_MARKER } from "../../src/core/pr-state.js";

export { SUMMARY_MARKER };
/** The check runs every verification posts (monobot/versions may join them, in the design's order). */
export const CHECK_NAMES = [
  "monobot/config",
  "monobot/lint",
  "monobot/license",
  "monobot/dco",
  "monobot/secrets",
];

export interface CheckRunView {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null };
  annotations: Array<{ path: string; start_line: number; annotation_level: string }>;
}

export interface CommentView {
  id: number;
  body: string;
  user: { login: string };
  updated_at: string;
}

export interface World {
  sandbox: Sandbox;
  server: MonobotProcess;
  /** `acme/mono`, seeded from examples/monorepo. */
  repo: string;
  /** Starts another server process on the same sandbox (after `server` stopped), e.g. to test a restart. */
  restart(): Promise<MonobotProcess>;
  /** Stops the server (SIGTERM) and the sandbox; kills the server if it does not stop. Safe to call twice. */
  close(): Promise<void>;
}

/** Waits until the sandbox saw no request for `quietMs` (e.g. the scheduler's start-up listing). */
export async function settle(sandbox: Sandbox, quietMs = 400, timeoutMs = 10_000): Promise<void> {
  let last = sandbox.mark();
  let since = Date.now();
  await waitUntil(
    () => {
      const now = sandbox.mark();
      if (now !== last) {
        last = now;
        since = Date.now();
      }
      return Date.now() - since >= quietMs;
    },
    { timeoutMs, what: "the sandbox to be quiet", intervalMs: 50 },
  );
}

/**
 * A sandbox with `acme/mono` (the example monorepo, the app installed), members alice and bob, outsider
 * oscar, and a monobot server process delivering to it. Call `close()` in afterAll, also on failure.
 * `env` adds to the server's environment (e.g. `MONOBOT_SCHEDULER: "off"`, so that nothing but the
 * deliveries makes the server call GitHub).
 */
export async function startWorld(options: { env?: Record<string, string> } = {}): Promise<World> {
  if (!existsSync(MAIN_PATH)) {
    throw new Error(
      "dist/main.js is missing: the end-to-end suite runs the built server (`npm run build`)",
    );
  }
  const sandbox = await startSandbox();
  let server: MonobotProcess | undefined;
  try {
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    sandbox.createUser("bob", { name: "Bob Okafor", email: "bob@example.com" });
    sandbox.createUser("oscar", { name: "Oscar Outsider", email: "oscar@example.com" });
    sandbox.createOrg("acme", { members: ["alice", "bob"] });
    const repo = sandbox.createRepo({ owner: "acme", name: "mono", installation: true }).fullName;
    sandbox.seedFromDirectory(repo, EXAMPLES, {
      author: { name: "Alice Liddell", email: "alice@example.com" },
    });
    const start = async () => {
      const s = await startMonobot({
        env: { ...sandbox.env(), ...options.env },
        mainPath: MAIN_PATH,
      });
      sandbox.webhookUrl = s.webhookUrl;
      // What the server does on its own at start-up is over before a test takes its marks.
      await settle(sandbox);
      return s;
    };
    server = await start();
    const world: World = {
      sandbox,
      server,
      repo,
      restart: async () => {
        world.server = await start();
        return world.server;
      },
      close: async () => {
        try {
          const s = world.server;
          if (s.child.exitCode === null && s.child.signalCode === null) await s.stop(10_000);
        } finally {
          world.server.kill();
          await sandbox.stop();
        }
      },
    };
    return world;
  } catch (e) {
    server?.kill();
    await sandbox.stop();
    throw e;
  }
}

let branches = 0;

/**
 * Pushes a clean change to roc-api on a new branch (code with its SPDX header, a VERSION bump, a
 * signed-off commit by alice) and opens a PR: every check passes on it.
 */
export function openCleanPullRequest(world: World, title = "roc-api: add a health check") {
  const branch = `change-${++branches}`;
  world.sandbox.pushCommit(world.repo, {
    branch,
    author: "alice",
    message: `${title}\n\nSigned-off-by: Alice Liddell <alice@example.com>`,
    files: {
      "services/roc-api/VERSION": "1.3.0\n",
      [`services/roc-api/health_${branches}.go`]: [
        "// SPDX-License-Identifier: Apache-2.0",
        "package main",
        "",
        `// healthy${branches} reports whether the service may take traffic.`,
        `func healthy${branches}() bool { return true }`,
        "",
      ].join("\n"),
    },
  });
  return world.sandbox.openPullRequest(world.repo, { head: branch, user: "alice", title });
}

/** The names of a verification's check runs: the five, each once, and nothing unexpected. */
export function checkNamesOk(names: string[]): boolean {
  const allowed = new Set([...CHECK_NAMES, "monobot/versions"]);
  return (
    CHECK_NAMES.every((n) => names.includes(n)) &&
    names.every((n) => allowed.has(n)) &&
    new Set(names).size === names.length
  );
}

/** Check runs on a commit, oldest first. */
export function checkRunsOn(world: World, sha: string, repo = world.repo): CheckRunView[] {
  // The driver returns the REST shape as plain records; these are the fields the tests read.
  return (world.sandbox.checkRuns(repo, sha) as unknown as CheckRunView[]).sort(
    (a, b) => a.id - b.id,
  );
}

export function commentsOn(world: World, number: number): CommentView[] {
  // The REST shape of issue comments, as above.
  return world.sandbox.comments(world.repo, number) as unknown as CommentView[];
}

export function summaryComments(world: World, number: number): CommentView[] {
  return commentsOn(world, number).filter(
    (c) => c.user.login === world.sandbox.botLogin && c.body.startsWith(SUMMARY_MARKER),
  );
}

/** Jobs the server finished so far (success + error). */
export async function handledJobs(world: World): Promise<number> {
  const h = await world.server.handled();
  return h.success + h.error;
}

/** Waits until the server finished `count` more jobs than `before`, and fails if any failed. */
export async function waitForJobs(world: World, before: number, count = 1): Promise<void> {
  const errorsBefore = (await world.server.handled()).error;
  await waitUntil(async () => (await handledJobs(world)) >= before + count, {
    timeoutMs: WAIT_MS,
    what: `${count} job(s) to finish in monobot`,
    seen: () => serverProblems(world),
  });
  const errors = (await world.server.handled()).error - errorsBefore;
  if (errors > 0) throw new Error(`a job failed in monobot: ${serverProblems(world)}`);
}

/**
 * Delivers an event and waits for the jobs it queues (several handlers may take one event, e.g.
 * the verification and the deployment gate of a pull_request; the 202 comes after they are
 * queued, so the queued-events counter tells how many); returns the delivery.
 */
export async function deliverAndWait(
  world: World,
  event: Parameters<Sandbox["deliver"]>[0],
  options: Parameters<Sandbox["deliver"]>[1] = {},
): Promise<Delivery> {
  const before = await handledJobs(world);
  const queued = () => metricValue(world, "monobot_webhook_events_total", { outcome: "queued" });
  const queuedBefore = await queued();
  const delivery = await world.sandbox.deliver(event, options);
  if (delivery.status !== 202) {
    throw new Error(`delivery answered ${delivery.status}: ${delivery.response}`);
  }
  await waitForJobs(world, before, Math.max(1, (await queued()) - queuedBefore));
  return delivery;
}

/** The server's warnings and errors, for failure messages. */
export function serverProblems(world: World): string {
  const lines = world.server
    .logs()
    .filter((l) => (l.level ?? 0) >= 40)
    .map((l) => JSON.stringify(l));
  return lines.length
    ? lines.slice(-10).join("\n")
    : `no warnings; stderr: ${world.server.stderr()}`;
}

/** A counter of the server's `/metrics`, summed over series whose labels include every given label. */
export async function metricValue(
  world: World,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await world.server.metrics();
  let total = 0;
  const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const have = m[1] ?? "";
    if (Object.entries(labels).every(([k, v]) => have.includes(`${k}="${v}"`)))
      total += Number(m[2]);
  }
  return total;
}

/** Gives a wrongly queued job time to show itself before asserting that nothing happened. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Every OpenAPI violation the sandbox recorded, as readable lines (the suite expects none). */
export function violationLines(world: World): string[] {
  return world.sandbox.violations().map((v) => `${v.method} ${v.path}: [${v.kind}] ${v.problem}`);
}
