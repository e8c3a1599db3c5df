// The policy: shipped defaults merged under a repository's `.github/monobot.yml`, validated
// against a schema, with errors that name the file, the line and what to write instead.
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject } from "ajv";
import { LineCounter, isMap, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import { freezeConfigErrors } from "./freeze.js";
import { jobsConfigErrors } from "./jobs.js";
import { policySchema } from "./policy-schema.js";

export interface ComponentDefinition {
  path?: string;
  image?: string;
  /** Chart folder(s) in the config repo that deploy the image. */
  chart?: string | string[];
  depends_on?: string[];
  /** This component's values key, over `deploy.values_key`. */
  values_key?: string;
}

/** One freeze window of `deploy.freeze`: weekly (`days`) or one-off (date-times). */
export interface FreezeWindowConfig {
  days?: ("Mon" | "Tue" | "Wed" | "Thu" | "Fri" | "Sat" | "Sun")[];
  from?: string;
  to?: string;
  timezone?: string;
  reason: string;
}

export interface Policy {
  components: {
    discover: string[];
    exclude: string[];
    define: Record<string, ComponentDefinition>;
  };
  versions: {
    ignore: string[];
    prerelease: "allow" | "forbid";
    tag: string;
    /** Pre-release identifier `/bump prerelease` writes, e.g. `dev` for 1.2.4-dev. */
    preid: string;
    /**
     * True: every change to a component needs a new VERSION. False (default): only a component
     * whose VERSION at the base is a release; one on a pre-release (1.4.0-dev) changes freely.
     */
    every_change: boolean;
  };
  charts: {
    paths: string[];
    ignore: string[];
    /** Chart folder -> component name: the chart's appVersion must equal the component's VERSION. */
    app_version: Record<string, string>;
  };
  checks: {
    disabled: string[];
    max_annotations: number;
    /** monobot/lint: rule levels, per-path overrides and the file lists the rules use. */
    lint: {
      rules: Record<
        | "parse"
        | "conflict_markers"
        | "max_size"
        | "forbidden_path"
        | "final_newline"
        | "trailing_whitespace",
        "failure" | "warning" | "notice" | "off"
      >;
      overrides: {
        paths: string[];
        rules: Partial<
          Record<
            | "parse"
            | "conflict_markers"
            | "max_size"
            | "forbidden_path"
            | "final_newline"
            | "trailing_whitespace",
            "failure" | "warning" | "notice" | "off"
          >
        >;
      }[];
      max_file_kb: number;
      forbid: string[];
      jsonc: string[];
      generated: string[];
      binary: string[];
    };
    /** monobot/license: SPDX headers, allowed licenses, the repository's LICENSE. */
    license: {
      level: "failure" | "warning" | "notice" | "off";
      scope: "added" | "changed";
      within_lines: number;
      allowed: string[];
      copyright: string;
      exclude: string[];
      require_license_file: boolean;
    };
    /** monobot/dco: Signed-off-by trailers on commits. */
    dco: {
      exempt: string[];
      squash: boolean;
    };
    /** monobot/secrets: secret scanning of added lines. */
    secrets: {
      rules: Record<
        "private_key" | "token" | "assignment",
        "failure" | "warning" | "notice" | "off"
      >;
      allow: string[];
      min_length: number;
      min_entropy: number;
    };
    [key: string]: unknown;
  };
  triggers: {
    recheck: string;
    trusted_associations: string[];
    trusted_permission: "read" | "triage" | "write" | "maintain" | "admin";
    skip_drafts: boolean;
  };
  /** CI job templates per component; see src/core/jobs.ts and the `jobs` section of policies/default.yml. */
  jobs: {
    /** Values of policy placeholders such as `{api-version}` (JJB-style project variables). */
    variables: Record<string, string>;
    /** Most workflow_dispatch inputs GitHub accepts, monobot's `monobot_run_id` included. */
    max_dispatch_inputs: number;
    /** Minutes after which a started run that never reported back is marked as timed out. */
    timeout_minutes: number;
    templates: Record<
      string,
      {
        on:
          | "pull_request"
          | "postmerge"
          | "release"
          | "schedule"
          | "chart_release"
          | ("pull_request" | "postmerge" | "release" | "schedule" | "chart_release")[];
        cron?: string;
        timezone?: string;
        backend:
          | { type: "github-actions"; workflow: string; ref?: string; return_run_details?: boolean }
          | { type: "repository-dispatch"; event_type: string }
          | { type: "jenkins"; url: string; job: string; credentials: string; crumb?: boolean }
          | { type: "webhook"; url: string; secret: string };
        inputs?: Record<string, string>;
        components?: string[];
        /** Globs over changed paths: the job runs once for the repository (or per chart). */
        paths?: string[];
        overrides?: Record<
          string,
          {
            inputs?: Record<string, string>;
            backend?: {
              type?: "github-actions" | "repository-dispatch" | "jenkins" | "webhook";
              workflow?: string;
              ref?: string;
              return_run_details?: boolean;
              event_type?: string;
              url?: string;
              job?: string;
              credentials?: string;
              crumb?: boolean;
              secret?: string;
            };
          }
        >;
        timeout_minutes?: number;
      }
    >;
  };
  /** Deploy PRs on the config repo and its deployment gate; see policies/default.yml. */
  deploy: {
    /** `owner/name` of the config repo ("" when the monorepo deploys nowhere). */
    config_repo: string;
    /** Dotted path of the image tag in a chart's values.yaml. */
    values_key: string;
    /** A chart's version goes up by `patch`, or `follow`s the component's own bump level. */
    chart_bump: "patch" | "follow";
    /** Chart folder -> environments it deploys to, for the preview when there is no Fleet. */
    environments: Record<string, string[]>;
    auto_merge: boolean;
    merge_method: "merge" | "squash" | "rebase";
    freeze: FreezeWindowConfig[];
  };
  /** Sealed secrets on the config repo; see src/core/secrets-file.ts and the README. */
  secrets: {
    /** Path of the secrets file in the config repo. */
    file: string;
    /** Delete a secret from its targets when its entry is removed from the file. */
    prune: boolean;
    /** Key ids entries may be sealed to (empty: any; the bot also checks against its own keys). */
    key_ids: string[];
  };
}

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

const DEFAULT_POLICY_URL = new URL("../../policies/default.yml", import.meta.url);

let cachedDefaults: Record<string, unknown> | undefined;

/** The shipped defaults (`policies/default.yml`), parsed once. */
export function defaultPolicyObject(): Record<string, unknown> {
  if (!cachedDefaults) {
    const parsed = parseDocument(readFileSync(DEFAULT_POLICY_URL, "utf8")).toJS() as unknown;
    cachedDefaults = parsed as Record<string, unknown>;
  }
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

const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
const validateSchema = ajv.compile(policySchema);

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
  try {
    compilePattern(policy.triggers.recheck);
  } catch (e) {
    out.push({
      path: ["triggers", "recheck"],
      message: `triggers.recheck is not a valid regular expression: ${(e as Error).message}`,
    });
  }
  out.push(...jobsConfigErrors(policy));
  out.push(...freezeConfigErrors(policy.deploy.freeze));
  // Unknown `depends_on` names and cycles need the discovered components: see components.ts.
  return out;
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

/**
 * Compile a policy regex. A leading `(?i)` (Java/Gerrit/JJB inline flag, which JavaScript lacks)
 * becomes the `i` flag; `(?s)` becomes `s` and `(?m)` becomes `m`, in any combination.
 */
export function compilePattern(pattern: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  if (!inline) return new RegExp(pattern);
  const flags = [...new Set(inline[1])].join("");
  return new RegExp(pattern.slice(inline[0].length), flags);
}

/** One line per error, as `file:line:column: message`. */
export function formatPolicyErrors(errors: PolicyError[]): string {
  return errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`).join("\n");
}
