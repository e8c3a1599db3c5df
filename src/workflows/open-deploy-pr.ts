// Opens or updates ONE deploy PR per component on the config repo, idempotently; rebuilds open ones when the base moves.
import { shortSha } from "../core/sha.js";
import { deployPlanReads, type DeployComponent, type DeployPlan } from "../core/deploy-plan.js";
import {
  environmentPinReads,
  planDeployTo,
  withoutEnvironmentUmbrellas,
} from "../core/deploy-environments.js";
import { deployPreview, fleetFiles } from "../core/deploy-preview.js";
import {
  DEPLOY_BRANCH_PREFIX,
  deployBranch,
  deployCommitMessage,
  deployPrBody,
  deployTitle,
  parseDeployMarker,
  parseSupersedes,
  type DeployMarker,
  type MonorepoChange,
} from "../core/deploy-pr.js";
import {
  chartFollowUpBody,
  chartFollowUpCommitMessage,
  chartFollowUpTitle,
  followUpChart,
  followUpKey,
  planChartFollowUp,
  type ChartFollowUpPlan,
} from "../core/chart-follow-up.js";
import { formatPolicyErrors, resolvePolicy, type Policy } from "../core/policy.js";
import { decideProposal } from "../core/deploy-proposal.js";
import type { ConfigRepoHeads, ConfigRepoPort, DeployPull } from "../forge/config-repo.js";
import { commitEdits, type CommitRead } from "./commit-step.js";
import { openOrUpdatePull } from "./open-or-update-pr.js";
import { refusedWrite } from "./refused-write.js";

const POLICY_FILE = ".github/monobot.yml";
/** Attempts of one deploy when the config repo changes under it (a 422 on a ref or a PR). */
export const MAX_DEPLOY_ATTEMPTS = 3;

/** A published release to deploy: what the monorepo knows. */
export interface DeployRequest {
  component: DeployComponent;
  version: { from?: string; to: string };
  monorepo: { owner: string; name: string };
  tags?: { from?: string; to: string };
  /** Commits between the release tags, oldest first (for the PR body). */
  changes: readonly MonorepoChange[];
  /** When `changes` are only those touching the component's folders: the folders, and how many others. */
  changesFilter?: { paths: readonly string[]; others: number };
  /**
   * The config repo's own policy (environments, auto_merge, merge_method), with `_extends`
   * resolved by the shell; read from its .github/monobot.yml when absent.
   */
  configPolicy?: Policy;
  webUrl?: string;
}

export type DeployStatus =
  /** A new pull request. */
  | "opened"
  /** The existing pull request got a new commit and/or a new body. */
  | "updated"
  /** Nothing to write: the pull request already proposes exactly this. */
  | "unchanged"
  /** Nothing proposed, by design: rollback, current version, a closed PR, a newer PR. */
  | "skipped"
  /** Cannot be done; the message says what to fix. */
  | "refused"
  /** The config repo kept changing under the workflow; it gave up after bounded retries. */
  | "failed";

export interface DeployOutcome {
  status: DeployStatus;
  /** What happened, in the words a user reads (a log line, a comment in the monorepo). */
  message: string;
  pull?: { number: number; url: string };
  commitSha?: string;
  plan?: DeployPlan;
  attempts: number;
}

interface Snapshot {
  heads: ConfigRepoHeads;
  files: Map<string, string>;
  policy: Policy;
  policyNote?: string;
}

async function readSnapshot(
  port: ConfigRepoPort,
  branches: readonly string[],
  configPolicy: Policy | undefined,
  component?: DeployComponent,
): Promise<Snapshot> {
  const heads = await port.heads(branches);
  const paths = await port.paths(heads.defaultBranch.sha);
  const wanted = [...deployPlanReads(paths), ...fleetFiles(paths)];
  if (!configPolicy && paths.includes(POLICY_FILE)) wanted.push(POLICY_FILE);
  const files = await port.readFiles(heads.defaultBranch.sha, wanted);
  const snap = snapshotPolicy(heads, files, configPolicy);
  // The environments' pin files (values per environment) lie outside the charts: one more read.
  const known = new Set(paths);
  const pins = environmentPinReads(snap.policy, files, component).filter(
    (p) => known.has(p) && !files.has(p),
  );
  if (pins.length > 0) {
    for (const [path, text] of await port.readFiles(heads.defaultBranch.sha, pins)) {
      files.set(path, text);
    }
  }
  return snap;
}

function snapshotPolicy(
  heads: ConfigRepoHeads,
  files: Map<string, string>,
  configPolicy: Policy | undefined,
): Snapshot {
  if (configPolicy) return { heads, files, policy: configPolicy };
  const text = files.get(POLICY_FILE);
  const resolved = resolvePolicy(text === undefined ? [] : [{ file: POLICY_FILE, text }]);
  if (resolved.ok) return { heads, files, policy: resolved.policy };
  const defaults = resolvePolicy([]);
  if (!defaults.ok) throw new Error("the shipped policy defaults are invalid");
  return {
    heads,
    files,
    policy: defaults.policy,
    policyNote: `the config repo's ${POLICY_FILE} is invalid, so its defaults were used (no auto-merge, no environments):\n${formatPolicyErrors(resolved.errors)}`,
  };
}

function link(pull: DeployPull): { number: number; url: string } {
  return { number: pull.number, url: pull.url };
}

interface Existing {
  open?: DeployPull;
  /** Closed pull requests of the branch, newest first. */
  closed: DeployPull[];
}

function existingOf(pulls: readonly DeployPull[]): Existing {
  const open = pulls.find((p) => p.state === "open");
  return { ...(open ? { open } : {}), closed: pulls.filter((p) => p.state === "closed") };
}

/** What one deploy PR proposes: a component's release, or a published chart's follow-up. */
interface DeployProposal {
  /** The marker's `component`: the component's name, or `chart:{name}` for a follow-up. */
  key: string;
  version: string;
  /** How users name it: `roc-api 1.3.0`, `chart roc-api 0.4.2`. */
  label: string;
  /** The component deployed, whose environment pins the snapshot reads too. */
  component?: DeployComponent;
  plan(snap: Snapshot): DeployPlan;
  /** The PR's title and body and the commit message, for a plan without problems. */
  text(
    plan: DeployPlan,
    snap: Snapshot,
    open: DeployPull | undefined,
    proposed: DeployMarker | undefined,
  ): { title: string; body: string; commitMessage: string };
}

/** The trailer naming the monorepo a deploy commit comes from, so a move of the base can rebuild it. */
export const DEPLOY_SOURCE_TRAILER = "Monobot-Source";

/** The monorepo of a monobot deploy commit, from its message (`Monobot-Source: owner/name`). */
export function parseDeploySource(message: string): { owner: string; name: string } | undefined {
  const m = new RegExp(`^${DEPLOY_SOURCE_TRAILER}: ([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)$`, "m").exec(
    message,
  );
  return m ? { owner: m[1] as string, name: m[2] as string } : undefined;
}

function componentProposal(req: DeployRequest): DeployProposal {
  const { component, version } = req;
  return {
    key: component.name,
    version: version.to,
    label: `${component.name} ${version.to}`,
    component,
    plan: (snap) => planDeployTo({ files: snap.files, component, version, policy: snap.policy }),
    text(plan, snap, open, proposed) {
      const after = new Map(snap.files);
      for (const e of plan.edits) after.set(e.path, e.after);
      const preview = deployPreview({
        component,
        version: version.to,
        plan,
        files: after,
        environments: snap.policy.deploy.environments,
      });
      if (snap.policyNote) preview.notes.push(snap.policyNote);
      const supersedes = [
        ...parseSupersedes(open?.body),
        ...(proposed && proposed.version !== version.to ? [proposed.version] : []),
      ].filter((v, i, all) => all.indexOf(v) === i && v !== version.to);
      const text = {
        component,
        version,
        monorepo: req.monorepo,
        changes: req.changes,
        ...(req.changesFilter ? { changesFilter: req.changesFilter } : {}),
        plan,
        preview,
        supersedes,
        ...(req.tags ? { tags: req.tags } : {}),
        ...(req.webUrl ? { webUrl: req.webUrl } : {}),
      };
      return {
        title: deployTitle(text),
        body: deployPrBody(text),
        commitMessage: `${deployCommitMessage(text)}\n${DEPLOY_SOURCE_TRAILER}: ${req.monorepo.owner}/${req.monorepo.name}`,
      };
    },
  };
}

/** A published chart to follow up: umbrellas that take it from a chart repository take it. */
export interface ChartFollowUpRequest {
  /** The chart's name in its Chart.yaml. */
  chart: string;
  version: string;
  configPolicy?: Policy;
}

function followUpProposal(req: ChartFollowUpRequest): DeployProposal {
  return {
    key: followUpKey(req.chart),
    version: req.version,
    label: `chart ${req.chart} ${req.version}`,
    // The environments' umbrellas move by deploy and promotion PRs only, never by a follow-up.
    plan: (snap) =>
      planChartFollowUp({
        files: withoutEnvironmentUmbrellas(snap.policy, snap.files),
        chart: req.chart,
        version: req.version,
      }),
    text(plan) {
      const followUp = plan as ChartFollowUpPlan;
      return {
        title: chartFollowUpTitle(followUp),
        body: chartFollowUpBody(followUp),
        commitMessage: chartFollowUpCommitMessage(followUp),
      };
    },
  };
}

/** What the PR step needs from the read the commit was planned on. */
interface Planned {
  snap: Snapshot;
  existing: Existing;
  plan: DeployPlan;
  text: { title: string; body: string; commitMessage: string };
}

type Stop = Omit<DeployOutcome, "attempts">;

/** One read of the config repo, decided (core's decideProposal) and, when to propose, planned as a commit. */
function planOnSnapshot(
  port: ConfigRepoPort,
  snap: Snapshot,
  proposal: DeployProposal,
  existing: Existing,
): CommitRead<Planned, Stop> {
  const branch = deployBranch(proposal.key);
  const base = snap.heads.defaultBranch;
  const open = existing.open;
  const plan = proposal.plan(snap);
  const tip = snap.heads.branches.get(branch) ?? null;
  const decision = decideProposal({
    key: proposal.key,
    version: proposal.version,
    label: proposal.label,
    branch,
    where: `${port.owner}/${port.name}`,
    ...(open ? { open } : {}),
    closed: existing.closed,
    plan,
    baseSha: base.sha,
    tip,
  });
  if (decision.status !== "propose") {
    const { planned, ...stop } = decision;
    return { stop: { ...stop, ...(planned ? { plan } : {}) } };
  }
  // The text of the PR: deterministic, so an unchanged one is not rewritten.
  const text = proposal.text(plan, snap, open, parseDeployMarker(open?.body));
  return {
    plan: {
      base,
      tip,
      edits: plan.edits.map((e) => ({ path: e.path, content: e.after })),
      message: text.commitMessage,
      // One commit on the current default branch; the tip was checked to be monobot's own.
      join: "rebuild",
      upToDate: decision.upToDate,
    },
    context: { snap, existing, plan, text },
  };
}

/** The pull request step and auto-merge, once the branch holds the proposal. */
async function proposePull(
  port: ConfigRepoPort,
  proposal: DeployProposal,
  planned: Planned,
  commitSha: string | undefined,
): Promise<Stop> {
  const { snap, plan, text } = planned;
  const base = snap.heads.defaultBranch;
  const where = `${port.owner}/${port.name}`;
  const step = await openOrUpdatePull(
    port,
    { branch: deployBranch(proposal.key), base: base.name, title: text.title, body: text.body },
    planned.existing.open ?? null,
  );
  const pull = step.pull;
  const status: DeployStatus = commitSha && step.status === "unchanged" ? "updated" : step.status;
  let autoMerge = "";
  if (status !== "unchanged" && snap.policy.deploy.auto_merge) {
    const r = await port.enableAutoMerge(pull, snap.policy.deploy.merge_method);
    autoMerge = r.ok
      ? ` Auto-merge (${snap.policy.deploy.merge_method}) is on.`
      : ` Auto-merge could not be turned on: ${r.reason}.`;
  }
  const what =
    status === "opened"
      ? `opened ${where}#${pull.number}`
      : status === "updated"
        ? `updated ${where}#${pull.number}${commitSha ? ` (rebuilt on ${base.name} ${shortSha(base.sha)})` : " (description)"}`
        : `${where}#${pull.number} proposes it already`;
  return {
    status,
    message: `${proposal.label}: ${what}.${autoMerge}`,
    pull: link(pull),
    plan,
    ...(commitSha ? { commitSha } : {}),
  };
}

/**
 * Proposes on fresh reads: the commit step (reading again after a lost race, at most
 * {@link MAX_DEPLOY_ATTEMPTS} times), then the pull request step.
 */
async function propose(
  port: ConfigRepoPort,
  proposal: DeployProposal,
  read: (attempt: number) => Promise<{ snap: Snapshot; existing: Existing }>,
  what: string,
): Promise<DeployOutcome> {
  const commit = await commitEdits({
    port,
    branch: deployBranch(proposal.key),
    attempts: MAX_DEPLOY_ATTEMPTS,
    read: async (n) => {
      const { snap, existing } = await read(n);
      return planOnSnapshot(port, snap, proposal, existing);
    },
  });
  const attempts = commit.attempts;
  if ("stop" in commit) return { ...commit.stop, attempts };
  if ("refused" in commit)
    return { status: "refused", message: `${what}: ${commit.refused}.`, attempts };
  if ("lost" in commit) {
    return {
      status: "failed",
      message: `${what}: the config repo changed under monobot ${MAX_DEPLOY_ATTEMPTS} times in a row (last: ${commit.lost}); nothing more was written. The next publish or push to the default branch tries again.`,
      attempts,
    };
  }
  try {
    const sha = "committed" in commit ? commit.committed : undefined;
    return { ...(await proposePull(port, proposal, commit.context, sha)), attempts };
  } catch (e) {
    const refused = refusedWrite(e);
    if (refused === undefined) throw e;
    return { status: "refused", message: `${what}: ${refused}.`, attempts };
  }
}

/**
 * Opens or updates the ONE deploy pull request of `req.component` on the config repo
 * (`monobot/deploy-{component}`), idempotently: a redelivered event changes nothing; a newer
 * version rebuilds the same branch as one commit on the current default branch head and
 * rewrites the body; an unchanged body is not rewritten; a pull request closed for this version
 * is not reopened; a rollback or the current version opens nothing. When the config repo moves
 * under it (a 422 on the ref or the pull request), it reads again and recomputes, at most
 * {@link MAX_DEPLOY_ATTEMPTS} times.
 */
export function openDeployPr(port: ConfigRepoPort, req: DeployRequest): Promise<DeployOutcome> {
  return openOrUpdateDeployPr(port, componentProposal(req), req.configPolicy);
}

/**
 * Opens or updates the follow-up pull request of a published chart (`monobot/deploy-chart-{name}`):
 * every umbrella that takes the chart from a chart repository moves its pin (when it does not
 * admit the version) and goes up, with every umbrella that packages those up to the root. The
 * same rules as {@link openDeployPr}: idempotent, one commit on the current base, never reopened.
 */
export function openChartFollowUpPr(
  port: ConfigRepoPort,
  req: ChartFollowUpRequest,
): Promise<DeployOutcome> {
  return openOrUpdateDeployPr(port, followUpProposal(req), req.configPolicy);
}

function openOrUpdateDeployPr(
  port: ConfigRepoPort,
  proposal: DeployProposal,
  configPolicy: Policy | undefined,
): Promise<DeployOutcome> {
  const branch = deployBranch(proposal.key);
  return propose(
    port,
    proposal,
    async () => {
      const [snap, pulls] = await Promise.all([
        readSnapshot(port, [branch], configPolicy, proposal.component),
        port.pullsForBranch(branch),
      ]);
      return { snap, existing: existingOf(pulls) };
    },
    `${proposal.label} on ${port.owner}/${port.name}`,
  );
}

export interface RecomputeOptions {
  /**
   * The deploy request behind an open deploy PR (its commits, tags, component settings), from
   * what its marker proposes; null to leave that PR alone.
   */
  requestFor(marker: DeployMarker, pull: DeployPull): Promise<DeployRequest | null>;
  configPolicy?: Policy;
}

/**
 * When the config repo's default branch moves, rebuilds every open monobot deploy PR on the
 * new head, oldest first, so none proposes a chart version the default branch has taken since
 * (after one deploy PR merges, the next builds on it). One read of the config repo serves all
 * of them; a conflict re-reads it for that PR only.
 */
export async function recomputeOpenDeployPrs(
  port: ConfigRepoPort,
  options: RecomputeOptions,
): Promise<DeployOutcome[]> {
  const pulls = (await port.openPulls(DEPLOY_BRANCH_PREFIX)).sort((a, b) => a.number - b.number);
  const deploys = pulls.flatMap((pull) => {
    const marker = parseDeployMarker(pull.body);
    return marker && deployBranch(marker.component) === pull.headRef ? [{ pull, marker }] : [];
  });
  if (deploys.length === 0) return [];
  const branches = deploys.map((d) => d.pull.headRef);
  let shared: Snapshot | undefined;
  const outcomes: DeployOutcome[] = [];
  for (const { pull, marker } of deploys) {
    // A chart's follow-up needs nothing but the config repo; a component's deploy, its request.
    const chart = followUpChart(marker.component);
    const req = chart ? null : await options.requestFor(marker, pull);
    const proposal = chart
      ? followUpProposal({ chart, version: marker.version })
      : req
        ? componentProposal(req)
        : undefined;
    if (!proposal) {
      outcomes.push({
        status: "skipped",
        message: `${port.owner}/${port.name}#${pull.number} (${marker.component} ${marker.version}) was left as is: no deploy request for it.`,
        pull: link(pull),
        attempts: 0,
      });
      continue;
    }
    const policy = req?.configPolicy ?? options.configPolicy;
    outcomes.push(
      await propose(
        port,
        proposal,
        async (n) => {
          // The first attempt shares one read among all the PRs (writing one PR's branch does
          // not move the default branch); a lost race reads again, for this PR and the next.
          if (n === 1) {
            shared ??= await readSnapshot(port, branches, policy);
            return { snap: shared, existing: { open: pull, closed: [] } };
          }
          shared = await readSnapshot(port, branches, policy);
          const open = (await port.pullsForBranch(pull.headRef)).find((p) => p.state === "open");
          return { snap: shared, existing: { ...(open ? { open } : {}), closed: [] } };
        },
        `${marker.component} ${marker.version} on ${port.owner}/${port.name}`,
      ),
    );
  }
  return outcomes;
}
