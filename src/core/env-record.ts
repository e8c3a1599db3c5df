// What GitHub Deployments record about an environment: the verified versions, the holds, the version that runs.

export type DeploymentState =
  "pending" | "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

/** A GitHub Deployment with its latest status: the record of what ran where (git decides what runs). */
export interface DeploymentRecord {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  task: string;
  /** monobot's: `{ component, version, chart?, pr?, hold?, reason?, by? }`. */
  payload: Record<string, unknown>;
  createdAt: string;
  /** The latest status's state; `none` before any status. */
  state: DeploymentState | "none";
  statusUrl?: string;
  logUrl?: string;
  description?: string;
  statusAt?: string;
}

/** The task of a deployment that records a version in an environment. */
export const DEPLOY_TASK = "deploy";
/** The task of a deployment that holds (or releases) a component in an environment. */
export const HOLD_TASK = "monobot:hold";

export interface Hold {
  held: boolean;
  reason: string;
  by: string;
  /** The hold's deployment. */
  id: number;
  at: string;
}

/** Newest first by creation time, then by id (GitHub's ids grow), whatever order the records came in. */
function newestFirst(records: readonly DeploymentRecord[]): DeploymentRecord[] {
  return [...records].sort((a, b) =>
    a.createdAt === b.createdAt ? b.id - a.id : a.createdAt < b.createdAt ? 1 : -1,
  );
}

function str(payload: Record<string, unknown>, key: string): string | undefined {
  const v = payload[key];
  return typeof v === "string" ? v : undefined;
}

/** The newest `deploy` deployment of `component` in `env`, whatever its version. */
export function latestDeploy(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
): DeploymentRecord | undefined {
  return newestFirst(records).find(
    (r) =>
      r.environment === env && r.task === DEPLOY_TASK && str(r.payload, "component") === component,
  );
}

/** The newest `deploy` deployment of `component` at `version` in `env`. */
export function deployOf(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
  version: string,
): DeploymentRecord | undefined {
  return newestFirst(records).find(
    (r) =>
      r.environment === env &&
      r.task === DEPLOY_TASK &&
      str(r.payload, "component") === component &&
      str(r.payload, "version") === version,
  );
}

/**
 * Whether `version` of `component` is verified in `env`: the environment's newest deploy of that
 * version ended `success`. A later failing deploy of the same version takes the verdict back.
 */
export function isVerified(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
  version: string,
): boolean {
  return deployOf(records, env, component, version)?.state === "success";
}

/** The hold of `component` in `env`: the newest `monobot:hold` deployment decides; none is no hold. */
export function holdOf(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
): Hold | undefined {
  const r = newestFirst(records).find(
    (d) =>
      d.environment === env && d.task === HOLD_TASK && str(d.payload, "component") === component,
  );
  if (!r) return undefined;
  return {
    held: r.payload.hold === true,
    reason: str(r.payload, "reason") ?? "",
    by: str(r.payload, "by") ?? "",
    id: r.id,
    at: r.createdAt,
  };
}

/** The version of `component` last recorded in `env` (the newest deploy, verified or not). */
export function currentVersion(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
): string | undefined {
  const r = latestDeploy(records, env, component);
  return r ? str(r.payload, "version") : undefined;
}

/** The versions of `component` verified in `env`, newest deployment first. */
export function verifiedVersions(
  records: readonly DeploymentRecord[],
  env: string,
  component: string,
): string[] {
  const out: string[] = [];
  for (const r of newestFirst(records)) {
    if (r.environment !== env || r.task !== DEPLOY_TASK) continue;
    if (str(r.payload, "component") !== component) continue;
    const version = str(r.payload, "version");
    if (version === undefined || out.includes(version)) continue;
    if (isVerified(records, env, component, version)) out.push(version);
  }
  return out;
}
