// A push to the default branch: postmerge jobs, release tags for new release VERSIONs, release jobs.
import { shortSha } from "../core/sha.js";
import { statusDescription, type BackendDeps } from "../ci/backend.js";
import { changedChartFiles, chartReleases, chartReleaseTag } from "../core/chart-release.js";
import { componentReport } from "../core/components.js";
import { jobTriggers, type JobTrigger } from "../core/job-templates.js";
import {
  changedPathsOf,
  hasPublishJob,
  planJobs,
  type ChartRelease,
  type PlannedRun,
} from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import type { ChangedFile, Component } from "../core/types.js";
import { releasedVersion, releaseTag } from "../core/versions.js";
import type { Log } from "../log.js";
import { fileAtKey, type CommitStatus } from "../forge/port.js";
import { deployReleased } from "./deploy-jobs.js";
import { eventInstallation, type JobContext, type RepoRef } from "./job-context.js";
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
  /** Charts whose version went up (chart_release jobs ran for them, or were refused). */
  charts: ChartRelease[];
  /**
   * Components released by this merge that have no publish job: their release tag is what
   * deploys them (the caller opens their deploy pull requests).
   */
  deployable: { component: string; version: string; tag: string }[];
}

/** The status a failed release reports on the merge commit. */
export const RELEASE_CONTEXT = "monobot/release";

const NO_COMMIT = /^0+$/;

// Long (about 140 lines): tags, charts and jobs of one merge in the order they must be written;
// not split in this change (it changed no behaviour and moved no code here).
export async function onMerge(input: MergeInput): Promise<MergeOutcome> {
  const { port, policy, repo, before, after, log } = input;
  const outcome: MergeOutcome = {
    affected: [],
    tags: [],
    started: [],
    failed: [],
    alreadyStarted: [],
    charts: [],
    deployable: [],
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

  // VERSION at both ends, for every component the push changed, and the changed Chart.yaml
  // files when a job publishes charts (one batched read).
  const touched = report.affected.map((a) => a.component);
  const chartJobs = Object.values(policy.jobs.templates).some((t) =>
    jobTriggers(t).includes("chart_release"),
  );
  const chartFiles = chartJobs ? changedChartFiles(files) : [];
  const read = await port.readFiles([
    ...touched.flatMap((c) => [
      { sha: before, path: c.versionFile },
      { sha: after, path: c.versionFile },
    ]),
    ...chartFiles.flatMap((path) => [
      { sha: before, path },
      { sha: after, path },
    ]),
  ]);
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
  const changedPaths = changedPathsOf(files);
  const start = async (
    trigger: JobTrigger,
    components: Component[],
    charts: readonly ChartRelease[] = [],
  ) => {
    const plan = planJobs({ policy, trigger, components, context, changedPaths, charts });
    for (const s of plan.skipped)
      log.info({ job: s.job, component: s.component, reason: s.reason }, "job skipped");
    for (const run of plan.runs) {
      // A status for this job on this commit means a delivery already started it.
      if (seen.has(run.statusContext)) {
        outcome.alreadyStarted.push(run.statusContext);
        continue;
      }
      seen.add(run.statusContext);
      if (run.chart && !(await chartUnpublished(port, after, run, run.chart, outcome))) continue;
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
  for (const c of released) {
    if (hasPublishJob(policy, c)) continue;
    const tag = outcome.tags.find((t) => t.component === c.name);
    if (tag) outcome.deployable.push({ component: c.name, version: tag.version, tag: tag.tag });
  }

  outcome.charts = chartReleases(
    chartFiles,
    (path) => read.get(fileAtKey({ sha: before, path })),
    (path) => read.get(fileAtKey({ sha: after, path })),
  );
  if (outcome.charts.length > 0) await start("chart_release", [], outcome.charts);
  log.info(
    {
      affected: outcome.affected.length,
      tags: outcome.tags.map((t) => `${t.tag}=${t.result}`),
      charts: outcome.charts.map((c) => `${c.name}-${c.version}`),
      started: outcome.started.map((r) => r.statusContext),
    },
    "merge handled",
  );
  return outcome;
}

/**
 * Whether a chart_release run may start: its chart version is not published yet (no tag
 * `{chart_name}-{chart_version}`). A tag at this very merge means the publish ran already (a
 * redelivery after it finished); a tag elsewhere is the user's error, reported as the run's
 * failed status, and nothing is dispatched.
 */
async function chartUnpublished(
  port: MergePort,
  sha: string,
  run: PlannedRun,
  chart: ChartRelease,
  outcome: MergeOutcome,
): Promise<boolean> {
  const tag = chartReleaseTag(chart.name, chart.version);
  const at = await port.tagCommit(tag);
  if (at === null) return true;
  if (at === sha) {
    outcome.alreadyStarted.push(run.statusContext);
    return false;
  }
  const message = `chart ${chart.name} ${chart.version} is published already (tag ${tag} at ${shortSha(at)}): raise version in ${chart.folder === "" ? "" : `${chart.folder}/`}Chart.yaml`;
  await port.setStatus(sha, {
    context: run.statusContext,
    state: "failure",
    description: statusDescription(message),
  });
  outcome.failed.push({ run, message });
  return false;
}

async function reportConflict(
  port: MergePort,
  sha: string,
  tag: string,
  at: string,
): Promise<void> {
  const message = `Tag \`${tag}\` already exists at \`${shortSha(at)}\`, not at this merge (\`${shortSha(sha)}\`). monobot does not move tags: bump the VERSION again in a new pull request, or delete the old tag if it was made by mistake.`;
  await port.setStatus(sha, {
    context: RELEASE_CONTEXT,
    state: "failure",
    description: statusDescription(`tag ${tag} exists at ${shortSha(at)}; not moved`),
  });
  for (const pr of await port.pullRequestsOfCommit(sha)) await port.createComment(pr, message);
}

/** A push to the default branch, as its job carries it. */
export interface MergeSpec {
  repo: RepoRef;
  before: string;
  after: string;
}

/**
 * Runs a merge job: the default branch's new policy, then postmerge jobs, release tags and
 * release jobs; components released without a publish job are deployed by their release tag.
 */
export async function runMergeJob(spec: MergeSpec, context: JobContext): Promise<void> {
  const { repo } = spec;
  const { services } = context;
  const installationId = eventInstallation(context);
  const log = context.log.child({ repo: `${repo.owner}/${repo.name}` });
  const port = await services.clients.forRepo(repo.owner, repo.name, installationId);
  const loaded = await port.loadPolicy(spec.after);
  if (!loaded.result.ok) {
    log.warn(
      { errors: loaded.result.errors.length },
      "merge ignored: the configuration is invalid",
    );
    return;
  }
  const outcome = await onMerge({
    port,
    policy: loaded.result.policy,
    repo,
    before: spec.before,
    after: spec.after,
    backend: services.backend,
    tracker: services.timeouts.forInstallation(installationId),
    log,
  });
  // Components without a publish job are deployed by their release tag.
  await deployReleased(
    outcome.deployable,
    {
      policy: loaded.result.policy,
      repo: { owner: repo.owner, name: repo.name },
      sha: spec.after,
    },
    context,
    installationId,
  );
}
