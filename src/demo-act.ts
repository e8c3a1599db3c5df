// What the demo's acts share: the sandbox and server they play against, how a step waits and
// fails, and how GitHub's text is shown in a terminal.
import type { Sandbox } from "./sandbox/driver.js";

/** What the first act leaves for the next ones. */
export interface Act {
  sandbox: Sandbox;
  /** The server under test: its address and its log lines so far. */
  server: { url: string; logs(): Record<string, unknown>[] };
  print: (text: string) => void;
  /** Waits until every job the last delivery caused has run; throws naming the step otherwise. */
  settle: (step: string) => Promise<void>;
  /** Polls `probe` until it gives a value; throws naming the step and `what` after a timeout. */
  waitFor: <T>(step: string, what: string, probe: () => T | undefined | false) => Promise<T>;
  fail: (step: string, message: string) => Error;
  expectAll: (step: string, checks: Array<[boolean, string]>) => void;
  repo: string;
  configRepo: string;
  pr: { number: number; headSha: string };
  /** The value the operator seals: never printed, compared only. */
  secretValue: string;
}

/** The fields of a check run the demo reads (the driver returns the REST shape as plain records). */
export interface CheckRunView {
  id: number;
  name: string;
  conclusion: string | null;
  external_id?: string | null;
  output: { title?: string | null; summary?: string | null };
}

/** Check runs on a commit, newest first. */
export function checkRunsOf(sandbox: Sandbox, repo: string, sha: string): CheckRunView[] {
  return (sandbox.checkRuns(repo, sha) as unknown as CheckRunView[]).sort((a, b) => b.id - a.id);
}

/** The newest check run of that name: the one the Checks tab shows. */
export function latestRun(
  sandbox: Sandbox,
  repo: string,
  sha: string,
  name: string,
): CheckRunView | undefined {
  return checkRunsOf(sandbox, repo, sha).find((r) => r.name === name);
}

/** One line per check run. */
export function checkLines(runs: CheckRunView[]): string[] {
  const width = Math.max(0, ...runs.map((r) => r.name.length));
  return runs.map(
    (r) =>
      `    ${r.conclusion === "success" ? "✔" : r.conclusion === "failure" ? "✘" : "○"} ${r.name.padEnd(width)}  ${(r.conclusion ?? "pending").padEnd(7)}  ${r.output.title ?? ""}`,
  );
}

export function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => `${prefix}${l}`.trimEnd())
    .join("\n");
}

/** Text as GitHub renders it: hidden HTML comments left out, long bodies cut for the terminal. */
export function shown(body: string, maxLines = 40): string {
  const lines = body.split("\n").filter((l) => !/^\s*<!--.*-->\s*$/.test(l));
  const cut = lines.length > maxLines ? [...lines.slice(0, maxLines), "…"] : lines;
  return cut.join("\n").trim();
}

/** The diff lines of a pull request's files, for the terminal. */
export function diffLines(files: { filename: string; patch?: string }[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    out.push(`    ${f.filename}`);
    for (const line of (f.patch ?? "").split("\n").filter((l) => /^[-+][^-+]/.test(l)))
      out.push(`      ${line}`);
  }
  return out;
}
