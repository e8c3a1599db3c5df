// The sealed secrets file of the config repo: parsed with line numbers and validated, entry by entry and across entries.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from "yaml";
import type { SecretTargetStatus } from "./types.js";

/** GitHub stores secret values of at most 48 KB. */
export const SECRET_VALUE_MAX_BYTES = 48 * 1024;
/** GitHub keeps at most 100 secrets per repository and 100 per environment. */
export const SECRETS_PER_SCOPE_LIMIT = 100;
/** What a libsodium sealed box adds to its message: an ephemeral public key (32) and a MAC (16). */
export const SEALED_BOX_OVERHEAD = 48;
/** The envelope's header is a short JSON line: name, targets, repository ids. */
export const ENVELOPE_HEADER_MAX_BYTES = 16 * 1024;
/** The shortest envelope: `{"v":1,"name":"A","targets":["a/b"]}` and its newline. */
export const ENVELOPE_MIN_BYTES = 38;
/** A key id: the first 16 hex digits of the SHA-256 of the X25519 public key. */
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** The keys of an entry, in the order `monobot secrets seal` writes them. */
export const ENTRY_KEYS = ["name", "targets", "key_id", "sealed"] as const;

// Keys under which people paste a value in clear (Kubernetes Secrets, .env habits, other tools).
const PLAINTEXT_KEYS = new Set([
  "value",
  "values",
  "plaintext",
  "plain",
  "clear",
  "cleartext",
  "data",
  "stringdata",
  "string_data",
  "secret",
  "password",
  "token",
  "raw",
  "text",
  "content",
]);

/** Why GitHub would refuse a secret name, or undefined when it accepts it. */
export function secretNameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (!/^[A-Za-z0-9_]+$/.test(name))
    return "may hold only the letters A-Z and a-z, the digits 0-9 and _ (GitHub's rule)";
  if (/^[0-9]/.test(name)) return "must not start with a digit (GitHub's rule)";
  if (/^GITHUB_/i.test(name)) return "must not start with GITHUB_ (GitHub reserves the prefix)";
  return undefined;
}

/** GitHub upper-cases secret names, so DB_password and DB_PASSWORD are the same secret. */
export function canonicalSecretName(name: string): string {
  return name.toUpperCase();
}

/** Where a secret is written: a repository's Actions secrets, or one of its environments'. */
export interface SecretTarget {
  owner: string;
  repo: string;
  environment?: string;
  /** As written in the file (the API is called with this spelling). */
  text: string;
  /** `owner/repo[@environment]` lower-cased: GitHub compares these names case-insensitively. */
  key: string;
  /** `owner/repo` lower-cased. */
  repoKey: string;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;
// eslint-disable-next-line no-control-regex -- control characters are what this refuses
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `owner/repo` or `owner/repo@environment`, or why it is neither. */
export function parseTarget(
  text: string,
): { ok: true; target: SecretTarget } | { ok: false; problem: string } {
  const at = text.indexOf("@");
  const repoPart = at === -1 ? text : text.slice(0, at);
  const environment = at === -1 ? undefined : text.slice(at + 1);
  const slash = repoPart.split("/");
  const example = "write owner/repo or owner/repo@environment, e.g. acme/api@production";
  if (slash.length !== 2) return { ok: false, problem: `is not a repository: ${example}` };
  const [owner = "", repo = ""] = slash;
  if (!OWNER.test(owner))
    return { ok: false, problem: `has an invalid owner "${owner}": ${example}` };
  if (!REPO.test(repo) || repo === "." || repo === "..")
    return { ok: false, problem: `has an invalid repository name "${repo}": ${example}` };
  if (environment !== undefined) {
    if (environment.length === 0 || environment.length > 255)
      return { ok: false, problem: "has an environment name that is empty or over 255 characters" };
    if (CONTROL.test(environment) || environment.trim() !== environment)
      return {
        ok: false,
        problem: "has an environment name with control characters or surrounding spaces",
      };
  }
  const repoKey = `${owner}/${repo}`.toLowerCase();
  const target: SecretTarget = {
    owner,
    repo,
    text,
    repoKey,
    key: environment === undefined ? repoKey : `${repoKey}@${environment.toLowerCase()}`,
  };
  if (environment !== undefined) target.environment = environment;
  return { ok: true, target };
}

/** Targets in the canonical form the envelope seals: lower-cased, unique, sorted. */
export function canonicalTargets(targets: readonly SecretTarget[]): string[] {
  return [...new Set(targets.map((t) => t.key))].sort();
}

/** The offsets of a scalar in the file's text, for minimal edits (rotation). */
export interface ScalarSpan {
  start: number;
  end: number;
  style: "plain" | "double" | "single" | "block";
}

/** One entry of the file, as far as it could be read. */
export interface SecretEntry {
  /** Position in the list, from 0. */
  index: number;
  /** Lines of the entry (1-based, inclusive). */
  line: number;
  endLine: number;
  /** The name as written, and upper-cased. */
  name?: string;
  nameKey?: string;
  targets: SecretTarget[];
  keyId?: string;
  sealed?: string;
  /** Where the sealed value and the key id are in the text. */
  spans: { sealed?: ScalarSpan; keyId?: ScalarSpan };
  /** True when the entry has no failure: the only entries the bot opens. */
  valid: boolean;
}

export interface SecretsFileProblem {
  line: number;
  endLine: number;
  level: "failure" | "warning";
  message: string;
  /** The entry's index, when the problem is an entry's. */
  entry?: number;
}

export interface SecretsFile {
  entries: SecretEntry[];
  problems: SecretsFileProblem[];
  /** False when the file as a whole could not be read (not YAML, not a list). */
  readable: boolean;
}

/** The I/O-bound facts about targets, filled in by the shell (absent: not checked). */
export interface SecretsFileContext {
  /** Key ids an entry may be sealed to, with where the list comes from (for the message). */
  keyIds?: { ids: readonly string[]; source: string }[];
  /** Target key (`owner/repo[@environment]`, lower-case) -> whether it exists and monobot is installed. */
  targets?: ReadonlyMap<string, SecretTargetStatus>;
}

interface Reader {
  lineOf(offset: number): number;
  problem(node: YamlNode | null | undefined, message: string, entry?: number): void;
}

function rangeOf(node: YamlNode | null | undefined): [number, number] {
  const r = node?.range;
  return r ? [r[0], r[1]] : [0, 0];
}

function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === "string" ? node.value : undefined;
}

function spanOf(node: unknown): ScalarSpan | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const style =
    node.type === "QUOTE_DOUBLE"
      ? "double"
      : node.type === "QUOTE_SINGLE"
        ? "single"
        : node.type === "PLAIN"
          ? "plain"
          : "block";
  return { start: node.range[0], end: node.range[1], style };
}

/** The decoded length of canonical base64 (with padding), or undefined when it is not base64. */
export function base64Length(text: string): number | undefined {
  if (text.length === 0 || text.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

/** Largest sealed value the bot accepts: overhead + header + GitHub's value limit. */
export const SEALED_MAX_BYTES =
  SEALED_BOX_OVERHEAD + ENVELOPE_HEADER_MAX_BYTES + 1 + SECRET_VALUE_MAX_BYTES;
const SEALED_MIN_BYTES = SEALED_BOX_OVERHEAD + ENVELOPE_MIN_BYTES;

function readEntry(node: unknown, index: number, r: Reader): SecretEntry {
  const [start, end] = rangeOf(node as YamlNode);
  const entry: SecretEntry = {
    index,
    line: r.lineOf(start),
    endLine: r.lineOf(Math.max(start, end - 1)),
    targets: [],
    spans: {},
    valid: true,
  };
  const fail = (n: YamlNode | null | undefined, message: string): void => {
    entry.valid = false;
    r.problem(n ?? (node as YamlNode), message, index);
  };
  if (!isMap(node)) {
    fail(undefined, `entry ${index + 1} must be a mapping with the keys ${ENTRY_KEYS.join(", ")}`);
    return entry;
  }
  const seen = new Set<string>();
  for (const pair of node.items) {
    const key = scalarString(pair.key);
    const keyNode = pair.key as YamlNode;
    const value = pair.value as YamlNode | null;
    if (key === undefined) {
      fail(keyNode, "an entry's keys must be plain words: name, targets, key_id, sealed");
      continue;
    }
    seen.add(key);
    switch (key) {
      case "name": {
        const name = scalarString(value);
        if (name === undefined) {
          fail(value ?? keyNode, 'name must be a string (quote it: name: "NULL")');
          break;
        }
        const problem = secretNameProblem(name);
        if (problem) fail(value, `secret name "${name}" ${problem}`);
        else {
          entry.name = name;
          entry.nameKey = canonicalSecretName(name);
        }
        break;
      }
      case "targets":
        readTargets(value ?? keyNode, entry, fail);
        break;
      case "key_id": {
        const keyId = scalarString(value);
        if (keyId === undefined || !KEY_ID_PATTERN.test(keyId)) {
          fail(
            value ?? keyNode,
            'key_id must be the 16 hex digits that `monobot secrets public-key` prints, in quotes (key_id: "…")',
          );
          break;
        }
        entry.keyId = keyId;
        const span = spanOf(value);
        if (span) entry.spans.keyId = span;
        break;
      }
      case "sealed":
        readSealed(value ?? keyNode, entry, fail);
        break;
      default:
        fail(
          keyNode,
          PLAINTEXT_KEYS.has(key.toLowerCase())
            ? `\`${key}\` holds a value in clear: a secret pushed to a repository is leaked. Remove the line, rotate the secret, and add the entry \`monobot secrets seal\` prints instead.`
            : `unknown key \`${key}\`: an entry has only ${ENTRY_KEYS.join(", ")}. If it holds a secret in clear, that secret is leaked: remove the line and rotate it.`,
        );
    }
  }
  for (const k of ENTRY_KEYS) {
    if (!seen.has(k)) fail(undefined, `entry ${index + 1} has no \`${k}\``);
  }
  return entry;
}

function readTargets(
  value: YamlNode,
  entry: SecretEntry,
  fail: (n: YamlNode | null | undefined, message: string) => void,
): void {
  if (!isSeq(value) || value.items.length === 0) {
    fail(value, "targets must be a non-empty list of owner/repo or owner/repo@environment");
    return;
  }
  const keys = new Set<string>();
  for (const item of value.items) {
    const text = scalarString(item);
    if (text === undefined) {
      fail(item as YamlNode, "a target must be a string: owner/repo or owner/repo@environment");
      continue;
    }
    const parsed = parseTarget(text);
    if (!parsed.ok) {
      fail(item as YamlNode, `target "${text}" ${parsed.problem}`);
      continue;
    }
    if (keys.has(parsed.target.key)) {
      fail(item as YamlNode, `target "${text}" is listed twice (names are case-insensitive)`);
      continue;
    }
    keys.add(parsed.target.key);
    entry.targets.push(parsed.target);
  }
}

function readSealed(
  value: YamlNode,
  entry: SecretEntry,
  fail: (n: YamlNode | null | undefined, message: string) => void,
): void {
  const sealed = scalarString(value);
  const again = "seal the value again with `monobot secrets seal`";
  if (sealed === undefined) {
    fail(value, `sealed must be the base64 text \`monobot secrets seal\` prints; ${again}`);
    return;
  }
  const bytes = base64Length(sealed);
  if (bytes === undefined) {
    fail(value, `sealed is not valid base64 (was it cut or wrapped?); ${again}`);
    return;
  }
  if (bytes < SEALED_MIN_BYTES) {
    fail(
      value,
      `sealed holds ${bytes} bytes, fewer than any sealed value (${SEALED_MIN_BYTES}): was it truncated? ${again}`,
    );
    return;
  }
  if (bytes > SEALED_MAX_BYTES) {
    fail(
      value,
      `sealed holds ${bytes} bytes, more than a sealed value of GitHub's 48 KB limit can (${SEALED_MAX_BYTES})`,
    );
    return;
  }
  entry.sealed = sealed;
  const span = spanOf(value);
  if (span) entry.spans.sealed = span;
}

/** Parses the secrets file; `context` adds the checks that need more than the text. */
export function checkSecretsFile(text: string, context: SecretsFileContext = {}): SecretsFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: SecretsFileProblem[] = [];
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const reader: Reader = {
    lineOf,
    problem(node, message, entry) {
      const [s, e] = rangeOf(node);
      const p: SecretsFileProblem = {
        line: lineOf(s),
        endLine: lineOf(Math.max(s, e - 1)),
        level: "failure",
        message,
      };
      if (entry !== undefined) p.entry = entry;
      problems.push(p);
    },
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const line = lineOf(e.pos[0]);
      problems.push({
        line,
        endLine: line,
        level: "failure",
        message: `invalid YAML: ${e.message.split("\n")[0] ?? e.message}`,
      });
    }
    return { entries: [], problems, readable: false };
  }
  const contents = doc.contents as YamlNode | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) {
    return { entries: [], problems, readable: true };
  }
  if (!isSeq(contents)) {
    reader.problem(
      contents,
      "the secrets file must be a YAML list of entries (`- name: …`), as `monobot secrets seal` prints them",
    );
    return { entries: [], problems, readable: false };
  }
  const entries = contents.items.map((item, i) => readEntry(item, i, reader));
  crossCheck(entries, context, problems);
  problems.sort((a, b) => a.line - b.line);
  return { entries, problems, readable: true };
}

function entryProblem(
  problems: SecretsFileProblem[],
  entry: SecretEntry,
  message: string,
  level: SecretsFileProblem["level"] = "failure",
): void {
  if (level === "failure") entry.valid = false;
  problems.push({
    line: entry.line,
    endLine: entry.endLine,
    level,
    message,
    entry: entry.index,
  });
}

function scopeWord(t: SecretTarget): string {
  return t.environment === undefined ? "repository" : "environment";
}

/** Checks across entries (duplicates, GitHub's limits) and against what the shell knows. */
function crossCheck(
  entries: SecretEntry[],
  context: SecretsFileContext,
  problems: SecretsFileProblem[],
): void {
  const owner = new Map<string, SecretEntry>();
  const perScope = new Map<string, Set<string>>();
  for (const entry of entries) {
    if (entry.keyId !== undefined) {
      for (const list of context.keyIds ?? []) {
        if (!list.ids.includes(entry.keyId)) {
          entryProblem(
            problems,
            entry,
            `${entry.name ?? "this entry"} is sealed to key ${entry.keyId}, which is not among ${list.source} (${list.ids.join(", ") || "none"}): seal it again with the current key (\`monobot secrets public-key --from URL\`)`,
          );
        }
      }
    }
    if (entry.nameKey === undefined) continue;
    for (const t of entry.targets) {
      const pair = `${entry.nameKey}|${t.key}`;
      const first = owner.get(pair);
      if (first) {
        const msg = (other: SecretEntry): string =>
          `${entry.nameKey} for ${t.text} is also set by the entry at line ${other.line}: keep one (names are compared case-insensitively, as GitHub upper-cases them)`;
        entryProblem(problems, entry, msg(first));
        entryProblem(problems, first, msg(entry));
        continue;
      }
      owner.set(pair, entry);
      const names = perScope.get(t.key) ?? new Set<string>();
      perScope.set(t.key, names);
      names.add(entry.nameKey);
      if (names.size === SECRETS_PER_SCOPE_LIMIT + 1) {
        entryProblem(
          problems,
          entry,
          `${entry.nameKey} is the ${SECRETS_PER_SCOPE_LIMIT + 1}st secret of ${t.text} in this file; GitHub keeps at most ${SECRETS_PER_SCOPE_LIMIT} per ${scopeWord(t)}`,
        );
      }
      const status = context.targets?.get(t.key);
      if (status) {
        const problem = targetStatusProblem(t, status);
        if (problem) entryProblem(problems, entry, problem);
      }
    }
  }
}

function targetStatusProblem(t: SecretTarget, s: SecretTargetStatus): string | undefined {
  const repo = `${t.owner}/${t.repo}`;
  if (!s.exists) return `target ${repo} does not exist, or monobot cannot see it`;
  if (!s.installed)
    return `monobot is not installed on ${repo}: install the app there (with the secrets permission) so it can write ${t.text}`;
  if (t.environment !== undefined && s.environment === false)
    return `${repo} has no environment "${t.environment}": create it (Settings → Environments) before the secret can be written`;
  return s.refusal;
}

/** Every distinct target of the file's entries: what the shell looks up for `context.targets`. */
export function targetsOf(file: SecretsFile): SecretTarget[] {
  const out = new Map<string, SecretTarget>();
  for (const e of file.entries) for (const t of e.targets) if (!out.has(t.key)) out.set(t.key, t);
  return [...out.values()];
}
