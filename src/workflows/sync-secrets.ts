// Sealed secrets to Actions secrets: opens each changed entry with monobot's key and writes it to its targets, sealed to their keys.
import { planSecretSync, type SecretWrite } from "../core/secret-sync-plan.js";
import {
  canonicalTargets,
  checkSecretsFile,
  SECRET_VALUE_MAX_BYTES,
  SECRETS_PER_SCOPE_LIMIT,
  type SecretEntry,
  type SecretTarget,
} from "../core/secrets-file.js";
import type { SecretSyncReport, SecretSyncResult } from "../core/secrets-sync-report.js";
import type { ActionsPublicKey, ActionsSecretsPort } from "../forge/actions-secrets.js";
import { silentLog, type Log } from "../log.js";
import {
  bindingProblem,
  keyIdsOf,
  openEnvelope,
  sameBytes,
  sealForGitHub,
  sodiumReady,
  wipe,
  type Envelope,
  type KeyRing,
} from "../secrets/sealing.js";

export interface SyncSecretsRequest {
  /** The secrets file's path (policy `secrets.file`), for the report. */
  path: string;
  /** The file before the push; null for a full sync (`/sync-secrets`): every entry is written. */
  before: string | null;
  /** The file after the push. */
  after: string;
  keys: KeyRing;
  /** Policy `secrets.prune`: delete what the push removed. */
  prune: boolean;
  /** The port of a target repository (may reject: not installed there). */
  portFor(owner: string, repo: string): ActionsSecretsPort | Promise<ActionsSecretsPort>;
  /**
   * Why a target repository refuses secrets from the file's repository (undefined: it takes
   * them); asked once per repository, before anything is written to or deleted from it.
   */
  refusalOf?(owner: string, repo: string): Promise<string | undefined>;
  log?: Log;
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

/** An error in words for the report: GitHub's status and the first line of its message. */
function describeError(e: unknown): string {
  const status = statusOf(e);
  const message = ((e as Error | null)?.message ?? String(e)).split("\n")[0]?.slice(0, 200) ?? "";
  if (status === 404)
    return `GitHub answered 404 (${message}): the repository or environment does not exist, or monobot is not installed there`;
  return status === undefined ? message : `GitHub answered ${status}: ${message}`;
}

function scopeWord(t: SecretTarget): string {
  return t.environment === undefined ? "repository" : "environment";
}

/** Per-run state: one port per repository, one public key and one name listing per scope. */
class Targets {
  private readonly ports = new Map<string, Promise<ActionsSecretsPort>>();
  private readonly keys = new Map<string, Promise<ActionsPublicKey>>();
  private readonly names = new Map<string, Promise<Set<string>>>();
  private readonly ids = new Map<string, Promise<number>>();
  private readonly refusals = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly portFor: SyncSecretsRequest["portFor"],
    private readonly refusalOf?: SyncSecretsRequest["refusalOf"],
  ) {}

  refusal(t: SecretTarget): Promise<string | undefined> {
    const ask = this.refusalOf;
    if (!ask) return Promise.resolve(undefined);
    let r = this.refusals.get(t.repoKey);
    if (!r) {
      r = ask(t.owner, t.repo);
      this.refusals.set(t.repoKey, r);
      r.catch(() => this.refusals.delete(t.repoKey));
    }
    return r;
  }

  port(t: SecretTarget): Promise<ActionsSecretsPort> {
    let p = this.ports.get(t.repoKey);
    if (!p) {
      p = Promise.resolve().then(() => this.portFor(t.owner, t.repo));
      this.ports.set(t.repoKey, p);
    }
    return p;
  }

  publicKey(t: SecretTarget, fresh = false): Promise<ActionsPublicKey> {
    let k = fresh ? undefined : this.keys.get(t.key);
    if (!k) {
      k = this.port(t).then((p) => p.publicKey(t.environment));
      this.keys.set(t.key, k);
      // A failed read is not cached: the next target of the same scope asks again.
      k.catch(() => this.keys.delete(t.key));
    }
    return k;
  }

  secretNames(t: SecretTarget): Promise<Set<string>> {
    let n = this.names.get(t.key);
    if (!n) {
      n = this.port(t)
        .then((p) => p.listSecretNames(t.environment))
        .then((list) => new Set(list.map((x) => x.toUpperCase())));
      this.names.set(t.key, n);
      n.catch(() => this.names.delete(t.key));
    }
    return n;
  }

  repositoryId(t: SecretTarget): Promise<number> {
    let i = this.ids.get(t.repoKey);
    if (!i) {
      i = this.port(t).then((p) => p.repositoryId());
      this.ids.set(t.repoKey, i);
    }
    return i;
  }
}

/**
 * Writes the entries a push changed (or every entry, for a full sync) to their targets' Actions
 * secrets, and deletes removed ones when `prune` is set. Entries whose sealed value does not
 * open, or opens for another name or other targets, are refused and nothing is written for them.
 */
export async function syncSecrets(req: SyncSecretsRequest): Promise<SecretSyncReport> {
  await sodiumReady();
  const log = req.log ?? silentLog;
  const after = checkSecretsFile(req.after, {
    keyIds: [{ ids: keyIdsOf(req.keys), source: "monobot's keys" }],
  });
  const report: SecretSyncReport = { path: req.path, results: [], fileProblems: [], unchanged: 0 };
  if (!after.readable) {
    report.fileProblems = after.problems;
    log.warn({ file: req.path, problems: after.problems.length }, "secrets file unreadable");
    return report;
  }
  const before = req.before === null ? null : checkSecretsFile(req.before);
  const plan = planSecretSync(before, after);
  report.unchanged = plan.unchanged;
  const targets = new Targets(req.portFor, req.refusalOf);
  const record = (r: SecretSyncResult): void => {
    report.results.push(r);
    const fields = { secret: r.name, target: r.target, action: r.action, status: r.status };
    if (r.status === "ok" || r.status === "skipped") log.info(fields, "sealed secret");
    else log.warn({ ...fields, reason: r.reason }, "sealed secret not written");
  };

  for (const { entry, problems } of plan.invalid) {
    const reason = problems.map((p) => `line ${p.line}: ${p.message}`).join("; ");
    const name = entry.nameKey ?? entry.name ?? `(entry ${entry.index + 1})`;
    const list =
      entry.targets.length > 0 ? entry.targets.map((t) => t.text) : ["(no valid target)"];
    for (const target of list)
      record({ name, target, action: "write", status: "refused", reason, line: entry.line });
  }
  for (const write of plan.writes) await writeEntry(write, req.keys, targets, record);
  for (const removal of plan.removals) {
    const base = {
      name: removal.name,
      target: removal.target.text,
      action: "delete" as const,
      line: removal.line,
    };
    if (!req.prune) {
      record({
        ...base,
        status: "skipped",
        reason: "removed from the file; left in place because secrets.prune is false",
      });
      continue;
    }
    try {
      const refused = await targets.refusal(removal.target);
      if (refused) {
        record({ ...base, status: "refused", reason: refused });
        continue;
      }
      const port = await targets.port(removal.target);
      const existed = await port.deleteSecret(removal.name, removal.target.environment);
      record({ ...base, status: "ok", reason: existed ? "deleted" : "was already absent" });
    } catch (e) {
      record({ ...base, status: "failed", reason: describeError(e) });
    }
  }
  // In the file's order (refused entries among the written ones), deletions last.
  report.results.sort(
    (x, y) =>
      Number(x.action === "delete") - Number(y.action === "delete") ||
      (x.line ?? 0) - (y.line ?? 0),
  );
  return report;
}

async function writeEntry(
  write: SecretWrite,
  keys: KeyRing,
  targets: Targets,
  record: (r: SecretSyncResult) => void,
): Promise<void> {
  const { entry } = write;
  const name = entry.nameKey ?? "";
  const result = (t: SecretTarget, status: SecretSyncResult["status"], reason: string): void =>
    record({ name, target: t.text, action: "write", status, reason, line: entry.line });
  const refuseAll = (reason: string): void => {
    for (const t of write.targets) result(t, "refused", reason);
  };

  const opened = openEnvelope(entry.sealed ?? "", entry.keyId ?? "", keys);
  if (!opened.ok) return refuseAll(opened.message);
  const envelope = opened.envelope;
  try {
    const binding = bindingProblem(envelope, { name, targets: canonicalTargets(entry.targets) });
    if (binding) return refuseAll(binding);
    if (envelope.value.length > SECRET_VALUE_MAX_BYTES)
      return refuseAll(
        `the value is over GitHub's limit of 48 KB (${SECRET_VALUE_MAX_BYTES} bytes)`,
      );
    for (const t of write.targets) {
      try {
        const outcome = await writeTarget(
          name,
          t,
          envelope,
          write.previous.get(t.key),
          keys,
          targets,
        );
        result(t, outcome.status, outcome.reason);
      } catch (e) {
        result(t, "failed", describeError(e));
      }
    }
  } finally {
    wipe(envelope.value);
  }
}

async function writeTarget(
  name: string,
  t: SecretTarget,
  envelope: Envelope,
  previous: SecretEntry | undefined,
  keys: KeyRing,
  targets: Targets,
): Promise<{ status: SecretSyncResult["status"]; reason: string }> {
  const refused = await targets.refusal(t);
  if (refused) return { status: "refused", reason: refused };
  const pinned = envelope.repoIds?.[t.repoKey];
  if (pinned !== undefined) {
    const id = await targets.repositoryId(t);
    if (id !== pinned)
      return {
        status: "refused",
        reason: `${t.owner}/${t.repo} has the id ${id}, but the value was sealed for the repository with id ${pinned} (was it deleted and re-created?)`,
      };
  }
  const names = await targets.secretNames(t);
  if (names.has(name) && previous && sameValue(previous, envelope.value, keys))
    return { status: "skipped", reason: "re-sealed with the same value: left as it is" };
  if (!names.has(name) && names.size >= SECRETS_PER_SCOPE_LIMIT)
    return {
      status: "refused",
      reason: `${t.text} has ${names.size} secrets already and GitHub keeps at most ${SECRETS_PER_SCOPE_LIMIT} per ${scopeWord(t)}: ${name} would be one too many (remove a secret there or from the file)`,
    };
  await put(name, t, envelope.value, targets);
  const created = !names.has(name);
  names.add(name);
  return { status: "ok", reason: created ? "created" : "updated" };
}

/** Seals the value to the target's current public key and PUTs it; a stale key id is re-read once. */
async function put(
  name: string,
  t: SecretTarget,
  value: Uint8Array,
  targets: Targets,
): Promise<void> {
  const port = await targets.port(t);
  let key = await targets.publicKey(t);
  try {
    await port.putSecret(name, sealForGitHub(value, key.key), key.keyId, t.environment);
  } catch (e) {
    if (statusOf(e) !== 422) throw e;
    // GitHub rotated the key since it was read (the 422 names a stale key_id): read it again, once.
    key = await targets.publicKey(t, true);
    await port.putSecret(name, sealForGitHub(value, key.key), key.keyId, t.environment);
  }
}

/** Whether the entry before the push held the same value for this name (a re-seal, as a rotation makes). */
function sameValue(previous: SecretEntry, value: Uint8Array, keys: KeyRing): boolean {
  if (!previous.valid || previous.nameKey === undefined) return false;
  const opened = openEnvelope(previous.sealed ?? "", previous.keyId ?? "", keys);
  if (!opened.ok) return false;
  try {
    const bound =
      bindingProblem(opened.envelope, {
        name: previous.nameKey,
        targets: canonicalTargets(previous.targets),
      }) === undefined;
    return bound && sameBytes(opened.envelope.value, value);
  } finally {
    wipe(opened.envelope.value);
  }
}
