// Who may start CI and use commands: each decision carries the sentence the user reads.
import { shortSha } from "./sha.js";
import type { CommandSpec } from "./commands.js";
import type { Policy } from "./policy.js";

export interface TrustDecision {
  trusted: boolean;
  /** Why, as a sentence to show the user. */
  reason: string;
  /** The association alone did not settle it: ask the collaborator permission API. */
  needsPermissionCheck: boolean;
}

type Permission = Policy["triggers"]["trusted_permission"];

const PERMISSION_ORDER: readonly Permission[] = ["read", "triage", "write", "maintain", "admin"];

function permissionRank(permission: string | null): number {
  if (permission === null) return -1;
  return (PERMISSION_ORDER as readonly string[]).indexOf(permission.toLowerCase());
}

/**
 * The only associations that prove write access on their own: the repository's owner and the
 * organisation's members. COLLABORATOR also covers outside collaborators with read or triage
 * access, so it (like every other association) is settled by the permission API.
 */
export const FAST_PATH_ASSOCIATIONS: readonly string[] = ["OWNER", "MEMBER"];

function associationTrusted(association: string, policy: Pick<Policy, "triggers">): boolean {
  const wanted = association.toUpperCase();
  if (!FAST_PATH_ASSOCIATIONS.includes(wanted)) return false;
  return policy.triggers.trusted_associations.some((a) => a.toUpperCase() === wanted);
}

function trustedByAssociation(user: string, association: string): TrustDecision {
  return {
    trusted: true,
    reason: `@${user} is trusted: their association with this repository is ${association.toUpperCase()}.`,
    needsPermissionCheck: false,
  };
}

/**
 * First look, from the webhook's `author_association`. Only OWNER and MEMBER (where the policy
 * lists them) settle it here. An org member with private membership shows as CONTRIBUTOR, and a
 * COLLABORATOR may have read access only, so any other association is not a "no" yet: the
 * permission API decides.
 */
export function trustFromAssociation(input: {
  user: string;
  association: string;
  policy: Pick<Policy, "triggers">;
}): TrustDecision {
  if (associationTrusted(input.association, input.policy)) {
    return trustedByAssociation(input.user, input.association);
  }
  return {
    trusted: false,
    reason: `@${input.user}'s association with this repository (${input.association.toUpperCase() || "none"}) does not make them trusted on its own; their repository permission decides.`,
    needsPermissionCheck: true,
  };
}

/**
 * The final word, once the collaborator permission API answered (`null`: not a collaborator).
 * A trusted association still counts: the policy lists it as enough.
 */
export function trustFromPermission(input: {
  user: string;
  association: string;
  permission: string | null;
  policy: Pick<Policy, "triggers">;
}): TrustDecision {
  if (associationTrusted(input.association, input.policy)) {
    return trustedByAssociation(input.user, input.association);
  }
  const needed = input.policy.triggers.trusted_permission;
  const rank = permissionRank(input.permission);
  if (rank >= 0 && rank >= permissionRank(needed)) {
    return {
      trusted: true,
      reason: `@${input.user} is trusted: they have ${input.permission?.toLowerCase() ?? ""} permission on this repository.`,
      needsPermissionCheck: false,
    };
  }
  return {
    trusted: false,
    reason: `@${input.user} is not a member or collaborator with ${needed} access to this repository, so CI did not run. A maintainer can comment \`/ok-to-test\` to run it for the current commit.`,
    needsPermissionCheck: false,
  };
}

/** Whether the commenter may use `spec`, with the reply to give when not. */
export function mayUseCommand(
  spec: CommandSpec,
  input: { trust: TrustDecision; isPrAuthor: boolean; prFromFork: boolean },
): { allowed: boolean; reason: string } {
  const command = `\`${spec.usage.split(" ")[0] ?? spec.name}\``;
  if (spec.who === "anyone") return { allowed: true, reason: `Anyone may use ${command}.` };
  // Trust is write access; an admin command is settled by the permission API alone (adminOnly).
  if (spec.who === "admin") return adminOnly(command, null);
  if (input.trust.trusted) {
    return { allowed: true, reason: `${command} is allowed: ${input.trust.reason}` };
  }
  if (spec.who === "author-or-trusted" && input.isPrAuthor) {
    if (!input.prFromFork) {
      return { allowed: true, reason: `${command} is allowed: you are the pull request's author.` };
    }
    return {
      allowed: false,
      reason: `${command} was not run: this pull request comes from a fork, and monobot commits to a fork's branch only when a trusted user asks. Ask a maintainer to comment ${command}, or make the change in your branch yourself.`,
    };
  }
  const unconfirmed = input.trust.needsPermissionCheck
    ? " (the commenter's repository permission has not been checked yet)"
    : "";
  const who =
    spec.who === "author-or-trusted"
      ? "the pull request's author or members and collaborators trusted by this repository"
      : "members and collaborators trusted by this repository";
  return {
    allowed: false,
    reason: `${command} was not run: only ${who} may use it${unconfirmed}. Ask a maintainer to comment it.`,
  };
}

/**
 * Whether a user whose repository permission is `permission` (the permission API's answer, null
 * when not a collaborator or not asked) may use the admin command `command` (as shown, in code).
 */
export function adminOnly(
  command: string,
  permission: string | null,
): { allowed: boolean; reason: string } {
  if (permission?.toLowerCase() === "admin") {
    return { allowed: true, reason: `${command} is allowed: you are an admin of this repository.` };
  }
  const yours = permission ? ` (your permission is ${permission.toLowerCase()})` : "";
  return {
    allowed: false,
    reason: `${command} was not run: only admins of this repository may use it${yours}.`,
  };
}

/**
 * Whether CI may run the pull request's code at `headSha`: the author is trusted, or a trusted
 * user approved exactly this commit with `/ok-to-test`. The approval is trusted as recorded: it
 * comes from the bot's own summary comment, written only after checking the approver.
 */
export function ciAllowed(input: {
  authorTrusted: boolean;
  author: string;
  headSha: string;
  approval?: { sha: string; by: string } | null;
}): { allowed: boolean; reason: string } {
  if (input.authorTrusted) {
    return { allowed: true, reason: `CI runs: the author @${input.author} is trusted.` };
  }
  const approval = input.approval ?? null;
  if (approval && approval.sha.toLowerCase() === input.headSha.toLowerCase()) {
    return {
      allowed: true,
      reason: `CI runs for commit ${shortSha(input.headSha)}: @${approval.by} approved it with \`/ok-to-test\`.`,
    };
  }
  if (approval) {
    return {
      allowed: false,
      reason: `CI did not run: @${approval.by}'s \`/ok-to-test\` was for commit ${shortSha(approval.sha)}, and the pull request is now at ${shortSha(input.headSha)}. A new push needs a new approval: a maintainer can comment \`/ok-to-test\` again to run CI for the current commit.`,
    };
  }
  return {
    allowed: false,
    reason: `CI did not run: @${input.author} is not a member or collaborator trusted to run CI in this repository. A maintainer can comment \`/ok-to-test\` to run it for the current commit.`,
  };
}
