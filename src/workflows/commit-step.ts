// The one commit step of every workflow that writes a branch: edits on a base, committed only when they change something, never forced.
import type { GitDataPort, TreeFile } from "../forge/git-data.js";
import { refusedWrite } from "./refused-write.js";

/** What the step writes with: trees, commits, and branch moves that never overwrite unread work. */
export interface CommitPort {
  readonly git: Pick<GitDataPort, "createTree" | "createCommit" | "updateBranch" | "replaceBranch">;
  createBranch(branch: string, sha: string): Promise<"created" | "exists">;
}

/**
 * How the new commit joins the branch:
 * - `extend`: the base IS the branch's tip; one commit on it, a fast forward (`/bump`);
 * - `merge`: a commit whose parents are the tip and the base, a fast forward that brings the base
 *   in (re-sealing: the branch keeps its history);
 * - `rebuild`: ONE commit on the base, as a bot-owned branch is rebuilt on a moved default branch;
 *   never a fast forward, so the branch is moved only if it still points at the tip that was read
 *   (compare-and-swap). The caller checks beforehand that the tip is a commit monobot wrote.
 */
export type CommitJoin = "extend" | "merge" | "rebuild";

/** One read of the branch and what to write on it. */
export interface CommitPlan {
  /** The commit the edits apply to: the new tree is its tree with the edits. */
  base: { sha: string; treeSha: string };
  /** The branch's tip as read; null when the branch does not exist yet. */
  tip: { sha: string } | null;
  edits: readonly TreeFile[];
  message: string;
  join: CommitJoin;
  /**
   * The tip already holds these edits on this base (the caller can tell from its own trailer or
   * a file it read), so nothing is written: no blob, no tree, no commit.
   */
  upToDate: boolean;
}

/** What `read` returns: a plan (and whatever the caller wants back with it), or a reason to stop. */
export type CommitRead<C, S> = { plan: CommitPlan; context: C } | { stop: S };

export type CommitResult<C, S> = { attempts: number } & (
  | { committed: string; context: C }
  | { unchanged: true; context: C }
  /** `read` decided to write nothing. */
  | { stop: S }
  /** GitHub refused a write (permissions, protection): the sentence says what. */
  | { refused: string }
  /** The branch moved under every attempt; the last move's reason. */
  | { lost: string }
);

export interface CommitRequest<C, S> {
  port: CommitPort;
  branch: string;
  /** Reads the base and the branch (again after a lost race) and plans the edits on them. */
  read(attempt: number): Promise<CommitRead<C, S>>;
  /** Attempts in all; 1 when a lost race is the caller's to report (`/bump`). */
  attempts: number;
  /** How the refusal names the write, e.g. "the commit". */
  what?: string;
}

/** Why a branch write lost a race, or undefined when it landed. */
async function writeOnce(
  port: CommitPort,
  branch: string,
  plan: CommitPlan,
): Promise<{ sha: string } | { lost: string }> {
  const tree = await port.git.createTree(plan.base.treeSha, plan.edits);
  const tip = plan.tip;
  const parents = plan.join === "merge" && tip ? [tip.sha, plan.base.sha] : [plan.base.sha];
  const sha = await port.git.createCommit({ message: plan.message, tree, parents });
  const moved = !tip
    ? await port.createBranch(branch, sha)
    : plan.join === "rebuild"
      ? await port.git.replaceBranch(branch, tip.sha, sha)
      : await port.git.updateBranch(branch, sha);
  if (moved === "rejected" || moved === "exists") return { lost: `ref ${branch}: ${moved}` };
  return { sha };
}

/**
 * Commits `plan.edits` to `branch` as one commit, only when the branch does not hold them
 * already, and never with a blind (forced) ref write: a new branch is created (422 when another
 * run created it first), an existing one fast-forwarded or compared-and-swapped. A lost race
 * reads again, through `read`, and tries on the new base, at most `attempts` times in all.
 * Workflows that open a pull request on the branch follow it with `openOrUpdatePull`.
 */
export async function commitEdits<C, S>(req: CommitRequest<C, S>): Promise<CommitResult<C, S>> {
  let last = "";
  for (let n = 1; n <= req.attempts; n++) {
    try {
      const read = await req.read(n);
      if ("stop" in read) return { stop: read.stop, attempts: n };
      const { plan, context } = read;
      if (plan.upToDate || (plan.edits.length === 0 && plan.tip)) {
        return { unchanged: true, context, attempts: n };
      }
      const wrote = await writeOnce(req.port, req.branch, plan);
      if ("sha" in wrote) return { committed: wrote.sha, context, attempts: n };
      last = wrote.lost;
    } catch (e) {
      const refused = refusedWrite(e, req.what);
      if (refused === undefined) throw e;
      return { refused, attempts: n };
    }
  }
  return { lost: last, attempts: req.attempts };
}
