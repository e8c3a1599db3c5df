// Runs deploy jobs: opens or updates a component's deploy PR on the config repo, rebuilds open
// ones when the config repo's default branch moves, and opens a published chart's follow-up.
import { parseChart } from "../core/charts.js";
import { followUpChart, followUpKey } from "../core/chart-follow-up.js";
import type { DeployComponent } from "../core/deploy-plan.js";
import { DEPLOY_BRANCH_PREFIX, deployBranch, parseDeployMarker } from "../core/deploy-pr.js";
import type { Log } from "../log.js";
import {
  componentSettings,
  deployKey,
  queueDeployJob,
  repoName,
  type ChartSpec,
  type DeploySpec,
  type RebaseSpec,
  type ReleaseSpec,
  type Repo,
  type ScanSpec,
} from "./deploy-jobs.js";
import type { JobContext, Services } from "./job-context.js";
import {
  openChartFollowUpPr,
  openDeployPr,
  DEPLOY_SOURCE_TRAILER,
  parseDeploySource,
  type DeployOutcome,
  type DeployRequest,
} from "./open-deploy-pr.js";
import { componentNotePaths, gatherReleaseNotes, type ReleaseNotes } from "./release-notes.js";

/**
 * A port of another repository, or undefined (said in the log) when the App is not installed
 * there: the installation lookup answers 404, which only the user can fix.
 */
async function ifInstalled<T>(log: Log, repo: Repo, setting: string, open: () => Promise<T>) {
  try {
    return await open();
  } catch (e) {
    if ((e as { status?: number }).status !== 404) throw e;
    log.warn(
      `monobot is not installed on ${repoName(repo)} (${setting}): install the App there, or correct ${setting}`,
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
    ...(notes.filter ? { changesFilter: notes.filter } : {}),
    ...(notes.webUrl ? { webUrl: notes.webUrl } : {}),
  };
}

function logDeployOutcome(log: Log, outcome: DeployOutcome): void {
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
    paths: async (tag, changed) =>
      componentNotePaths(
        await clients.forRepo(spec.monorepo.owner, spec.monorepo.name, context.installationId),
        spec.component.name,
        tag,
        undefined,
        changed,
      ),
  });
  if (!found.ok) {
    log.warn({ reason: found.reason }, "nothing deployed");
    return;
  }
  const port = await ifInstalled(log, spec.configRepo, "deploy.config_repo", () =>
    clients.configRepo(spec.configRepo.owner, spec.configRepo.name),
  );
  if (!port) return;
  logDeployOutcome(
    log,
    await openDeployPr(port, requestOf(spec.component, spec.monorepo, found.notes)),
  );
}

async function runRebase(spec: RebaseSpec, context: JobContext, log: Log): Promise<void> {
  const { clients } = context.services;
  const mono = await ifInstalled(log, spec.monorepo, `the ${DEPLOY_SOURCE_TRAILER} trailer`, () =>
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
  if (repoName(settings.configRepo).toLowerCase() !== repoName(spec.configRepo).toLowerCase()) {
    log.warn(
      { now: repoName(settings.configRepo) },
      "left as is: the monorepo deploys elsewhere now",
    );
    return;
  }
  const history = await clients.releaseHistory(spec.monorepo.owner, spec.monorepo.name);
  const found = await gatherReleaseNotes(history, {
    component: spec.component,
    tagTemplate: policy.versions.tag,
    version: spec.version,
    paths: (tag, changed) => componentNotePaths(mono, spec.component, tag, policy, changed),
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
  logDeployOutcome(
    log,
    await openDeployPr(port, requestOf(settings.component, spec.monorepo, found.notes)),
  );
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
  logDeployOutcome(log, await openChartFollowUpPr(port, { chart: spec.chart, version }));
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
      await queueDeployJob(services, log, {
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
    await queueDeployJob(services, log, {
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

/** Runs one deploy job. */
export async function runDeployJob(spec: DeploySpec, context: JobContext): Promise<void> {
  const where =
    spec.kind === "scan"
      ? { repo: repoName(spec.repo) }
      : {
          configRepo: repoName(spec.configRepo),
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
}
