// The sandbox's GitHub Deployments: creating them and their statuses as GitHub does, and their REST shape.
import { ApiError, validationFailed } from "./errors.js";
import { nodeId, type Representer } from "./representations.js";
import type { Deployment, DeploymentStatus, Repository, SandboxState, User } from "./state.js";

export const DEPLOYMENT_STATES = [
  "error",
  "failure",
  "inactive",
  "in_progress",
  "queued",
  "pending",
  "success",
] as const;

export interface NewDeployment {
  ref: string;
  task?: string;
  payload?: Record<string, unknown> | string;
  environment?: string;
  description?: string | null;
  requiredContexts?: string[];
  productionEnvironment?: boolean;
  transientEnvironment?: boolean;
}

/** Creates a deployment; like GitHub, 409 when the ref's required statuses are not all green. */
export function createDeployment(
  state: SandboxState,
  repo: Repository,
  creator: User,
  input: NewDeployment,
): Deployment {
  const sha = state.resolveCommit(repo, input.ref);
  if (!sha) throw new ApiError(422, `No ref found for: ${input.ref}`);
  const environment = input.environment ?? "production";
  if (input.requiredContexts === undefined) {
    // Without `required_contexts` GitHub asks every status context of the ref to be green.
    const combined = state.combinedStatus(repo, sha);
    if (combined.statuses.length > 0 && combined.state !== "success")
      throw new ApiError(409, "Conflict: Commit status checks failed for " + input.ref + ".");
  } else {
    const latest = new Map(state.combinedStatus(repo, sha).statuses.map((s) => [s.context, s]));
    const missing = input.requiredContexts.filter((c) => latest.get(c)?.state !== "success");
    if (missing.length > 0)
      throw new ApiError(409, `Conflict: Commit status checks failed for ${input.ref}.`);
  }
  const now = state.isoNow();
  const deployment: Deployment = {
    id: state.newId(),
    sha,
    ref: input.ref,
    task: input.task ?? "deploy",
    payload: input.payload ?? {},
    environment,
    originalEnvironment: environment,
    description: input.description ?? null,
    productionEnvironment: input.productionEnvironment ?? environment === "production",
    transientEnvironment: input.transientEnvironment ?? false,
    creator,
    createdAt: now,
    updatedAt: now,
    statuses: [],
  };
  repo.deployments.push(deployment);
  return deployment;
}

export interface NewDeploymentStatus {
  state: string;
  description?: string;
  logUrl?: string;
  targetUrl?: string;
  environmentUrl?: string;
  autoInactive?: boolean;
}

/**
 * Adds a status; a `success` marks the earlier successful deployments of the same environment
 * `inactive` unless the environment is a production or transient one, as GitHub's `auto_inactive`.
 */
export function addDeploymentStatus(
  state: SandboxState,
  repo: Repository,
  deployment: Deployment,
  creator: User,
  input: NewDeploymentStatus,
): DeploymentStatus {
  if (!(DEPLOYMENT_STATES as readonly string[]).includes(input.state))
    throw validationFailed([{ resource: "DeploymentStatus", field: "state", code: "invalid" }]);
  const description = input.description ?? "";
  if (description.length > 140)
    throw validationFailed([
      { resource: "DeploymentStatus", field: "description", code: "custom" },
    ]);
  const now = state.isoNow();
  const status: DeploymentStatus = {
    id: state.newId(),
    state: input.state,
    description,
    logUrl: input.logUrl ?? input.targetUrl ?? "",
    environmentUrl: input.environmentUrl ?? "",
    creator,
    createdAt: now,
  };
  deployment.statuses.push(status);
  deployment.updatedAt = now;
  if (input.state === "success" && input.autoInactive !== false) {
    for (const other of repo.deployments) {
      if (other === deployment || other.environment !== deployment.environment) continue;
      if (other.productionEnvironment || other.transientEnvironment) continue;
      if (other.statuses.at(-1)?.state !== "success") continue;
      other.statuses.push({ ...status, id: state.newId(), state: "inactive", description: "" });
    }
  }
  return status;
}

function apiBase(view: Representer, repo: Repository): string {
  return view.urls.apiUrl(`/repos/${repo.owner.login}/${repo.name}`);
}

export function deploymentJson(
  view: Representer,
  repo: Repository,
  d: Deployment,
): Record<string, unknown> {
  const url = `${apiBase(view, repo)}/deployments/${d.id}`;
  return {
    url,
    id: d.id,
    node_id: nodeId("Deployment", d.id),
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload: d.payload,
    original_environment: d.originalEnvironment,
    environment: d.environment,
    description: d.description,
    creator: view.user(d.creator),
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    statuses_url: `${url}/statuses`,
    repository_url: apiBase(view, repo),
    transient_environment: d.transientEnvironment,
    production_environment: d.productionEnvironment,
  };
}

export function deploymentStatusJson(
  view: Representer,
  repo: Repository,
  d: Deployment,
  s: DeploymentStatus,
): Record<string, unknown> {
  const deploymentUrl = `${apiBase(view, repo)}/deployments/${d.id}`;
  return {
    url: `${deploymentUrl}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId("DeploymentStatus", s.id),
    state: s.state,
    creator: view.user(s.creator),
    description: s.description,
    environment: d.environment,
    target_url: s.logUrl,
    log_url: s.logUrl,
    environment_url: s.environmentUrl,
    created_at: s.createdAt,
    updated_at: s.createdAt,
    deployment_url: deploymentUrl,
    repository_url: apiBase(view, repo),
  };
}
