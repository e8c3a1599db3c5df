// A push to the default branch: postmerge jobs, release tags for new release VERSIONs, release jobs.
import { statusDescription, type BackendDeps } from "../ci/backend.js";
import { componentReport } from "../core/components.js";
import { planJobs, type JobTrigger, type PlannedRun } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import type { ChangedFile, Component } from "../core/types.js";
import { releasedVersion, releaseTag } from "../core/versions.js";
import type { Log } from "../log.js";
import { fileAtKey, type CommitStatus } from "../forge/port.js";
import { ciComponents, type CiPort, type RunTracker } from "./pull-request-ci.js";
import { startRun } from "./start-run.js";

export interface MergePort extends CiPort {
  compareFiles(base: string, head: string): Promise<ChangedFile[]>;
  paths(sha: string): Promise<string[]>;
  readFiles(files: readonly { sha: string; path: string }[]): Promise<Map<string, string | null>>;
  tagCommit(tag: string): Promise<string | null>;
  createTag(tag: string, sha: string): Promise<boolean>;
  pullRequestsOfCommit(sha: string): Promise<number[]>;
  createComment(issue: number, body: string): Promise<number>;
}

export interface MergeInput {
  port: MergePort;
  policy: Policy;
  repo: { owner: string; name: string; defaultBranch: string };
  before: string;
  after: string;
  backend: Omit<BackendDeps, "github" | "owner" | "repo">;
  tracker?: RunTracker;
  log: Log;
}

export interface TagOutcome {
  component: string;
  version: string;
  tag: string;
  result: "created" | "exists" | "conflict";
  /** Where an existing tag points, for a conflict. */
  at?: string;
}

export interface MergeOutcome {
  affected: string[];
  tags: TagOutcome[];
  started: PlannedRun[];
  failed: { run: PlannedRun; message: string }[];
  /** Runs not started because a status for them exists already (a redelivery). */
  alreadyStarted: string[];
}

/** The status a failed release reports on the merge commit. */
export const RELEASE_CONTEXT = "monobot/release";

const NO_COMMIT = /^0+$/;

export async function onMerge(input: MergeInput): Promise<MergeOutcome> {
  const { port, policy, repo, before, after, log } = input;
  const outcome: MergeOutcome = {
    affected: [],
    tags: [],
    started: [],
    failed: [],
    alreadyStarted: [],
  };
  // A new branch has no `before` to compare with; the default branch is never new in practice.
  if (NO_COMMIT.test(before)) return outcome;
  const [files, paths, existing] = await Promise.all([
    port.compareFiles(before, after),
    port.paths(after),
    port.statuses(after),
  ]);
  const report = componentReport(paths, files, policy, repo.name);
  const affected = ciComponents(report);
  outcome.affected = affected.map((c) => c.name);
  const seen = new Set(existing.map((s: CommitStatus) => s.context));

  // VERSION at both ends, for every component the push changed (one batched read).
  const touched = report.affected.map((a) => a.component);
  const read = await port.readFiles(
    touched.flatMap((c) => [
      { sha: before, path: c.versionFile },
      { sha: after, path: c.versionFile },
    ]),
  );
  const versionAt = (sha: string, c: Component) =>
    (read.get(fileAtKey({ sha, path: c.versionFile })) ?? "").trim() || null;
  const headVersions: Record<string, string> = {};
  for (const c of touched) {
    const v = versionAt(after, c);
    if (v) headVersions[c.name] = v;
  }

  const context = {
    owner: repo.owner,
    repo: repo.name,
    sha: after,
    ref: repo.defaultBranch,
    defaultBranch: repo.defaultBranch,
    versions: headVersions,
  };
  const deps: BackendDeps = {
    ...input.backend,
    github: port.requester(),
    owner: repo.owner,
    repo: repo.name,
  };
  const start = async (trigger: JobTrigger, components: Component[]) => {
    const plan = planJobs({ policy, trigger, components, context });
    for (const s of plan.skipped)
      log.info({ job: s.job, component: s.component, reason: s.reason }, "job skipped");
    for (const run of plan.runs) {
      // A status for this job on this commit means a delivery already started it.
      if (seen.has(run.statusContext)) {
        outcome.alreadyStarted.push(run.statusContext);
        continue;
      }
      seen.add(run.statusContext);
      const started = await startRun(port, after, run, deps, {
        ...(input.tracker ? { track: (r) => input.tracker?.track(r) } : {}),
      });
      if (started.ok) outcome.started.push(run);
      else outcome.failed.push({ run, message: started.message });
    }
  };

  await start("postmerge", affected);

  const released: Component[] = [];
  for (const c of touched) {
    const base = versionAt(before, c);
    // Only a VERSION that became a release above its base releases (not a -dev, not a decrease).
    const head = releasedVersion(base, versionAt(after, c));
    if (head === undefined) continue;
    const tag = releaseTag(policy.versions.tag, c.name, head);
    let at = await port.tagCommit(tag);
    let result: TagOutcome["result"];
    if (at === null) {
      const created = await port.createTag(tag, after);
      // Lost a race with another delivery: see where the winner put it.
      at = created ? after : await port.tagCommit(tag);
      result = created ? "created" : at === after ? "exists" : "conflict";
    } else result = at === after ? "exists" : "conflict";
    outcome.tags.push({
      component: c.name,
      version: head,
      tag,
      result,
      ...(result === "conflict" && at ? { at } : {}),
    });
    if (result === "conflict") {
      await reportConflict(port, after, tag, at ?? "");
      continue;
    }
    released.push(c);
  }
  if (released.length > 0) await start("release", released);
  log.info(
    {
      affected: outcome.affected.length,
      tags: outcome.tags.map((t) => `${t.tag}=${t.result}`),
      started: outcome.started.map((r) => r.statusContext),
    },
    "merge handled",
  );
  return outcome;
}

async function reportConflict(
  port: MergePort,
  sha: string,
  tag: string,
  at: string,
): Promise<void> {
  const message = `Tag \`${tag}\` already exists at \`${at.slice(0, 7)}\`, not at this merge (\`${sha.slice(0, 7)}\`). monobot does not move tags: bump the VERSION again in a new pull request, or delete the old tag if it was made by mistake.`;
  await port.setStatus(sha, {
    context: RELEASE_CONTEXT,
    state: "failure",
    description: statusDescription(`tag ${tag} exists at ${at.slice(0, 7)}; not moved`),
  });
  for (const pr of await port.pullRequestsOfCommit(sha)) await port.createComment(pr, message);
}
