// Replays monobot/versions over a repository's first-parent history: one `monobot check` per commit.
//
//   npm run build
//   npx tsx scripts/replay-history.ts --repo /tmp/checkout [--count 150] [--config monobot.yml]
//     [--cli bin/monobot.js] [--json out.json] [--quiet] [--path FOLDER ...]
//
// Each first-parent commit C (with a parent) is checked as `--base C^ --head C`, the way a pull
// request that landed as C would have been. `--path` (repeatable) keeps only the commits that
// changed something under those paths, to replay the commits a given file decided. Prints every
// failing commit with its failure annotations, then "failures / commits". The checkout is only read.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

interface Annotation {
  path: string;
  start_line: number;
  level: string;
  message: string;
}

interface CheckOut {
  name: string;
  conclusion: string;
  title?: string;
  annotations: Annotation[];
}

export interface CommitVerdict {
  sha: string;
  subject: string;
  conclusion: string;
  failures: Annotation[];
  notices: Annotation[];
  /** Set when the CLI could not run (exit 2 or no JSON). */
  error?: string;
}

interface Options {
  repo: string;
  count: number;
  config?: string;
  cli: string;
  json?: string;
  quiet: boolean;
  paths: string[];
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: tsx scripts/replay-history.ts --repo PATH [--count N] [--config FILE] [--cli bin/monobot.js] [--json FILE] [--quiet] [--path PATH ...]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const here = dirname(fileURLToPath(import.meta.url));
  const opts: Options = {
    repo: "",
    count: 150,
    cli: join(here, "..", "bin", "monobot.js"),
    quiet: false,
    paths: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) usage(`${arg} needs a value`);
      return v;
    };
    if (arg === "--repo") opts.repo = resolve(value());
    else if (arg === "--count") {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 5000)
        usage("--count must be a whole number from 1 to 5000");
      opts.count = n;
    } else if (arg === "--config") opts.config = resolve(value());
    else if (arg === "--cli") opts.cli = resolve(value());
    else if (arg === "--json") opts.json = resolve(value());
    else if (arg === "--quiet") opts.quiet = true;
    else if (arg === "--path") opts.paths.push(value());
    else usage(`unknown argument ${String(arg)}`);
  }
  if (opts.repo === "") usage("--repo is required");
  return opts;
}

function git(repo: string, args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/** One commit's monobot/versions verdict, from the CLI's JSON output. */
export function verdictOf(
  sha: string,
  subject: string,
  stdout: string,
  code: number,
): CommitVerdict {
  if (code === 2)
    return { sha, subject, conclusion: "error", failures: [], notices: [], error: stdout.trim() };
  let parsed: { checks?: CheckOut[] };
  try {
    parsed = JSON.parse(stdout) as { checks?: CheckOut[] };
  } catch {
    return {
      sha,
      subject,
      conclusion: "error",
      failures: [],
      notices: [],
      error: "no JSON output",
    };
  }
  const versions = parsed.checks?.find((c) => c.name === "monobot/versions");
  if (!versions) return { sha, subject, conclusion: "absent", failures: [], notices: [] };
  return {
    sha,
    subject,
    conclusion: versions.conclusion,
    failures: versions.annotations.filter((a) => a.level === "failure"),
    notices: versions.annotations.filter((a) => a.level !== "failure"),
  };
}

function checkCommit(opts: Options, sha: string, subject: string): CommitVerdict {
  const args = [
    opts.cli,
    "check",
    "--repo",
    opts.repo,
    "--base",
    `${sha}^`,
    "--head",
    sha,
    "--format",
    "json",
  ];
  if (opts.config) args.push("--config", opts.config);
  try {
    const stdout = execFileSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 120_000,
      maxBuffer: 64 << 20,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return verdictOf(sha, subject, stdout, 0);
  } catch (error) {
    const e = error as {
      status?: number | null;
      stdout?: string;
      stderr?: string;
      message: string;
    };
    if (e.status === 1 || e.status === 2) {
      return verdictOf(
        sha,
        subject,
        e.status === 2 ? `${e.stderr ?? ""}${e.stdout ?? ""}` : (e.stdout ?? ""),
        e.status,
      );
    }
    return {
      sha,
      subject,
      conclusion: "error",
      failures: [],
      notices: [],
      error: e.message.split("\n")[0] ?? "",
    };
  }
}

function main(): void {
  const opts = parseArgs(process.argv.slice(2));
  const lines = git(opts.repo, [
    "log",
    "--first-parent",
    `-${opts.count}`,
    "--format=%H%x09%P%x09%s",
    "HEAD",
    ...(opts.paths.length > 0 ? ["--", ...opts.paths] : []),
  ])
    .split("\n")
    .filter(Boolean);
  const verdicts: CommitVerdict[] = [];
  for (const line of lines) {
    const [sha = "", parents = "", subject = ""] = line.split("\t");
    if (parents.trim() === "") continue; // the root commit has no base
    const v = checkCommit(opts, sha, subject);
    verdicts.push(v);
    if (opts.quiet || (v.conclusion !== "failure" && v.conclusion !== "error")) continue;
    process.stdout.write(`\n${sha.slice(0, 10)} ${subject}\n`);
    if (v.error) process.stdout.write(`  error: ${v.error}\n`);
    for (const a of v.failures) {
      process.stdout.write(`  ${a.path}:${a.start_line} ${a.message.replace(/\n\n/g, "\n    ")}\n`);
    }
  }
  const failed = verdicts.filter((v) => v.conclusion === "failure").length;
  const errors = verdicts.filter((v) => v.conclusion === "error").length;
  const noticed = verdicts.filter((v) => v.notices.some((n) => n.level === "notice")).length;
  process.stdout.write(
    `\n${opts.repo}: monobot/versions failed on ${failed} / ${verdicts.length} commits` +
      `${errors ? `, ${errors} could not be checked` : ""}; ${noticed} with notices\n`,
  );
  if (opts.json) writeFileSync(opts.json, `${JSON.stringify(verdicts, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
