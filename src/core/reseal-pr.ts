// The text of a key rotation's pull request on the config repo: branch, title, commit message (with its trailer) and body.
import { fitSummary } from "./checks/annotations.js";

/** monobot's re-seal branches: `monobot/reseal-{key id}`, one per new key. */
export const RESEAL_BRANCH_PREFIX = "monobot/reseal-";

/** The trailer that marks a commit as monobot's re-seal for a key id. */
export const RESEAL_TRAILER = "Monobot-Reseal";

export function resealBranch(keyId: string): string {
  return `${RESEAL_BRANCH_PREFIX}${keyId}`;
}

export function resealTitle(keyId: string): string {
  return `Re-seal sealed secrets to monobot's key ${keyId}`;
}

export interface ResealText {
  /** The secrets file's path. */
  path: string;
  /** The current key: what every entry is re-sealed to. */
  keyId: string;
  /** Entries re-sealed, by name, in file order. */
  resealed: readonly string[];
  /** Entries left as they are for another reason than being on the new key already. */
  left: readonly { line: number; name: string; reason: string }[];
  /** Entries already sealed to the new key. */
  onNewKey: number;
}

/** The commit's message; its trailer names the key, so a later run knows the branch is monobot's. */
export function resealCommitMessage(text: ResealText): string {
  const n = text.resealed.length;
  return [
    resealTitle(text.keyId),
    "",
    `${n} ${n === 1 ? "entry" : "entries"} of ${text.path} re-sealed to key ${text.keyId}: only their key_id and sealed values change; names, targets and values do not.`,
    "",
    `${RESEAL_TRAILER}: ${text.keyId}`,
  ].join("\n");
}

/** The key id of monobot's re-seal commit, from its trailer; undefined for any other commit. */
export function parseResealTrailer(message: string): string | undefined {
  const m = new RegExp(`^${RESEAL_TRAILER}: ([0-9a-f]{16})\\s*$`, "m").exec(message);
  return m?.[1];
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The pull request's description: deterministic, so an unchanged one is never rewritten. */
export function resealBody(text: ResealText): string {
  const n = text.resealed.length;
  const out = [
    `monobot's current sealing key is ${code(text.keyId)}. Entries of ${code(text.path)} sealed to an earlier key still open while that key is in \`MONOBOT_SEALING_KEY_PREVIOUS\`, but the earlier key can only be retired once no entry names it.`,
    "",
    `This pull request re-seals ${n} ${n === 1 ? "entry" : "entries"} to ${code(text.keyId)}, in one commit. Only each entry's \`key_id\` and \`sealed\` lines change: names, targets and values stay as they are (every re-sealed value was opened again with the new key and compared with the old one before the commit was made). After the merge, the sync finds the values unchanged and does not rewrite them on GitHub.`,
    "",
    "| secret | |",
    "|---|---|",
    ...text.resealed.map((name) => `| ${code(name)} | re-sealed |`),
  ];
  if (text.left.length > 0) {
    out.push(
      "",
      "Left as they are (fix them in the file; they are not re-sealed):",
      "",
      ...text.left.map((l) => `- line ${l.line}, ${code(l.name)}: ${cell(l.reason)}`),
    );
  }
  if (text.onNewKey > 0)
    out.push(
      "",
      `${text.onNewKey} ${text.onNewKey === 1 ? "entry is" : "entries are"} sealed to ${code(text.keyId)} already.`,
    );
  out.push(
    "",
    `**After the merge**: list ${code(text.keyId)} in the config repo's \`secrets.key_ids\`, back the new key up, and remove the earlier key from \`MONOBOT_SEALING_KEY_PREVIOUS\` once no entry names it (keep its backup until then). monobot opens one such pull request per key, on the branch ${code(resealBranch(text.keyId))}, and keeps it up to date while it is open.`,
  );
  return fitSummary(out.join("\n"));
}
