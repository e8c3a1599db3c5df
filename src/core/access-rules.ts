// Access rules: which rules a change's paths and environments match, with the segments they capture.
import { globMatcher, type PathMatcher } from "./glob.js";
import type { AccessConfig } from "./policy-schema.js";
import type { ChangedFile } from "./types.js";

export type AccessRule = AccessConfig["rules"][number];
export type UnmatchedMode = NonNullable<AccessConfig["unmatched"]>;

/** `unmatched` when the policy does not say: files no rule covers need one approval with write. */
export const DEFAULT_UNMATCHED: UnmatchedMode = "require";

/** A path segment written as `{name}`: it matches one segment and remembers it. */
const CAPTURE = /^\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;
/** `{name}` anywhere in a team template. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;
const HAS_PLACEHOLDER = /\{[A-Za-z_][A-Za-z0-9_-]*\}/;
/** What GitHub accepts as an organisation login and a team slug. */
const TEAM = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

interface CompiledPattern {
  /** The glob's leading literal folders: a path without them cannot match (a cheap first test). */
  prefix: string;
  match: PathMatcher;
  /** Captured names by segment index (every segment before them matches exactly one segment). */
  captures: { name: string; index: number }[];
}

export interface CompiledRule {
  /** Position in `access.rules` (for stable order and error lines). */
  index: number;
  rule: AccessRule;
  patterns: CompiledPattern[];
}

/** What a rule asks of the change it matched, once its captures are filled in. */
export interface Requirement {
  /** Stable identity: the rule and its captured values. */
  key: string;
  kind: "rule" | "owners" | "unmatched";
  /** As the user reads it: `site values (site: emea)`. */
  name: string;
  /** The rule's own name (`owners` and `unmatched` have none). */
  rule?: string;
  count: number;
  /** Teams as `org/slug`, captures filled in; empty for `unmatched`. */
  teams: string[];
  /** Changed paths that brought this requirement in (base paths for deletions and renames). */
  files: string[];
  environments: string[];
  /** `unmatched: deny`: no approval can satisfy it. */
  deny?: boolean;
}

function compilePattern(glob: string): CompiledPattern {
  const segments = glob.split("/");
  const captures: { name: string; index: number }[] = [];
  const plain = segments.map((segment, index) => {
    const m = CAPTURE.exec(segment);
    if (!m?.[1]) return segment;
    captures.push({ name: m[1], index });
    return "*";
  });
  const literal: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (/[*?[\]{}()!+@\\]/.test(segment)) break;
    literal.push(`${segment}/`);
  }
  return { prefix: literal.join(""), match: globMatcher([plain.join("/")]), captures };
}

/** Compiled rules per policy object: the needs, the verdict and commands reuse one compilation. */
const compiled = new WeakMap<AccessConfig, CompiledRule[]>();

/** The rules of `access`, each glob compiled once per policy object. */
export function compileRules(access: AccessConfig): CompiledRule[] {
  let rules = compiled.get(access);
  if (!rules) {
    rules = access.rules.map((rule, index) => ({
      index,
      rule,
      patterns: (rule.paths ?? []).map(compilePattern),
    }));
    compiled.set(access, rules);
  }
  return rules;
}

/** The captures of the first of the rule's paths that matches `path`, or null when none does. */
export function matchRule(rule: CompiledRule, path: string): Record<string, string> | null {
  for (const pattern of rule.patterns) {
    if (!path.startsWith(pattern.prefix) || !pattern.match(path)) continue;
    const segments = path.split("/");
    const captured: Record<string, string> = {};
    for (const c of pattern.captures) captured[c.name] = segments[c.index] ?? "";
    return captured;
  }
  return null;
}

/** A team template with the captured values in place of its `{name}` placeholders. */
export function expandTeam(template: string, captured: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => captured[name] ?? whole);
}

/** Why a team name cannot be looked up (after expansion), or null when it can. */
export function invalidTeam(team: string): string | null {
  if (TEAM.test(team)) return null;
  return `\`${team}\` is not a team name (org/team-slug of letters, digits, ".", "_" and "-")`;
}

/**
 * Paths of a changed file that rules are matched against: its path, and its base path for a
 * rename, so moving a file out of a protected folder needs that folder's approvals too.
 */
export function changedPaths(file: ChangedFile): string[] {
  return file.previousPath && file.previousPath !== file.path
    ? [file.previousPath, file.path]
    : [file.path];
}

function captureLabel(captured: Readonly<Record<string, string>>): string {
  const entries = Object.entries(captured);
  if (entries.length === 0) return "";
  return ` (${entries.map(([k, v]) => `${k}: ${v}`).join(", ")})`;
}

export interface RequirementsInput {
  access: AccessConfig;
  files: readonly ChangedFile[];
  /** Environments whose pins this change moves (none until the environments feature says so). */
  environments?: readonly string[];
  /** The change edits the `access` section (or the policy file that holds it). */
  accessChanged?: boolean;
  /** The policy file's path, named as the file the owners' requirement covers. */
  policyFile?: string;
}

/**
 * Every requirement the change must meet (AND): one per rule and captured values that a changed
 * path or environment matches, the owners' when the access section changes, and `unmatched`'s for
 * paths no rule covers. A pure function of the change and the base branch's rules.
 */
export function requirementsOf(input: RequirementsInput): Requirement[] {
  const rules = compileRules(input.access);
  const byKey = new Map<string, Requirement>();
  // Sets while collecting: a 3,000-file change must not cost a quadratic scan per file.
  const filesOf = new Map<string, Set<string>>();
  const unmatched = new Set<string>();
  const add = (key: string, make: () => Requirement, file?: string, env?: string) => {
    let req = byKey.get(key);
    if (!req) {
      req = make();
      byKey.set(key, req);
      filesOf.set(key, new Set());
    }
    const seen = filesOf.get(key);
    if (file !== undefined && seen && !seen.has(file)) {
      seen.add(file);
      req.files.push(file);
    }
    if (env !== undefined && !req.environments.includes(env)) req.environments.push(env);
  };
  for (const file of input.files) {
    for (const path of changedPaths(file)) {
      let covered = false;
      for (const compiled of rules) {
        const captured = matchRule(compiled, path);
        if (!captured) continue;
        covered = true;
        const { rule } = compiled;
        add(
          `rule:${compiled.index}:${JSON.stringify(captured)}`,
          () => ({
            key: `rule:${compiled.index}:${JSON.stringify(captured)}`,
            kind: "rule",
            name: `${rule.name}${captureLabel(captured)}`,
            rule: rule.name,
            count: rule.approve.count,
            teams: unique(rule.approve.teams.map((t) => expandTeam(t, captured))),
            files: [],
            environments: [],
          }),
          path,
        );
      }
      if (!covered) unmatched.add(path);
    }
  }
  for (const env of input.environments ?? []) {
    for (const compiled of rules) {
      if (!(compiled.rule.environments ?? []).includes(env)) continue;
      const { rule } = compiled;
      add(
        `rule:${compiled.index}:{}`,
        () => ({
          key: `rule:${compiled.index}:{}`,
          kind: "rule",
          name: rule.name,
          rule: rule.name,
          count: rule.approve.count,
          teams: unique(rule.approve.teams),
          files: [],
          environments: [],
        }),
        undefined,
        env,
      );
    }
  }
  const out = [...byKey.values()];
  if (input.accessChanged) {
    out.push({
      key: "owners",
      kind: "owners",
      name: "access owners",
      count: input.access.owners.count ?? 1,
      teams: unique(input.access.owners.teams),
      files: input.policyFile ? [input.policyFile] : [],
      environments: [],
    });
  }
  const mode = input.access.unmatched ?? DEFAULT_UNMATCHED;
  if (unmatched.size > 0 && mode !== "allow") {
    out.push({
      key: "unmatched",
      kind: "unmatched",
      name: "files no rule covers",
      count: 1,
      teams: [],
      files: [...unmatched],
      environments: [],
      ...(mode === "deny" ? { deny: true } : {}),
    });
  }
  return out;
}

function unique(list: readonly string[]): string[] {
  const seen = new Set<string>();
  return list.filter((t) => {
    const k = t.toLowerCase();
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Problems a JSON schema cannot see in `access`, each with its key path: a rule that covers
 * nothing (no paths, no environments), a capture that is not a
 * whole segment or follows `**`, and a team placeholder that some path of its rule does not capture.
 */
export function accessConfigErrors(
  access: AccessConfig | undefined,
): { path: string[]; message: string }[] {
  if (!access) return [];
  const out: { path: string[]; message: string }[] = [];
  access.rules.forEach((rule, i) => {
    const at = (...rest: (string | number)[]) => [
      "access",
      "rules",
      String(i),
      ...rest.map(String),
    ];
    if (!rule.paths && !rule.environments) {
      // A rule with neither covers nothing: almost always a typo, so it is an error.
      out.push({
        path: at(),
        message: `access.rules[${i}] ("${rule.name}") needs \`paths\` or \`environments\` (or both): a rule with neither covers nothing`,
      });
    }
    const capturedByEvery: Set<string>[] = [];
    (rule.paths ?? []).forEach((glob, j) => {
      const names = new Set<string>();
      let afterGlobstar = false;
      for (const segment of glob.split("/")) {
        const m = CAPTURE.exec(segment);
        if (m?.[1]) {
          if (afterGlobstar) {
            out.push({
              path: at("paths", j),
              message: `access.rules[${i}].paths: {${m[1]}} follows "**", so which segment it captures is ambiguous; capture a segment before any "**", e.g. sites/{site}/**`,
            });
          }
          names.add(m[1]);
        } else if (HAS_PLACEHOLDER.test(segment)) {
          out.push({
            path: at("paths", j),
            message: `access.rules[${i}].paths: a capture must be a whole path segment, e.g. sites/{site}/**, not "${segment}"`,
          });
        }
        if (segment.includes("**")) afterGlobstar = true;
      }
      capturedByEvery.push(names);
    });
    rule.approve.teams.forEach((team, j) => {
      for (const m of team.matchAll(PLACEHOLDER)) {
        const name = m[1] ?? "";
        if (capturedByEvery.length > 0 && capturedByEvery.every((s) => s.has(name))) continue;
        out.push({
          path: at("approve", "teams", j),
          message: `access.rules[${i}].approve.teams: {${name}} is not captured by every path of the rule "${rule.name}"; write it as a whole segment in each path, e.g. sites/{${name}}/**`,
        });
      }
    });
  });
  access.owners.teams.forEach((team, j) => {
    if (HAS_PLACEHOLDER.test(team)) {
      out.push({
        path: ["access", "owners", "teams", String(j)],
        message: `access.owners.teams: "${team}" has a placeholder, but owners match no paths to capture it from; name the team itself`,
      });
    }
  });
  return out;
}

/** Keys in a stable order, so two parses of the same YAML compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Whether a change edits the access rules: the head's merged `access` differs from the base's, or
 * the head's policy cannot be read at all (then nobody can tell what it would allow).
 */
export function accessSectionChanged(
  base: AccessConfig | undefined,
  head: { ok: true; access: AccessConfig | undefined } | { ok: false },
): boolean {
  if (!head.ok) return true;
  return canonical(base ?? null) !== canonical(head.access ?? null);
}
