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
import { commitEdits, type CommitRead } from "./commit-step.js";
import { openOrUpdatePull } from "./open-or-update-pr.js";
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
> & {
  readonly git: Pick<GitDataPort, "createTree" | "createCommit" | "updateBranch" | "replaceBranch">;
};

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

function link(pull: DeployPull): { number: number; url: string } {
  return { number: pull.number, url: pull.url };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What the pull request step needs from the read the commit was planned on. */
interface Resealed {
  base: { name: string; sha: string };
  open: DeployPull | undefined;
  count: string;
  title: string;
  body: string;
}

/** One read of the config repo: a reason to write nothing, or the re-sealed file as a commit. */
async function readReseal(
  port: ResealPort,
  req: ResealRequest,
): Promise<CommitRead<Resealed, ResealOutcome>> {
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
      stop: {
        status: "skipped",
        message: `${where}#${earlier.number} re-sealed to key ${keyId} was ${earlier.merged ? "merged" : "closed without merging"}; monobot opens one such pull request per key. Re-seal what is left with \`monobot secrets seal\`.`,
        pull: link(earlier),
      },
    };
  }
  if (tip && parseResealTrailer(tip.message) !== keyId) {
    return {
      stop: {
        status: "refused",
        message: `\`${branch}\` on ${where} has a commit monobot did not write (${shortSha(tip.sha)}), so monobot does not add to it; delete the branch${open ? ` and close #${open.number}` : ""}, and the next push re-seals again.`,
        ...(open ? { pull: link(open) } : {}),
      },
    };
  }
  const text = (await port.readFiles(base.sha, [req.path])).get(req.path);
  if (text === undefined)
    return {
      stop: { status: "skipped", message: `${where} has no \`${req.path}\` on ${base.name}.` },
    };
  const result = resealFile(text, req.keys, req.keys.current);
  if (!result.ok) return { stop: { status: "refused", message: result.reason } };
  if (result.resealed.length === 0) {
    return {
      stop: {
        status: "skipped",
        message: `no entry of \`${req.path}\` on ${base.name} is sealed to an earlier key monobot has${open ? `; ${where}#${open.number} has nothing left to do and can be closed` : ""}.`,
        ...(open ? { pull: link(open) } : {}),
      },
    };
  }
  const resealText: ResealText = {
    path: req.path,
    keyId,
    resealed: result.resealed,
    left: result.skipped.filter((s) => s.reason !== ALREADY_ON_NEW_KEY),
    onNewKey: result.skipped.filter((s) => s.reason === ALREADY_ON_NEW_KEY).length,
  };
  // The branch is up to date when it was built on this base, or on one with the same file.
  let upToDate = false;
  const tipBase = tip?.parents.at(-1);
  if (tip && tipBase === base.sha) upToDate = true;
  else if (tip && tipBase) {
    const then = (await port.readFiles(tipBase, [req.path])).get(req.path);
    upToDate = then === text;
  }
  return {
    plan: {
      base,
      tip,
      edits: [{ path: req.path, content: result.text }],
      message: resealCommitMessage(resealText),
      // On an existing branch, a merge of the default branch: a fast forward, never a forced move.
      join: "merge",
      upToDate,
    },
    context: {
      base,
      open,
      count: plural(result.resealed.length, "entry", "entries"),
      title: resealTitle(keyId),
      body: resealBody(resealText),
    },
  };
}

/** The pull request step, once the branch holds the re-sealed file. */
async function proposeReseal(
  port: ResealPort,
  keyId: string,
  r: Resealed,
  commitSha: string | undefined,
): Promise<ResealOutcome> {
  const where = `${port.owner}/${port.name}`;
  const step = await openOrUpdatePull(
    port,
    { branch: resealBranch(keyId), base: r.base.name, title: r.title, body: r.body },
    r.open ?? null,
  );
  const n = step.pull.number;
  const sha = commitSha ? { commitSha } : {};
  if (step.status === "opened") {
    return {
      status: "opened",
      message: `opened ${where}#${n}: it re-seals ${r.count} to key ${keyId}; merge it to retire the earlier key.`,
      pull: link(step.pull),
      ...sha,
    };
  }
  const changed = commitSha !== undefined || step.status === "updated";
  return {
    status: changed ? "updated" : "unchanged",
    message: changed
      ? `updated ${where}#${n}: it re-seals ${r.count} to key ${keyId}${commitSha ? ` (brought up to date with ${r.base.name} ${shortSha(r.base.sha)})` : ""}.`
      : `${where}#${n} re-seals ${r.count} to key ${keyId} already.`,
    pull: link(step.pull),
    ...sha,
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
  const keyId = req.keys.current.keyId;
  const commit = await commitEdits({
    port,
    branch: resealBranch(keyId),
    attempts: MAX_RESEAL_ATTEMPTS,
    read: () => readReseal(port, req),
  });
  if ("stop" in commit) return commit.stop;
  if ("lost" in commit) {
    return {
      status: "failed",
      message: `the config repo changed under monobot ${MAX_RESEAL_ATTEMPTS} times in a row while re-sealing (last: ${commit.lost}); the next push or \`/sync-secrets\` tries again.`,
    };
  }
  const refusedAs = (reason: string): ResealOutcome => ({
    status: "refused",
    message: `re-sealing on ${port.owner}/${port.name}: ${reason}.`,
  });
  if ("refused" in commit) return refusedAs(commit.refused);
  try {
    const sha = "committed" in commit ? commit.committed : undefined;
    return await proposeReseal(port, keyId, commit.context, sha);
  } catch (e) {
    const refused = refusedWrite(e);
    if (refused === undefined) throw e;
    return refusedAs(refused);
  }
}
