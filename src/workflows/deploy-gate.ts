// monobot/deploy-gate: freeze windows on pull requests that change a deployed chart, evaluated again
// when a window opens or closes, overridden by an admin's `/deploy-anyway`, and auto-merge of
// monobot's own deploy pull requests while the gate is open.
import { shortSha } from "../core/sha.js";
import {
  deployGateForPull,
  gateScope,
  overrideFor,
  overrideReply,
  refusedAsClean,
  type GateFile,
  type GateScope,
} from "../core/deploy-gate.js";
import {
  autoMergeAllowed,
  gateFreeze,
  hasAnyFreeze,
  isOwnEnvironmentPull,
} from "../core/env-gate.js";
import { touchedEnvironments } from "../core/env-pin-edits.js";
import { environmentList } from "../core/environments.js";
import { PROMOTION_CHECK } from "../core/promotion-check.js";
import { evaluateFreeze, nextTransition, parseFreezeWindows } from "../core/freeze.js";
import type { Policy } from "../core/policy.js";
import { ownSummaries, readPrState, withDeployOverride } from "../core/pr-state.js";
import type { CheckResult } from "../core/types.js";
import type { GitHubRepo, PullRequestData } from "../forge/github.js";
import type { CommentRecord } from "../forge/port.js";
import type { Log } from "../log.js";
import { jobSpec, type QueuedJob } from "../runtime/job.js";
import {
  eventInstallation,
  pullRequestKey,
  type JobContext,
  type RepoRef,
  type Services,
} from "./job-context.js";
import { evaluatePromotion, movedPins } from "./promotion-check.js";
import { postCheckRun } from "./verify-pull-request.js";

export const DEPLOY_GATE_HANDLER = "deploy-gate";

export interface GateSpec {
  repo: RepoRef;
  pull: number;
  /** The pull request as its event gave it; absent, it is read fresh (a timer, a re-run). */
  pr?: PullRequestData;
  /**
   * The freeze transition a timed job stands for (epoch ms): the gate is evaluated at that
   * instant or later, so a timer firing a moment early still sees the window open or close.
   */
  at?: number;
  /** The pull request was closed: only its pending re-evaluation is forgotten. */
  closed?: boolean;
}

/** The one pending re-evaluation of a pull request's gate (replaced by every evaluation). */
export function gateTimerKey(repo: { owner: string; name: string }, pull: number): string {
  return `deploy-gate:${pullRequestKey(repo, pull)}`;
}

export function gateSupersedeKey(key: string): string {
  return `deploy-gate:${key}`;
}

/** The job that evaluates the gate again at a freeze transition; its id names the transition. */
export function gateTimerJob(
  repo: RepoRef,
  pull: number,
  at: number,
  installationId: number,
): QueuedJob {
  const key = pullRequestKey(repo, pull);
  return {
    handler: DEPLOY_GATE_HANDLER,
    deliveryId: `deploy-gate@${new Date(at).toISOString()}:${key}`,
    key,
    supersedeKey: gateSupersedeKey(key),
    installationId,
    spec: jobSpec({ repo, pull, at } satisfies GateSpec),
  };
}

/**
 * Runs one gate job: forgets the pending re-evaluation of a closed pull request, or evaluates the
 * gate of an open one (a draft waits until it is ready for review).
 */
export async function runGateJob(spec: GateSpec, context: JobContext): Promise<void> {
  const { services } = context;
  const timer = gateTimerKey(spec.repo, spec.pull);
  if (spec.closed) {
    await services.followUps.cancel(timer);
    return;
  }
  const installationId = eventInstallation(context);
  const log = context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}`, pr: spec.pull });
  const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
  // The default branch's policy: a pull request cannot loosen its own gate.
  const loaded = await port.loadPolicy(spec.repo.defaultBranch);
  if (!loaded.result.ok) {
    log.info(
      { errors: loaded.result.errors },
      "deploy gate skipped: the configuration is invalid (monobot/config says why)",
    );
    return;
  }
  const policy = loaded.result.policy;
  if (!hasAnyFreeze(policy.deploy) && environmentList(policy.deploy.environments).length === 0) {
    await services.followUps.cancel(timer);
    return;
  }
  let pr = spec.pr;
  if (!pr) {
    const fresh = await port.pullRequest(spec.pull);
    if (!fresh.open) {
      log.info("deploy gate: the pull request is closed; not evaluated again");
      await services.followUps.cancel(timer);
      return;
    }
    pr = fresh.pr;
  }
  if (pr.draft && policy.triggers.skip_drafts) {
    await services.followUps.cancel(timer);
    log.info("deploy gate: draft pull request, evaluated once it is ready for review");
    return;
  }
  await evaluateDeployGate({
    port,
    repo: spec.repo,
    pr,
    policy,
    services,
    installationId,
    deliveryId: context.deliveryId,
    log,
    ...(spec.at !== undefined ? { at: spec.at } : {}),
  });
}

export interface GateRequest {
  port: GitHubRepo;
  repo: RepoRef;
  pr: PullRequestData;
  /** The repository's default-branch policy. */
  policy: Policy;
  services: Services;
  installationId: number;
  /** The check run's external id. */
  deliveryId: string;
  log: Log;
  /** The transition a timed job stands for: evaluated at it, or now when later. */
  at?: number;
  /** The PR's comments, when the caller listed them already. */
  comments?: CommentRecord[];
  /** A new `/deploy-anyway` from a user already confirmed as an admin: recorded, then applied. */
  override?: { by: string; reason: string };
}

export interface GateOutcome {
  /** The check posted; null when the repository sets no freeze windows. */
  result: CheckResult | null;
  /** What to answer a `/deploy-anyway` with. */
  reply?: string;
  /** The PR's comments as they are now, when they were listed (the summary may have changed). */
  comments?: CommentRecord[];
}

/**
 * Evaluates monobot/deploy-gate for one open pull request and posts it, then queues the next
 * evaluation at the next freeze transition (one pending timer per pull request); with
 * environments, monobot/promotion too, and the freeze windows of the environments whose pins
 * the pull request moves. Requests: the files listing, the head tree only when no Chart.yaml or
 * fleet.yaml is among the changed files (always with environments), the comments only inside a
 * freeze, for a moved pin or for a new override, and the check runs.
 */
export async function evaluateDeployGate(req: GateRequest): Promise<GateOutcome> {
  const { port, pr, services, log } = req;
  const timer = gateTimerKey(req.repo, pr.number);
  const deploy = req.policy.deploy;
  const withEnvironments = environmentList(deploy.environments).length > 0;
  const gated = hasAnyFreeze(deploy);
  if (!gated && !withEnvironments) {
    await services.followUps.cancel(timer);
    return {
      result: null,
      ...(req.override
        ? {
            reply:
              "this repository sets no deploy freeze windows (`deploy.freeze` in .github/monobot.yml), so there is nothing to override.",
          }
        : {}),
    };
  }
  const listing = await port.pullRequestFiles(pr.number);
  const scope = await readScope(port, pr, listing);
  const moved = await movedPins(port, pr, req.policy, listing.files);
  const touched = touchedEnvironments(moved);
  const freeze = gateFreeze(deploy, touched);
  const now = Math.max(services.now().getTime(), req.at ?? 0);
  const { windows } = parseFreezeWindows(freeze);
  let comments = req.comments;
  const botLogin = await services.clients.botLogin();

  if (!scope.applies && moved.length === 0) {
    const result = gated ? deployGateForPull({ freeze, now, headSha: pr.headSha, scope }) : null;
    if (result) await postCheckRun(port, pr.headSha, req.deliveryId, result);
    if (withEnvironments) {
      await evaluatePromotion({ port, pr, policy: req.policy, moved, deliveryId: req.deliveryId });
    }
    await services.followUps.cancel(timer);
    log.info("deploy gate: no deployed chart changes");
    return {
      result,
      ...(req.override
        ? {
            reply:
              "this pull request changes no deployed chart, Fleet bundle or environment pin, so the deployment gate does not hold it and there is nothing to override.",
          }
        : {}),
      ...(comments ? { comments } : {}),
    };
  }

  if (req.override) {
    comments = await recordOverride(port, pr, comments, botLogin, req.override);
  }
  // An override matters only inside a freeze or for a moved pin: otherwise the comments are not read.
  const frozen = gated && evaluateFreeze(windows, now).frozen;
  if ((frozen || moved.length > 0) && !comments) comments = await port.listComments(pr.number);
  const recorded = comments ? readPrState(comments, botLogin).deployOverride : null;
  const forHead = overrideFor(recorded, pr.headSha);
  const promoted = withEnvironments
    ? await evaluatePromotion({
        port,
        pr,
        policy: req.policy,
        moved,
        deliveryId: req.deliveryId,
        ...(forHead ? { override: { by: forHead.by, reason: forHead.reason } } : {}),
      })
    : null;
  const promotion = promoted?.result ?? null;
  const result = gated
    ? deployGateForPull({ freeze, now, headSha: pr.headSha, scope, override: recorded })
    : null;
  const gateRunId = result ? await postCheckRun(port, pr.headSha, req.deliveryId, result) : null;
  // The auto-merge note goes on the gate's check, or on monobot/promotion without a gate.
  const noted = result && gateRunId !== null ? { id: gateRunId, shown: result } : undefined;
  const note =
    noted ?? (promoted ? { id: promoted.checkRunId, shown: promoted.result } : undefined);

  const next = gated ? nextTransition(windows, now) : undefined;
  if (next) {
    await services.followUps.at(
      timer,
      next.at.at,
      gateTimerJob(req.repo, pr.number, next.at.at, req.installationId),
    );
  } else {
    await services.followUps.cancel(timer);
  }
  log.info(
    {
      conclusion: result?.conclusion ?? null,
      promotion: promotion?.conclusion ?? null,
      environments: touched,
      next: next?.at.iso ?? null,
    },
    "deploy gate evaluated",
  );

  await mergeIfOpen(req, { gate: result, promotion, touched, botLogin, note });
  const reply = req.override ? overrideReplies(result, promotion, pr.headSha) : undefined;
  return {
    result,
    ...(reply ? { reply } : {}),
    ...(comments ? { comments } : {}),
  };
}

/**
 * Auto-merge of one of monobot's own pull requests when every environment it moves allows it and
 * neither check fails; what happened is written on the gate's check (or monobot/promotion's).
 */
async function mergeIfOpen(
  req: GateRequest,
  state: {
    gate: CheckResult | null;
    promotion: CheckResult | null;
    touched: readonly string[];
    botLogin: string;
    note: { id: number; shown: CheckResult } | undefined;
  },
): Promise<void> {
  const { note } = state;
  const deploy = req.policy.deploy;
  const open = (r: CheckResult | null) =>
    r === null || r.conclusion === "success" || r.conclusion === "neutral";
  if (
    !note ||
    !open(state.gate) ||
    !open(state.promotion) ||
    !autoMergeAllowed(deploy, state.touched) ||
    !isOwnEnvironmentPull(req.pr, state.botLogin)
  ) {
    return;
  }
  const text = await autoMerge(req, deploy.merge_method);
  req.log.info({ autoMerge: text }, "deploy gate: auto-merge");
  await req.port.updateCheckRun(note.id, {
    output: { title: note.shown.title, summary: note.shown.summary, text },
  });
}

/** The answer to `/deploy-anyway`: the gate's, and what the override did to monobot/promotion. */
function overrideReplies(
  gate: CheckResult | null,
  promotion: CheckResult | null,
  headSha: string,
): string {
  const parts: string[] = [];
  if (gate) parts.push(overrideReply(gate, headSha));
  if (promotion?.conclusion === "neutral") {
    parts.push(
      `\`${PROMOTION_CHECK}\` is overridden for commit ${shortSha(headSha)}: it is neutral and shows your reason.`,
    );
  } else if (promotion) {
    parts.push(`\`${PROMOTION_CHECK}\` passes without an override: ${promotion.title}.`);
  }
  return parts.join(" ");
}

/** Whether the gate holds the PR: its files, and its head tree only when they do not tell. */
async function readScope(
  port: GitHubRepo,
  pr: PullRequestData,
  listing: { files: GateFile[]; truncated: boolean },
): Promise<GateScope> {
  const { files, truncated } = listing;
  const first = gateScope(files, { truncated });
  if (first !== "needs-tree") return first;
  const scope = gateScope(files, { truncated, headPaths: await port.paths(pr.headSha) });
  if (scope === "needs-tree") throw new Error("gate scope: the head tree did not decide");
  return scope;
}

/** Writes the override into the bot's summary comment (creating one when there is none yet). */
async function recordOverride(
  port: GitHubRepo,
  pr: PullRequestData,
  listed: CommentRecord[] | undefined,
  botLogin: string,
  override: { by: string; reason: string },
): Promise<CommentRecord[]> {
  const comments = listed ?? (await port.listComments(pr.number));
  const [summary] = ownSummaries(comments, botLogin);
  const body = withDeployOverride(summary?.body ?? null, { sha: pr.headSha, ...override });
  if (!summary) {
    const id = await port.createComment(pr.number, body);
    return [...comments, { id, body, author: botLogin }];
  }
  if (summary.body === body) return comments;
  await port.updateComment(summary.id, body);
  return comments.map((c) => (c.id === summary.id ? { ...c, body } : c));
}

/**
 * GitHub's auto-merge on one of monobot's deploy pull requests, while the gate is open: GitHub
 * merges it once every required check passes. When GitHub refuses because the pull request can
 * merge right now ("clean": every check passed), monobot merges it itself, at the head it gated.
 */
async function autoMerge(req: GateRequest, method: Policy["deploy"]["merge_method"]) {
  const { pr, repo } = req;
  const config = await req.services.clients.configRepo(repo.owner, repo.name, req.installationId);
  const pull = (await config.pullsForBranch(pr.headRef)).find(
    (p) => p.number === pr.number && p.state === "open",
  );
  if (!pull) return "Auto-merge: the pull request is no longer open.";
  if (pull.headSha !== pr.headSha) {
    return `Auto-merge: the branch moved to ${shortSha(pull.headSha)} since this evaluation; the next evaluation decides.`;
  }
  const enabled = await config.enableAutoMerge(pull, method);
  if (enabled.ok) {
    return `Auto-merge (${method}) is on: GitHub merges this pull request once every required check passes.`;
  }
  if (refusedAsClean(enabled.reason)) {
    const merged = await config.mergePull(pr.number, { sha: pr.headSha, method });
    return merged.ok
      ? `Merged (${method}) as ${shortSha(merged.sha)}: the gate is open and every check passed.`
      : `Auto-merge: GitHub refused to merge: ${merged.reason}.`;
  }
  return `Auto-merge could not be turned on: ${enabled.reason}.`;
}
