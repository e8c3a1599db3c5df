// Which pull requests the deployment gate holds, who may override it, and what monobot/deploy-gate says.
//
// The gate holds a pull request of a repository whose policy sets `deploy.freeze` windows when
// it changes a deployed file: any file in a chart folder (a folder holding a Chart.yaml, at any
// depth, sub-charts included) or in a Fleet bundle folder (a folder holding a fleet.yaml or
// fleet.yml), the Chart.yaml / fleet.yaml itself included, whether added, changed, removed or
// renamed (a rename counts at its old and its new path). Folders are taken at the PR's head, and
// also from the Chart.yaml / fleet.yaml files the PR itself touches (so removing a chart counts).
import { shortSha } from "./sha.js";
import type { FreezeWindowConfig } from "./policy.js";
import { deployGateResult, DEPLOY_GATE_CHECK } from "./freeze.js";
import type { DeployOverrideState } from "./pr-state.js";
import { DEPLOY_BRANCH_PREFIX } from "./deploy-pr.js";
import type { CheckResult } from "./types.js";

export { DEPLOY_GATE_CHECK };

const FLEET_FILES = new Set(["fleet.yaml", "fleet.yml"]);
const CHART_FILE = "Chart.yaml";

export type DeployedKind = "chart" | "fleet";

/** A changed file the gate holds, and the deployed folder it lies in ("" is the root). */
export interface DeployedHit {
  path: string;
  folder: string;
  kind: DeployedKind;
}

export interface GateScope {
  applies: boolean;
  /** The changed files that make it apply. */
  hits: DeployedHit[];
  /** Whether `hits` are all of them (the head tree was read), or only those that decided it. */
  complete: boolean;
  /** The PR lists more files than GitHub shows (3,000): it is held without looking further. */
  truncated: boolean;
}

/** A changed file as the gate needs it. */
export interface GateFile {
  path: string;
  previousPath?: string;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function parentFolder(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function deployedKind(path: string): DeployedKind | undefined {
  const name = baseName(path);
  if (name === CHART_FILE) return "chart";
  if (FLEET_FILES.has(name)) return "fleet";
  return undefined;
}

function changedPaths(files: readonly GateFile[]): string[] {
  const out = new Set<string>();
  for (const f of files) {
    out.add(f.path);
    if (f.previousPath) out.add(f.previousPath);
  }
  return [...out];
}

/**
 * Whether the gate holds a pull request, from its files listing and (when the listing alone does
 * not tell) every path at its head. Without `headPaths`, `"needs-tree"` asks the caller to read
 * the head tree: no Chart.yaml or fleet.yaml is among the changed files, so whether the others
 * lie in a chart or bundle folder depends on files the PR does not touch.
 */
export function gateScope(
  files: readonly GateFile[],
  options: { truncated: boolean; headPaths?: readonly string[] },
): GateScope | "needs-tree" {
  const paths = changedPaths(files);
  const listed: DeployedHit[] = [];
  for (const path of paths) {
    const kind = deployedKind(path);
    if (kind) listed.push({ path, folder: parentFolder(path), kind });
  }
  if (options.headPaths === undefined) {
    if (options.truncated) {
      return { applies: true, hits: sortHits(listed), complete: false, truncated: true };
    }
    if (listed.length > 0) {
      return { applies: true, hits: sortHits(listed), complete: false, truncated: false };
    }
    return "needs-tree";
  }
  const folders = new Map<string, DeployedKind>();
  for (const path of [...options.headPaths, ...listed.map((h) => h.path)]) {
    const kind = deployedKind(path);
    const folder = parentFolder(path);
    // A chart inside a Fleet bundle is named as the chart: that is what the deploy preview shows.
    if (kind && (kind === "chart" || !folders.has(folder))) folders.set(folder, kind);
  }
  const hits: DeployedHit[] = [];
  for (const path of paths) {
    let folder = path;
    while (folder !== "") {
      folder = parentFolder(folder);
      const kind = folders.get(folder);
      if (kind) {
        hits.push({ path, folder, kind });
        break;
      }
    }
  }
  return {
    applies: hits.length > 0 || options.truncated,
    hits: sortHits(hits),
    complete: !options.truncated,
    truncated: options.truncated,
  };
}

function sortHits(hits: DeployedHit[]): DeployedHit[] {
  return [...hits].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const LISTED_HITS = 10;

function folderText(hit: DeployedHit): string {
  const where = hit.folder === "" ? "the repository root" : `\`${hit.folder}\``;
  return hit.kind === "chart" ? `the chart ${where}` : `the Fleet bundle ${where}`;
}

/** The lines of the check that say why the gate holds this pull request. */
function scopeLines(scope: GateScope): string[] {
  const lines = scope.hits.slice(0, LISTED_HITS).map((h) => `- \`${h.path}\` (${folderText(h)})`);
  if (scope.hits.length > LISTED_HITS) {
    lines.push(`- and ${scope.hits.length - LISTED_HITS} more`);
  }
  const why = scope.truncated
    ? "This pull request changes more than the 3,000 files GitHub lists, so monobot holds it as a deploy."
    : `This pull request changes deployed files (in a chart folder, with a Chart.yaml, or a Fleet bundle, with a fleet.yaml)${scope.complete ? "" : ", among them"}:`;
  return ["", why, ...lines];
}

export interface DeployGateForPullInput {
  /** `deploy.freeze` of the repository's default-branch policy (not empty). */
  freeze: readonly FreezeWindowConfig[];
  now: number | Date;
  headSha: string;
  scope: GateScope;
  /** The override recorded in the PR's state, for whichever commit it was given. */
  override?: DeployOverrideState | null;
}

/** Whether a recorded override lets `headSha` through: only the commit it was given for. */
export function overrideFor(
  override: DeployOverrideState | null | undefined,
  headSha: string,
): DeployOverrideState | undefined {
  return override && override.sha.toLowerCase() === headSha.toLowerCase() ? override : undefined;
}

/**
 * monobot/deploy-gate for one pull request at `now`: whether the gate holds it (its scope), then the
 * freeze windows' result ({@link deployGateResult}) with the override given for its head.
 */
export function deployGateForPull(input: DeployGateForPullInput): CheckResult {
  if (!input.scope.applies) {
    return {
      name: DEPLOY_GATE_CHECK,
      conclusion: "success",
      title: "No deployed chart changes",
      summary:
        "This pull request changes no file in a chart folder (a folder with a Chart.yaml) or a Fleet bundle (a folder with a fleet.yaml), so the deploy freeze windows do not hold it.",
      annotations: [],
    };
  }
  const override = overrideFor(input.override, input.headSha);
  const result = deployGateResult({
    freeze: input.freeze,
    now: input.now,
    ...(override ? { override: { by: override.by, reason: override.reason } } : {}),
  });
  const notes: string[] = [];
  if (override) {
    notes.push(
      "",
      `The override was given for commit ${shortSha(override.sha)}, the current head.`,
    );
  } else if (input.override && result.conclusion === "failure") {
    notes.push(
      "",
      `@${input.override.by}'s \`/deploy-anyway\` was for commit ${shortSha(input.override.sha)}; the pull request is now at ${shortSha(input.headSha)}, and a new push needs a new override.`,
    );
  }
  return {
    ...result,
    summary: [result.summary, ...notes, ...scopeLines(input.scope)].join("\n"),
  };
}

/** The reply to an admin's `/deploy-anyway`, once the gate was evaluated with it. */
export function overrideReply(result: CheckResult, headSha: string): string {
  if (result.conclusion === "neutral") {
    return `the deploy freeze is overridden for commit ${shortSha(headSha)}: \`${DEPLOY_GATE_CHECK}\` is neutral and shows your reason.`;
  }
  if (result.conclusion === "success") {
    return `no deploy freeze holds now, so \`${DEPLOY_GATE_CHECK}\` passes anyway; your override is recorded for commit ${shortSha(headSha)} and counts if a freeze begins before the next push.`;
  }
  return `the override is recorded, but \`${DEPLOY_GATE_CHECK}\` still fails: ${result.title}.`;
}

/** Whether `user` may override the gate: the repository permission `admin`, nothing less. */
export function mayDeployAnyway(
  user: string,
  permission: string | null,
): { allowed: boolean; reason: string } {
  if (permission?.toLowerCase() === "admin") {
    return { allowed: true, reason: `@${user} is an admin of this repository.` };
  }
  const has = permission ? `${permission.toLowerCase()} permission` : "no permission";
  return {
    allowed: false,
    reason: `\`/deploy-anyway\` was not run: only admins of this repository may override the deployment gate, and you have ${has}. Ask an admin to comment it, or wait until the freeze ends.`,
  };
}

/**
 * Whether monobot may merge this pull request by itself: one of its own deploy pull requests
 * (its branch prefix, opened by the bot, from this repository, not a fork).
 */
export function isOwnDeployPull(
  pr: { headRef: string; author: string; fromFork: boolean },
  botLogin: string,
): boolean {
  return !pr.fromFork && pr.author === botLogin && pr.headRef.startsWith(DEPLOY_BRANCH_PREFIX);
}

/**
 * GitHub refuses auto-merge for a pull request that can merge at once: every check passes and
 * nothing else blocks it (its merge state is "clean"). Then monobot merges it itself.
 */
export function refusedAsClean(reason: string): boolean {
  return /\bclean status\b/i.test(reason);
}
