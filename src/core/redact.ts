// Recognising secrets in text and masking them: the engine of monobot/secrets, and the filter for
// every text monobot shows users or writes to logs.
import { findTokens, shannonEntropy, TOKEN_KEYWORDS } from "./secret-rules.js";
import type { CheckResult } from "./types.js";

export { shannonEntropy } from "./secret-rules.js";

/** The kinds of finding, each with its own level in `checks.secrets.rules`. */
export type SecretRule = "private_key" | "token" | "assignment";

/** A possible secret on one line. It holds no part of the secret beyond `masked`. */
export interface SecretFinding {
  rule: SecretRule;
  /** What it looks like, in words: "GitHub personal access token". */
  kind: string;
  /** The public prefix of the format followed by `****`, e.g. `ghp_****`; never the secret. */
  masked: string;
  /** Offsets of the secret in the line, for redaction. */
  start: number;
  end: number;
  /** Set for the BEGIN line of a PEM block. */
  pemLabel?: string;
}

/** The inline marker that allows a line (test fixtures, documentation examples). */
export const ALLOW_MARKER = "monobot:allow-secret";

const PEM_BEGIN =
  /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED |SSH2 ENCRYPTED )?)PRIVATE KEY( BLOCK)?-----/g;

// A name, an assignment operator, and a quoted or bare value. The lookbehind starts names only
// at the start of an identifier, which keeps the scan linear on long minified lines.
const ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])([A-Za-z_][A-Za-z0-9_.-]*)["']?[ \t]*(?::=|=>|==?|:)[ \t]*(?:(["'`])([^"'`\s]+)\2|([^\s"'`,;#()[\]{}<>]+))/g;

const SECRET_WORDS = new Set([
  "password",
  "passwd",
  "pass",
  "pwd",
  "passphrase",
  "secret",
  "token",
  "key",
  "apikey",
  "credential",
  "credentials",
  "auth",
]);

const PLACEHOLDER =
  /^(?:\$|%|<|\{\{|\*{3}|x{4}|changeme|example|dummy|placeholder|your[_-])|example|placeholder|changeme|redacted|dummy/i;

// Lines without any of these cannot hold a finding: one test per line before the real work.
const PREFILTER = new RegExp(
  [...TOKEN_KEYWORDS, "-----BEGIN", ...SECRET_WORDS, "pwd", "credential", "auth"]
    .map((k) => k.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))
    .join("|"),
  "i",
);

/** The name's words: `awsSecretAccessKey` and `AWS_SECRET_ACCESS_KEY` give aws, secret, access, key. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

function looksSecretName(name: string): boolean {
  const words = nameWords(name);
  const last = words[words.length - 1];
  return last !== undefined && SECRET_WORDS.has(last);
}

export interface ScanOptions {
  minLength: number;
  minEntropy: number;
}

function overlaps(found: SecretFinding[], start: number, end: number): boolean {
  return found.some((f) => start < f.end && f.start < end);
}

/** Possible secrets in one line of text. Pure; the caller decides levels and allow-lists. */
export function scanLine(text: string, options: ScanOptions): SecretFinding[] {
  if (!PREFILTER.test(text)) return [];
  const found: SecretFinding[] = [];

  PEM_BEGIN.lastIndex = 0;
  for (let m = PEM_BEGIN.exec(text); m; m = PEM_BEGIN.exec(text)) {
    const label = `${m[1] ?? ""}PRIVATE KEY${m[2] ?? ""}`;
    const kind = m[1] ? `${m[1].trim()} private key` : "private key";
    // The rest of the line may hold the key itself (a JSON string with \n escapes).
    found.push({
      rule: "private_key",
      kind: `${kind} (PEM block)`,
      masked: `-----BEGIN ${label}-----`,
      start: m.index,
      end: text.length,
      pemLabel: label,
    });
  }

  for (const t of findTokens(text)) {
    if (overlaps(found, t.start, t.end)) continue;
    found.push({ rule: "token", kind: t.kind, masked: t.masked, start: t.start, end: t.end });
  }

  ASSIGNMENT.lastIndex = 0;
  for (let m = ASSIGNMENT.exec(text); m; m = ASSIGNMENT.exec(text)) {
    const name = m[1] ?? "";
    const value = m[3] ?? m[4] ?? "";
    if (!looksSecretName(name)) continue;
    if (value.length < options.minLength) continue;
    if (!/[0-9]/.test(value) || !/[A-Za-z]/.test(value)) continue;
    if (PLACEHOLDER.test(value)) continue;
    if (shannonEntropy(value) < options.minEntropy) continue;
    const start = m.index + m[0].length - value.length - (m[3] !== undefined ? 1 : 0);
    const end = start + value.length;
    if (overlaps(found, start, end)) continue;
    found.push({
      rule: "assignment",
      kind: `high-entropy value assigned to \`${name}\``,
      masked: `${name} = ****`,
      start,
      end,
    });
  }
  return found;
}

/**
 * Every secret the scanner recognises in `text` replaced by its masked form; the lines between a
 * PEM private key's BEGIN and END lines are masked whole.
 */
export function maskSecretsIn(text: string, options: ScanOptions): string {
  if (!PREFILTER.test(text)) return text;
  let pemEnd: string | undefined;
  return text
    .split("\n")
    .map((line) => {
      if (pemEnd !== undefined) {
        if (!line.includes(pemEnd)) return "****";
        pemEnd = undefined;
        return line.slice(line.indexOf("-----END"));
      }
      const found = scanLine(line, options).sort((a, b) => b.start - a.start);
      let out = line;
      for (const f of found) {
        if (f.pemLabel !== undefined) {
          const endMarker = `-----END ${f.pemLabel}-----`;
          if (!line.includes(endMarker, f.start)) pemEnd = endMarker;
        }
        const mask = f.rule === "private_key" ? `${f.masked} ****` : f.masked;
        out = out.slice(0, f.start) + mask + out.slice(f.end);
      }
      return out;
    })
    .join("\n");
}

// ---------------------------------------------------------------------------------------------
// Redaction.

// Stricter than the check's defaults so that redaction errs on the side of masking.
const REDACT_OPTIONS: ScanOptions = { minLength: 8, minEntropy: 2.5 };

/**
 * `text` with every token, private-key header line and high-entropy assignment the secret
 * scanner recognises replaced by a masked form such as `ghp_****`.
 */
export function redactSecrets(text: string): string {
  return maskSecretsIn(text, REDACT_OPTIONS);
}

/** A check result whose title, summary, text and annotation texts are redacted. */
export function redactResult(result: CheckResult): CheckResult {
  const out: CheckResult = {
    ...result,
    title: redactSecrets(result.title),
    summary: redactSecrets(result.summary),
    annotations: result.annotations.map((a) => {
      const masked = { ...a, message: redactSecrets(a.message) };
      if (a.title !== undefined) masked.title = redactSecrets(a.title);
      return masked;
    }),
  };
  if (result.text !== undefined) out.text = redactSecrets(result.text);
  return out;
}
