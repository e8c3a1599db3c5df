// Deploy PRs on the config repo: queued after a publish (or a release tag, or a chart publish), and rebuilt when the config repo's default branch moves.
//
// Every deploy runs as its own job keyed `deploy:{owner}/{name}:{component}` (the config repo and
// the component, or `chart:{name}` for a chart's follow-up), so two runs never race on one
// deploy branch. A push to a repository's default branch queues a scan: when the repository
// holds open monobot deploy PRs, each is queued again to be rebuilt on the new base.
import { parseChart } from "../core/charts.js";
import { followUpChart, followUpKey } from "../core/chart-follow-up.js";
import { deployComponent, deployTarget, type DeployComponent } from "../core/deploy-plan.js";
import { DEPLOY_BRANCH_PREFIX, deployBranch, parseDeployMarker } from "../core/deploy-pr.js";
import { jobTriggers } from "../core/job-templates.js";
import { isPublishJob } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import type { RunIdFields, StatusState } from "../core/run-id.js";
import type { Log } from "../log.js";
import { jobSpec } from "../runtime/job.js";
import {
  openChartFollowUpPr,
  openDeployPr,
  DEPLOY_SOURCE_TRAILER,
  parseDeploySource,
  type DeployOutcome,
  type DeployRequest,
} from "../workflows/open-deploy-pr.js";
import { gatherReleaseNotes, type ReleaseNotes } from "../workflows/release-notes.js";
import {
  defineHandler,
  repoRef,
  type JobContext,
  type RepoPayload,
  type Services,
} from "./handler.js";

export const DEPLOY_HANDLER = "deploy";

interface Repo {
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

function full(repo: Repo): string {
  return `${repo.owner}/${repo.name}`;
}

async function submit(
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
function componentSettings(
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
    await submit(services, log, {
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
    await submit(services, log, {
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
  const log = context.log.child({ repo: full(input.repo) });
  for (const r of released) {
    const settings = componentSettings(input.policy, r.component);
    if (typeof settings === "string") {
      log.info({ component: r.component, reason: settings }, "released; nothing to deploy");
      continue;
    }
    await submit(context.services, log, {
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

/**
 * A port of another repository, or undefined (said in the log) when the App is not installed
 * there: the installation lookup answers 404, which only the user can fix.
 */
async function reach<T>(log: Log, repo: Repo, setting: string, open: () => Promise<T>) {
  try {
    return await open();
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    log.warn(
      `monobot is not installed on ${full(repo)} (${setting}): install the App there, or correct ${setting}`,
    );
    return undefined;
  }
}

function requestOf(component: DeployComponent, monorepo: Repo, notes: ReleaseNotes): DeployRequest {
  return {
    component,
    version: {
      ...(notes.previous ? { from: notes.previous.version } : {}),
      to: notes.version,
    },
    monorepo,
    tags: { ...(notes.previous ? { from: notes.previous.tag } : {}), to: notes.tag },
    changes: notes.changes,
    ...(notes.webUrl ? { webUrl: notes.webUrl } : {}),
  };
}

function report(log: Log, outcome: DeployOutcome): void {
  const fields = {
    status: outcome.status,
    attempts: outcome.attempts,
    ...(outcome.pull ? { pull: outcome.pull.number } : {}),
  };
  if (outcome.status === "refused" || outcome.status === "failed")
    log.warn(fields, outcome.message);
  else log.info(fields, outcome.message);
}

async function runRelease(spec: ReleaseSpec, context: JobContext, log: Log): Promise<void> {
  const { clients } = context.services;
  const history = await clients.releaseHistory(
    spec.monorepo.owner,
    spec.monorepo.name,
    context.installationId,
  );
  const found = await gatherReleaseNotes(history, {
    component: spec.component.name,
    tagTemplate: spec.tagTemplate,
    ...(spec.version !== undefined ? { version: spec.version } : {}),
    ...(spec.sha !== undefined ? { sha: spec.sha } : {}),
  });
  if (!found.ok) {
    log.warn({ reason: found.reason }, "nothing deployed");
    return;
  }
  const port = await reach(log, spec.configRepo, "deploy.config_repo", () =>
    clients.configRepo(spec.configRepo.owner, spec.configRepo.name),
  );
  if (!port) return;
  report(log, await openDeployPr(port, requestOf(spec.component, spec.monorepo, found.notes)));
}

async function runRebase(spec: RebaseSpec, context: JobContext, log: Log): Promise<void> {
  const { clients } = context.services;
  const mono = await reach(log, spec.monorepo, `the ${DEPLOY_SOURCE_TRAILER} trailer`, () =>
    clients.forRepo(spec.monorepo.owner, spec.monorepo.name),
  );
  if (!mono) return;
  const loaded = await mono.loadPolicy();
  if (!loaded.result.ok) {
    log.warn("left as is: the monorepo's configuration is invalid");
    return;
  }
  const policy = loaded.result.policy;
  const settings = componentSettings(policy, spec.component);
  if (typeof settings === "string") {
    log.warn({ reason: settings }, "left as is");
    return;
  }
  if (full(settings.configRepo).toLowerCase() !== full(spec.configRepo).toLowerCase()) {
    log.warn({ now: full(settings.configRepo) }, "left as is: the monorepo deploys elsewhere now");
    return;
  }
  const history = await clients.releaseHistory(spec.monorepo.owner, spec.monorepo.name);
  const found = await gatherReleaseNotes(history, {
    component: spec.component,
    tagTemplate: policy.versions.tag,
    version: spec.version,
  });
  if (!found.ok) {
    log.warn({ reason: found.reason }, "left as is");
    return;
  }
  const port = await clients.configRepo(
    spec.configRepo.owner,
    spec.configRepo.name,
    context.installationId,
  );
  report(log, await openDeployPr(port, requestOf(settings.component, spec.monorepo, found.notes)));
}

/** The version of the chart named `chart` at `sha` (its Chart.yaml, found among the tree's). */
async function chartVersionAt(
  port: Awaited<ReturnType<Services["clients"]["configRepo"]>>,
  chart: string,
  sha: string,
): Promise<string | undefined> {
  const files = (await port.paths(sha)).filter(
    (p) => p === "Chart.yaml" || p.endsWith("/Chart.yaml"),
  );
  const texts = await port.readFiles(sha, files);
  for (const [path, text] of texts) {
    const parsed = parseChart(text, path);
    if (parsed.ok && parsed.chart.name === chart) return parsed.chart.version?.value;
  }
  return undefined;
}

async function runChart(spec: ChartSpec, context: JobContext, log: Log): Promise<void> {
  const port = await context.services.clients.configRepo(
    spec.configRepo.owner,
    spec.configRepo.name,
    context.installationId,
  );
  const version =
    spec.version ?? (spec.sha ? await chartVersionAt(port, spec.chart, spec.sha) : undefined);
  if (version === undefined) {
    log.warn({ chart: spec.chart }, "no follow-up: the published chart's version is unknown");
    return;
  }
  report(log, await openChartFollowUpPr(port, { chart: spec.chart, version }));
}

async function runScan(spec: ScanSpec, context: JobContext, log: Log): Promise<void> {
  const { services } = context;
  const port = await services.clients.configRepo(
    spec.repo.owner,
    spec.repo.name,
    context.installationId,
  );
  // Most repositories (every monorepo) hold no deploy branch: one small request tells.
  if ((await port.branchesWithPrefix(DEPLOY_BRANCH_PREFIX)).length === 0) return;
  const deploys = (await port.openPulls(DEPLOY_BRANCH_PREFIX)).flatMap((pull) => {
    const marker = parseDeployMarker(pull.body);
    return marker && deployBranch(marker.component) === pull.headRef ? [{ pull, marker }] : [];
  });
  if (deploys.length === 0) return;
  const heads = await port.heads(deploys.map((d) => d.pull.headRef));
  const base = heads.defaultBranch.sha;
  for (const { pull, marker } of deploys) {
    const tip = heads.branches.get(pull.headRef) ?? null;
    if (tip && tip.parents.length === 1 && tip.parents[0] === base) continue;
    const key = deployKey(spec.repo, marker.component);
    const deliveryId = `${context.deliveryId}/rebase/${marker.component}`;
    const chart = followUpChart(marker.component);
    if (chart) {
      await submit(services, log, {
        key,
        deliveryId,
        ...(context.installationId !== undefined ? { installationId: context.installationId } : {}),
        spec: { kind: "chart", configRepo: spec.repo, chart, version: marker.version },
      });
      continue;
    }
    const monorepo = tip ? parseDeploySource(tip.message) : undefined;
    if (!monorepo) {
      log.info(
        { pull: pull.number },
        "deploy PR left as is: its commit does not name the monorepo it comes from",
      );
      continue;
    }
    await submit(services, log, {
      key,
      deliveryId,
      ...(context.installationId !== undefined ? { installationId: context.installationId } : {}),
      spec: {
        kind: "rebase",
        monorepo,
        configRepo: spec.repo,
        component: marker.component,
        version: marker.version,
      },
    });
  }
}

export default defineHandler<DeploySpec>({
  name: DEPLOY_HANDLER,
  events: ["push"],
  plan(event) {
    const payload = event.payload as {
      repository: RepoPayload;
      ref: string;
      deleted?: boolean;
      installation?: { id: number };
    };
    const { repository, ref } = payload;
    if (payload.deleted || ref !== `refs/heads/${repository.default_branch}`) return [];
    const repo = repoRef(repository);
    return [
      {
        key: `${repo.owner}/${repo.name}@deploy-scan`,
        // Not the delivery's own id: the push handler's job of the same delivery carries that one.
        deliveryId: `${event.id}/deploy-scan`,
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: { kind: "scan", repo: { owner: repo.owner, name: repo.name } },
      },
    ];
  },
  async run(spec, context) {
    const where =
      spec.kind === "scan"
        ? { repo: full(spec.repo) }
        : {
            configRepo: full(spec.configRepo),
            deploy:
              spec.kind === "chart"
                ? followUpKey(spec.chart)
                : typeof spec.component === "string"
                  ? spec.component
                  : spec.component.name,
          };
    const log = context.log.child(where);
    switch (spec.kind) {
      case "scan":
        return runScan(spec, context, log);
      case "release":
        return runRelease(spec, context, log);
      case "rebase":
        return runRebase(spec, context, log);
      case "chart":
        return runChart(spec, context, log);
    }
  },
});
