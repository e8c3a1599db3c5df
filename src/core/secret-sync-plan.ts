// The secrets sync plan: what a push to the sealed secrets file changes, name by name and target by target.
import type { SecretEntry, SecretsFile, SecretsFileProblem, SecretTarget } from "./secrets-file.js";

/** Writes of one entry to the targets whose value changed. */
export interface SecretWrite {
  entry: SecretEntry;
  targets: SecretTarget[];
  /**
   * The entry of the file before the push that provided the same name and target with another
   * sealed value (a rotation re-seals everything): the workflow may skip a target whose value
   * did not change.
   */
  previous: Map<string, SecretEntry>;
}

/** A name and target the push removed. */
export interface SecretRemoval {
  name: string;
  target: SecretTarget;
  /** Line of the entry in the file before the push. */
  line: number;
}

export interface SecretSyncPlan {
  writes: SecretWrite[];
  /** Removed names and targets: deleted only with `secrets.prune: true`. */
  removals: SecretRemoval[];
  /** Entries of the file after the push that will not be opened, with why. */
  invalid: { entry: SecretEntry; problems: SecretsFileProblem[] }[];
  /** Name and target pairs whose entry is byte-for-byte what it was. */
  unchanged: number;
}

function pairs(file: SecretsFile, validOnly: boolean): Map<string, SecretEntry> {
  const out = new Map<string, SecretEntry>();
  for (const e of file.entries) {
    if (e.nameKey === undefined || (validOnly && !e.valid)) continue;
    for (const t of e.targets) {
      const k = `${e.nameKey}|${t.key}`;
      if (!out.has(k)) out.set(k, e);
    }
  }
  return out;
}

/**
 * What to write and remove, from the file before a push (null for a full sync) and after it.
 * An unreadable file after the push removes nothing, since its intent is unknown.
 */
export function planSecretSync(before: SecretsFile | null, after: SecretsFile): SecretSyncPlan {
  const old = before?.readable ? pairs(before, false) : new Map<string, SecretEntry>();
  const plan: SecretSyncPlan = { writes: [], removals: [], invalid: [], unchanged: 0 };
  for (const entry of after.entries) {
    if (!entry.valid) {
      plan.invalid.push({
        entry,
        problems: after.problems.filter((p) => p.entry === entry.index && p.level === "failure"),
      });
      continue;
    }
    const write: SecretWrite = { entry, targets: [], previous: new Map() };
    for (const t of entry.targets) {
      const was = old.get(`${entry.nameKey ?? ""}|${t.key}`);
      if (was && was.sealed === entry.sealed && was.keyId === entry.keyId) {
        plan.unchanged++;
        continue;
      }
      write.targets.push(t);
      if (was) write.previous.set(t.key, was);
    }
    if (write.targets.length > 0) plan.writes.push(write);
  }
  if (after.readable && before?.readable) {
    const now = pairs(after, false);
    const removed = new Set<string>();
    for (const e of before.entries) {
      if (e.nameKey === undefined) continue;
      for (const t of e.targets) {
        const k = `${e.nameKey}|${t.key}`;
        if (now.has(k) || removed.has(k)) continue;
        removed.add(k);
        plan.removals.push({ name: e.nameKey, target: t, line: e.line });
      }
    }
  }
  return plan;
}
