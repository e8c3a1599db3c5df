// Who may run a comment command: ONE pure decision from the command, the actor's facts and the policy.
import {
  commandRules,
  mayRunCommand as mayRunUnderRules,
  type CommandRule,
} from "./access-commands.js";
import type { TeamMembers } from "./access.js";
import type { CommandName, CommandSpec, ParsedCommand } from "./commands.js";
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
  /** Members of the teams the access rules name for this comment's commands (`org/slug`, lower case). */
  teams?: ReadonlyMap<string, TeamMembers>;
}

/** The commands that act on one environment: the access rules' `environments` decide who runs them. */
export const ENVIRONMENT_COMMANDS: ReadonlySet<CommandName> = new Set([
  "promote",
  "rollback",
  "hold",
  "unhold",
]);

/** The access rules that decide an environment command (its second word is the environment). */
export function environmentCommandRules(
  command: ParsedCommand,
  policy: Pick<Policy, "access">,
): CommandRule[] {
  if (!ENVIRONMENT_COMMANDS.has(command.name)) return [];
  const environment = command.args[1];
  return commandRules({
    access: policy.access,
    command: command.name,
    ...(environment ? { environments: [environment] } : {}),
  });
}

/**
 * The access rules that decide `/sync-secrets`: it acts on the policy's secrets file, so the rules
 * naming the command whose paths cover that file.
 */
export function syncSecretsRules(policy: Pick<Policy, "access" | "secrets">): CommandRule[] {
  return commandRules({
    access: policy.access,
    command: "sync-secrets",
    files: [{ path: policy.secrets.file, status: "modified", additions: 0, deletions: 0 }],
  });
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
  policy: Pick<Policy, "triggers" | "access">,
  command?: ParsedCommand,
): AccessDecision {
  if (spec.who === "anyone") return { allowed: true, reason: "" };
  const permission = actor.permission ?? null;
  if (command && ENVIRONMENT_COMMANDS.has(spec.name)) {
    // A rule naming the command for this environment decides; without one, admins may.
    return mayRunUnderRules({
      command: spec.name,
      actor: actor.login,
      rules: environmentCommandRules(command, policy),
      teams: actor.teams ?? new Map(),
      fallback: adminOnly(`\`${spec.usage}\``, permission),
    });
  }
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
