// CI for a pull request: start the affected components' `pull_request` jobs, or re-use earlier results.
import { shortSha } from "../core/sha.js";
import { statusDescription, type BackendDeps, type GitHubRequester } from "../ci/backend.js";
import type { CiRequest } from "../core/commands.js";
import { changeFingerprint } from "../core/fingerprint.js";
import { changedPathsOf, planJobs, type PlannedRun, type SkippedRun } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import type { Component, ComponentsReport, ChangeSnapshot } from "../core/types.js";
import type { CiState } from "../core/pr-state.js";
import type { Log } from "../log.js";
import type { CommitStatus, StatusPort } from "../forge/port.js";
import { startRun } from "./start-run.js";

/** What asked for CI: a push (or open), or a command (the command table's outcomes use it). */
export type { CiRequest };

export type { CiState } from "../core/pr-state.js";

export interface CiPort extends StatusPort {
  requester(): GitHubRequester;
}

/** Runs started, so a run that never reports back can be marked as timed out. */
export interface RunTracker {
  track(run: PlannedRun): void;
}

export interface PullRequestCiInput {
  port: CiPort;
  policy: Policy;
  repo: { owner: string; name: string; defaultBranch: string };
  pr: { number: number; headSha: string; headRef: string };
  snapshot: Pick<ChangeSnapshot, "files" | "truncated">;
  components: ComponentsReport;
  /** VERSION at the head, by component, for `{version}`. */
  versions?: Record<string, string>;
  request: CiRequest;
  previous: CiState | null;
  backend: Omit<BackendDeps, "github" | "owner" | "repo">;
  tracker?: RunTracker;
  log: Log;
}

export interface CiOutcome {
  /** Markdown lines for the summary comment. */
  lines: string[];
  /** State to remember; null when the change could not be fingerprinted. */
  state: CiState | null;
  started: PlannedRun[];
  failed: { run: PlannedRun; message: string }[];
  copied: string[];
  skipped: SkippedRun[];
}

/** Components whose change calls for CI: own files changed (not only ignored ones), or a dependency's. */
export function ciComponents(report: ComponentsReport): Component[] {
  return report.affected.filter((a) => a.ownChange || a.via).map((a) => a.component);
}

const FINISHED: ReadonlySet<CommitStatus["state"]> = new Set(["success", "failure", "error"]);

// Long (about 120 lines): the trivial-rebase reuse and the job starts share their state; not
// split in this change (it changed no behaviour and moved no code here).
export async function runPullRequestCi(input: PullRequestCiInput): Promise<CiOutcome> {
  const { port, policy, pr, request, log } = input;
  const fingerprint = input.snapshot.truncated ? null : changeFingerprint(input.snapshot.files);
  const state = fingerprint ? { sha: pr.headSha, fingerprint } : null;
  const components = ciComponents(input.components);
  const only =
    request.kind === "components"
      ? { components: request.components }
      : request.kind === "job"
        ? {
            job: request.job,
            ...(request.components.length ? { components: request.components } : {}),
          }
        : undefined;
  const plan = planJobs({
    policy,
    trigger: "pull_request",
    components,
    context: {
      owner: input.repo.owner,
      repo: input.repo.name,
      sha: pr.headSha,
      ref: pr.headRef,
      defaultBranch: input.repo.defaultBranch,
      pr: pr.number,
      ...(input.versions ? { versions: input.versions } : {}),
    },
    changedPaths: changedPathsOf(input.snapshot.files),
    ...(only ? { only } : {}),
  });
  const outcome: CiOutcome = {
    lines: [],
    state,
    started: [],
    failed: [],
    copied: [],
    skipped: plan.skipped,
  };
  if (request.kind === "components" || request.kind === "job") {
    const known = new Set(components.map((c) => c.name));
    for (const name of request.components) {
      if (!known.has(name))
        outcome.lines.push(
          `\`${name}\` is not a component this change affects: nothing started for it.`,
        );
    }
    if (request.kind === "job" && !(request.job in policy.jobs.templates)) {
      outcome.lines.push(`There is no job named \`${request.job}\`.`);
    }
  }
  let runs = plan.runs;

  const previous = input.previous;
  const trivial =
    request.kind === "push" &&
    previous !== null &&
    state !== null &&
    previous.sha !== pr.headSha &&
    previous.fingerprint === state.fingerprint;
  if (trivial && runs.length > 0) {
    // Gerrit's exclude-trivial-rebase / exclude-no-code-change: same patches, same verdicts.
    const earlier = new Map((await port.statuses(previous.sha)).map((s) => [s.context, s]));
    const rerun: PlannedRun[] = [];
    for (const run of runs) {
      const status = earlier.get(run.statusContext);
      if (status && FINISHED.has(status.state)) {
        await port.setStatus(pr.headSha, {
          context: run.statusContext,
          state: status.state,
          ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
          description: statusDescription(
            `same change as ${shortSha(previous.sha)}: ${status.description ?? status.state}`,
          ),
        });
        outcome.copied.push(run.statusContext);
      } else rerun.push(run);
    }
    outcome.lines.push(
      `This push only rebased the change or reworded commits (same patches as \`${shortSha(previous.sha)}\`): ${outcome.copied.length} CI result${outcome.copied.length === 1 ? "" : "s"} copied, not re-run.`,
    );
    runs = rerun;
  } else if (request.kind === "rerun-failed" && runs.length > 0) {
    const current = new Map((await port.statuses(pr.headSha)).map((s) => [s.context, s]));
    const keep = runs.filter((r) => {
      const s = current.get(r.statusContext);
      return s && (s.state === "success" || s.state === "pending");
    });
    if (keep.length > 0) {
      outcome.lines.push(
        `${keep.length} job${keep.length === 1 ? "" : "s"} passed or still running: not re-run.`,
      );
    }
    runs = runs.filter((r) => !keep.includes(r));
  }

  const deps: BackendDeps = {
    ...input.backend,
    github: port.requester(),
    owner: input.repo.owner,
    repo: input.repo.name,
  };
  for (const run of runs) {
    const started = await startRun(port, pr.headSha, run, deps, {
      ...(input.tracker ? { track: (r) => input.tracker?.track(r) } : {}),
    });
    if (started.ok) outcome.started.push(run);
    else {
      log.warn(
        { job: run.job, component: run.component, err: started.message },
        "CI job did not start",
      );
      outcome.failed.push({ run, message: started.message });
    }
  }
  for (const run of outcome.started) outcome.lines.push(`\`${run.statusContext}\`: started`);
  for (const { run, message } of outcome.failed)
    outcome.lines.push(`\`${run.statusContext}\`: did not start: ${message}`);
  for (const s of plan.skipped)
    outcome.lines.push(`\`ci/${s.component}/${s.job}\`: skipped: ${s.reason}`);
  return outcome;
}
