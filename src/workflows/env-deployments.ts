// After a merge on the config repo: record a Deployment per moved pin, dispatch its `on: deployed`
// jobs, and settle it from their results or an outside deployment status (success after the soak,
// failure with one comment on the merged PR).
import type { BackendDeps } from "../ci/backend.js";
import { pinFiles } from "../core/env-matrix.js";
import { changedPins, type PinChange } from "../core/env-pin-edits.js";
import { DEPLOY_TASK, type DeploymentRecord } from "../core/env-record.js";
import { failureComment, failureMarker, verificationVerdict } from "../core/env-verdict.js";
import {
  environmentList,
  findEnvironment,
  nextEnvironment,
  soakMs,
  type EnvironmentConfig,
} from "../core/environments.js";
import { planJobs, statusContext, type PlannedRun } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import { GitHubDeployments } from "../forge/deployments.js";
import type { GitHubRepo } from "../forge/github.js";
import type { CommitStatus } from "../forge/port.js";
import { jobSpec } from "../runtime/job.js";
import type { JobContext, RepoRef } from "./job-context.js";
import { monorepoNotes } from "./promotion-notes.js";
import { environmentPinsAt, promote } from "./promote.js";
import { startRun } from "./start-run.js";

export const ENV_FLOW_HANDLER = "env-flow";

/** A push to the config repo's default branch: record what its pins moved. */
export interface RecordSpec {
  kind: "record";
  repo: RepoRef;
  before: string;
  after: string;
  /** `owner/name` of the monorepo the pushed commits name (their `Monobot-Source` trailer), if one. */
  source?: string;
}

/** Settle a deployment from its jobs' statuses, or from a status someone else posted. */
export interface VerdictSpec {
  kind: "verdict";
  repo: { owner: string; name: string };
  sha: string;
  environment: string;
  component: string;
  outside?: { state: string; by: string; description?: string; logUrl?: string };
}

/** The soak after a verification ended. */
export interface SoakedSpec {
  kind: "soaked";
  repo: { owner: string; name: string };
  deploymentId: number;
  sha: string;
  environment: string;
  component: string;
}

export type EnvFlowSpec = RecordSpec | VerdictSpec | SoakedSpec;

/** Jobs of one environment and component are settled one at a time. */
export function envFlowKey(repo: { owner: string; name: string }, env: string, c: string) {
  return `${repo.owner}/${repo.name}@env:${env}:${c}`;
}

async function policyAt(port: GitHubRepo, sha: string): Promise<Policy | undefined> {
  const loaded = await port.loadPolicy(sha);
  return loaded.result.ok ? loaded.result.policy : undefined;
}

/** The pins `before..after` moved to a version, read with two batched reads. */
async function movedPins(port: GitHubRepo, policy: Policy, before: string, after: string) {
  const pins = await environmentPinsAt(port, policy, after);
  const wanted = pinFiles(pins);
  const texts = await port.readFiles(
    wanted.flatMap((path) => [
      { sha: before, path },
      { sha: after, path },
    ]),
  );
  const change = (path: string) => {
    const b = texts.get(`${before}:${path}`);
    const a = texts.get(`${after}:${path}`);
    return {
      path,
      ...(typeof b === "string" ? { before: b } : {}),
      ...(typeof a === "string" ? { after: a } : {}),
    };
  };
  return changedPins(pins, wanted.map(change)).filter((c) => c.to !== undefined);
}

/** One move per environment and component (a component's charts move together). */
function movesOf(moved: readonly PinChange[]): PinChange[] {
  const seen = new Set<string>();
  return moved.filter((m) => {
    const k = `${m.environment}\n${m.component}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Records the pins a merge moved: one Deployment per environment and component (`in_progress`),
 * then that environment's verification jobs. A redelivery finds its deployments and does nothing.
 */
export async function recordDeployments(spec: RecordSpec, context: JobContext): Promise<void> {
  const { services, log } = context;
  const { repo, before, after } = spec;
  const port = await services.clients.forRepo(repo.owner, repo.name, context.installationId);
  const policy = await policyAt(port, after);
  if (!policy || environmentList(policy.deploy.environments).length === 0) return;
  const moves = movesOf(await movedPins(port, policy, before, after));
  if (moves.length === 0) return;
  const recorded = await port.listDeployments({ sha: after, task: DEPLOY_TASK, limit: 100 });
  const deps: BackendDeps = {
    ...services.backend,
    github: port.requester(),
    owner: repo.owner,
    repo: repo.name,
  };
  const tracker =
    context.installationId === undefined
      ? undefined
      : services.timeouts.forInstallation(context.installationId);
  for (const move of moves) {
    const env = findEnvironment(policy.deploy.environments, move.environment);
    if (!env || move.to === undefined) continue;
    if (
      recorded.some((d) => d.environment === env.name && d.payload.component === move.component)
    ) {
      log.info({ environment: env.name, component: move.component }, "deployment recorded already");
      continue;
    }
    const deployment = await port.createDeployment({
      ref: after,
      environment: env.name,
      task: DEPLOY_TASK,
      payload: {
        component: move.component,
        version: move.to,
        chart: move.chart,
        // Where the version comes from, for the release notes of its promotion.
        ...(spec.source ? { source: spec.source } : {}),
      },
      description: `${move.component} ${move.to}`,
      productionEnvironment: env.production === true,
    });
    const jobs = env.verify?.jobs ?? [];
    await port.setDeploymentStatus(deployment.id, {
      state: "in_progress",
      description:
        jobs.length > 0
          ? `verifying: ${jobs.join(", ")}`
          : "waiting for a deployment status (no verify.jobs)",
    });
    await dispatchVerification({
      port,
      policy,
      repo,
      sha: after,
      environment: env,
      component: move.component,
      chart: move.chart,
      version: move.to,
      deps,
      ...(tracker ? { tracker } : {}),
      log,
    });
    log.info(
      { environment: env.name, component: move.component, version: move.to, id: deployment.id },
      "deployment recorded",
    );
  }
}

/**
 * Dispatches `environment`'s `on: deployed` jobs for one component's version at `sha` (its
 * `verify.jobs`): after a merge records the deployment, and again when the dashboard retries it.
 */
export async function dispatchVerification(input: {
  port: GitHubRepo;
  policy: Policy;
  repo: RepoRef;
  sha: string;
  environment: EnvironmentConfig;
  component: string;
  chart: string;
  version: string;
  deps: BackendDeps;
  tracker?: { track(run: PlannedRun): Promise<void> };
  log: JobContext["log"];
}): Promise<void> {
  const { policy, repo, environment: env, log, tracker } = input;
  const jobs = env.verify?.jobs ?? [];
  const plan = planJobs({
    policy,
    trigger: "deployed",
    components: [{ name: input.component, path: input.chart, versionFile: "", dependsOn: [] }],
    context: {
      owner: repo.owner,
      repo: repo.name,
      sha: input.sha,
      ref: repo.defaultBranch,
      defaultBranch: repo.defaultBranch,
      versions: { [input.component]: input.version },
      environment: env.name,
    },
  });
  for (const s of plan.skipped) log.info({ job: s.job, reason: s.reason }, "job skipped");
  for (const run of plan.runs.filter((r) => jobs.includes(r.job))) {
    await startRun(
      input.port,
      input.sha,
      run,
      input.deps,
      tracker ? { track: (r) => void tracker.track(r) } : {},
    );
  }
}

/** The newest `deploy` deployment of `component` at `sha` in `environment`. */
export async function deploymentAt(
  port: GitHubRepo,
  sha: string,
  environment: string,
  component: string,
): Promise<DeploymentRecord | undefined> {
  // One GraphQL query with each deployment's state (REST lists none: a status read per
  // deployment, one per component a merge moved); the environment's newest 100 hold this one.
  const list = await new GitHubDeployments(port.octokit, port.owner, port.repo).listDeployments({
    sha,
    environment,
    task: DEPLOY_TASK,
    limit: 100,
  });
  return list.find((d) => d.payload.component === component);
}

const SETTLED = new Set(["success", "failure", "error", "inactive"]);

/** What a verdict knows already when it promotes at once: no second read of the same facts. */
interface Known {
  deployment: DeploymentRecord;
  statuses?: CommitStatus[];
  /** The next environment's hold deployments, when read (see `SettleReads.holds`). */
  holds?: DeploymentRecord[];
}

/** Settles a deployment: failed (comment once, block), verified (soak, then success), or waiting. */
export async function settleDeployment(spec: VerdictSpec, context: JobContext): Promise<void> {
  const { services, log } = context;
  const port = await services.clients.forRepo(
    spec.repo.owner,
    spec.repo.name,
    context.installationId,
  );
  if (spec.outside && spec.outside.state !== "success") {
    const o = spec.outside;
    if (o.state !== "failure" && o.state !== "error") return;
    const d = await deploymentAt(port, spec.sha, spec.environment, spec.component);
    if (d) await fail(port, d, String(d.payload.version ?? ""), [], context, o);
    return;
  }
  // The policy first: it names the next environment, whose holds the one query below reads too.
  const policy = await policyAt(port, spec.sha);
  const env = policy && findEnvironment(policy.deploy.environments, spec.environment);
  const next = policy && nextEnvironment(policy.deploy.environments, spec.environment);
  const reads = await new GitHubDeployments(port.octokit, port.owner, port.repo).settleReads({
    sha: spec.sha,
    environment: spec.environment,
    task: DEPLOY_TASK,
    component: spec.component,
    ...(next ? { next: next.name } : {}),
  });
  const d = reads.deployments.find((r) => r.payload.component === spec.component);
  if (!d) return;
  const known: Known = {
    deployment: d,
    statuses: reads.statuses,
    ...(reads.holds ? { holds: reads.holds } : {}),
  };
  if (spec.outside) {
    await soak(port, d, spec, context, env, known);
    return;
  }
  if (SETTLED.has(d.state) || !env) return;
  const contexts = (env.verify?.jobs ?? []).map((j) => statusContext(spec.component, j, env.name));
  const verdict = verificationVerdict(contexts, reads.statuses);
  log.info({ environment: env.name, component: spec.component, verdict: verdict.kind }, "verdict");
  if (verdict.kind === "failed")
    await fail(port, d, String(d.payload.version ?? ""), verdict.failed, context);
  else if (verdict.kind === "verified") await soak(port, d, spec, context, env, known);
}

async function soak(
  port: GitHubRepo,
  d: DeploymentRecord,
  spec: VerdictSpec,
  context: JobContext,
  env: EnvironmentConfig | undefined,
  known: Known,
): Promise<void> {
  const ms = env ? soakMs(env) : 0;
  const soaked: SoakedSpec = {
    kind: "soaked",
    repo: spec.repo,
    deploymentId: d.id,
    sha: spec.sha,
    environment: spec.environment,
    component: spec.component,
  };
  if (ms === 0) {
    await finishSoak(soaked, context, known);
    return;
  }
  const due = context.services.now().getTime() + ms;
  await port.setDeploymentStatus(d.id, {
    state: d.state === "success" ? "success" : "in_progress",
    description: `verified; soaking until ${new Date(due).toISOString()}`,
  });
  // The durable timer: a restart keeps it, and Redis replicas fire it once.
  await context.services.followUps.at(
    `env-soak:${spec.repo.owner}/${spec.repo.name}:${d.id}`,
    due,
    {
      handler: ENV_FLOW_HANDLER,
      deliveryId: `env-soak:${spec.repo.owner}/${spec.repo.name}:${d.id}`,
      key: envFlowKey(spec.repo, spec.environment, spec.component),
      ...(context.installationId !== undefined ? { installationId: context.installationId } : {}),
      spec: jobSpec(soaked),
    },
  );
}

/** The soak ended: a deployment not failed meanwhile becomes `success`, then is promoted on. */
export async function finishSoak(
  spec: SoakedSpec,
  context: JobContext,
  known?: Known,
): Promise<void> {
  const { services, log } = context;
  const { owner, name } = spec.repo;
  const port = await services.clients.forRepo(owner, name, context.installationId);
  // Without a soak the verdict's own reads are current: no second listing.
  const d =
    known?.deployment ?? (await deploymentAt(port, spec.sha, spec.environment, spec.component));
  if (!d || d.id !== spec.deploymentId) return;
  if (d.state === "failure" || d.state === "error" || d.state === "inactive") return;
  const policy = await policyAt(port, spec.sha);
  const env = policy && findEnvironment(policy.deploy.environments, spec.environment);
  const soak = env?.verify?.soak;
  const verified = `verified${soak ? ` and soaked ${soak}` : ""}`;
  if (d.state !== "success" || d.description !== verified) {
    await port.setDeploymentStatus(d.id, { state: "success", description: verified });
  }
  log.info(
    { environment: spec.environment, component: spec.component, deployment: d.id },
    "deployment verified",
  );
  if (!policy) return;
  const config = await services.clients.configRepo(owner, name, context.installationId);
  const outcome = await promote({
    port,
    config,
    policy,
    deployment: { ...d, state: "success" },
    ...(soak ? { soak } : {}),
    ...(known?.statuses ? { statuses: known.statuses } : {}),
    ...(known?.holds ? { holds: known.holds } : {}),
    // The monorepo is usually under the same installation as its config repo.
    notes: monorepoNotes({
      repo: (o, n) => services.clients.forRepo(o, n, context.installationId),
      history: (o, n) => services.clients.releaseHistory(o, n, context.installationId),
    }),
    log,
  });
  log.info({ environment: spec.environment, component: spec.component, outcome }, "promotion");
  if (outcome.kind === "held" || outcome.kind === "refused") {
    const why =
      outcome.kind === "held"
        ? `promotion to ${outcome.environment} held: ${outcome.reason}`
        : `no promotion: ${outcome.reason}`;
    await port.setDeploymentStatus(d.id, { state: "success", description: `${verified}; ${why}` });
  }
}

export async function fail(
  port: GitHubRepo,
  d: DeploymentRecord,
  version: string,
  failed: { context: string; targetUrl?: string }[],
  context: JobContext,
  outside?: VerdictSpec["outside"],
): Promise<void> {
  if (d.state !== "failure" && d.state !== "error") {
    // The first failed run is the log people open from the Environments page and the dashboard.
    const run = failed.find((f) => f.targetUrl)?.targetUrl;
    await port.setDeploymentStatus(d.id, {
      state: "failure",
      description: `verification failed: ${failed.map((f) => f.context).join(", ") || "deployment status"}`,
      ...(run ? { logUrl: run } : {}),
    });
  }
  const marker = failureMarker(d.id);
  for (const pull of await port.pullRequestsOfCommit(d.sha)) {
    const comments = await port.listComments(pull);
    if (comments.some((c) => c.body.includes(marker))) continue;
    await port.createComment(
      pull,
      failureComment({
        deploymentId: d.id,
        environment: d.environment,
        component: String(d.payload.component ?? ""),
        version,
        failed,
        ...(outside
          ? {
              outside: {
                by: outside.by,
                ...(outside.description ? { description: outside.description } : {}),
                ...(outside.logUrl ? { logUrl: outside.logUrl } : {}),
              },
            }
          : {}),
      }),
    );
  }
  context.log.info({ environment: d.environment, deployment: d.id }, "deployment failed");
}

export async function runEnvFlowJob(spec: EnvFlowSpec, context: JobContext): Promise<void> {
  if (spec.kind === "record") return recordDeployments(spec, context);
  if (spec.kind === "verdict") return settleDeployment(spec, context);
  return finishSoak(spec, context);
}
