// Verifies a pull request: policy, components, every check as a check run, ONE summary comment.
import { configVerdict, CONFIG_CHECK } from "../core/checks/config.js";
import {
  ANNOTATIONS_PER_REQUEST,
  batchAnnotations,
  capAnnotations,
  fitSummary,
  omittedLine,
} from "../core/checks/annotations.js";
import type { CheckDefinition } from "../core/checks/registry.js";
import { ownSummaries, readPrState, renderPrState } from "../core/pr-state.js";
import { renderSummary } from "../core/summary.js";
import { ciAllowed } from "../core/trust.js";
import type { CheckResult, PullRequestInfo } from "../core/types.js";
import type { Log } from "../log.js";
import type { ChangeReader, CommentRecord, ReportWriter } from "../forge/port.js";
import { decideTrust, type PermissionPort } from "./decide-trust.js";
import { evaluateChange, type SealedSecretsFacts } from "./evaluate-change.js";
import type { LoadedPolicy } from "../forge/policy-loader.js";
import {
  runPullRequestCi,
  type CiPort,
  type CiRequest,
  type PullRequestCiInput,
} from "./pull-request-ci.js";

export interface VerifyPort extends ReportWriter, CiPort {
  pullRequestReader(pull: number): ChangeReader;
}

export interface VerifyRequest {
  repo: { owner: string; name: string; defaultBranch: string };
  pr: PullRequestInfo & { headSha: string; baseSha: string };
  policy: LoadedPolicy;
  checks: readonly CheckDefinition[];
  /** The webhook delivery that asked for this run: makes redelivery after a restart a no-op. */
  deliveryId: string;
  /** Whether the PR author may have CI run on their code without an approval. */
  authorTrusted: boolean;
  /** The bot's own login (`slug[bot]`): only its comments are read back, so state cannot be forged. */
  botLogin: string;
  /** An /ok-to-test approval given by this event, to remember in the summary comment. */
  approval?: { sha: string; by: string };
  /** The PR's comments when the caller read them already (one listing serves a whole event). */
  comments?: CommentRecord[];
  /** The bot's facts about a changed sealed secrets file (key ids, target statuses). */
  sealedSecrets?: SealedSecretsFacts;
  /** CI: what asked for it and how to reach the backends; absent, no job starts. */
  ci?: {
    request: CiRequest;
    backend: PullRequestCiInput["backend"];
    tracker?: PullRequestCiInput["tracker"];
  };
}

export interface VerifyOutcome {
  results: CheckResult[];
  skipped: string[];
  /** True when a redelivery found its work already done. */
  alreadyDone: boolean;
  ciAllowed: boolean;
}

// Long (about 140 lines): one pass over the checks in the order their check runs are posted;
// not split in this change (it changed no behaviour and moved no code here).
export async function verifyPullRequest(
  port: VerifyPort,
  req: VerifyRequest,
  log: Log,
): Promise<VerifyOutcome> {
  const { pr, policy } = req;
  const existingRuns = await port.listCheckRuns(pr.headSha);
  // Check runs this delivery posted already: all of them when it is a redelivery of finished
  // work, some when a run was cut off (kill -9, a replica lost) and the job runs again.
  const posted = new Set(
    existingRuns.filter((r) => r.externalId === req.deliveryId).map((r) => r.name),
  );
  const comments = req.comments ?? (await port.listComments(pr.number));
  const mine = ownSummaries(comments, req.botLogin);
  const recorded = readPrState(mine, req.botLogin);
  // The summary is written last: once it names this head, the delivery's work is done.
  if (posted.size > 0 && recorded.verifiedSha === pr.headSha) {
    log.info({ headSha: pr.headSha }, "delivery already verified this head; nothing to do");
    return { results: [], skipped: [], alreadyDone: true, ciAllowed: false };
  }
  const resumed = posted.size > 0;
  if (resumed) {
    log.info(
      { headSha: pr.headSha, posted: [...posted] },
      "resuming a verification cut off after some check runs: posting the rest",
    );
  }
  const approval = req.approval ?? recorded.approval;
  const skipped: string[] = [];
  let results: CheckResult[];
  let components;
  let versions;
  let evaluated: Awaited<ReturnType<typeof evaluateChange>> | undefined;
  const previousCi = recorded.ci;
  let ciState = previousCi;
  const sections: string[] = [];

  if (!policy.result.ok) {
    results = [
      configVerdict({
        files: policy.files,
        errors: policy.result.errors,
        componentErrors: [],
        repoFile: policy.repoFile,
      }),
    ];
    skipped.push(
      "Every other check and CI job: the configuration is invalid (see `monobot/config`).",
    );
  } else {
    const evaluation = await evaluateChange({
      reader: port.pullRequestReader(pr.number),
      policy: policy.result.policy,
      checks: req.checks,
      repo: req.repo,
      base: { ref: pr.baseRef, sha: pr.baseSha },
      head: { ref: pr.headRef, sha: pr.headSha },
      pr,
      ...(req.sealedSecrets ? { sealedSecrets: req.sealedSecrets } : {}),
    });
    components = evaluation.components;
    versions = evaluation.versions;
    evaluated = evaluation;
    const config = configVerdict({
      files: policy.files,
      errors: [],
      componentErrors: evaluation.components.errors,
      repoFile: policy.repoFile,
    });
    if (config.conclusion === "failure") {
      results = [config];
      skipped.push(
        "Every other check and CI job: the configuration is invalid (see `monobot/config`).",
      );
    } else {
      const max = policy.result.policy.checks.max_annotations;
      results = [config, ...evaluation.results.map((r) => capResult(r, max))];
      if (evaluation.snapshot.truncated) {
        skipped.push(
          "Files past the first 3,000: GitHub lists no more files of a pull request, so they were not checked.",
        );
      }
    }
  }

  const ci = ciAllowed({
    authorTrusted: req.authorTrusted,
    author: pr.author,
    headSha: pr.headSha,
    approval,
  });
  const configOk = results[0]?.conclusion !== "failure" && policy.result.ok;
  if (!ci.allowed) skipped.push(`CI jobs: ${ci.reason}`);
  else if (resumed) {
    // CI starts before the first check run is posted: the cut-off attempt did that step, and
    // starting it again would run every job twice. The commit statuses show what it started.
    log.info({ headSha: pr.headSha }, "CI: started by the attempt that was cut off");
  } else if (req.ci && configOk && evaluated && policy.result.ok) {
    const headVersions: Record<string, string> = {};
    for (const [name, v] of evaluated.versions) if (v.head) headVersions[name] = v.head;
    const outcome = await runPullRequestCi({
      port,
      policy: policy.result.policy,
      repo: req.repo,
      pr: { number: pr.number, headSha: pr.headSha, headRef: pr.headRef },
      snapshot: evaluated.snapshot,
      components: evaluated.components,
      versions: headVersions,
      request: req.ci.request,
      previous: previousCi,
      backend: req.ci.backend,
      ...(req.ci.tracker ? { tracker: req.ci.tracker } : {}),
      log,
    });
    ciState = outcome.state ?? ciState;
    if (outcome.lines.length > 0)
      sections.push(["**CI**", "", ...outcome.lines.map((l) => `- ${l}`)].join("\n"));
  }

  for (const result of results) {
    if (!posted.has(result.name)) await postCheckRun(port, pr.headSha, req.deliveryId, result);
  }

  // State others recorded (a /deploy-anyway override) is kept: spread what was read.
  const state = renderPrState({ ...recorded, verifiedSha: pr.headSha, approval, ci: ciState });
  const body = renderSummary({
    headSha: pr.headSha,
    ...(components ? { components } : {}),
    ...(versions ? { versions } : {}),
    results,
    skipped,
    sections,
    state,
  });
  await upsertSummary(port, pr.number, mine, body);
  log.info(
    { headSha: pr.headSha, checks: results.map((r) => `${r.name}=${r.conclusion}`) },
    "pull request verified",
  );
  return { results, skipped, alreadyDone: false, ciAllowed: ci.allowed };
}

/** Every check keeps within the policy's annotation cap, whatever it produced. */
function capResult(result: CheckResult, max: number): CheckResult {
  if (result.annotations.length <= max) return result;
  const { shown, omitted } = capAnnotations(result.annotations, max);
  return { ...result, annotations: shown, summary: `${result.summary}\n\n${omittedLine(omitted)}` };
}

/** One check run per result; annotations beyond 50 follow in updates, as the Checks API requires. */
export async function postCheckRun(
  port: ReportWriter,
  headSha: string,
  externalId: string,
  result: CheckResult,
): Promise<number> {
  const [first = [], ...rest] = batchAnnotations(result.annotations, ANNOTATIONS_PER_REQUEST);
  const output = {
    title: result.title,
    summary: fitSummary(result.summary),
    ...(result.text ? { text: result.text } : {}),
  };
  const id = await port.createCheckRun({
    name: result.name,
    headSha,
    status: "completed",
    conclusion: result.conclusion,
    externalId,
    output: { ...output, annotations: first },
  });
  for (const batch of rest) {
    await port.updateCheckRun(id, { output: { ...output, annotations: batch } });
  }
  return id;
}

/** Edits monobot's summary comment in place, creating it once; stray duplicates are deleted. */
export async function upsertSummary(
  port: ReportWriter,
  issue: number,
  mine: CommentRecord[],
  body: string,
): Promise<void> {
  const [keep, ...stale] = mine;
  if (!keep) {
    await port.createComment(issue, body);
    return;
  }
  if (keep.body !== body) await port.updateComment(keep.id, body);
  for (const c of stale) await port.deleteComment(c.id);
}

export { CONFIG_CHECK };

/** What a verification asks for, beyond the pull request itself. */
export interface VerifyEventRequest {
  repo: { owner: string; name: string; defaultBranch: string };
  pr: PullRequestInfo & { headSha: string; baseSha: string };
  deliveryId: string;
  ci: CiRequest;
  checks: readonly CheckDefinition[];
  botLogin: string;
  backend: PullRequestCiInput["backend"];
  tracker?: PullRequestCiInput["tracker"];
  approval?: { sha: string; by: string };
  /** The policy when the caller loaded it already (one read per event). */
  loaded?: LoadedPolicy;
  comments?: CommentRecord[];
  sealedSecrets?: SealedSecretsFacts;
}

export interface VerifyEventPort extends VerifyPort, PermissionPort {
  loadPolicy(ref?: string): Promise<LoadedPolicy>;
}

/**
 * A PR event's verification: the default branch's policy (a PR cannot loosen its own checks),
 * drafts skipped when the policy says so, the author's trust, then every check and CI.
 */
export async function verifyPullRequestEvent(
  port: VerifyEventPort,
  req: VerifyEventRequest,
  log: Log,
): Promise<VerifyOutcome | null> {
  const loaded = req.loaded ?? (await port.loadPolicy(req.repo.defaultBranch));
  if (loaded.result.ok && req.pr.draft && loaded.result.policy.triggers.skip_drafts) {
    log.info("draft pull request: skipped until it is marked ready for review");
    return null;
  }
  // monobot's own pull requests (deploy PRs on the config repo) hold only what monobot wrote.
  const own = req.pr.author.toLowerCase() === req.botLogin.toLowerCase();
  const authorTrusted = loaded.result.ok
    ? own ||
      (await decideTrust(port, req.pr.author, req.pr.authorAssociation, loaded.result.policy))
        .trusted
    : false;
  return verifyPullRequest(
    port,
    {
      repo: req.repo,
      pr: req.pr,
      policy: loaded,
      checks: req.checks,
      deliveryId: req.deliveryId,
      authorTrusted,
      botLogin: req.botLogin,
      ...(req.approval ? { approval: req.approval } : {}),
      ...(req.comments ? { comments: req.comments } : {}),
      ...(req.sealedSecrets ? { sealedSecrets: req.sealedSecrets } : {}),
      ci: {
        request: req.ci,
        backend: req.backend,
        ...(req.tracker ? { tracker: req.tracker } : {}),
      },
    },
    log,
  );
}
