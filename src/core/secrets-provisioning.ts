// Provisioning sealed secrets: what a push changed, when a rotation is due, and the check run and reply that report a sync.
import { shortSha } from "./sha.js";
import { fitSummary } from "./checks/annotations.js";
import type { SecretsFile } from "./secrets-file.js";
import { renderSecretSyncReport, type SecretSyncReport } from "./secrets-sync-report.js";
import type { Conclusion } from "./types.js";

/** The check run that reports a sync, on the commit whose secrets file was written. */
export const SECRETS_SYNC_CHECK = "monobot/secrets-sync";

/** GitHub lists at most this many commits in a push webhook; a longer push lists no more. */
export const PUSH_PAYLOAD_COMMITS = 2048;

/** YAML paths a push job carries at most; a push touching more is compared in full. */
export const CHANGED_PATHS_MAX = 300;

/** The secrets file must be YAML (the policy's schema says so): only these paths matter. */
export function isYamlPath(path: string): boolean {
  return /\.ya?ml$/i.test(path);
}

interface PushCommit {
  added?: unknown;
  removed?: unknown;
  modified?: unknown;
}

/**
 * The YAML paths a push's commits added, modified or removed, from the webhook payload; null
 * when the payload cannot tell (no commit list, GitHub's cap reached, too many paths).
 */
export function changedYamlPaths(commits: unknown): string[] | null {
  if (!Array.isArray(commits) || commits.length === 0) return null;
  if (commits.length >= PUSH_PAYLOAD_COMMITS) return null;
  const out = new Set<string>();
  for (const c of commits as PushCommit[]) {
    for (const list of [c?.added, c?.removed, c?.modified]) {
      if (!Array.isArray(list)) return null;
      for (const p of list) if (typeof p === "string" && isYamlPath(p)) out.add(p);
    }
    if (out.size > CHANGED_PATHS_MAX) return null;
  }
  return [...out].sort();
}

/** Valid entries sealed to one of `previous` (key ids): what a rotation re-seals. */
export function entriesOnPreviousKeys(file: SecretsFile, previous: readonly string[]): number {
  return file.entries.filter((e) => e.valid && e.keyId !== undefined && previous.includes(e.keyId))
    .length;
}

/** What started a sync, for the check run's first line. */
export type SyncTrigger =
  { kind: "push"; sha: string } | { kind: "command"; user: string; where: string; sha: string };

function triggerLine(trigger: SyncTrigger, path: string): string {
  return trigger.kind === "push"
    ? `The push of ${shortSha(trigger.sha)} changed \`${path}\`: the entries it changed were written.`
    : `@${trigger.user} asked for a full sync with \`/sync-secrets\` (${trigger.where}): every entry of \`${path}\` at ${shortSha(trigger.sha)} was written.`;
}

export interface SyncCheckOutput {
  conclusion: Conclusion;
  title: string;
  summary: string;
}

/** The check run of a sync: the report, what started it, and what the rotation did. */
export function syncCheckOutput(input: {
  report: SecretSyncReport;
  trigger: SyncTrigger;
  rotation?: string;
}): SyncCheckOutput {
  const out = renderSecretSyncReport(input.report);
  const parts = [triggerLine(input.trigger, input.report.path), "", out.summary];
  if (input.rotation) parts.push("", `**Key rotation**: ${input.rotation}`);
  return { ...out, summary: fitSummary(parts.join("\n")) };
}

/** The check run when monobot has no key to open anything with. */
export function noKeyCheckOutput(path: string): SyncCheckOutput {
  return {
    conclusion: "failure",
    title: "monobot has no sealing key: no secret was written",
    summary: `\`${path}\` changed, but the monobot server has no sealing key (\`MONOBOT_SEALING_KEY\` or \`MONOBOT_SEALING_KEY_FILE\`), so it cannot open any entry. Set the key on every replica and comment \`/sync-secrets\` on an issue of this repository to write every entry.`,
  };
}

/** The check run when the push removed the whole file: nothing is deleted on GitHub. */
export function fileRemovedCheckOutput(path: string): SyncCheckOutput {
  return {
    conclusion: "neutral",
    title: `${path} was removed: nothing was written or deleted`,
    summary: `The push removed \`${path}\`. monobot deletes nothing when the whole file goes away: remove entries from the file (with \`secrets.prune: true\`) to delete their secrets from the targets.`,
  };
}

/** The reply to `/sync-secrets`: the outcome in one line, never a value. */
export function syncReply(input: {
  path: string;
  sha: string;
  branch: string;
  title: string;
  conclusion: Conclusion;
}): string {
  const verdict = input.conclusion === "success" ? "done" : "done, with problems";
  return `sync of \`${input.path}\` at ${input.branch} ${shortSha(input.sha)} ${verdict}: ${input.title}. The \`${SECRETS_SYNC_CHECK}\` check run on ${shortSha(input.sha)} lists each secret and target.`;
}
