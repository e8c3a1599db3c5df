// monobot/access: whether a change has the approvals its access rules ask for, as a check result.
import { approvalsOf, type Approvals, type ReviewRecord } from "./access-approvals.js";
import { invalidTeam, requirementsOf, type Requirement } from "./access-rules.js";
import { capAnnotations, omittedLine, plural } from "./checks/annotations.js";
import type { AccessConfig } from "./policy-schema.js";
import type { Annotation, ChangedFile, CheckResult } from "./types.js";

export const ACCESS_CHECK = "monobot/access";

/** Repository permissions that count as write access for `unmatched: require`. */
const WRITE_PERMISSIONS = new Set(["write", "maintain", "admin"]);

/** A team's members as monobot could read them, or why it could not. */
export type TeamMembers =
  { ok: true; members: ReadonlySet<string> } | { ok: false; reason: string };

/** What the shell looked up for one evaluation (team members, approvers' permissions). */
export interface AccessFacts {
  /** By team (`org/slug`, lower case); members' logins in lower case. */
  teams: ReadonlyMap<string, TeamMembers>;
  /** By login (lower case): the repository permission, null when none. */
  permissions: ReadonlyMap<string, string | null>;
}

export interface AccessChange {
  access: AccessConfig;
  files: readonly ChangedFile[];
  /** GitHub listed only part of the files (3,000 at most). */
  truncated?: boolean;
  /** Environments whose pins the change moves; empty until the environments feature says so. */
  environments?: readonly string[];
  /** The change edits the access section (or the policy file holding it). */
  accessChanged?: boolean;
  policyFile?: string;
  author: string;
  headSha: string;
  reviews: readonly ReviewRecord[];
}

/** What the shell must look up before `evaluateAccess` can decide. */
export interface AccessNeeds {
  requirements: Requirement[];
  approvals: Approvals;
  /** Distinct teams to read (as written, first spelling wins). */
  teams: string[];
  /** Approvers whose repository permission decides `unmatched: require`. */
  permissions: string[];
}

/** Requirements and approvals, and the reads that can change the verdict (none without approvers). */
export function accessNeeds(change: AccessChange): AccessNeeds {
  const requirements = requirementsOf({
    access: change.access,
    files: change.files,
    ...(change.environments ? { environments: change.environments } : {}),
    ...(change.accessChanged ? { accessChanged: true } : {}),
    ...(change.policyFile ? { policyFile: change.policyFile } : {}),
  });
  const approvals = approvalsOf(change);
  const teams = new Map<string, string>();
  let permissions: string[] = [];
  if (approvals.approvers.length > 0) {
    for (const r of requirements) {
      for (const t of r.teams) {
        if (invalidTeam(t) === null && !teams.has(t.toLowerCase())) teams.set(t.toLowerCase(), t);
      }
      if (r.kind === "unmatched" && !r.deny) permissions = [...approvals.approvers];
    }
  }
  return { requirements, approvals, teams: [...teams.values()], permissions };
}

export interface RequirementVerdict {
  requirement: Requirement;
  satisfied: boolean;
  /** Approvers who count for it. */
  approvedBy: string[];
  /** Why a team counted no approvers (unknown, unreadable, not a team name). */
  teamProblems: string[];
}

export interface AccessVerdict {
  verdicts: RequirementVerdict[];
  approvals: Approvals;
  truncated: boolean;
  satisfied: boolean;
}

/** The verdict of every requirement, from the approvals and what the shell looked up. */
export function evaluateAccess(
  needs: AccessNeeds,
  facts: AccessFacts,
  truncated = false,
): AccessVerdict {
  const approvers = needs.approvals.approvers;
  const verdicts = needs.requirements.map((requirement): RequirementVerdict => {
    if (requirement.deny) {
      return { requirement, satisfied: false, approvedBy: [], teamProblems: [] };
    }
    if (requirement.kind === "unmatched") {
      const approvedBy = approvers.filter((a) =>
        WRITE_PERMISSIONS.has((facts.permissions.get(a.toLowerCase()) ?? "").toLowerCase()),
      );
      return {
        requirement,
        satisfied: approvedBy.length >= requirement.count,
        approvedBy,
        teamProblems: [],
      };
    }
    const teamProblems: string[] = [];
    const members: ReadonlySet<string>[] = [];
    for (const team of requirement.teams) {
      const invalid = invalidTeam(team);
      if (invalid) {
        teamProblems.push(`${invalid}: it counts no approvers`);
        continue;
      }
      const got = facts.teams.get(team.toLowerCase());
      if (!got) continue; // not read: nobody approved, so it cannot change the verdict
      if (got.ok) members.push(got.members);
      else teamProblems.push(`@${team} counts no approvers: ${got.reason}`);
    }
    const approvedBy = approvers.filter((a) => members.some((m) => m.has(a.toLowerCase())));
    return {
      requirement,
      satisfied: approvedBy.length >= requirement.count,
      approvedBy,
      teamProblems,
    };
  });
  return {
    verdicts,
    approvals: needs.approvals,
    truncated,
    satisfied: !truncated && verdicts.every((v) => v.satisfied),
  };
}

function who(requirement: Requirement): string {
  if (requirement.kind === "unmatched") return "anyone with write access";
  return requirement.teams.map((t) => `@${t}`).join(" or ");
}

function logins(list: readonly string[]): string {
  return list.map((l) => `@${l}`).join(", ");
}

/** One line per requirement: "infrastructure: 1 of 2 approvals from @acme/platform; approved by @alice". */
export function verdictLine(v: RequirementVerdict): string {
  const r = v.requirement;
  if (r.deny) {
    return `${r.name}: not allowed (\`access.unmatched: deny\`): add a rule that covers them, or leave them out of this pull request`;
  }
  const have = Math.min(v.approvedBy.length, r.count);
  const approved = v.approvedBy.length > 0 ? `; approved by ${logins(v.approvedBy)}` : "";
  return `${r.name}: ${have} of ${plural(r.count, "approval")} from ${who(r)}${approved}`;
}

function listFiles(files: readonly string[], max = 10): string {
  const shown = files.slice(0, max).map((f) => `\`${f}\``);
  const more = files.length > max ? ` and ${files.length - max} more` : "";
  return `${shown.join(", ")}${more}`;
}

export interface RenderOptions {
  /** The base branch the rules were read from. */
  baseRef: string;
  /** The annotation cap (`checks.max_annotations`). */
  maxAnnotations: number;
}

/** The check run: a title, a summary per requirement, and annotations on the files that need it. */
export function renderAccess(verdict: AccessVerdict, options: RenderOptions): CheckResult {
  const { verdicts } = verdict;
  const missing = verdicts.filter((v) => !v.satisfied);
  const lines: string[] = [];
  if (verdicts.length === 0) {
    lines.push("No access rule covers the files or environments this pull request changes.");
  }
  for (const v of verdicts) {
    lines.push(`- ${v.satisfied ? "✅" : "❌"} ${verdictLine(v)}`);
    const r = v.requirement;
    if (r.files.length > 0) lines.push(`  - files: ${listFiles(r.files)}`);
    if (r.environments.length > 0) lines.push(`  - environments: ${r.environments.join(", ")}`);
    for (const p of v.teamProblems)
      lines.push(
        `  - ${p} (monobot reads team members with the App's \`members: read\` permission)`,
      );
  }
  if (verdict.truncated) {
    lines.push(
      "- ❌ GitHub lists at most 3,000 files of a pull request: monobot cannot tell which rules the others match. Split the change into smaller pull requests.",
    );
  }
  if (verdicts.some((v) => v.requirement.kind === "owners")) {
    lines.push(
      "",
      "This pull request changes the `access` rules: the rules of the base branch apply to it, and the access owners must approve it.",
    );
  }
  if (verdict.approvals.ignored.length > 0) {
    lines.push("", "Reviews that do not count:");
    for (const i of verdict.approvals.ignored) lines.push(`- @${i.user}: ${i.reason}`);
  }
  lines.push("", `Rules from \`.github/monobot.yml\` on the base branch \`${options.baseRef}\`.`);
  const annotations: Annotation[] = [];
  for (const v of verdicts) {
    for (const path of v.requirement.files) {
      annotations.push({
        path,
        start_line: 1,
        end_line: 1,
        level: v.satisfied ? "notice" : "warning",
        title: `Access: ${v.requirement.name}`,
        message: v.requirement.deny
          ? "No access rule covers this file, and `access.unmatched` is deny."
          : `Needs ${plural(v.requirement.count, "approval")} from ${who(v.requirement)} on the pull request's latest commit.`,
      });
    }
  }
  const { shown, omitted } = capAnnotations(annotations, options.maxAnnotations);
  if (omitted > 0) lines.push("", omittedLine(omitted));
  const ok = verdict.satisfied;
  const failing = missing.length + (verdict.truncated ? 1 : 0);
  return {
    name: ACCESS_CHECK,
    conclusion: ok ? "success" : "failure",
    title: ok
      ? verdicts.length === 0
        ? "No access rule applies"
        : `${plural(verdicts.length, "access rule")} satisfied`
      : `${plural(failing, "access rule")} of ${verdicts.length + (verdict.truncated ? 1 : 0)} not satisfied`,
    summary: lines.join("\n"),
    annotations: shown,
  };
}

/** The files a check run annotation can point at: a removed file no longer exists at the head. */
export function annotatable(result: CheckResult, files: readonly ChangedFile[]): CheckResult {
  const atHead = new Set(files.filter((f) => f.status !== "removed").map((f) => f.path));
  return { ...result, annotations: result.annotations.filter((a) => atHead.has(a.path)) };
}
