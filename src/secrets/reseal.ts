// Key rotation of the secrets file: every entry re-sealed to the new key, changing only its sealed value and key id.
import { checkSecretsFile, type ScalarSpan, type SecretEntry } from "../core/secrets-file.js";
import {
  bindingProblem,
  openEnvelope,
  sameBytes,
  sealEnvelope,
  wipe,
  type KeyRing,
  type SealingKey,
} from "./sealing.js";

export type ResealResult =
  | {
      ok: true;
      /** The new file text; only the `sealed` and `key_id` values of re-sealed entries differ. */
      text: string;
      /** Names of the entries re-sealed, in file order. */
      resealed: string[];
      /** Entries left as they were, with why (already on the new key, or not opened). */
      skipped: { line: number; name: string; reason: string }[];
    }
  | { ok: false; reason: string };

interface Edit {
  start: number;
  end: number;
  text: string;
}

function render(value: string, style: ScalarSpan["style"]): string {
  switch (style) {
    case "single":
      return `'${value}'`;
    case "plain":
      return value;
    default:
      // Base64 and hex hold no character that needs escaping in double quotes.
      return `"${value}"`;
  }
}

/** The reason `skipped` gives for an entry sealed to the new key already. */
export const ALREADY_ON_NEW_KEY = "already sealed to the new key";

function entryName(e: SecretEntry): string {
  return e.nameKey ?? e.name ?? `(entry ${e.index + 1})`;
}

/**
 * Re-seals every entry of the secrets file to `newKey`, opening each with `openWith` (the ring of
 * current and previous keys). The edit is verified: the result parses to the same entries, the
 * re-sealed ones name the new key id, and each opens with the new key to the same value.
 */
export function resealFile(text: string, openWith: KeyRing, newKey: SealingKey): ResealResult {
  const file = checkSecretsFile(text);
  if (!file.readable)
    return {
      ok: false,
      reason: `the secrets file cannot be read: ${file.problems.map((p) => `line ${p.line}: ${p.message}`).join("; ")}`,
    };
  const edits: Edit[] = [];
  const resealed: string[] = [];
  const skipped: { line: number; name: string; reason: string }[] = [];
  const expected = new Map<number, Uint8Array>();
  try {
    for (const entry of file.entries) {
      const skip = (reason: string): void => {
        skipped.push({ line: entry.line, name: entryName(entry), reason });
      };
      if (!entry.valid || !entry.sealed || !entry.keyId || !entry.nameKey) {
        skip("the entry is not valid (see monobot/secrets); left as it is");
        continue;
      }
      if (entry.keyId === newKey.keyId) {
        skip(ALREADY_ON_NEW_KEY);
        continue;
      }
      const { sealed: sealedSpan, keyId: keySpan } = entry.spans;
      if (!sealedSpan || !keySpan || sealedSpan.style === "block" || keySpan.style === "block") {
        skip("the sealed value or key id is not a one-line scalar; left as it is");
        continue;
      }
      const opened = openEnvelope(entry.sealed, entry.keyId, openWith);
      if (!opened.ok) {
        skip(`${opened.message}; left as it is`);
        continue;
      }
      const binding = bindingProblem(opened.envelope, {
        name: entry.nameKey,
        targets: entry.targets.map((t) => t.key),
      });
      if (binding) {
        wipe(opened.envelope.value);
        skip(`${binding}; left as it is`);
        continue;
      }
      const sealed = sealEnvelope(opened.envelope, newKey.publicKey);
      expected.set(entry.index, opened.envelope.value);
      edits.push({
        start: keySpan.start,
        end: keySpan.end,
        text: render(newKey.keyId, keySpan.style),
      });
      edits.push({
        start: sealedSpan.start,
        end: sealedSpan.end,
        text: render(sealed, sealedSpan.style),
      });
      resealed.push(entry.nameKey);
    }
    let out = text;
    for (const e of [...edits].sort((a, b) => b.start - a.start)) {
      out = out.slice(0, e.start) + e.text + out.slice(e.end);
    }
    const problem = verify(file.entries, out, expected, newKey);
    if (problem) return { ok: false, reason: `the re-sealed file did not verify: ${problem}` };
    return { ok: true, text: out, resealed, skipped };
  } finally {
    for (const v of expected.values()) wipe(v);
  }
}

/** Why the new text is not the old one with exactly the intended values changed, if it is not. */
function verify(
  before: SecretEntry[],
  text: string,
  expected: Map<number, Uint8Array>,
  newKey: SealingKey,
): string | undefined {
  const after = checkSecretsFile(text).entries;
  if (after.length !== before.length) return "the number of entries changed";
  for (const [i, old] of before.entries()) {
    const now = after[i];
    if (!now || now.nameKey !== old.nameKey) return `entry ${i + 1} changed its name`;
    if (now.targets.map((t) => t.text).join("\n") !== old.targets.map((t) => t.text).join("\n"))
      return `entry ${i + 1} changed its targets`;
    const value = expected.get(i);
    if (!value) {
      if (now.sealed !== old.sealed || now.keyId !== old.keyId)
        return `entry ${i + 1} changed but was not meant to`;
      continue;
    }
    if (now.keyId !== newKey.keyId) return `entry ${i + 1} does not name the new key`;
    const opened = openEnvelope(now.sealed ?? "", newKey.keyId, {
      current: newKey,
      previous: [],
    });
    if (!opened.ok) return `entry ${i + 1} does not open with the new key`;
    const same = sameBytes(opened.envelope.value, value);
    wipe(opened.envelope.value);
    if (!same) return `entry ${i + 1} opens to another value`;
  }
  return undefined;
}
