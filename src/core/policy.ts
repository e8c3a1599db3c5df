// The policy: shipped defaults merged under a repository's `.github/monobot.yml`, validated
// against a schema, with errors that name the file, the line and what to write instead.
import type { ErrorObject } from "ajv";
import { accessConfigErrors } from "./access-rules.js";
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { environmentsConfigErrors } from "./environments.js";
import { freezeConfigErrors } from "./freeze.js";
import { compileGlob } from "./glob.js";
import { compilePattern, PatternError } from "./pattern.js";
import { jobsConfigErrors } from "./job-template-validator.js";
import type { Policy } from "./policy-schema.js";
import { readDefaultPolicy } from "./policy-defaults.js";
import { policyValidator } from "./policy-validator.js";

export type { ComponentDefinition, FreezeWindowConfig, Policy } from "./policy-schema.js";
export { compilePattern } from "./pattern.js";

/** One problem in a policy file, located as precisely as the file allows. */
export interface PolicyError {
  file: string;
  line: number;
  column: number;
  /** Dotted path of the offending key, e.g. `triggers.recheck` ("" for the whole file). */
  key: string;
  message: string;
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/** A configuration file as read from a repository or disk: its name and raw text. */
export interface PolicySource {
  file: string;
  text: string;
}

let cachedDefaults: Record<string, unknown> | undefined;

/** The shipped defaults (`policies/default.yml`), parsed once. */
export function defaultPolicyObject(): Record<string, unknown> {
  cachedDefaults ??= readDefaultPolicy();
  return structuredClone(cachedDefaults);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Deep merge for policies: mappings merge key by key, everything else (lists included) in
 * `over` replaces `under`, so a repository can shorten a default list.
 */
export function mergePolicy(under: unknown, over: unknown): unknown {
  if (isPlainObject(under) && isPlainObject(over)) {
    const out: Record<string, unknown> = { ...under };
    for (const [key, value] of Object.entries(over)) {
      if (key === "_extends") continue;
      out[key] = key in under ? mergePolicy(under[key], value) : value;
    }
    return out;
  }
  return over === undefined ? under : over;
}

/** Parse one YAML source into an object, or errors with lines. */
export function parsePolicySource(
  source: PolicySource,
): { ok: true; value: Record<string, unknown> } | { ok: false; errors: PolicyError[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          file: source.file,
          line: pos.line,
          column: pos.col,
          key: "",
          message: `invalid YAML: ${firstLine(e.message)}`,
        };
      }),
    };
  }
  const value: unknown = doc.toJS();
  if (value === null || value === undefined) return { ok: true, value: {} };
  if (!isPlainObject(value)) {
    return {
      ok: false,
      errors: [
        {
          file: source.file,
          line: 1,
          column: 1,
          key: "",
          message: "the file must be a YAML mapping of sections (components, versions, ...)",
        },
      ],
    };
  }
  return { ok: true, value };
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}

/**
 * Validate the merge of the defaults and `sources` (lowest precedence first). Errors are located
 * in the highest-precedence source that sets the offending key.
 */
export function resolvePolicy(sources: PolicySource[]): PolicyResult {
  const parsed: { source: PolicySource; value: Record<string, unknown> }[] = [];
  const errors: PolicyError[] = [];
  for (const source of sources) {
    const result = parsePolicySource(source);
    if (result.ok) parsed.push({ source, value: result.value });
    else errors.push(...result.errors);
  }
  if (errors.length > 0) return { ok: false, errors };
  let merged: unknown = defaultPolicyObject();
  for (const p of parsed) merged = mergePolicy(merged, p.value);
  return validatePolicyObject(merged, (path) => locate(path, parsed));
}

/** Validate an already merged object; `where` maps an error's key path to a file and line. */
export function validatePolicyObject(
  merged: unknown,
  where: (path: string[]) => { file: string; line: number; column: number },
): PolicyResult {
  const validateSchema = policyValidator();
  if (validateSchema(merged)) {
    const semantic = semanticErrors(merged as unknown as Policy);
    if (semantic.length === 0) return { ok: true, policy: merged as unknown as Policy };
    return {
      ok: false,
      errors: semantic.map((s) => ({
        ...where(s.path),
        key: s.path.join("."),
        message: s.message,
      })),
    };
  }
  // A value that fits no branch of an `anyOf` gets one message, not one per branch.
  const raw = validateSchema.errors ?? [];
  const anyOfAt = new Set(raw.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  const kept = raw.filter(
    (e) => !(anyOfAt.has(e.instancePath) && e.schemaPath.includes("/anyOf/")),
  );
  const errors = kept.map((e) => {
    const path = errorPath(e);
    return { ...where(path), key: path.join("."), message: describeAjvError(e) };
  });
  return { ok: false, errors: dedupe(errors) };
}

function dedupe(errors: PolicyError[]): PolicyError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.file}:${e.line}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function errorPath(e: ErrorObject): string[] {
  const parts = e.instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (e.keyword === "additionalProperties") {
    parts.push(String((e.params as { additionalProperty: string }).additionalProperty));
  }
  return parts;
}

function describeAjvError(e: ErrorObject): string {
  const where = errorPath(e).join(".") || "the file";
  switch (e.keyword) {
    case "additionalProperties": {
      const allowed = Object.keys(
        (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {},
      );
      return `unknown key "${where}"${allowed.length ? `: expected one of ${allowed.join(", ")}` : ""}`;
    }
    case "enum": {
      const hint = (e.parentSchema as { description?: string } | undefined)?.description;
      return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}${hint ? ` ${hint}` : ""}`;
    }
    case "type":
      return `${where} must be ${article((e.params as { type: string }).type)}`;
    case "minimum":
    case "maximum":
      return `${where} ${e.message ?? "is out of range"}`;
    case "anyOf":
    case "pattern":
      return `${where} ${(e.parentSchema as { description?: string } | undefined)?.description ?? e.message ?? "has an invalid format"}`;
    default:
      return `${where} ${e.message ?? "is invalid"}`;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** Problems a JSON schema cannot express, such as regexes that do not compile. */
function semanticErrors(policy: Policy): { path: string[]; message: string }[] {
  const out: { path: string[]; message: string }[] = [];
  for (const { path, pattern } of policyPatterns(policy)) {
    try {
      compilePattern(pattern);
    } catch (e) {
      const key = path.join(".");
      out.push({
        path,
        message: e instanceof PatternError ? e.describe(key) : `${key}: ${(e as Error).message}`,
      });
    }
  }
  for (const { path, glob } of policyGlobs(policy)) {
    try {
      compileGlob(glob);
    } catch (e) {
      out.push({ path, message: `${path.join(".")}: ${(e as Error).message}` });
    }
  }
  out.push(...jobsConfigErrors(policy));
  out.push(...freezeConfigErrors(policy.deploy.freeze));
  out.push(...accessConfigErrors(policy.access));
  out.push(...environmentsConfigErrors(policy));
  // Unknown `depends_on` names and cycles need the discovered components: see components.ts.
  return out;
}

/**
 * Every policy value that is compiled as a regex, with its key path: each goes through
 * {@link compilePattern}, so a bad one is a `monobot/config` error on its line, not a stall later.
 */
export function policyPatterns(policy: Policy): { path: string[]; pattern: string }[] {
  const out = [{ path: ["triggers", "recheck"], pattern: policy.triggers.recheck }];
  const copyright = policy.checks.license.copyright;
  if (copyright !== "") out.push({ path: ["checks", "license", "copyright"], pattern: copyright });
  return out;
}

/** Every glob of the policy, with its key path (list items by index). */
export function policyGlobs(policy: Policy): { path: string[]; glob: string }[] {
  const { components, versions, charts, checks, jobs } = policy;
  const lists: [string[], readonly string[] | undefined][] = [
    [["components", "discover"], components.discover],
    [["components", "exclude"], components.exclude],
    [["versions", "ignore"], versions.ignore],
    [["charts", "paths"], charts.paths],
    [["charts", "ignore"], charts.ignore],
    [["checks", "lint", "forbid"], checks.lint.forbid],
    [["checks", "lint", "jsonc"], checks.lint.jsonc],
    [["checks", "lint", "generated"], checks.lint.generated],
    [["checks", "lint", "binary"], checks.lint.binary],
    ...checks.lint.overrides.map((o, i): [string[], readonly string[]] => [
      ["checks", "lint", "overrides", String(i), "paths"],
      o.paths,
    ]),
    [["checks", "license", "exclude"], checks.license.exclude],
    [["checks", "secrets", "allow"], checks.secrets.allow],
    ...Object.entries(jobs.templates).flatMap(
      ([name, t]): [string[], readonly string[] | undefined][] => [
        [["jobs", "templates", name, "components"], t.components],
        [["jobs", "templates", name, "paths"], t.paths],
      ],
    ),
  ];
  return lists.flatMap(([path, globs]) =>
    (globs ?? []).map((glob, i) => ({ path: [...path, String(i)], glob })),
  );
}

function locate(
  path: string[],
  parsed: { source: PolicySource; value: Record<string, unknown> }[],
): { file: string; line: number; column: number } {
  // The highest-precedence file that sets the deepest existing prefix of the path.
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    for (let i = parsed.length - 1; i >= 0; i--) {
      const p = parsed[i];
      if (p && hasPath(p.value, prefix) && (depth > 0 || i === parsed.length - 1)) {
        return { file: p.source.file, ...lineOf(p.source.text, prefix) };
      }
    }
  }
  const last = parsed[parsed.length - 1];
  return { file: last?.source.file ?? "policies/default.yml", line: 1, column: 1 };
}

function hasPath(value: unknown, path: string[]): boolean {
  let cur: unknown = value;
  for (const key of path) {
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isPlainObject(cur) && key in cur) cur = cur[key];
    else return false;
  }
  return true;
}

/** Line and column (1-based) of the key (or list item) at `path` in a YAML text. */
export function lineOf(text: string, path: string[]): { line: number; column: number } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0] ?? 0;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => {
        const k = it.key as { value?: unknown } | null;
        return String(k?.value ?? it.key) === key;
      });
      if (!pair) break;
      const keyNode = pair.key as YamlNode | null;
      offset = keyNode?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(key)] as YamlNode | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

/** One line per error, as `file:line:column: message`. */
export function formatPolicyErrors(errors: PolicyError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("\n");
}
