// monobot/access for one pull request: read files, reviews and teams, decide in the core, write the check.
import type { ReviewRecord } from "../core/access-approvals.js";
import { accessSectionChanged } from "../core/access-rules.js";
import {
  ACCESS_CHECK,
  accessNeeds,
  annotatable,
  evaluateAccess,
  renderAccess,
  type AccessFacts,
  type TeamMembers,
} from "../core/access.js";
import { plural } from "../core/checks/annotations.js";
import { CONFIG_CHECK, configVerdict } from "../core/checks/config.js";
import type { ChangedFile, CheckResult } from "../core/types.js";
import type { PullRequestData } from "../forge/github.js";
import { CONFIG_PATH, type LoadedPolicy } from "../forge/policy-loader.js";
import type { ReportWriter } from "../forge/port.js";
import type { Log } from "../log.js";
import { postCheckRun } from "./verify-pull-request.js";

/** Distinct teams one evaluation reads at most; beyond, a team counts no approvers and says why. */
export const MAX_TEAMS_PER_EVALUATION = 50;

/** The reads and writes the access check needs (the GitHub port implements them). */
export interface AccessCheckPort extends ReportWriter {
  loadPolicy(ref?: string): Promise<LoadedPolicy>;
  pullRequestFiles(pull: number): Promise<{ files: ChangedFile[]; truncated: boolean }>;
  pullRequestReviews(pull: number): Promise<ReviewRecord[]>;
  teamMembers(org: string, slug: string): Promise<TeamMembers>;
}

export interface AccessCheckRequest {
  pr: PullRequestData;
  /** The check run's external id. */
  deliveryId: string;
  /** The base branch's policy, when the caller loaded it already. */
  base?: LoadedPolicy;
  /** Environments whose pins the pull request moves, when the caller knows them already. */
  environments?: readonly string[];
  /**
   * Reads the environments whose pins the pull request moves, from its files listing. Called only
   * when a rule names environments, so a repository without such rules pays nothing for it.
   */
  movedEnvironments?: (files: readonly ChangedFile[]) => Promise<string[]>;
}

export interface AccessCheckOutcome {
  /** The access check as posted; null when the base branch's policy has no `access`. */
  result: CheckResult | null;
  /** The head's policy file is invalid: a failing monobot/config was posted. */
  configFailed: boolean;
}

/**
 * Evaluates monobot/access: rules from the base branch (a pull request cannot loosen its own), the
 * reviews, and the members of the distinct teams that could count an approver. Requests: the
 * policy, the files listing, the reviews listing, one listing per distinct team (only when someone
 * approved), a permission read per approver for `unmatched: require`, the check runs of the head,
 * and one check run written: created once per head, then updated in place.
 */
export async function runAccessCheck(
  port: AccessCheckPort,
  req: AccessCheckRequest,
  log: Log,
): Promise<AccessCheckOutcome> {
  const { pr } = req;
  const base = req.base ?? (await port.loadPolicy(pr.baseRef));
  if (!base.result.ok) {
    log.info("access check skipped: the base branch's configuration is invalid");
    return { result: null, configFailed: false };
  }
  const policy = base.result.policy;
  if (pr.draft && policy.triggers.skip_drafts) {
    log.info("access check: draft pull request, evaluated once it is ready for review");
    return { result: null, configFailed: false };
  }
  const access = policy.access;
  // Without rules on the base branch this check costs nothing beyond the policy read: every pull
  // request of every repository takes this path.
  if (!access) return { result: null, configFailed: false };
  const listing = await port.pullRequestFiles(pr.number);
  const policyFile = listing.files.find(
    (f) => f.path === CONFIG_PATH || f.previousPath === CONFIG_PATH,
  );
  let accessChanged = false;
  let configFailed = false;
  let runs: Awaited<ReturnType<AccessCheckPort["listCheckRuns"]>> | undefined;
  if (policyFile) {
    const head = await port.loadPolicy(pr.headSha);
    accessChanged = accessSectionChanged(
      access,
      head.result.ok ? { ok: true, access: head.result.policy.access } : { ok: false },
    );
    if (!head.result.ok) {
      configFailed = true;
      runs = await port.listCheckRuns(pr.headSha);
      await postHeadConfig(port, req, head, runs);
    }
  }
  const reviews = await port.pullRequestReviews(pr.number);
  const environments =
    req.environments ??
    (req.movedEnvironments && access.rules.some((r) => (r.environments ?? []).length > 0)
      ? await req.movedEnvironments(listing.files)
      : undefined);
  const needs = accessNeeds({
    access,
    files: listing.files,
    truncated: listing.truncated,
    ...(environments ? { environments } : {}),
    accessChanged,
    policyFile: CONFIG_PATH,
    author: pr.author,
    headSha: pr.headSha,
    reviews,
  });
  const facts: AccessFacts = {
    teams: await readTeams(port, needs.teams),
    permissions: await readPermissions(port, needs.permissions),
  };
  const verdict = evaluateAccess(needs, facts, listing.truncated);
  const result = annotatable(
    renderAccess(verdict, {
      baseRef: pr.baseRef,
      maxAnnotations: policy.checks.max_annotations,
    }),
    listing.files,
  );
  runs ??= await port.listCheckRuns(pr.headSha);
  const existing = runs.find((r) => r.name === ACCESS_CHECK);
  if (existing) {
    // The Checks API appends annotations on every update: the head's files, and so the
    // annotations, are those of the first evaluation; later ones change the verdict only.
    await port.updateCheckRun(existing.id, {
      conclusion: result.conclusion,
      output: { title: result.title, summary: result.summary },
    });
  } else {
    await postCheckRun(port, pr.headSha, req.deliveryId, result);
  }
  log.info(
    {
      conclusion: result.conclusion,
      requirements: verdict.verdicts.length,
      teamsRead: needs.teams.length,
      updated: existing !== undefined,
    },
    "access check evaluated",
  );
  return { result, configFailed };
}

/** A failing monobot/config on the head: the proposed policy must be valid before it can merge. */
async function postHeadConfig(
  port: AccessCheckPort,
  req: AccessCheckRequest,
  head: LoadedPolicy,
  runs: Awaited<ReturnType<AccessCheckPort["listCheckRuns"]>>,
): Promise<void> {
  if (head.result.ok) return;
  const done = runs.some((r) => r.name === CONFIG_CHECK && r.externalId === req.deliveryId);
  if (done) return;
  const verdict = configVerdict({
    files: head.files,
    errors: head.result.errors,
    componentErrors: [],
    repoFile: head.repoFile,
  });
  const problems = head.result.errors.map((e) => `- \`${e.file}\` line ${e.line}: ${e.message}`);
  await postCheckRun(port, req.pr.headSha, req.deliveryId, {
    ...verdict,
    title: `The proposed ${head.repoFile} is invalid (${plural(problems.length, "problem")})`,
    summary: [
      `This pull request changes \`${head.repoFile}\`, and the new file is invalid: fix it before it can merge. Until it merges, the base branch's policy applies to this pull request.`,
      "",
      ...problems,
      "",
      `\`npx monobot config validate ${head.repoFile}\` checks it locally.`,
    ].join("\n"),
  });
}

/** Each distinct team once per evaluation, at most MAX_TEAMS_PER_EVALUATION of them (the access check and the environment commands). */
export async function readTeams(
  port: AccessCheckPort,
  teams: readonly string[],
): Promise<Map<string, TeamMembers>> {
  const out = new Map<string, TeamMembers>();
  for (const [i, team] of teams.entries()) {
    const key = team.toLowerCase();
    if (out.has(key)) continue;
    if (i >= MAX_TEAMS_PER_EVALUATION) {
      out.set(key, {
        ok: false,
        reason: `the rules name more than ${MAX_TEAMS_PER_EVALUATION} teams for this change, and monobot reads at most that many per evaluation`,
      });
      continue;
    }
    const [org = "", slug = ""] = team.split("/");
    out.set(key, await port.teamMembers(org, slug));
  }
  return out;
}

async function readPermissions(
  port: AccessCheckPort,
  logins: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const login of logins) {
    const key = login.toLowerCase();
    if (!out.has(key)) out.set(key, await port.permission(login));
  }
  return out;
}
