// What GitHub Deployments record about environments: the deployment record monobot reads, whether a version is verified in an environment, and whether an environment holds a component.

/** A deployment status as GitHub names it. */
export type DeploymentState =
  "pending" | "queued" | "in_progress" | "success" | "failure" | "error" | "inactive";

/** One GitHub Deployment with its latest status ("none" before any). */
export interface DeploymentRecord {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  task: string;
  /** monobot's: `{ component, version, chart?, pr?, hold?, reason?, by? }`. */
  payload: Record<string, unknown>;
  createdAt: string;
  state: DeploymentState | "none";
  statusUrl?: string;
  logUrl?: string;
  description?: string;
  statusAt?: string;
}

/** The task of a deployment that runs a version. */
export const DEPLOY_TASK = "deploy";
/** The task of a record that puts an environment on hold for a component (or lifts it). */
export const HOLD_TASK = "monobot:hold";

/** The newest first; the id breaks a tie of timestamps (GitHub's ids grow). */
function newest(records: readonly DeploymentRecord[]): DeploymentRecord | undefined {
  let best: DeploymentRecord | undefined;
  for (const r of records) {
    if (
      !best ||
      r.createdAt > best.createdAt ||
      (r.createdAt === best.createdAt && r.id > best.id)
    ) {
      best = r;
    }
  }
  return best;
}

/**
 * Whether `version` of `component` is verified in `environment`: the environment's newest
 * `deploy` deployment of that component at that version has the state `success`.
 */
export function isVerified(
  records: readonly DeploymentRecord[],
  environment: string,
  component: string,
  version: string,
): boolean {
  const latest = newest(
    records.filter(
      (r) =>
        r.task === DEPLOY_TASK &&
        r.environment === environment &&
        r.payload.component === component &&
        r.payload.version === version,
    ),
  );
  return latest?.state === "success";
}

/** The versions of `component` verified in `environment`, newest deployment first. */
export function verifiedVersions(
  records: readonly DeploymentRecord[],
  environment: string,
  component: string,
): string[] {
  const out: string[] = [];
  const mine = records
    .filter(
      (r) =>
        r.task === DEPLOY_TASK &&
        r.environment === environment &&
        r.payload.component === component,
    )
    .sort((a, b) =>
      a.createdAt === b.createdAt ? b.id - a.id : a.createdAt < b.createdAt ? 1 : -1,
    );
  for (const r of mine) {
    const version = r.payload.version;
    if (typeof version !== "string" || out.includes(version)) continue;
    if (isVerified(records, environment, component, version)) out.push(version);
  }
  return out;
}

/** An environment's hold of a component: automation does not promote it there while it holds. */
export interface Hold {
  by: string;
  reason: string;
  at: string;
}

/** The hold of `component` in `environment`, if the newest hold record puts one. */
export function holdOf(
  records: readonly DeploymentRecord[],
  environment: string,
  component: string,
): Hold | undefined {
  const latest = newest(
    records.filter(
      (r) =>
        r.task === HOLD_TASK && r.environment === environment && r.payload.component === component,
    ),
  );
  if (!latest || latest.payload.hold !== true) return undefined;
  return {
    by: typeof latest.payload.by === "string" ? latest.payload.by : "?",
    reason: typeof latest.payload.reason === "string" ? latest.payload.reason : "",
    at: latest.createdAt,
  };
}
