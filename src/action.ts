// The GitHub Action: `monobot check` on a pull request's base and head, reported as the job summary
// (the tables of the PR summary comment) and as workflow annotations, for teams without the App.
import { appendFileSync, readFileSync } from "node:fs";
import {
  EXIT_USAGE,
  UsageError,
  checkRepository,
  isFailing,
  renderText,
  type CheckOutcome,
} from "./cli.js";
import type { CheckDefinition } from "./core/checks/registry.js";
import { fitSummary } from "./core/checks/annotations.js";
import { allChecks } from "./core/checks/index.js";
import { renderSummary } from "./core/summary.js";
import type { Annotation, CheckResult } from "./core/types.js";
import { GitError } from "./forge/local-git.js";

export interface ActionIo {
  /** The step's log, where workflow commands (`::error ...::`) are read. */
  stdout: (text: string) => void;
  cwd: string;
}

/** The change to check, and where it came from (said in errors and the summary). */
export interface ActionRange {
  base: string;
  head: string;
  from: string;
}

const NO_COMMIT = /^0+$/;

/**
 * Base and head from the `base`/`head` inputs, else from the event: a pull request's (or a merge
 * queue group's) base and head SHAs, or a push's before and after.
 */
export function rangeFromEvent(
  eventName: string | undefined,
  event: unknown,
  inputs: { base?: string | undefined; head?: string | undefined },
): ActionRange {
  const e = (event ?? {}) as {
    pull_request?: { base?: { sha?: unknown }; head?: { sha?: unknown } };
    merge_group?: { base_sha?: unknown; head_sha?: unknown };
    before?: unknown;
    after?: unknown;
  };
  const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  let from = `the ${eventName ?? "unknown"} event`;
  let base = text(e.pull_request?.base?.sha) ?? text(e.merge_group?.base_sha);
  let head = text(e.pull_request?.head?.sha) ?? text(e.merge_group?.head_sha);
  if (!base && !head && eventName === "push") {
    base = text(e.before);
    head = text(e.after);
    if (base && NO_COMMIT.test(base)) base = undefined;
  }
  if (inputs.base || inputs.head) from = "the base and head inputs";
  base = inputs.base || base;
  head = inputs.head || head;
  if (!base || !head) {
    throw new UsageError(
      `no ${base ? "head" : "base"} commit in ${from}: run the action on pull_request (or merge_group) events, or set its base and head inputs`,
    );
  }
  return { base, head, from };
}

/** Escapes the message of a workflow command (GitHub's rules: `%`, CR and LF). */
export function escapeData(text: string): string {
  return text.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escapes a property of a workflow command: as data, and `:` and `,` too. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

const ANNOTATION_CHARS = 4_000;

const COMMAND: Record<Annotation["level"], string> = {
  failure: "error",
  warning: "warning",
  notice: "notice",
};

/** One `::error file=...,line=...::message` line per annotation, and one per failing check without any. */
export function annotationCommands(results: readonly CheckResult[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    for (const a of r.annotations) {
      const props = [
        `file=${escapeProperty(a.path)}`,
        `line=${a.start_line}`,
        `endLine=${a.end_line}`,
        `title=${escapeProperty(a.title ? `${r.name}: ${a.title}` : r.name)}`,
      ];
      lines.push(`::${COMMAND[a.level]} ${props.join(",")}::${escapeData(a.message)}`);
    }
    if (isFailing(r) && r.annotations.length === 0) {
      // The whole summary is in the job summary; an annotation keeps its first lines.
      const message = `${r.title}\n${r.summary}`.slice(0, ANNOTATION_CHARS);
      lines.push(`::error title=${escapeProperty(r.name)}::${escapeData(message)}`);
    }
  }
  return lines;
}

/** The job summary: the PR summary comment's tables, then the details of every check that did not pass. */
export function jobSummary(outcome: CheckOutcome, headSha: string): string {
  const details = outcome.results
    .filter((r) => r.conclusion !== "success" && r.conclusion !== "skipped")
    .map(
      (r) =>
        `<details><summary><code>${r.name}</code>: ${escapeHtml(r.title)}</summary>\n\n${fitSummary(r.summary)}\n\n</details>`,
    );
  const body = renderSummary({
    headSha,
    ...(outcome.evaluation
      ? { components: outcome.evaluation.components, versions: outcome.evaluation.versions }
      : {}),
    results: outcome.results,
    skipped: [],
    sections: details,
  });
  // The comment's footer points at PR commands, which no bot answers in an Action run.
  const lines = body.split("\n");
  if (/^<sub>.*\/help/.test(lines[lines.length - 1] ?? "")) lines.pop();
  return `${lines.join("\n").trimEnd()}\n`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Runs the Action with the environment GitHub gives a step (`GITHUB_EVENT_PATH`,
 * `GITHUB_STEP_SUMMARY`, `GITHUB_WORKSPACE`, inputs as `INPUT_*`). Returns the exit status:
 * 0 every check passed, 1 a check failed, 2 the action or the policy is misconfigured.
 */
export async function runAction(
  env: Readonly<Record<string, string | undefined>>,
  io: ActionIo,
  checks: readonly CheckDefinition[] = allChecks,
): Promise<number> {
  let outcome: CheckOutcome;
  let range: ActionRange;
  try {
    range = rangeFromEvent(env.GITHUB_EVENT_NAME, readEvent(env.GITHUB_EVENT_PATH), {
      base: env.INPUT_BASE,
      head: env.INPUT_HEAD,
    });
    outcome = await checkRepository(
      {
        repo: env.INPUT_PATH || env.GITHUB_WORKSPACE || ".",
        base: range.base,
        head: range.head,
        config: env.INPUT_CONFIG || undefined,
      },
      io.cwd,
      checks,
    );
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof GitError)) throw e;
    const hint = /unknown git ref/.test(e.message)
      ? " (check out with `fetch-depth: 0` so that both commits are in the clone)"
      : "";
    io.stdout(`::error title=monobot::${escapeData(`monobot: ${e.message}${hint}`)}\n`);
    return EXIT_USAGE;
  }
  io.stdout(renderText(outcome.evaluation, outcome.results));
  for (const line of annotationCommands(outcome.results)) io.stdout(`${line}\n`);
  if (env.GITHUB_STEP_SUMMARY) {
    appendFileSync(
      env.GITHUB_STEP_SUMMARY,
      jobSummary(outcome, outcome.evaluation?.snapshot.head.sha ?? range.head),
    );
  }
  return outcome.exitCode;
}

function readEvent(path: string | undefined): unknown {
  if (!path) return undefined;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (e) {
    throw new UsageError(`cannot read the event payload ${path}: ${(e as Error).message}`);
  }
}
