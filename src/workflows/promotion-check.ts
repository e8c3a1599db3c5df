// monobot/promotion on a config-repo pull request: read which environments' pins it moves (base -> head) and the deployments of the environments before them, then post the check.
import { CHART_FILE, chartFolders } from "../core/charts.js";
import {
  configRepoComponents,
  expandEnvironmentPins,
  pinFiles,
  type EnvComponent,
  type EnvPin,
} from "../core/env-matrix.js";
import {
  changedPins,
  touchedEnvironments,
  type ChangedFile,
  type PinChange,
} from "../core/env-pin-edits.js";
import { DEPLOY_TASK, type DeploymentRecord } from "../core/env-record.js";
import { environmentList, previousEnvironment } from "../core/environments.js";
import type { DeployOverride } from "../core/freeze.js";
import type { Policy } from "../core/policy.js";
import { promotionCheck } from "../core/promotion-check.js";
import type { CheckResult, ChangedFile as PullFile } from "../core/types.js";
import { GitHubDeployments, type DeploymentsPort } from "../forge/deployments.js";
import type { GitHubRepo, PullRequestData } from "../forge/github.js";
import { postCheckRun } from "./verify-pull-request.js";

/** How many of an environment's newest deployments are read to tell what is verified there. */
const DEPLOYMENTS_READ = 100;

/** The deployments port of the repository `port` reads. */
export function deploymentsOf(port: GitHubRepo): DeploymentsPort {
  return new GitHubDeployments(port.octokit, port.owner, port.repo);
}

/** The components and every environment's pins at `sha`: its paths, then its Chart.yaml files. */
export async function readEnvironmentPins(
  port: Pick<GitHubRepo, "paths" | "readFiles">,
  sha: string,
  policy: Policy,
): Promise<{ components: EnvComponent[]; pins: EnvPin[]; charts: Map<string, string> }> {
  const paths = await port.paths(sha);
  const wanted = chartFolders(paths, policy).map((f) =>
    f === "" ? CHART_FILE : `${f}/${CHART_FILE}`,
  );
  const texts = await port.readFiles(wanted.map((path) => ({ sha, path })));
  const charts = new Map<string, string>();
  for (const path of wanted) {
    const text = texts.get(`${sha}:${path}`);
    if (typeof text === "string") charts.set(path, text);
  }
  const components = configRepoComponents(policy, charts);
  return {
    components,
    pins: expandEnvironmentPins(policy.deploy.environments, components),
    charts,
  };
}

/**
 * The environments' pins a pull request moves, from its files listing: nothing is read when the
 * policy has no environments or the listing touches no pin file; else the head's Chart.yaml files
 * (to name the components) and the changed pin files at the base and the head.
 */
export async function movedPins(
  port: Pick<GitHubRepo, "paths" | "readFiles">,
  pr: Pick<PullRequestData, "baseSha" | "headSha">,
  policy: Policy,
  files: readonly PullFile[],
): Promise<PinChange[]> {
  if (environmentList(policy.deploy.environments).length === 0) return [];
  const listed = new Set(
    files.flatMap((f) => [f.path, ...(f.previousPath ? [f.previousPath] : [])]),
  );
  const { pins } = await readEnvironmentPins(port, pr.headSha, policy);
  const touched = pinFiles(pins).filter((p) => listed.has(p));
  if (touched.length === 0) return [];
  const texts = await port.readFiles(
    touched.flatMap((path) => [
      { sha: pr.baseSha, path },
      { sha: pr.headSha, path },
    ]),
  );
  const changes: ChangedFile[] = touched.map((path) => {
    const before = texts.get(`${pr.baseSha}:${path}`);
    const after = texts.get(`${pr.headSha}:${path}`);
    return {
      path,
      ...(typeof before === "string" ? { before } : {}),
      ...(typeof after === "string" ? { after } : {}),
    };
  });
  return changedPins(pins, changes);
}

/** The names of the environments whose pins a pull request moves (the access rules' `environments`). */
export async function movedEnvironments(
  port: Pick<GitHubRepo, "paths" | "readFiles">,
  pr: Pick<PullRequestData, "baseSha" | "headSha">,
  policy: Policy,
  files: readonly PullFile[],
): Promise<string[]> {
  return touchedEnvironments(await movedPins(port, pr, policy, files));
}

/** The deployments of every environment a moved pin takes its version from (one request each). */
async function recordsFor(
  deployments: DeploymentsPort,
  policy: Policy,
  moved: readonly PinChange[],
): Promise<DeploymentRecord[]> {
  const sources = new Set<string>();
  for (const m of moved) {
    if (m.to === undefined) continue;
    const previous = previousEnvironment(policy.deploy.environments, m.environment);
    if (previous) sources.add(previous.name);
  }
  const out: DeploymentRecord[] = [];
  for (const environment of [...sources].sort()) {
    out.push(
      ...(await deployments.listDeployments({
        environment,
        task: DEPLOY_TASK,
        limit: DEPLOYMENTS_READ,
      })),
    );
  }
  return out;
}

/** Evaluates and posts monobot/promotion for the pull request's head. */
export async function evaluatePromotion(req: {
  port: GitHubRepo;
  deployments?: DeploymentsPort;
  pr: PullRequestData;
  policy: Policy;
  moved: readonly PinChange[];
  override?: DeployOverride;
  deliveryId: string;
}): Promise<{ result: CheckResult; checkRunId: number }> {
  const deployments = req.deployments ?? deploymentsOf(req.port);
  const records = await recordsFor(deployments, req.policy, req.moved);
  const result = promotionCheck({
    environments: req.policy.deploy.environments,
    moved: req.moved,
    records,
    ...(req.override ? { override: req.override } : {}),
  });
  const checkRunId = await postCheckRun(req.port, req.pr.headSha, req.deliveryId, result);
  return { result, checkRunId };
}
