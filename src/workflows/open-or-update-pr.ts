// The one pull request step of every workflow that proposes a branch: find it by its head branch, open it, or update what changed.
import type { ConfigRepoPort, DeployPull } from "../forge/config-repo.js";

/** What the step reads and writes: pull requests by head branch. */
export type PullPort = Pick<ConfigRepoPort, "pullsForBranch" | "createPull" | "updatePull">;

export interface PullText {
  /** The head branch, of the same repository. */
  branch: string;
  /** The branch the pull request merges into. */
  base: string;
  title: string;
  body: string;
}

export interface PullStep {
  status: "opened" | "updated" | "unchanged";
  pull: DeployPull;
}

async function updateIfChanged(
  port: PullPort,
  open: DeployPull,
  text: PullText,
): Promise<PullStep> {
  const changes: { title?: string; body?: string } = {};
  if (open.title !== text.title) changes.title = text.title;
  if (open.body !== text.body) changes.body = text.body;
  if (Object.keys(changes).length === 0) return { status: "unchanged", pull: open };
  await port.updatePull(open.number, changes);
  return { status: "updated", pull: { ...open, ...changes } };
}

/**
 * Opens the pull request of `text.branch`, or updates the open one, writing its title and body
 * only when they differ (an unchanged body is never rewritten, so no notification goes out).
 * `open` is the open pull request when the caller has read it already (undefined: none); when
 * not given, the step lists the branch's pull requests. When another run opened one meanwhile
 * (422 on create), that one is read and updated instead of opening a second.
 */
export async function openOrUpdatePull(
  port: PullPort,
  text: PullText,
  open?: DeployPull | null,
): Promise<PullStep> {
  const current =
    open === undefined
      ? (await port.pullsForBranch(text.branch)).find((p) => p.state === "open")
      : (open ?? undefined);
  if (current) return updateIfChanged(port, current, text);
  const created = await port.createPull({
    head: text.branch,
    base: text.base,
    title: text.title,
    body: text.body,
  });
  if (created !== "exists") return { status: "opened", pull: created };
  const raced = (await port.pullsForBranch(text.branch)).find((p) => p.state === "open");
  if (!raced)
    throw new Error(`GitHub says a pull request for ${text.branch} exists, but none is open`);
  return updateIfChanged(port, raced, text);
}
