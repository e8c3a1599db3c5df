// The `monobot` command line: the bot's checks on a local git checkout, and offline config validation.
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { allChecks } from "./core/checks/index.js";
import { configVerdict } from "./core/checks/config.js";
import type { CheckDefinition } from "./core/checks/registry.js";
import {
  formatPolicyErrors,
  resolvePolicy,
  type PolicyResult,
  type PolicySource,
} from "./core/policy.js";
import type { CheckResult } from "./core/types.js";
import { GitError, LocalGit, type OpenedChange } from "./forge/local-git.js";
import { evaluateChange, type Evaluation } from "./workflows/evaluate-change.js";
import { CONFIG_PATH, DEFAULTS_FILE } from "./forge/policy-loader.js";

export const EXIT_PASS = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

const USAGE = `monobot: monorepo checks, the same as the bot runs on pull requests

Usage:
  monobot check --repo PATH --base REF --head REF [--format text|json] [--config FILE]
      Run every check on the change from BASE to HEAD of the git checkout at PATH
      (compared from their merge base, as GitHub compares a pull request).
      --config FILE evaluates with that policy instead of the repository's own
      ${CONFIG_PATH} at HEAD.
  monobot config validate [FILE]
      Validate a policy file (default: ${CONFIG_PATH}) merged over the shipped defaults.
  monobot envs [--repo PATH] [--format text|json] [--config FILE]
      Print what version of each component every environment of a config repo
      runs, and where it is pinned (\`monobot envs --help\`).
  monobot secrets public-key|seal ...
      Sealed secrets for the config repo (\`monobot secrets --help\`).
  monobot access explain --repo PATH --base REF --head REF [--approved-by LOGIN[@TEAM,...]]...
      Which access rules the change matches and what they need (\`monobot access --help\`).
  monobot --help

Exit status: 0 every check passed, 1 a check failed, 2 usage or configuration error.
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

/** A mistake in how monobot was called: exit 2 with the message and a pointer to --help. */
export class UsageError extends Error {}

export async function runCli(
  argv: string[],
  io: CliIo,
  checks: readonly CheckDefinition[] = allChecks,
): Promise<number> {
  try {
    const [command, sub] = argv;
    if (!command || command === "--help" || command === "-h" || command === "help") {
      io.stdout(USAGE);
      return command ? EXIT_PASS : EXIT_USAGE;
    }
    if (command === "check") return await check(argv.slice(1), io, checks);
    if (command === "config" && sub === "validate") return validate(argv.slice(2), io);
    if (command === "envs") return (await import("./cli/envs.js")).runEnvsCli(argv.slice(1), io);
    // Loaded on demand: libsodium's WebAssembly is only needed here.
    if (command === "secrets")
      return (await import("./cli/secrets.js")).runSecretsCli(argv.slice(1), io);
    if (command === "access")
      return (await import("./cli/access.js")).runAccessCli(argv.slice(1), io);
    throw new UsageError(`unknown command "${argv.slice(0, 2).join(" ")}"`);
  } catch (e) {
    if (e instanceof UsageError || e instanceof GitError || isArgError(e)) {
      io.stderr(`monobot: ${(e as Error).message}\nRun \`monobot --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function isArgError(e: unknown): boolean {
  return (
    typeof e === "object" &&
    e !== null &&
    String((e as { code?: string }).code).startsWith("ERR_PARSE_ARGS")
  );
}

function validate(args: string[], io: CliIo): number {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  if (positionals.length > 1) throw new UsageError("config validate takes one file");
  const file = positionals[0] ?? CONFIG_PATH;
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const result = resolvePolicy([{ file, text }]);
  if (!result.ok) {
    io.stderr(`${formatPolicyErrors(result.errors)}\n`);
    return EXIT_USAGE;
  }
  if (/^_extends\s*:/m.test(text)) {
    io.stdout(
      `note: ${file} uses _extends; the bot merges the extended file, this command does not.\n`,
    );
  }
  io.stdout(`${file}: valid (merged over ${DEFAULTS_FILE})\n`);
  return EXIT_PASS;
}

async function check(
  args: string[],
  io: CliIo,
  checks: readonly CheckDefinition[],
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      repo: { type: "string" },
      base: { type: "string" },
      head: { type: "string" },
      format: { type: "string", default: "text" },
      config: { type: "string" },
    },
  });
  if (!values.base || !values.head) throw new UsageError("check needs --base REF and --head REF");
  if (values.format !== "text" && values.format !== "json") {
    throw new UsageError(`--format must be text or json, got "${values.format}"`);
  }
  const outcome = await checkRepository(
    { repo: values.repo ?? ".", base: values.base, head: values.head, config: values.config },
    io.cwd,
    checks,
  );
  emit(io, values.format, outcome.evaluation, outcome.results);
  return outcome.exitCode;
}

export interface CheckOptions {
  repo: string;
  base: string;
  head: string;
  /** A policy file to use instead of the repository's own at HEAD. */
  config?: string | undefined;
}

/** What `monobot check` found: the evaluation (none when the policy is invalid), verdicts, exit status. */
export interface CheckOutcome {
  evaluation?: Evaluation;
  results: CheckResult[];
  exitCode: number;
}

/**
 * `monobot check` without its output, for the CLI and the GitHub Action. Paths are relative to
 * `cwd`; a bad path or ref throws a UsageError or GitError.
 */
export async function checkRepository(
  options: CheckOptions,
  cwd: string,
  checks: readonly CheckDefinition[] = allChecks,
): Promise<CheckOutcome> {
  const git = new LocalGit(resolve(cwd, options.repo));
  const change = await git.openChange(options.base, options.head);
  try {
    return await checkChange(options, cwd, checks, change);
  } finally {
    change.close();
  }
}

async function checkChange(
  options: CheckOptions,
  cwd: string,
  checks: readonly CheckDefinition[],
  { root, baseSha, headSha, reader }: OpenedChange,
): Promise<CheckOutcome> {
  let source: PolicySource | undefined;
  if (options.config) {
    try {
      source = { file: options.config, text: readFileSync(resolve(cwd, options.config), "utf8") };
    } catch (e) {
      throw new UsageError(
        `cannot read ${options.config}: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
  } else {
    const text = (await reader.readFiles([{ sha: headSha, path: CONFIG_PATH }])).get(
      `${headSha}:${CONFIG_PATH}`,
    );
    if (typeof text === "string") source = { file: CONFIG_PATH, text };
  }
  const policy: PolicyResult = resolvePolicy(source ? [source] : []);
  const files = [DEFAULTS_FILE, ...(source ? [source.file] : [])];
  const repoFile = source?.file ?? CONFIG_PATH;
  if (!policy.ok) {
    const verdict = configVerdict({ files, errors: policy.errors, componentErrors: [], repoFile });
    return { results: [verdict], exitCode: EXIT_USAGE };
  }
  const evaluation = await evaluateChange({
    reader,
    policy: policy.policy,
    checks,
    repo: { owner: "local", name: basename(root), defaultBranch: options.base },
    base: { ref: options.base, sha: baseSha },
    head: { ref: options.head, sha: headSha },
    allVersions: true,
  });
  const config = configVerdict({
    files,
    errors: [],
    componentErrors: evaluation.components.errors,
    repoFile,
  });
  if (config.conclusion === "failure") {
    return { evaluation, results: [config], exitCode: EXIT_USAGE };
  }
  const results = [config, ...evaluation.results];
  return {
    evaluation,
    results,
    exitCode: results.some((r) => isFailing(r)) ? EXIT_FAILED : EXIT_PASS,
  };
}

export function isFailing(r: CheckResult): boolean {
  return (
    r.conclusion === "failure" || r.conclusion === "timed_out" || r.conclusion === "action_required"
  );
}

/** The JSON contract of DESIGN.md: components with versions, checks with annotations. */
export function toJson(evaluation: Evaluation | undefined, results: CheckResult[]) {
  const affected = new Set(evaluation?.components.affected.map((a) => a.component.name));
  return {
    components: (evaluation?.components.components ?? []).map((c) => ({
      name: c.name,
      path: c.path,
      affected: affected.has(c.name),
      version: evaluation?.versions.get(c.name) ?? { base: null, head: null },
    })),
    outside: evaluation?.components.outside ?? [],
    checks: results.map((r) => ({
      name: r.name,
      conclusion: r.conclusion,
      title: r.title,
      summary: r.summary,
      annotations: r.annotations.map((a) => ({
        path: a.path,
        start_line: a.start_line,
        end_line: a.end_line,
        level: a.level,
        message: a.message,
      })),
    })),
  };
}

function emit(
  io: CliIo,
  format: string,
  evaluation: Evaluation | undefined,
  results: CheckResult[],
): void {
  if (format === "json") {
    io.stdout(`${JSON.stringify(toJson(evaluation, results), null, 2)}\n`);
    return;
  }
  io.stdout(renderText(evaluation, results));
}

/** The text report: affected components with their versions, then one line per check. */
export function renderText(evaluation: Evaluation | undefined, results: CheckResult[]): string {
  const out: string[] = [];
  if (evaluation) {
    const { affected, outside } = evaluation.components;
    out.push(
      `Components: ${evaluation.components.components.length}, affected: ${affected.length}`,
    );
    for (const a of affected) {
      const v = evaluation.versions.get(a.component.name);
      const version = v ? ` ${v.base ?? "(new)"} -> ${v.head ?? "(removed)"}` : "";
      const why = a.via ? ` (depends on ${a.via.join(" -> ")})` : ` (${a.files.length} files)`;
      out.push(`  ${a.component.name}  ${a.component.path || "."}${version}${why}`);
    }
    if (outside.length > 0) out.push(`Outside every component: ${outside.length} files`);
    out.push("");
  }
  for (const r of results) {
    out.push(`${r.conclusion.toUpperCase().padEnd(8)} ${r.name}: ${r.title}`);
    if (isFailing(r) && r.annotations.length === 0) {
      for (const line of r.summary.split("\n")) if (line.trim()) out.push(`  ${line}`);
    }
    for (const a of r.annotations) {
      out.push(`  ${a.level.padEnd(7)} ${a.path}:${a.start_line}: ${a.message}`);
    }
  }
  return `${out.join("\n")}\n`;
}
