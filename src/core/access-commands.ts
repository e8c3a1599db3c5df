// Who may run a command under access rules: the rules whose `commands` name it and cover the change.
import { changedPaths, compileRules, expandTeam, invalidTeam, matchRule } from "./access-rules.js";
import type { TeamMembers } from "./access.js";
import type { AccessConfig } from "./policy-schema.js";
import type { ChangedFile } from "./types.js";

/** One rule that decides a command here, with its teams' placeholders filled in. */
export interface CommandRule {
  rule: string;
  teams: string[];
  /** What it covers in this change, as the refusal names it. */
  covers: string;
}

/**
 * The rules that decide `command` for this change: those listing it in `commands` whose paths
 * match a changed file, or whose environments hold the environment the command acts on. Empty:
 * the rules say nothing, and monobot's usual permission (admin, or write) decides.
 */
export function commandRules(input: {
  access: AccessConfig | undefined;
  command: string;
  files?: readonly ChangedFile[];
  /** The environments the command acts on (`/promote production`), or that the PR's pins move. */
  environments?: readonly string[];
}): CommandRule[] {
  if (!input.access) return [];
  const out = new Map<string, CommandRule>();
  for (const compiled of compileRules(input.access)) {
    const { rule } = compiled;
    if (!((rule.commands ?? []) as readonly string[]).includes(input.command)) continue;
    for (const env of input.environments ?? []) {
      if (!(rule.environments ?? []).includes(env)) continue;
      const key = `${compiled.index}:env`;
      if (!out.has(key)) {
        out.set(key, {
          rule: rule.name,
          teams: [...rule.approve.teams],
          covers: `environment ${env}`,
        });
      }
    }
    for (const file of input.files ?? []) {
      for (const path of changedPaths(file)) {
        const captured = matchRule(compiled, path);
        if (!captured) continue;
        const key = `${compiled.index}:${JSON.stringify(captured)}`;
        if (out.has(key)) continue;
        out.set(key, {
          rule: rule.name,
          teams: rule.approve.teams.map((t) => expandTeam(t, captured)),
          covers: `\`${path}\``,
        });
      }
    }
  }
  return [...out.values()];
}

/** Distinct teams whose members decide (read these, then call `mayRunCommand`). */
export function commandTeams(rules: readonly CommandRule[]): string[] {
  const seen = new Map<string, string>();
  for (const r of rules) {
    for (const t of r.teams) if (invalidTeam(t) === null) seen.set(t.toLowerCase(), t);
  }
  return [...seen.values()];
}

export interface CommandDecision {
  allowed: boolean;
  /** The sentence to reply with (or to log when allowed). */
  reason: string;
  /** The rule that refused, when one did. */
  rule?: string;
}

/**
 * May `actor` run `/command` here? Every rule that decides it must list a team the actor is a
 * member of (AND across rules, OR across a rule's teams); with no such rule, `fallback` (monobot's
 * usual decision: admin for admin commands, write for the others) stands.
 */
export function mayRunCommand(input: {
  command: string;
  actor: string;
  rules: readonly CommandRule[];
  /** Team members as read (lower-case keys and logins); a missing team counts as unreadable. */
  teams: ReadonlyMap<string, TeamMembers>;
  fallback: { allowed: boolean; reason: string };
}): CommandDecision {
  const shown = `\`/${input.command}\``;
  if (input.rules.length === 0) return input.fallback;
  const actor = input.actor.toLowerCase();
  for (const rule of input.rules) {
    const problems: string[] = [];
    const member = rule.teams.some((team) => {
      const got = input.teams.get(team.toLowerCase());
      if (got?.ok) return got.members.has(actor);
      problems.push(
        invalidTeam(team) ?? `@${team} could not be read (${got ? got.reason : "not looked up"})`,
      );
      return false;
    });
    if (member) continue;
    const teams = rule.teams.map((t) => `@${t}`).join(" or ");
    const unreadable = problems.length > 0 ? ` (${problems.join("; ")})` : "";
    return {
      allowed: false,
      rule: rule.rule,
      reason: `${shown} was not run: the access rule "${rule.rule}" covers ${rule.covers} and lets only members of ${teams} run it${unreadable}.`,
    };
  }
  const names = [...new Set(input.rules.map((r) => `"${r.rule}"`))].join(", ");
  return {
    allowed: true,
    reason: `${shown} is allowed: @${input.actor} is a member of a team the access rule${input.rules.length === 1 ? "" : "s"} ${names} name${input.rules.length === 1 ? "s" : ""}.`,
  };
}
