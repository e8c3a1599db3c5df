// What runs where in one config repo, as plain data: read by the dashboard issue and the status page alike.
import { gateFreeze } from "./env-gate.js";
import type { EnvCell, EnvironmentMatrix } from "./env-matrix.js";
import { deployOf, holdOf, isVerified, type DeploymentRecord } from "./env-record.js";
import { evaluateFreeze, parseFreezeWindows } from "./freeze.js";
import type { Policy } from "./policy.js";

/** The state of one component in one environment, as people name it. */
export type BoardCellState =
  /** Pinned by git, no Deployment recorded yet (a hand edit before monobot saw it, or no environments flow). */
  | "pinned"
  /** Deployment recorded, verification running. */
  | "verifying"
  /** Verified, waiting for the soak time to pass. */
  | "soaking"
  /** Verified and soaked (the deployment is `success`). */
  | "verified"
  /** Verification failed or a failing deployment status was posted. */
  | "failed"
  /** On hold (by `/hold` or `/rollback`): automation does not promote it. */
  | "held";

export interface BoardLink {
  number?: number;
  url: string;
}

/** One component in one environment. */
export interface BoardCell {
  component: string;
  environment: string;
  /** The version git pins; undefined when none is pinned or the pins disagree. */
  version?: string;
  /** The environment's pins of this component disagree. */
  mixed: boolean;
  state: BoardCellState;
  /** ISO time the version arrived (its Deployment's creation). */
  since?: string;
  /** ISO time the soak ends (state `soaking`). */
  soakUntil?: string;
  /** The Deployment (its environment page or status log). */
  deployment?: BoardLink;
  /** The pull request that brought the version (deploy or promotion PR). */
  pull?: BoardLink;
  /** Failed state: the run or status that failed. */
  failedRun?: BoardLink;
  /** Held state: why and by whom. */
  hold?: { reason: string; by: string };
}

/** Why a version does not move on to an environment. */
export type BoardWaitReason = "freeze" | "approvals" | "verification" | "hold" | "soak";

/** Something waiting, listed first (what needs action). */
export interface BoardWait {
  component: string;
  /** The environment the version would move to. */
  environment: string;
  version: string;
  reason: BoardWaitReason;
  /** In words: "frozen by `weekend` until Mon 06:00 UTC", "needs 1 approval from @acme/sre". */
  detail: string;
  /** ISO time it stops waiting on its own (freeze end, soak end). */
  until?: string;
  /** The promotion PR, when one is open. */
  pull?: BoardLink;
  /** The run that failed (reason `verification`). */
  run?: BoardLink;
}

/** A release of a monorepo component and its deploy PR. */
export interface BoardRelease {
  component: string;
  version: string;
  /** ISO time of the release (tag or deploy PR). */
  at: string;
  deployPull?: BoardLink & { state: "open" | "merged" | "closed" };
}

/** One config repo's board. */
export interface EnvBoard {
  /** `owner/name` of the config repo. */
  repository: string;
  installationId: number;
  environments: Array<{ name: string; production: boolean }>;
  components: string[];
  /** Component-major, like the environment matrix. */
  cells: BoardCell[];
  waiting: BoardWait[];
  releases: BoardRelease[];
  /** ISO time the board was computed. */
  updatedAt: string;
}

/** Where the boards computed by the bot are kept, for the status page to read. */
export interface BoardSource {
  /** Every config repo's latest board. */
  boards(): readonly EnvBoard[];
}

// ---------------------------------------------------------------------------------------------
// Building the board: pure, from what the workflow read.

/** An open promotion pull request and what it waits for, as read from its checks. */
export interface BoardPromotionPull {
  component: string;
  environment: string;
  version: string;
  number: number;
  url: string;
  /** The `monobot/access` check's title when it fails ("production: 0 of 1 approvals from @acme/sre"). */
  missingApprovals?: string;
  /** Other failing checks on its head, by name. */
  failingChecks?: string[];
}

/** A pull request of the config repo that moved (or proposes) a component's version. */
export interface BoardPull {
  component: string;
  version: string;
  /** Where it writes: a deploy PR writes the first environment, a promotion PR its target. */
  environment?: string;
  number: number;
  url: string;
  state: "open" | "merged" | "closed";
  kind: "deploy" | "promotion";
  /** ISO time it was opened or last changed. */
  at: string;
}

export interface EnvBoardInput {
  repository: string;
  installationId: number;
  matrix: Pick<EnvironmentMatrix, "environments" | "components" | "cells">;
  deploy: Pick<Policy["deploy"], "environments" | "freeze">;
  /** Deployments of the config repo (deploy and hold records), any order. */
  records: readonly DeploymentRecord[];
  /** The config repo's recent deploy and promotion pull requests, any order. */
  pulls: readonly BoardPull[];
  /** What each open promotion pull request waits for. */
  promotions: readonly BoardPromotionPull[];
  now: Date;
  /** GitHub's web address (default https://github.com). */
  serverUrl?: string;
  /** Releases listed at most (default 10). */
  releases?: number;
}

/** The records of one environment and component: each cell reads only its own (a large repo has thousands). */
type RecordIndex = ReadonlyMap<string, readonly DeploymentRecord[]>;

function indexRecords(records: readonly DeploymentRecord[]): RecordIndex {
  const out = new Map<string, DeploymentRecord[]>();
  for (const r of records) {
    const component = r.payload.component;
    if (typeof component !== "string") continue;
    const key = `${r.environment}\n${component}`;
    const list = out.get(key);
    if (list) list.push(r);
    else out.set(key, [r]);
  }
  return out;
}

const SOAKING = /soaking until (\d{4}-\d{2}-\d{2}T[0-9:.]+Z)/;

function cellOf(input: EnvBoardInput, index: RecordIndex, cell: EnvCell, web: string): BoardCell {
  const records = index.get(`${cell.environment}\n${cell.component}`) ?? [];
  const out: BoardCell = {
    component: cell.component,
    environment: cell.environment,
    mixed: cell.mixed,
    state: "pinned",
    ...(cell.version !== undefined ? { version: cell.version } : {}),
  };
  const hold = holdOf(records, cell.environment, cell.component);
  const d =
    cell.version === undefined
      ? undefined
      : deployOf(records, cell.environment, cell.component, cell.version);
  if (d) {
    out.since = d.createdAt;
    out.deployment = {
      url: `${web}/${input.repository}/deployments/${encodeURIComponent(cell.environment)}`,
    };
    const soaking = SOAKING.exec(d.description ?? "");
    if (d.state === "success") out.state = "verified";
    else if (d.state === "failure" || d.state === "error") {
      out.state = "failed";
      out.failedRun = { url: d.logUrl ?? out.deployment.url };
    } else if (d.state === "inactive") out.state = "pinned";
    else if (soaking) {
      out.state = "soaking";
      out.soakUntil = soaking[1] as string;
    } else out.state = "verifying";
    const pr = typeof d.payload.pr === "number" ? d.payload.pr : undefined;
    const pull = input.pulls.find(
      (p) =>
        p.state === "merged" &&
        p.component === cell.component &&
        p.version === cell.version &&
        (p.environment === undefined || p.environment === cell.environment),
    );
    if (pull) out.pull = { number: pull.number, url: pull.url };
    else if (pr !== undefined)
      out.pull = { number: pr, url: `${web}/${input.repository}/pull/${pr}` };
  }
  if (hold?.held) {
    out.state = "held";
    out.hold = { reason: hold.reason, by: hold.by };
  }
  return out;
}

type FreezeNow = { reason: string; until: string; local: string } | undefined;

/** The freeze that holds promotions into `environment` now, in words, with its end (once per environment). */
function freezeOf(
  input: EnvBoardInput,
  environment: string,
  seen: Map<string, FreezeNow>,
): FreezeNow {
  if (seen.has(environment)) return seen.get(environment);
  let out: FreezeNow;
  const { windows, errors } = parseFreezeWindows(gateFreeze(input.deploy, [environment]));
  const state = errors.length > 0 ? undefined : evaluateFreeze(windows, input.now);
  if (state?.frozen && state.window && state.endsAt) {
    out = { reason: state.window.reason, until: state.endsAt.iso, local: state.endsAt.local };
  }
  seen.set(environment, out);
  return out;
}

/** Why the version verified upstream has not reached `target` yet, or nothing when it has or may not. */
function waitOf(
  input: EnvBoardInput,
  index: RecordIndex,
  freezes: Map<string, FreezeNow>,
  upstream: BoardCell,
  environment: string,
  target: BoardCell | undefined,
): BoardWait | undefined {
  const version = upstream.version;
  if (version === undefined || upstream.mixed || target?.version === version) return undefined;
  const base = { component: upstream.component, environment, version };
  const pr = input.promotions.find(
    (p) => p.component === upstream.component && p.environment === environment,
  );
  const pull = pr ? { pull: { number: pr.number, url: pr.url } } : {};
  if (upstream.state === "failed") {
    return {
      ...base,
      reason: "verification",
      detail: `verification of ${version} failed in ${upstream.environment}`,
      ...(upstream.failedRun ? { run: upstream.failedRun } : {}),
    };
  }
  if (upstream.state === "verifying") {
    return {
      ...base,
      reason: "verification",
      detail: `${version} is being verified in ${upstream.environment}`,
    };
  }
  if (upstream.state === "soaking") {
    return {
      ...base,
      reason: "soak",
      detail: `${version} soaks in ${upstream.environment}`,
      ...(upstream.soakUntil ? { until: upstream.soakUntil } : {}),
    };
  }
  const upstreamRecords = index.get(`${upstream.environment}\n${upstream.component}`) ?? [];
  if (!isVerified(upstreamRecords, upstream.environment, upstream.component, version)) {
    return undefined;
  }
  if (target?.hold) {
    const by = target.hold.by ? ` by @${target.hold.by}` : "";
    return { ...base, reason: "hold", detail: `on hold${by}: ${target.hold.reason}`, ...pull };
  }
  const freeze = freezeOf(input, environment, freezes);
  if (freeze) {
    return {
      ...base,
      reason: "freeze",
      detail: `frozen (${freeze.reason}) until ${freeze.local}`,
      until: freeze.until,
      ...pull,
    };
  }
  if (pr && pr.version === version && (pr.missingApprovals || pr.failingChecks?.length)) {
    const detail = pr.missingApprovals
      ? `needs approvals: ${pr.missingApprovals}`
      : `failing checks: ${(pr.failingChecks ?? []).join(", ")}`;
    return { ...base, reason: "approvals", detail, ...pull };
  }
  return undefined;
}

function releasesOf(input: EnvBoardInput): BoardRelease[] {
  return input.pulls
    .filter((p) => p.kind === "deploy")
    .sort((a, b) => (a.at === b.at ? b.number - a.number : a.at < b.at ? 1 : -1))
    .slice(0, input.releases ?? 10)
    .map((p) => ({
      component: p.component,
      version: p.version,
      at: p.at,
      deployPull: { number: p.number, url: p.url, state: p.state },
    }));
}

/**
 * The board of one config repo: each cell's state from its Deployments and holds, what waits
 * (a version verified, soaking, verifying or failed upstream that has not reached the next
 * environment: held, frozen, waiting for approvals, or for its verification), and the recent
 * deploy pull requests.
 */
export function buildEnvBoard(input: EnvBoardInput): EnvBoard {
  const web = (input.serverUrl ?? "https://github.com").replace(/\/+$/, "");
  const index = indexRecords(input.records);
  const cells = input.matrix.cells.map((c) => cellOf(input, index, c, web));
  const at = new Map(cells.map((c) => [`${c.component}\n${c.environment}`, c]));
  const envs = input.matrix.environments;
  const waiting: BoardWait[] = [];
  const freezes = new Map<string, FreezeNow>();
  for (const component of input.matrix.components) {
    for (let i = 1; i < envs.length; i++) {
      const environment = (envs[i] as { name: string }).name;
      const upstream = at.get(`${component.name}\n${(envs[i - 1] as { name: string }).name}`);
      const target = at.get(`${component.name}\n${environment}`);
      const wait = upstream && waitOf(input, index, freezes, upstream, environment, target);
      if (wait) waiting.push(wait);
    }
  }
  return {
    repository: input.repository,
    installationId: input.installationId,
    environments: envs.map((e) => ({ name: e.name, production: e.production })),
    components: input.matrix.components.map((c) => c.name),
    cells,
    waiting,
    releases: releasesOf(input),
    updatedAt: input.now.toISOString(),
  };
}
