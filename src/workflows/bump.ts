// The `/bump` workflow: fresh reads of the pull request, a bump plan, ONE commit on the head branch without force.
import { shortSha } from "../core/sha.js";
import { commitMessage, describeVersions, planBump, type BumpPlan } from "../core/bump.js";
import type { CheckDefinition } from "../core/checks/registry.js";
import { versionsCheck, versionsNeeds } from "../core/checks/versions.js";
import type { BumpLevel } from "../core/commands.js";
import type { Policy } from "../core/policy.js";
import type { PullRequestInfo } from "../core/types.js";
import type { BranchHead, GitDataPort } from "../forge/git-data.js";
import type { GitHubRepo } from "../forge/github.js";
import type { ChangeReader } from "../forge/port.js";
import { evaluateChange } from "./evaluate-change.js";
import { commitEdits } from "./commit-step.js";

export interface BumpPort {
  /** Reads the pull request's change (on the base repository). */
  reader: ChangeReader;
  /** Writes to the repository holding the head branch (the fork, for a fork's pull request). */
  git: GitDataPort;
}

export interface BumpWorkflowRequest {
  repo: { owner: string; name: string; defaultBranch: string };
  pr: PullRequestInfo & { headSha: string; baseSha: string };
  /** Where the head branch lives; null when the fork was deleted. */
  headRepo: { owner: string; name: string } | null;
  policy: Policy;
  level: BumpLevel;
  /** Components or charts named in the command; empty for every failing one. */
  names: readonly string[];
  /** Login of the user who commented `/bump`. */
  requestedBy: string;
  /**
   * The head the user saw checked (e.g. the head SHA of the latest monobot/versions run);
   * defaults to the pull request's head as just read.
   */
  checkedSha?: string;
}

export interface BumpOutcome {
  status: "committed" | "nothing" | "refused";
  /** The reply to post on the pull request (without the @mention). */
  reply: string;
  commitSha?: string;
  plan?: BumpPlan;
}

function commandText(req: BumpWorkflowRequest): string {
  return `/bump ${[req.level, ...req.names].join(" ")}`;
}

/** The ports of `/bump` on GitHub: reads on the base repository, writes on the head's. */
export function gitHubBumpPort(
  repo: GitHubRepo,
  pull: number,
  headRepo: { owner: string; name: string },
): BumpPort {
  return { reader: repo.pullRequestReader(pull), git: repo.gitData(headRepo) };
}

function refused(reply: string): BumpOutcome {
  return { status: "refused", reply };
}

/** What `/bump` refuses from the request alone: a fork closed to maintainers, a forbidden pre-release. */
function refusalBeforeReads(
  req: BumpWorkflowRequest,
  command: string,
  where: string,
): BumpOutcome | undefined {
  const branch = req.pr.headRef;
  if (req.pr.fromFork && !req.pr.maintainerCanModify) {
    return refused(
      `\`${command}\` was not run: the head branch \`${branch}\` is in the fork ${where}, which does not allow edits by maintainers. Tick "Allow edits by maintainers" on this pull request and comment \`${command}\` again, or write the versions in the branch yourself.`,
    );
  }
  if (req.level === "prerelease" && req.policy.versions.prerelease === "forbid") {
    return refused(
      `\`${command}\` was not run: this repository forbids pre-release versions (\`versions.prerelease: forbid\` in .github/monobot.yml). Use \`/bump patch\`, \`minor\` or \`major\`.`,
    );
  }
  return undefined;
}

/**
 * Runs `/bump`: refuses what cannot be done (a fork without maintainer edits, a head that
 * moved), plans the bump from fresh reads at the expected head, and commits every edit in ONE
 * commit whose parent is that head, moving the branch without force so a concurrent push makes
 * GitHub refuse (422) rather than lose it. Returns the reply to post.
 */
export async function bumpPullRequest(
  port: BumpPort,
  req: BumpWorkflowRequest,
): Promise<BumpOutcome> {
  const { pr } = req;
  const command = commandText(req);
  const branch = pr.headRef;
  if (req.headRepo === null)
    return refused(
      `\`${command}\` was not run: the repository of this pull request's head branch no longer exists, so there is no branch to commit to.`,
    );
  const where = `${req.headRepo.owner}/${req.headRepo.name}`;
  const early = refusalBeforeReads(req, command, where);
  if (early) return early;
  const expected = req.checkedSha ?? pr.headSha;
  const head = await port.git.branchHead(branch);
  if (head === null) {
    return {
      status: "refused",
      reply: `\`${command}\` was not run: the head branch \`${branch}\` no longer exists in ${where}.`,
    };
  }
  if (head.sha !== expected) {
    return {
      status: "refused",
      reply: `\`${command}\` was not run: the head of this pull request moved since monobot checked it (checked ${shortSha(expected)}, \`${branch}\` is now at ${shortSha(head.sha)}). Wait for monobot/versions on the new head, then comment \`${command}\` again.`,
    };
  }

  // The same reads the check makes, plus the VERSION files of components named in the command.
  const reads: CheckDefinition = {
    ...versionsCheck,
    id: "bump",
    needs: (input) => versionsNeeds(input, req.names),
  };
  const evaluation = await evaluateChange({
    reader: port.reader,
    policy: req.policy,
    checks: [reads],
    repo: req.repo,
    base: { ref: pr.baseRef, sha: pr.baseSha },
    head: { ref: pr.headRef, sha: expected },
    pr,
  });
  const plan = planBump(
    { snapshot: evaluation.snapshot, policy: req.policy, components: evaluation.components },
    { level: req.level, names: req.names },
  );
  if (plan.problems.length > 0) {
    return {
      status: "refused",
      reply: `\`${command}\` was not run, nothing was committed:\n${plan.problems.map((p) => `- ${p}`).join("\n")}`,
      plan,
    };
  }
  if (plan.edits.length === 0) {
    const reply =
      req.names.length > 0
        ? `\`${command}\`: nothing to commit, ${req.names.map((n) => `\`${n}\``).join(", ")} ${req.names.length === 1 ? "is" : "are"} already at the ${req.level} version above the base branch, and the charts that follow agree.`
        : `\`${command}\`: nothing to bump. Every component and chart this pull request changes already has a version greater than the base branch's. To bump one anyway, name it, e.g. \`/bump ${req.level} NAME\`.`;
    return { status: "nothing", reply, plan };
  }

  const message = commitMessage(plan, {
    level: req.level,
    names: req.names,
    requestedBy: req.requestedBy,
    pull: pr.number,
    baseSha: pr.baseSha,
    headSha: expected,
  });
  return commitBump(port, { command, where, branch, head, expected, message }, plan);
}

/** The bump's ONE commit on the checked head (the commit step), and the reply for each outcome. */
async function commitBump(
  port: BumpPort,
  at: {
    command: string;
    where: string;
    branch: string;
    head: BranchHead;
    expected: string;
    message: string;
  },
  plan: BumpPlan,
): Promise<BumpOutcome> {
  const { command, where, branch, head, expected, message } = at;
  // One attempt: a push after the checked head is the user's to look at, not monobot's to redo.
  const commit = await commitEdits({
    port: { git: port.git, createBranch: (b, sha) => port.git.createBranch(b, sha) },
    branch,
    attempts: 1,
    what: "the commit",
    read: async () => ({
      plan: {
        base: head,
        tip: head,
        edits: plan.edits.map((e) => ({ path: e.path, content: e.after })),
        message,
        join: "extend" as const,
        upToDate: false,
      },
      context: undefined,
    }),
  });
  if ("lost" in commit) {
    return {
      status: "refused",
      reply: `\`${command}\` was not run: \`${branch}\` moved while monobot was committing the bump (a push came in after ${shortSha(expected)}), and monobot never force-pushes. Nothing was committed; comment \`${command}\` again once monobot/versions has run on the new head.`,
      plan,
    };
  }
  if ("refused" in commit) {
    return {
      status: "refused",
      reply: `\`${command}\` was not run: ${commit.refused} on ${where}. Nothing was committed; check that monobot may write to \`${branch}\` (branch protection, app permissions), or write the versions yourself.`,
      plan,
    };
  }
  if (!("committed" in commit)) throw new Error("a bump with edits always commits");
  const commitSha = commit.committed;
  const files = plan.edits.length === 1 ? "1 file" : `${plan.edits.length} files`;
  const versions = describeVersions(plan);
  return {
    status: "committed",
    commitSha,
    plan,
    reply: `committed ${commitSha} to \`${branch}\` (${files}): ${versions || plan.edits.map((e) => e.changes.join("; ")).join("; ")}. monobot/versions runs again on the new commit.`,
  };
}
