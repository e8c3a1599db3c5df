// The deploy story's world: a sandbox with a monorepo and its config repo, and the real app (handlers, queue, services) talking to it.
import { Probot } from "probot";
import { pino } from "pino";
import { createApp } from "../../src/app.js";
import { parseCallback } from "../../src/ci/callback.js";
import { callbackJob } from "../../src/handlers/ci-result.js";
import ciResult from "../../src/handlers/ci-result.js";
import { handlers } from "../../src/handlers/index.js";
import { jobRunner } from "../../src/handlers/run-job.js";
import type { Log } from "../../src/log.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";
import { jobSpec } from "../../src/runtime/job.js";
import { createServices } from "../../src/runtime/services.js";
import type { TimerStore } from "../../src/runtime/stores.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import type { WebhookEvent } from "../../src/sandbox/webhooks.js";
import { configRepo, fleetFiles, withEdge } from "./config-repo.js";
import { TestOctokit } from "./probot.js";
import { installationOctokit } from "../sandbox/helpers.js";

export const MONO = "acme/mono";
export const CONFIG = "acme/aether-config";

/** The monorepo: roc-api has a publish job (GitHub Actions), roc-web none (its tag deploys it). */
export function monorepoFiles(): Record<string, string> {
  return {
    "README.md": "# mono\n",
    "services/roc-api/VERSION": "1.2.3\n",
    "services/roc-api/main.go": "package main\n",
    "services/roc-web/VERSION": "2.0.1\n",
    "services/roc-web/index.ts": "export {};\n",
    ".github/monobot.yml": [
      "components:",
      "  define:",
      "    roc-api: { image: ghcr.io/acme/roc-api, chart: charts/roc-api }",
      "    roc-web: { image: ghcr.io/acme/roc-web, chart: charts/roc-web }",
      "deploy:",
      "  config_repo: acme/aether-config",
      "jobs:",
      "  templates:",
      "    publish:",
      "      on: release",
      '      components: ["roc-api"]',
      "      backend: { type: github-actions, workflow: publish.yml }",
      '      inputs: { image: "{image}:{version}" }',
      "",
    ].join("\n"),
    ".github/workflows/publish.yml": [
      "name: publish",
      "run-name: ${{ inputs.monobot_run_id }}",
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      image: { required: true }",
      "      monobot_run_id: { required: true }",
      "jobs: {}",
      "",
    ].join("\n"),
  };
}

/** The config repo: the test charts (edge takes roc-api from a chart repository) and a chart publish job. */
export function configFiles(): Record<string, string> {
  return {
    ...withEdge(configRepo()),
    ...fleetFiles(),
    ".github/monobot.yml": [
      "deploy:",
      "  environments:",
      "    charts/legacy: [lab]",
      "jobs:",
      "  templates:",
      "    chart-publish:",
      "      on: chart_release",
      '      paths: ["charts/**"]',
      "      backend: { type: github-actions, workflow: chart-release.yml }",
      '      inputs: { chart: "{chart}", version: "{chart_version}" }',
      "    chart-lint:",
      "      on: pull_request",
      '      paths: ["charts/**"]',
      "      backend: { type: github-actions, workflow: chart-lint.yml }",
      '      inputs: { pr: "{pr}" }',
      "",
    ].join("\n"),
    ".github/workflows/chart-lint.yml": [
      "name: chart lint",
      "run-name: ${{ inputs.monobot_run_id }}",
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      pr: { required: true }",
      "      monobot_run_id: { required: true }",
      "jobs: {}",
      "",
    ].join("\n"),
    ".github/workflows/chart-release.yml": [
      "name: chart release",
      "run-name: ${{ inputs.monobot_run_id }}",
      "on:",
      "  workflow_dispatch:",
      "    inputs:",
      "      chart: { required: true }",
      "      version: { required: true }",
      "      monobot_run_id: { required: true }",
      "jobs: {}",
      "",
    ].join("\n"),
  };
}

export interface DeployWorld {
  sandbox: Sandbox;
  /** Delivers an event to the app (as GitHub would, with a delivery id) and waits until all work is done. */
  deliver(event: WebhookEvent, id?: string): Promise<string>;
  /** A CI callback (Jenkins, webhook job), as the callback route enqueues it, then waits. */
  callback(body: Record<string, unknown>): Promise<void>;
  /**
   * Merges a change of `files` on the monorepo (one squash-merged PR titled `title`) and
   * delivers the push; returns the merge commit.
   */
  merge(repo: string, files: Record<string, string>, title: string): Promise<string>;
  /** Completes the workflow run dispatched last for `workflow` and delivers workflow_run.completed. */
  completeRun(
    repo: string,
    workflow: string,
    conclusion: "success" | "failure",
    match?: (inputs: Record<string, unknown>) => boolean,
  ): Promise<{ runId: number; delivery: string; event: WebhookEvent }>;
  /** A commit of the config repo, read through the API (parents and message). */
  configCommit(sha: string): Promise<{ parents: string[]; message: string }>;
  /** The app's log lines (pino objects). */
  logs(): Record<string, unknown>[];
  /** Job errors the app logged (a test expects none unless it provokes one). */
  errors(): string[];
  close(): Promise<void>;
}

let deliveries = 0;
let branches = 0;

export async function startDeployWorld(
  options: {
    config?: Record<string, string>;
    mono?: Record<string, string>;
    /** The store of CI runs' timeouts (a test's manual clock); in memory by default. */
    timers?: TimerStore;
  } = {},
): Promise<DeployWorld> {
  const sandbox = await startSandbox();
  sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
  sandbox.createOrg("acme", { members: ["alice"] });
  sandbox.createRepo({
    owner: "acme",
    name: "mono",
    installation: true,
    files: options.mono ?? monorepoFiles(),
  });
  const config = sandbox.createRepo({
    owner: "acme",
    name: "aether-config",
    installation: true,
    files: options.config ?? configFiles(),
  });
  sandbox.createTag(MONO, "roc-api/v1.2.3", "main");
  sandbox.createTag(MONO, "roc-web/v2.0.1", "main");

  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const probot = new Probot({
    appId: sandbox.appId,
    privateKey: sandbox.privateKeyPem,
    secret: sandbox.webhookSecret,
    baseUrl: sandbox.apiBaseUrl,
    Octokit: TestOctokit,
    log,
  });
  const services = createServices({
    app: probot,
    log: log as unknown as Log,
    botLogin: sandbox.botLogin,
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const queue = new InProcessQueue(jobRunner({ handlers, services, log: log as unknown as Log }));
  services.followUps.bind(queue);
  await probot.load(createApp({ queue, handlers, services }));

  const deliver = async (event: WebhookEvent, id = `delivery-${++deliveries}`) => {
    await probot.receive({ id, name: event.name, payload: event.payload } as Parameters<
      typeof probot.receive
    >[0]);
    await queue.idle();
    return id;
  };

  return {
    sandbox,
    deliver,
    async callback(body) {
      const parsed = parseCallback(body);
      if ("error" in parsed) throw new Error(parsed.error);
      const draft = callbackJob(parsed);
      await queue.enqueue({
        handler: ciResult.name,
        deliveryId: draft.deliveryId ?? draft.key,
        key: draft.key,
        spec: jobSpec(draft.spec),
      });
      await queue.idle();
    },
    async merge(repo, files, title) {
      const branch = `change-${++branches}`;
      const before = sandbox.branchSha(repo, "main") as string;
      sandbox.pushCommit(repo, { branch, files, author: "alice", message: title });
      const pr = sandbox.openPullRequest(repo, { head: branch, user: "alice", title });
      const after = sandbox.mergePullRequest(repo, pr.number, { user: "alice", method: "squash" });
      await deliver(sandbox.events.push({ repo, ref: "refs/heads/main", before, after }));
      return after;
    },
    async completeRun(repo, workflow, conclusion, match = () => true) {
      const dispatch = sandbox
        .workflowDispatches(repo)
        .filter((d) => d.workflowPath.endsWith(workflow) && match(d.inputs))
        .at(-1);
      if (!dispatch?.runId) throw new Error(`no dispatch of ${workflow} in ${repo}`);
      sandbox.completeWorkflowRun(dispatch.runId, conclusion);
      const event = sandbox.events.workflowRun({ repo, runId: dispatch.runId });
      // GitHub evaluates the workflow's `run-name: ${{ inputs.monobot_run_id }}` into the run's
      // title; the sandbox names runs after their workflow, so the title is set here.
      const run = event.payload.workflow_run as Record<string, unknown>;
      run.display_title = dispatch.inputs.monobot_run_id;
      const delivery = await deliver(event);
      return { runId: dispatch.runId, delivery, event };
    },
    async configCommit(sha) {
      const octokit = await installationOctokit(sandbox, config.installationId as number);
      const { data } = await octokit.rest.git.getCommit({
        owner: "acme",
        repo: "aether-config",
        commit_sha: sha,
      });
      return { parents: data.parents.map((p) => p.sha), message: data.message };
    },
    logs() {
      return lines;
    },
    errors() {
      return lines
        .filter((l) => typeof l.level === "number" && l.level >= 50)
        .map((l) => `${String(l.msg)} ${JSON.stringify(l.err ?? "")}`);
    },
    async close() {
      await services.followUps.stop();
      await services.timeouts.stop();
      services.scheduler.stop();
      await sandbox.stop();
    },
  };
}
