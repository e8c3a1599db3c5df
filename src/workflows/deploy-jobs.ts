// Deploy jobs: what one is (a scan, a release, a rebase, a chart follow-up), its queue key, and the
// moments that queue one (a successful publish or chart release, a release without a publish job).
//
// Every deploy runs as its own job keyed `deploy:{owner}/{name}:{component}` (the config repo and
// the component, or `chart:{name}` for a chart's follow-up), so two runs never race on one
// deploy branch.
import { followUpKey } from "../core/chart-follow-up.js";
import { deployComponent, deployTarget, type DeployComponent } from "../core/deploy-plan.js";
import { jobTriggers } from "../core/job-templates.js";
import { isPublishJob } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import type { RunIdFields, StatusState } from "../core/run-id.js";
import type { Log } from "../log.js";
import { jobSpec } from "../runtime/job.js";
import type { JobContext, Services } from "./job-context.js";

export const DEPLOY_HANDLER = "deploy";

export interface Repo {
  owner: string;
  name: string;
}

/** A push to a default branch: rebuild the repository's open deploy PRs, if it has any. */
export interface ScanSpec {
  kind: "scan";
  repo: Repo;
}

/** A component's release: open or update its deploy PR. */
export interface ReleaseSpec {
  kind: "release";
  monorepo: Repo;
  configRepo: Repo;
  component: DeployComponent;
  /** `versions.tag` of the monorepo. */
  tagTemplate: string;
  /** The version, when known (a release tag); else the release tag at `sha` says it. */
  version?: string;
  sha?: string;
}

/** An open deploy PR to rebuild on the config repo's new base. */
export interface RebaseSpec {
  kind: "rebase";
  monorepo: Repo;
  configRepo: Repo;
  component: string;
  version: string;
}

/** A published chart: open or update its follow-up PR. */
export interface ChartSpec {
  kind: "chart";
  configRepo: Repo;
  chart: string;
  /** The version, when known (an open follow-up's marker); else read at `sha`. */
  version?: string;
  sha?: string;
}

export type DeploySpec = ScanSpec | ReleaseSpec | RebaseSpec | ChartSpec;

/** The queue key of deploy work on one deploy branch. */
export function deployKey(configRepo: Repo, key: string): string {
  return `deploy:${configRepo.owner}/${configRepo.name}:${key}`;
}

/** `owner/name`, as users and logs name a repository. */
export function repoName(repo: Repo): string {
  return `${repo.owner}/${repo.name}`;
}

/** Queues one deploy job (its own job: the deploy branch's key keeps two runs of it apart). */
export async function queueDeployJob(
  services: Services,
  log: Log,
  job: { key: string; deliveryId: string; installationId?: number; spec: DeploySpec },
): Promise<void> {
  const outcome = await services.followUps.submit({
    handler: DEPLOY_HANDLER,
    deliveryId: job.deliveryId,
    key: job.key,
    ...(job.installationId !== undefined ? { installationId: job.installationId } : {}),
    spec: jobSpec(job.spec),
  });
  log.info({ key: job.key, kind: job.spec.kind, outcome }, "deploy job queued");
}

/** The deploy settings of a component from the monorepo's policy; a sentence when there are none. */
export function componentSettings(
  policy: Policy,
  name: string,
): { configRepo: Repo; component: DeployComponent } | string {
  const configRepo = deployTarget(policy);
  if (!configRepo) return "deploy.config_repo is not set";
  const defined = policy.components.define[name];
  const component = deployComponent(policy, {
    name,
    ...(defined?.image !== undefined ? { image: defined.image } : {}),
    ...(defined?.chart !== undefined ? { chart: defined.chart } : {}),
  });
  if (!component) return `components.define.${name}.chart names no chart of the config repo`;
  return { configRepo, component };
}

/**
 * After a CI result is posted: a publish job (its `on` includes release) that succeeded queues
 * the component's deploy; a chart_release job that succeeded queues the chart's follow-up. A
 * failure, a pull request's run or any other job queues nothing. Reads the policy at the run's
 * commit (one request), only for successful runs outside pull requests.
 */
export async function deployAfterCiResult(
  result: { run: RunIdFields; state: StatusState },
  context: JobContext,
  installationId: number | undefined,
): Promise<void> {
  const { run } = result;
  if (result.state !== "success" || run.pr !== undefined) return;
  const { services } = context;
  const log = context.log.child({ repo: `${run.owner}/${run.repo}`, job: run.job });
  const port = await services.clients.forRepo(run.owner, run.repo, installationId);
  const loaded = await port.loadPolicy(run.sha);
  if (!loaded.result.ok) return;
  const policy = loaded.result.policy;
  const template = policy.jobs.templates[run.job];
  if (!template) return;
  const installation =
    installationId ?? (await services.clients.installationOf(run.owner, run.repo));
  if (isPublishJob(template)) {
    const settings = componentSettings(policy, run.component);
    if (typeof settings === "string") {
      log.info({ component: run.component, reason: settings }, "published; nothing to deploy");
      return;
    }
    await queueDeployJob(services, log, {
      key: deployKey(settings.configRepo, settings.component.name),
      deliveryId: `${context.deliveryId}/deploy`,
      installationId: installation,
      spec: {
        kind: "release",
        monorepo: { owner: run.owner, name: run.repo },
        configRepo: settings.configRepo,
        component: settings.component,
        tagTemplate: policy.versions.tag,
        sha: run.sha,
      },
    });
  }
  if (jobTriggers(template).includes("chart_release")) {
    const configRepo = { owner: run.owner, name: run.repo };
    await queueDeployJob(services, log, {
      key: deployKey(configRepo, followUpKey(run.component)),
      deliveryId: `${context.deliveryId}/chart-follow-up`,
      installationId: installation,
      spec: { kind: "chart", configRepo, chart: run.component, sha: run.sha },
    });
  }
}

/** After a merge: components released without a publish job are deployed by their release tag. */
export async function deployReleased(
  released: readonly { component: string; version: string }[],
  input: { policy: Policy; repo: Repo; sha: string },
  context: JobContext,
  installationId: number,
): Promise<void> {
  const log = context.log.child({ repo: repoName(input.repo) });
  for (const r of released) {
    const settings = componentSettings(input.policy, r.component);
    if (typeof settings === "string") {
      log.info({ component: r.component, reason: settings }, "released; nothing to deploy");
      continue;
    }
    await queueDeployJob(context.services, log, {
      key: deployKey(settings.configRepo, r.component),
      deliveryId: `${context.deliveryId}/deploy/${r.component}`,
      installationId,
      spec: {
        kind: "release",
        monorepo: input.repo,
        configRepo: settings.configRepo,
        component: settings.component,
        tagTemplate: input.policy.versions.tag,
        version: r.version,
        sha: input.sha,
      },
    });
  }
}
