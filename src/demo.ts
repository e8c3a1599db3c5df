// `npm run demo`: the GitHub sandbox and the real monobot server play a short pull-request story, offline.
import { shortSha } from "./core/sha.js";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SUMMARY_MARKER } from "./core/pr-state.js";
import { demoFreezeWindow, playLifecycle, withProductionFreeze } from "./demo-lifecycle.js";
import { newPrivateKey, sodiumReady, toBase64 } from "./secrets/sealing.js";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startSandbox, type Sandbox } from "./sandbox/driver.js";

// ---- the monobot server as a child process (the end-to-end tests and the benchmarks start it this way too)

/** One JSON log line of the server (pino): `level` 30 info, 40 warn, 50 error. */
export type ServerLogLine = Record<string, unknown> & { level?: number; msg?: string };

export interface MonobotProcess {
  child: ChildProcess;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Where GitHub (the sandbox) delivers webhooks. */
  webhookUrl: string;
  /** The server's MONOBOT_STATE_DIR (a fresh temporary folder unless the caller gave one). */
  stateDir: string;
  /** The server's log lines so far, parsed. */
  logs(): ServerLogLine[];
  stderr(): string;
  /** The server's Prometheus text from `/metrics`. */
  metrics(): Promise<string>;
  /** Queued jobs that finished, by outcome (from `monobot_handler_duration_seconds_count`). */
  handled(): Promise<{ success: number; error: number }>;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`); resolves with the exit code or signal. */
  stop(timeoutMs?: number): Promise<number | string>;
  /** SIGKILL at once (cleanup after a failure). */
  kill(): void;
}

export interface StartMonobotOptions {
  /** The server's environment on top of PATH: `sandbox.env()` and anything else production would set. */
  env: Record<string, string>;
  /** `dist/main.js` by default. */
  mainPath?: string;
  /** LOG_LEVEL; `info` or lower is needed to read the port from the start-up line. Default `info`. */
  logLevel?: "trace" | "debug" | "info";
  startTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** No server outlives the process that started it, even when a test or the demo fails half-way. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}

/** The built server next to this module (dist/), or dist/main.js when this module runs from src/. */
export function monobotMainPath(): string {
  for (const candidate of ["./main.js", "../dist/main.js"]) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("dist/main.js is missing: run `npm run build` first");
}

function sumMetric(text: string, name: string, label: string, value: string): number {
  let total = 0;
  const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, "gm");
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if ((m[1] ?? "").includes(`${label}="${value}"`)) total += Number(m[2]);
  }
  return total;
}

/** Queued jobs that finished, by outcome, in the server's Prometheus text. */
function handledIn(text: string): { success: number; error: number } {
  const name = "monobot_handler_duration_seconds_count";
  return {
    success: sumMetric(text, name, "outcome", "success"),
    error: sumMetric(text, name, "outcome", "error"),
  };
}

/** Starts `node dist/main.js` on 127.0.0.1 and a free port, configured only through its environment. */
export async function startMonobot(options: StartMonobotOptions): Promise<MonobotProcess> {
  installExitHook();
  const mainPath = options.mainPath ?? monobotMainPath();
  // Each server gets its own state (the journal's lock admits one process per folder); a caller
  // restarting "the same" server passes the folder again.
  const ownState = !options.env.MONOBOT_STATE_DIR;
  const stateDir = options.env.MONOBOT_STATE_DIR ?? mkdtempSync(join(tmpdir(), "monobot-state-"));
  const child = spawn(process.execPath, [mainPath], {
    env: {
      PATH: process.env.PATH ?? "",
      MONOBOT_STATE_DIR: stateDir,
      ...options.env,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: options.logLevel ?? "info",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  const lines: ServerLogLine[] = [];
  let partial = "";
  let stderr = "";
  let onLine: ((line: ServerLogLine) => void) | undefined;
  child.stdout?.on("data", (chunk: Buffer) => {
    const text = partial + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = parts.pop() ?? "";
    for (const part of parts) {
      if (!part.trim()) continue;
      let line: ServerLogLine;
      try {
        line = JSON.parse(part) as ServerLogLine;
      } catch {
        line = { level: 30, msg: part };
      }
      lines.push(line);
      onLine?.(line);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | string>((resolve) =>
    child.on("exit", (code, signal) => {
      live.delete(child);
      if (ownState) rmSync(stateDir, { recursive: true, force: true });
      resolve(code ?? signal ?? "unknown");
    }),
  );

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`monobot did not start within ${options.startTimeoutMs ?? 15_000} ms`));
    }, options.startTimeoutMs ?? 15_000);
    onLine = (line) => {
      if (typeof line.port === "number" && /listening/.test(String(line.msg))) {
        clearTimeout(timer);
        resolve(line.port);
      }
    };
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`monobot exited (${code}) before listening: ${stderr.trim()}`));
    });
  });
  onLine = undefined;

  const url = `http://127.0.0.1:${port}`;
  const metrics = async () => (await fetch(`${url}/metrics`)).text();
  return {
    child,
    port,
    url,
    webhookUrl: `${url}/api/github/webhooks`,
    stateDir,
    logs: () => [...lines],
    stderr: () => stderr,
    metrics,
    handled: async () => handledIn(await metrics()),
    exited,
    stop: async (timeoutMs = 30_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

/** Polls `probe` until it returns a value (not undefined or false), or throws after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs: number; what: string; seen?: () => string; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const seen = options.seen ? `; seen: ${options.seen()}` : "";
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}${seen}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 100));
  }
}

// ---- what the story reads back from the sandbox

interface AnnotationView {
  path: string;
  start_line: number;
  annotation_level: string;
  title?: string;
  message: string;
}

interface CheckRunView {
  id: number;
  name: string;
  head_sha: string;
  conclusion: string | null;
  external_id: string | null;
  output: { title: string | null; summary: string | null };
  annotations: AnnotationView[];
}

interface CommentView {
  id: number;
  body: string;
  user: { login: string };
  created_at: string;
  updated_at: string;
}

/** Check runs on a commit, oldest first. */
function checkRunsOf(sandbox: Sandbox, repo: string, sha: string): CheckRunView[] {
  // The driver returns the REST shape as plain records; these are the fields the demo reads.
  return (sandbox.checkRuns(repo, sha) as unknown as CheckRunView[]).sort((a, b) => a.id - b.id);
}

function commentsOf(sandbox: Sandbox, repo: string, number: number): CommentView[] {
  // The REST shape of issue comments, as above.
  return sandbox.comments(repo, number) as unknown as CommentView[];
}

// ---- printing what a user would see

const MARK: Record<string, string> = {
  success: "✔",
  failure: "✘",
  neutral: "○",
  skipped: "–",
  action_required: "!",
  cancelled: "✘",
  timed_out: "✘",
};

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => `${prefix}${l}`.trimEnd())
    .join("\n");
}

function describeRuns(runs: CheckRunView[]): string {
  const width = Math.max(...runs.map((r) => r.name.length));
  const out: string[] = [];
  for (const run of runs) {
    const conclusion = run.conclusion ?? "pending";
    out.push(
      `    ${MARK[conclusion] ?? "?"} ${run.name.padEnd(width)}  ${conclusion.padEnd(8)} ${run.output.title ?? ""}`,
    );
    for (const a of run.annotations) {
      out.push(
        `        ${a.annotation_level} ${a.path}:${a.start_line}${a.title ? `  ${a.title}` : ""}`,
      );
      out.push(indent(a.message, "            "));
    }
  }
  return out.join("\n");
}

/** A comment as GitHub renders it: hidden HTML comments (monobot's markers) left out. */
function rendered(body: string): string {
  return body
    .split("\n")
    .filter((l) => !/^\s*<!--.*-->\s*$/.test(l))
    .join("\n")
    .trim();
}

// ---- the story

/** A step that did not play as expected: which one, and what was seen instead. */
class StepFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws a StepFailure listing every unmet expectation. */
function expectAll(step: string, checks: Array<[boolean, string]>): void {
  const failed = checks.filter(([ok]) => !ok).map(([, what]) => `  - ${what}`);
  if (failed.length > 0)
    throw new StepFailure(step, `expected, but not seen:\n${failed.join("\n")}`);
}

const ORG = "acme";
const REPO = `${ORG}/platform`;
const CONFIG_REPO = `${ORG}/platform-config`;
const TIMEOUT_MS = 30_000;
/** The secret the operator seals in the last step: only ever compared, never printed. */
const DEMO_SECRET = `demo-${Math.random().toString(36).slice(2)}-Pg`;

const MAIN_GO = `// SPDX-License-Identifier: Apache-2.0
package main

import (
\t"fmt"
\t"net/http"
)

func main() {
\tfmt.Println("roc-api")
\thttp.HandleFunc("/healthz", healthz)${"  "}
\t_ = http.ListenAndServe(":8080", nil)
}
`;

// The deliberate mistake: a new source file without its SPDX header.
const HEALTH_GO = `package main

import "net/http"

// healthz answers the load balancer's probe.
func healthz(w http.ResponseWriter, _ *http.Request) {
\tw.WriteHeader(http.StatusOK)
}
`;

interface Expected {
  conclusion: string;
  annotation?: { path: string; line: number; level: string };
}

/** Plays the story against a running sandbox and server; throws a StepFailure where it goes wrong. */
async function playStory(
  sandbox: Sandbox,
  server: MonobotProcess,
  print: (text: string) => void,
  examplesDir: string,
  configDir: string,
): Promise<void> {
  // Every delivery may queue several jobs (one per handler taking the event) and those may queue
  // follow-ups: a step is over when the queue has been empty for a moment and nothing failed.
  const settle = async (step: string) => {
    try {
      let last = -1;
      await waitUntil(
        async () => {
          // One read of /metrics per poll: the queue's depth and the finished jobs together.
          const text = await server.metrics();
          const depth = Number(/^monobot_queue_depth (\S+)$/m.exec(text)?.[1] ?? "NaN");
          const h = handledIn(text);
          if (h.error > 0)
            throw new Error(
              `a job failed inside monobot: ${lastProblems(server) || "no log line"}`,
            );
          const total = h.success + h.error;
          const quiet = depth === 0 && total === last;
          last = depth === 0 ? total : -1;
          return quiet ? h : undefined;
        },
        {
          timeoutMs: TIMEOUT_MS,
          intervalMs: 100,
          what: "monobot to finish the queued jobs",
          seen: () => lastProblems(server),
        },
      );
    } catch (e) {
      throw new StepFailure(step, (e as Error).message);
    }
  };

  // Setting the scene.
  sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
  sandbox.createUser("bob", { name: "Bob Okafor", email: "bob@example.com" });
  sandbox.createUser("oscar", { name: "Oscar Outsider", email: "oscar@example.com" });
  sandbox.createOrg(ORG, { members: ["alice", "bob"] });
  sandbox.createRepo({ owner: ORG, name: "platform", installation: true });
  sandbox.seedFromDirectory(REPO, examplesDir, {
    author: { name: "Alice Liddell", email: "alice@example.com" },
    message: "Import the platform monorepo",
  });
  print(
    `▸ ${REPO} seeded from examples/monorepo: components roc-api (services/roc-api, VERSION ${sandbox.readFile(REPO, "main", "services/roc-api/VERSION")?.trim()}),`,
  );
  print(
    `  its nested plugin auth (services/roc-api/plugins/auth), web (services/web) and proto (libs/proto);`,
  );
  print(`  alice and bob are members of ${ORG}, oscar is not. The app is installed on ${ORG}.`);
  // The config repo the monorepo deploys through, and the policy lines that connect them.
  sandbox.createRepo({ owner: ORG, name: "platform-config", installation: true });
  sandbox.seedFromDirectory(CONFIG_REPO, configDir, {
    author: { name: "Alice Liddell", email: "alice@example.com" },
    message: "Import the platform's charts",
  });
  const freeze = demoFreezeWindow();
  const configPolicy = sandbox.readFile(CONFIG_REPO, "main", ".github/monobot.yml") ?? "";
  sandbox.pushCommit(CONFIG_REPO, {
    branch: "main",
    author: "alice",
    message:
      "Freeze production deploys around the demo\n\nSigned-off-by: Alice Liddell <alice@example.com>",
    files: { ".github/monobot.yml": withProductionFreeze(configPolicy, freeze) },
  });
  // Fleet's watcher: it reports a bundle ready on a Deployment (an outside deployment status).
  sandbox.createUser("fleet-watcher", { name: "Fleet watcher" });
  sandbox.setPermission(CONFIG_REPO, "alice", "admin");
  const policy = sandbox.readFile(REPO, "main", ".github/monobot.yml") ?? "";
  sandbox.pushCommit(REPO, {
    branch: "main",
    author: "alice",
    message:
      "Deploy roc-api through the config repo\n\nSigned-off-by: Alice Liddell <alice@example.com>",
    files: {
      ".github/monobot.yml": `${policy.replace(
        "    roc-api:\n      image: ghcr.io/example/roc-api\n",
        "    roc-api:\n      image: ghcr.io/example/roc-api\n      chart: charts/roc-api\n",
      )}deploy:\n  config_repo: ${CONFIG_REPO}\njobs:\n  templates:\n    publish:\n      on: release\n      components: [roc-api]\n      backend: { type: github-actions, workflow: publish.yml }\n      inputs: { image: "{image}:{version}" }\n`,
      ".github/workflows/publish.yml": [
        "name: publish",
        "run-name: ${{ inputs.monobot_run_id }}",
        "on:",
        "  workflow_dispatch:",
        "    inputs:",
        "      image: { required: true }",
        "      monobot_run_id: { required: false }",
        "jobs: {}",
        "",
      ].join("\n"),
    },
  });
  sandbox.createTag(REPO, "roc-api/v1.2.3", "main");
  print(
    `  ${CONFIG_REPO} holds the charts roc-api 0.4.1 and the umbrella aether 1.4.0, applied by one Fleet`,
  );
  print(
    `  bundle to two environments in promotion order: staging (verified by api-tests, soak 2 s) and`,
  );
  print(
    `  production, both on roc-api 1.2.3; production is frozen from ${freeze.from} to ${freeze.to} UTC`,
  );
  print(`  ("release freeze"); alice is the config repo's admin.`);

  // Step 1: a member opens a pull request.
  const step1 = "step 1 (alice opens a pull request)";
  print(`\n━━ Step 1: alice opens a pull request that changes roc-api`);
  const message = [
    "roc-api: serve /healthz for the load balancer",
    "",
    "Bumps roc-api to 1.3.0.",
    "",
    "Signed-off-by: Alice Liddell <alice@example.com>",
  ].join("\n");
  const commit = sandbox.pushCommit(REPO, {
    branch: "roc-api-healthz",
    author: "alice",
    message,
    files: {
      "services/roc-api/VERSION": "1.3.0\n",
      "services/roc-api/main.go": MAIN_GO,
      "services/roc-api/health.go": HEALTH_GO,
    },
  });
  const pr = sandbox.openPullRequest(REPO, {
    head: "roc-api-healthz",
    user: "alice",
    title: "roc-api: serve /healthz",
    body: "The load balancer needs a probe.",
  });
  const whitespaceLine = MAIN_GO.split("\n").findIndex((l) => / +$/.test(l)) + 1;
  print(
    `  PR #${pr.number} "roc-api: serve /healthz", one commit ${shortSha(commit.sha)} signed off by Alice:`,
  );
  print(`    services/roc-api/VERSION    1.2.3 → 1.3.0`);
  print(
    `    services/roc-api/main.go    registers the handler (line ${whitespaceLine} ends in two spaces)`,
  );
  print(`    services/roc-api/health.go  new, and without its SPDX license header`);
  print(
    `  Expected: config, dco, versions, secrets pass; lint passes with one warning; license fails on health.go:1.`,
  );
  const opened = await sandbox.deliver(
    sandbox.events.pullRequest({ repo: REPO, number: pr.number, action: "opened" }),
  );
  print(
    `  GitHub → monobot: pull_request.opened, answered ${opened.status} in ${opened.durationMs.toFixed(0)} ms; monobot works from its queue…`,
  );
  if (opened.status !== 202)
    throw new StepFailure(step1, `the webhook was answered ${opened.status}: ${opened.response}`);
  const started = Date.now();
  await settle(step1);
  const runs1 = checkRunsOf(sandbox, REPO, pr.headSha);
  const comments1 = commentsOf(sandbox, REPO, pr.number);
  const summaries1 = comments1.filter((c) => c.body.startsWith(SUMMARY_MARKER));
  print(
    `\n  Check runs on ${shortSha(pr.headSha)} (after ${((Date.now() - started) / 1000).toFixed(1)} s):`,
  );
  print(describeRuns(runs1));
  const summary = summaries1[0];
  if (summary) {
    print(`\n  Summary comment by ${summary.user.login}:`);
    print(indent(rendered(summary.body), "  │ "));
  }
  const expected: Record<string, Expected> = {
    "monobot/config": { conclusion: "success" },
    "monobot/lint": {
      conclusion: "success",
      annotation: { path: "services/roc-api/main.go", line: whitespaceLine, level: "warning" },
    },
    "monobot/license": {
      conclusion: "failure",
      annotation: { path: "services/roc-api/health.go", line: 1, level: "failure" },
    },
    "monobot/dco": { conclusion: "success" },
    "monobot/secrets": { conclusion: "success" },
  };
  const seenRun = (name: string) => runs1.find((r) => r.name === name);
  // monobot/versions joins the five when this monobot posts it: the bump to 1.3.0 satisfies it.
  if (seenRun("monobot/versions")) expected["monobot/versions"] = { conclusion: "success" };
  const names = runs1.map((r) => r.name);
  expectAll(step1, [
    [
      runs1.length === Object.keys(expected).length && new Set(names).size === names.length,
      `one check run per check on the head SHA (seen ${runs1.length}: ${names.join(", ")})`,
    ],
    ...Object.entries(expected).flatMap(([name, want]): Array<[boolean, string]> => {
      const run = seenRun(name);
      const out: Array<[boolean, string]> = [
        [
          run?.conclusion === want.conclusion,
          `${name} ${want.conclusion} (seen ${run ? run.conclusion : "no such check run"})`,
        ],
      ];
      if (want.annotation) {
        const a = want.annotation;
        out.push([
          run?.annotations.some(
            (x) => x.path === a.path && x.start_line === a.line && x.annotation_level === a.level,
          ) === true,
          `${name}: a ${a.level} annotation on ${a.path}:${a.line} (seen ${run?.annotations.map((x) => `${x.annotation_level} ${x.path}:${x.start_line}`).join(", ") || "none"})`,
        ]);
      }
      return out;
    }),
    [summaries1.length === 1, `one summary comment (seen ${summaries1.length})`],
    [
      summary?.body.includes("roc-api") === true && summary.body.includes("1.3.0"),
      "the summary names roc-api and its new version 1.3.0",
    ],
    [comments1.length === 1, `no other comment (seen ${comments1.length} comments)`],
  ]);
  print(`\n  ✔ as expected`);

  // Step 2: another member asks for a recheck.
  const step2 = "step 2 (bob comments recheck)";
  print(`\n━━ Step 2: bob, a member, comments "recheck"`);
  const bobComment = sandbox.comment(REPO, pr.number, { user: "bob", body: "recheck" });
  const recheck = await sandbox.deliver(
    sandbox.events.issueComment({ repo: REPO, commentId: bobComment.id }),
  );
  print(`  GitHub → monobot: issue_comment.created, answered ${recheck.status}`);
  if (recheck.status !== 202)
    throw new StepFailure(step2, `the webhook was answered ${recheck.status}: ${recheck.response}`);
  await settle(step2);
  const runs2 = checkRunsOf(sandbox, REPO, pr.headSha);
  const rerun = runs2.filter((r) => r.external_id === recheck.id);
  const comments2 = commentsOf(sandbox, REPO, pr.number);
  const summaries2 = comments2.filter((c) => c.body.startsWith(SUMMARY_MARKER));
  print(
    `\n  New check runs on ${shortSha(pr.headSha)} (the Checks tab shows the latest of each name):`,
  );
  print(describeRuns(rerun));
  const kept = summaries2[0];
  const edited = kept !== undefined && summary !== undefined && kept.body !== summary.body;
  print(
    `\n  Summary comment: still one, the same comment (id ${kept?.id ?? "?"}), ${edited ? "edited in place" : "unchanged: same head, same verdicts, so monobot had nothing to edit"}.`,
  );
  expectAll(step2, [
    [
      rerun.length === runs1.length,
      `${runs1.length} new check runs for the recheck (seen ${rerun.length}; ${runs2.length} in all)`,
    ],
    ...rerun.map((r): [boolean, string] => [
      r.conclusion === seenRun(r.name)?.conclusion,
      `${r.name} concludes as before (${seenRun(r.name)?.conclusion}; seen ${r.conclusion})`,
    ]),
    [
      summaries2.length === 1 && kept?.id === summary?.id,
      `the same single summary comment (seen ${summaries2.map((c) => c.id).join(", ") || "none"})`,
    ],
    [comments2.length === 2, `no reply to bob (seen ${comments2.length - 2} more comments)`],
  ]);
  print(`  ✔ as expected`);

  // Step 3: an outsider asks for a recheck.
  const step3 = "step 3 (oscar comments recheck)";
  print(`\n━━ Step 3: oscar, not a member nor a collaborator, comments "recheck"`);
  const oscarComment = sandbox.comment(REPO, pr.number, { user: "oscar", body: "recheck" });
  const outsider = await sandbox.deliver(
    sandbox.events.issueComment({ repo: REPO, commentId: oscarComment.id }),
  );
  print(`  GitHub → monobot: issue_comment.created, answered ${outsider.status}`);
  if (outsider.status !== 202)
    throw new StepFailure(
      step3,
      `the webhook was answered ${outsider.status}: ${outsider.response}`,
    );
  await settle(step3);
  const runs3 = checkRunsOf(sandbox, REPO, pr.headSha);
  const comments3 = commentsOf(sandbox, REPO, pr.number);
  const replies = comments3.filter(
    (c) => c.user.login === sandbox.botLogin && !c.body.startsWith(SUMMARY_MARKER),
  );
  for (const reply of replies) {
    print(`\n  Reply by ${reply.user.login}:`);
    print(indent(rendered(reply.body), "  │ "));
  }
  expectAll(step3, [
    [replies.length === 1, `one reply (seen ${replies.length})`],
    [
      replies[0]?.body.startsWith("@oscar ") === true,
      `the reply starts with @oscar (seen ${JSON.stringify(replies[0]?.body.slice(0, 40) ?? "")})`,
    ],
    [runs3.length === runs2.length, `no new check run (seen ${runs3.length - runs2.length} new)`],
    [
      comments3.filter((c) => c.body.startsWith(SUMMARY_MARKER)).length === 1,
      "still one summary comment",
    ],
  ]);
  print(`\n  ✔ as expected: nothing ran, and oscar was told why`);

  await playLifecycle({
    sandbox,
    server,
    print,
    settle,
    waitFor: (step, what, probe) =>
      waitUntil(probe, { timeoutMs: TIMEOUT_MS, what, seen: () => lastProblems(server) }).catch(
        (e: Error) => {
          throw new StepFailure(step, e.message);
        },
      ),
    fail: (step, message) => new StepFailure(step, message),
    expectAll,
    repo: REPO,
    configRepo: CONFIG_REPO,
    pr: { number: pr.number, headSha: pr.headSha },
    secretValue: DEMO_SECRET,
  });
}

/** The last warnings and errors the server logged, for a failure report. */
function lastProblems(server: MonobotProcess): string {
  return server
    .logs()
    .filter((l) => (l.level ?? 0) >= 40)
    .slice(-5)
    .map((l) =>
      `[${l.level === 40 ? "warn" : "error"}] ${l.msg ?? ""} ${l.err ? JSON.stringify(l.err) : ""}`.trim(),
    )
    .join("; ");
}

/** Runs the whole demo; resolves with the process exit code. */
export async function runDemo(
  print: (text: string) => void = console.log,
  options: { stay?: boolean } = {},
): Promise<number> {
  const examplesDir = fileURLToPath(new URL("../examples/monorepo", import.meta.url));
  const configDir = fileURLToPath(new URL("../examples/config-repo", import.meta.url));
  const began = Date.now();
  print(
    "monobot demo: a GitHub sandbox on 127.0.0.1 and the real monobot server; no network, no credentials.\n",
  );
  let sandbox: Sandbox | undefined;
  let server: MonobotProcess | undefined;
  let failure: string | undefined;
  try {
    sandbox = await startSandbox();
    print(
      `▸ GitHub sandbox at ${sandbox.url} (REST ${sandbox.apiBaseUrl}), app id ${sandbox.appId}`,
    );
    await sodiumReady();
    server = await startMonobot({
      env: {
        ...sandbox.env(),
        MONOBOT_SEALING_KEY: toBase64(newPrivateKey()),
        // Sign-in with GitHub on the status page, through the sandbox's OAuth flow.
        GITHUB_CLIENT_ID: sandbox.oauthClient().clientId,
        GITHUB_CLIENT_SECRET: sandbox.oauthClient().clientSecret,
        MONOBOT_ADMINS: "alice",
      },
    });
    sandbox.webhookUrl = server.webhookUrl;
    print(
      `▸ monobot (node dist/main.js, pid ${server.child.pid}) listening on ${server.url}, GitHub at GHE_HOST=${sandbox.host}`,
    );
    print(
      `▸ status page at ${server.url}/ (sign in at ${server.url}/status/login: the sandbox approves as alice); JSON under ${server.url}/api/monobot/status`,
    );
    await playStory(sandbox, server, print, examplesDir, configDir);
    // The sandbox's authorize page approves at once as alice (an operator here).
    sandbox.signInAs("alice");
  } catch (e) {
    failure =
      e instanceof StepFailure
        ? `${e.step} did not play as expected: ${e.message}`
        : `the demo stopped: ${(e as Error).message}`;
  }

  print("");
  if (sandbox) {
    const requests = sandbox.requests();
    const byOperation = new Map<string, number>();
    for (const r of requests) {
      const op = r.operationId ?? r.path;
      byOperation.set(op, (byOperation.get(op) ?? 0) + 1);
    }
    print(
      `▸ monobot made ${requests.length} GitHub API requests: ${[...byOperation].map(([op, n]) => `${op} ×${n}`).join(", ")}`,
    );
    const violations = sandbox.violations();
    print(`▸ OpenAPI violations recorded by the sandbox: ${violations.length}`);
    if (violations.length > 0 && !failure) {
      failure = `the sandbox recorded ${violations.length} OpenAPI violation(s):\n${violations.map((v) => `  ${v.method} ${v.path}: [${v.kind}] ${v.problem}`).join("\n")}`;
    }
  }
  if (options.stay && sandbox && server) {
    print(
      `\n▸ --stay: the sandbox and monobot keep running. Open ${server.url}/status/login to sign in as alice and look around; Ctrl-C stops both.`,
    );
    if (failure) print(`  (the story did not play as expected: ${failure})`);
    // Until a signal: the handlers installed below stop the server with the process.
    await new Promise<never>(() => undefined);
  }
  if (server) {
    const problems = lastProblems(server);
    if (failure && problems) print(`▸ monobot's last warnings and errors: ${problems}`);
    const code = await server.stop();
    print(`▸ monobot stopped on SIGTERM, exit code ${code}`);
    if (code !== 0 && !failure) failure = `monobot exited ${code} on SIGTERM (expected 0)`;
  }
  if (sandbox) await sandbox.stop();
  const seconds = ((Date.now() - began) / 1000).toFixed(1);
  if (failure) {
    print(`\n✘ ${failure}`);
    return 1;
  }
  print(`\n✔ The story played as expected (${seconds} s).`);
  return 0;
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  // Stopped from outside: take the server down too, then die of the same signal.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      for (const child of live) child.kill("SIGKILL");
      process.kill(process.pid, signal);
    });
  }
  process.exitCode = await runDemo(console.log, { stay: process.argv.includes("--stay") });
}
