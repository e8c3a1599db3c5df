// What one PR comment's commands add up to: decided in one pure step from what was read up front.
import {
  commandRules,
  commandTeams,
  mayRunCommand as mayRunUnderRules,
  type CommandRule,
} from "./access-commands.js";
import type { TeamMembers } from "./access.js";
import {
  ENVIRONMENT_COMMANDS,
  environmentCommandRules,
  mayRunCommand,
  needsPermission,
  type ActorFacts,
} from "./command-access.js";
import {
  commandTable,
  type BumpLevel,
  type CiRequest,
  type CommandSpec,
  type EnvironmentAction,
  type ParsedCommand,
} from "./commands.js";
import type { Policy } from "./policy.js";
import type { Approval } from "./pr-state.js";
import type { ChangedFile } from "./types.js";

/** What the comment job does, in this order: bumps, the gate, the verification, the reply. */
export interface CommentDecision {
  replies: string[];
  ci?: CiRequest;
  approval?: Approval;
  bumps: { level: BumpLevel; names: string[] }[];
  /** `/deploy-anyway`'s reason: the override is recorded and the gate evaluated again. */
  deployAnyway?: string;
  /** `/promote`, `/rollback`, `/hold`, `/unhold`, in the comment's order. */
  environments: EnvironmentAction[];
}

export interface CommentFacts {
  policy: Policy;
  pr: { headSha: string; open: boolean };
  actor: ActorFacts;
  /** The PR's changed files, read only when an access rule names one of the comment's commands. */
  files?: readonly ChangedFile[];
  /** Members of the teams those rules name (lower-case `org/slug`), read with the files. */
  teams?: ReadonlyMap<string, TeamMembers>;
  /** The environments whose pins the PR moves, read with the files when such a rule names environments. */
  environments?: readonly string[];
}

/** The table rows of the commands this comment's job answers (others have jobs of their own). */
function answeredHere(commands: readonly ParsedCommand[]): [ParsedCommand, CommandSpec][] {
  return commands.flatMap((command) => {
    const spec = commandTable.find((c) => c.name === command.name);
    return spec && spec.answeredBy === "comment"
      ? [[command, spec] as [ParsedCommand, CommandSpec]]
      : [];
  });
}

/** Whether the commenter's repository permission must be read before deciding. */
export function commentNeedsPermission(
  commands: readonly ParsedCommand[],
  actor: Pick<ActorFacts, "login" | "association">,
  policy: Policy,
): boolean {
  return answeredHere(commands).some(([, spec]) => needsPermission(spec, actor, policy));
}

/** The access rules that decide each of the comment's commands here (by command name). */
function rulesByCommand(
  commands: readonly ParsedCommand[],
  policy: Policy,
  files: readonly ChangedFile[] | undefined,
  environments: readonly string[] = [],
): Map<string, CommandRule[]> {
  const out = new Map<string, CommandRule[]>();
  for (const [, spec] of answeredHere(commands)) {
    const rules = commandRules({
      access: policy.access,
      command: spec.name,
      ...(files ? { files } : {}),
      // An environment command acts on the environment it names (decided apart); the others on
      // what the pull request changes, its moved pins included.
      ...(ENVIRONMENT_COMMANDS.has(spec.name) ? {} : { environments }),
    });
    if (rules.length > 0) out.set(spec.name, rules);
  }
  return out;
}

/**
 * Whether the policy's access rules name any of the comment's commands: then the PR's files and
 * the rules' teams are read before deciding (a rule covers paths, so the files decide which apply).
 */
export function commentNeedsAccessFacts(
  commands: readonly ParsedCommand[],
  policy: Policy,
): boolean {
  const named = new Set((policy.access?.rules ?? []).flatMap((r) => r.commands ?? []));
  return answeredHere(commands).some(([, spec]) => named.has(spec.name));
}

/** Whether a rule naming one of the comment's (non-environment) commands covers environments: then the PR's moved pins are read. */
export function commentNeedsEnvironments(
  commands: readonly ParsedCommand[],
  policy: Policy,
): boolean {
  const asked = new Set(
    answeredHere(commands)
      .map(([, spec]) => spec.name)
      .filter((name) => !ENVIRONMENT_COMMANDS.has(name)),
  );
  return (policy.access?.rules ?? []).some(
    (r) => (r.environments ?? []).length > 0 && (r.commands ?? []).some((c) => asked.has(c)),
  );
}

/** The teams to read for the rules that decide the comment's commands on these files and moved environments. */
export function commentAccessTeams(
  commands: readonly ParsedCommand[],
  policy: Policy,
  files: readonly ChangedFile[],
  environments: readonly string[] = [],
): string[] {
  return commandTeams([...rulesByCommand(commands, policy, files, environments).values()].flat());
}

/** Two CI requests in one comment: the wider one wins. */
function widerCi(a: CiRequest | undefined, b: CiRequest): CiRequest {
  if (!a) return b;
  if (a.kind === "rerun-failed" || b.kind === "rerun-failed") return { kind: "rerun-failed" };
  if (a.kind === "push" || b.kind === "push") return { kind: "push" };
  return b;
}

/**
 * Each command's outcome (from its table row) for a commenter who may use it, a short reason for
 * one who may not; parse errors come first. On a closed pull request nothing runs, and it says so.
 */
export function decideComment(
  parsed: { commands: readonly ParsedCommand[]; errors: readonly string[] },
  facts: CommentFacts,
): CommentDecision {
  const decision: CommentDecision = { replies: [...parsed.errors], bumps: [], environments: [] };
  const outcomeFacts = { policy: facts.policy, pr: facts.pr, user: facts.actor.login };
  const rules = rulesByCommand(parsed.commands, facts.policy, facts.files, facts.environments);
  for (const [command, spec] of answeredHere(parsed.commands)) {
    // A rule naming the command for the PR's paths decides; without one, the environment's
    // rules (environment commands) or monobot's usual permission (admin, or write) decide.
    const access = mayRunUnderRules({
      command: spec.name,
      actor: facts.actor.login,
      rules: rules.get(spec.name) ?? [],
      teams: facts.teams ?? new Map(),
      fallback: mayRunCommand(spec, facts.actor, facts.policy, command),
    });
    if (!access.allowed) {
      decision.replies.push(access.reason);
      continue;
    }
    const outcome = spec.outcome(command, outcomeFacts);
    if (outcome.reply) decision.replies.push(outcome.reply);
    if (outcome.ci) decision.ci = widerCi(decision.ci, outcome.ci);
    if (outcome.approval) decision.approval = outcome.approval;
    if (outcome.bump) decision.bumps.push(outcome.bump);
    if (outcome.deployAnyway !== undefined) decision.deployAnyway = outcome.deployAnyway;
    if (outcome.environment) decision.environments.push(outcome.environment);
  }
  if (facts.pr.open) return decision;
  const acts =
    decision.ci ||
    decision.bumps.length > 0 ||
    decision.deployAnyway !== undefined ||
    decision.environments.length > 0;
  return {
    replies: acts
      ? [...decision.replies, "this pull request is closed: nothing was run."]
      : decision.replies,
    bumps: [],
    environments: [],
  };
}

/** The teams whose members decide this comment's environment commands (read before deciding). */
export function commentTeams(
  commands: readonly ParsedCommand[],
  policy: Pick<Policy, "access">,
): string[] {
  return commandTeams(commands.flatMap((c) => environmentCommandRules(c, policy)));
}
