// A key rotation on the config repo: ONE pull request per new key that re-seals every entry sealed to an earlier key.
import { shortSha } from "../core/sha.js";
import {
  parseResealTrailer,
  resealBody,
  resealBranch,
  resealCommitMessage,
  resealTitle,
  type ResealText,
} from "../core/reseal-pr.js";
import type { ConfigRepoPort, DeployPull } from "../forge/config-repo.js";
import type { GitDataPort } from "../forge/git-data.js";
import { ALREADY_ON_NEW_KEY, resealFile } from "../secrets/reseal.js";
import type { KeyRing } from "../secrets/sealing.js";
import { refusedWrite } from "./refused-write.js";

/** Attempts when the config repo moves under the workflow (a 422 on the branch or the PR). */
export const MAX_RESEAL_ATTEMPTS = 3;

/** What the rotation reads and writes on the config repo. */
export type ResealPort = Pick<
  ConfigRepoPort,
  | "owner"
  | "name"
  | "heads"
  | "readFiles"
  | "pullsForBranch"
  | "createBranch"
  | "createPull"
  | "updatePull"
> & { readonly git: Pick<GitDataPort, "createTree" | "createCommit" | "updateBranch"> };

export interface ResealRequest {
  /** The secrets file's path (policy `secrets.file`). */
  path: string;
  keys: KeyRing;
}

export type ResealStatus = "opened" | "updated" | "unchanged" | "skipped" | "refused" | "failed";

export interface ResealOutcome {
  status: ResealStatus;
  /** What happened, in words (for the sync's check run and the log); never a value. */
  message: string;
  pull?: { number: number; url: string };
  commitSha?: string;
}

class Conflict extends Error {}

function link(pull: DeployPull): { number: number; url: string } {
  return { number: pull.number, url: pull.url };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One attempt on one read of the config repo. */
async function resealOnce(port: ResealPort, req: ResealRequest): Promise<ResealOutcome> {
  const keyId = req.keys.current.keyId;
  const branch = resealBranch(keyId);
  const where = `${port.owner}/${port.name}`;
  const [heads, pulls] = await Promise.all([port.heads([branch]), port.pullsForBranch(branch)]);
  const base = heads.defaultBranch;
  const tip = heads.branches.get(branch) ?? null;
  const open = pulls.find((p) => p.state === "open");
  const earlier = pulls[0];
  if (!open && earlier) {
    return {
      status: "skipped",
      message: `${where}#${earlier.number} re-sealed to key ${keyId} was ${earlier.merged ? "merged" : "closed without merging"}; monobot opens one such pull request per key. Re-seal what is left with \`monobot secrets seal\`.`,
      pull: link(earlier),
    };
  }
  if (tip && parseResealTrailer(tip.message) !== keyId) {
    return {
      status: "refused",
      message: `\`${branch}\` on ${where} has a commit monobot did not write (${shortSha(tip.sha)}), so monobot does not add to it; delete the branch${open ? ` and close #${open.number}` : ""}, and the next push re-seals again.`,
      ...(open ? { pull: link(open) } : {}),
    };
  }
  const text = (await port.readFiles(base.sha, [req.path])).get(req.path);
  if (text === undefined)
    return { status: "skipped", message: `${where} has no \`${req.path}\` on ${base.name}.` };
  const result = resealFile(text, req.keys, req.keys.current);
  if (!result.ok) return { status: "refused", message: result.reason };
  if (result.resealed.length === 0) {
    return {
      status: "skipped",
      message: `no entry of \`${req.path}\` on ${base.name} is sealed to an earlier key monobot has${open ? `; ${where}#${open.number} has nothing left to do and can be closed` : ""}.`,
      ...(open ? { pull: link(open) } : {}),
    };
  }
  const resealText: ResealText = {
    path: req.path,
    keyId,
    resealed: result.resealed,
    left: result.skipped.filter((s) => s.reason !== ALREADY_ON_NEW_KEY),
    onNewKey: result.skipped.filter((s) => s.reason === ALREADY_ON_NEW_KEY).length,
  };
  const title = resealTitle(keyId);
  const body = resealBody(resealText);

  // The branch is up to date when it was built on this base, or on one with the same file.
  let upToDate = false;
  const tipBase = tip?.parents.at(-1);
  if (tip && tipBase === base.sha) upToDate = true;
  else if (tip && tipBase) {
    const then = (await port.readFiles(tipBase, [req.path])).get(req.path);
    upToDate = then === text;
  }
  let commitSha: string | undefined;
  if (!upToDate) {
    const tree = await port.git.createTree(base.treeSha, [
      { path: req.path, content: result.text },
    ]);
    // On an existing branch, a merge of the default branch: a fast forward, never a forced move.
    commitSha = await port.git.createCommit({
      message: resealCommitMessage(resealText),
      tree,
      parents: tip ? [tip.sha, base.sha] : [base.sha],
    });
    const moved = tip
      ? await port.git.updateBranch(branch, commitSha)
      : await port.createBranch(branch, commitSha);
    if (moved === "rejected" || moved === "exists") throw new Conflict(`ref ${branch}: ${moved}`);
  }
  const count = plural(result.resealed.length, "entry", "entries");
  if (open) {
    const changes: { title?: string; body?: string } = {};
    if (open.title !== title) changes.title = title;
    if (open.body !== body) changes.body = body;
    if (Object.keys(changes).length > 0) await port.updatePull(open.number, changes);
    const changed = commitSha !== undefined || Object.keys(changes).length > 0;
    return {
      status: changed ? "updated" : "unchanged",
      message: changed
        ? `updated ${where}#${open.number}: it re-seals ${count} to key ${keyId}${commitSha ? ` (brought up to date with ${base.name} ${shortSha(base.sha)})` : ""}.`
        : `${where}#${open.number} re-seals ${count} to key ${keyId} already.`,
      pull: link(open),
      ...(commitSha ? { commitSha } : {}),
    };
  }
  const created = await port.createPull({ head: branch, base: base.name, title, body });
  if (created === "exists") throw new Conflict(`pull request for ${branch}: exists`);
  return {
    status: "opened",
    message: `opened ${where}#${created.number}: it re-seals ${count} to key ${keyId}; merge it to retire the earlier key.`,
    pull: link(created),
    ...(commitSha ? { commitSha } : {}),
  };
}

/**
 * Opens, or keeps up to date, ONE pull request on the config repo (`monobot/reseal-{key id}`)
 * that re-seals every entry sealed to an earlier key of the ring to the current key, as one
 * commit of only their `key_id` and `sealed` values (verified by opening each again). Idempotent:
 * a second run finds the pull request and changes nothing, an unchanged body is not rewritten, a
 * closed or merged one is not opened again, and the branch is never forced (a moved default
 * branch is merged into it). Nothing to do when the ring has no previous key.
 */
export async function openResealPr(port: ResealPort, req: ResealRequest): Promise<ResealOutcome> {
  if (req.keys.previous.length === 0)
    return {
      status: "skipped",
      message: "monobot has no previous sealing key: nothing to rotate.",
    };
  let last = "";
  for (let n = 1; n <= MAX_RESEAL_ATTEMPTS; n++) {
    try {
      return await resealOnce(port, req);
    } catch (e) {
      if (e instanceof Conflict) {
        last = e.message;
        continue;
      }
      const refused = refusedWrite(e);
      if (refused === undefined) throw e;
      return {
        status: "refused",
        message: `re-sealing on ${port.owner}/${port.name}: ${refused}.`,
      };
    }
  }
  return {
    status: "failed",
    message: `the config repo changed under monobot ${MAX_RESEAL_ATTEMPTS} times in a row while re-sealing (last: ${last}); the next push or \`/sync-secrets\` tries again.`,
  };
}
