// Who may run a comment command: ONE pure decision from the command, the actor's facts and the policy.
import type { CommandSpec } from "./commands.js";
import { mayDeployAnyway } from "./deploy-gate.js";
import type { Policy } from "./policy.js";
import { adminOnly, mayUseCommand, trustFromAssociation, trustFromPermission } from "./trust.js";

/** What is known of the person who commented, read before anything is decided. */
export interface ActorFacts {
  login: string;
  /** The comment's `author_association`. */
  association: string;
  /** Their repository permission (null: not a collaborator); undefined when it was not asked. */
  permission?: string | null;
  isPrAuthor: boolean;
  prFromFork: boolean;
}

export interface AccessDecision {
  allowed: boolean;
  /** The sentence the commenter reads when refused. */
  reason: string;
}

/**
 * Whether deciding on `spec` needs the permission API: always for an admin command, and for the
 * others when the association does not settle trust on its own.
 */
export function needsPermission(
  spec: CommandSpec,
  actor: Pick<ActorFacts, "login" | "association">,
  policy: Pick<Policy, "triggers">,
): boolean {
  if (spec.who === "anyone") return false;
  if (spec.who === "admin") return true;
  const first = trustFromAssociation({ user: actor.login, association: actor.association, policy });
  return !first.trusted && first.needsPermissionCheck;
}

/** Whether `actor` may run `spec`, with the reason to give when not. */
export function mayRunCommand(
  spec: CommandSpec,
  actor: ActorFacts,
  policy: Pick<Policy, "triggers">,
): AccessDecision {
  if (spec.who === "anyone") return { allowed: true, reason: "" };
  const permission = actor.permission ?? null;
  if (spec.who === "admin") {
    // The gate's override says how to get through otherwise (an admin, or the freeze's end).
    return spec.name === "deploy-anyway"
      ? mayDeployAnyway(actor.login, permission)
      : adminOnly(`\`${spec.usage}\``, permission);
  }
  const input = { user: actor.login, association: actor.association, policy };
  const trust =
    actor.permission === undefined
      ? trustFromAssociation(input)
      : trustFromPermission({ ...input, permission });
  return mayUseCommand(spec, {
    trust,
    isPrAuthor: actor.isPrAuthor,
    prFromFork: actor.prFromFork,
  });
}
