// The one table of PR comment commands, read by the comment parser, `/help` and the README.
import { PatternError } from "./pattern.js";
import { compilePattern, type Policy } from "./policy.js";
import type { Approval } from "./pr-state.js";

export type CommandName =
  | "recheck"
  | "retest"
  | "test"
  | "ok-to-test"
  | "bump"
  | "sync-secrets"
  | "deploy-anyway"
  | "promote"
  | "rollback"
  | "hold"
  | "unhold"
  | "help";

/**
 * Who may use a command; trust itself is decided in trust.ts. `admin`: the repository permission
 * `admin`, asked of the permission API every time (no association is enough).
 */
export type CommandWho = "trusted" | "author-or-trusted" | "admin" | "anyone";

/** The longest reason `/deploy-anyway` takes (it is shown in the check and kept in the PR state). */
export const DEPLOY_ANYWAY_REASON_MAX = 300;

/**
 * How a command is recognised. `body`: the whole trimmed comment (quotes and code removed) must
 * match the policy regex at `key`, as Gerrit's and JJB's comment triggers do. `line`: a line that
 * starts (after up to three spaces) with `/word`, case-insensitively, followed by a space or the
 * end of the line.
 */
export type CommandPattern =
  { scope: "body"; key: "triggers.recheck" } | { scope: "line"; word: string };

export const bumpLevels = ["major", "minor", "patch", "prerelease"] as const;
export type BumpLevel = (typeof bumpLevels)[number];

export function isBumpLevel(value: string): value is BumpLevel {
  return (bumpLevels as readonly string[]).includes(value);
}

/** The shipped default of `triggers.recheck`, shown where no policy is at hand (the README). */
export const DEFAULT_RECHECK_PATTERN = "(?i)^.*recheck$";

type ArgsResult = { ok: true; args: string[] } | { ok: false; problem: string };

/** What CI a command (or a pull request event) asks for. */
export type CiRequest =
  | { kind: "push" }
  | { kind: "rerun-failed" }
  | { kind: "components"; components: string[] }
  | { kind: "job"; job: string; components: string[] };

/** What a permitted command asks monobot to do; the comment workflow does it. */
export interface CommandOutcome {
  reply?: string;
  /** Verify the pull request again and run this CI. */
  ci?: CiRequest;
  /** `/ok-to-test`: CI may run the author's code at this head. */
  approval?: Approval;
  bump?: { level: BumpLevel; names: string[] };
  /** `/deploy-anyway`'s reason. */
  deployAnyway?: string;
  /** `/promote`, `/rollback`, `/hold`, `/unhold`: what to do to which environment. */
  environment?: EnvironmentAction;
}

/** A command that acts on one environment of the config repo for one component. */
export type EnvironmentAction =
  | { kind: "promote"; component: string; environment: string }
  | { kind: "rollback"; component: string; environment: string; version?: string }
  | { kind: "hold"; component: string; environment: string; reason: string }
  | { kind: "unhold"; component: string; environment: string };

/** The longest reason `/hold` takes (it is kept in the hold's deployment record). */
export const HOLD_REASON_MAX = 300;

/** `COMPONENT ENVIRONMENT` and what follows, checked. */
function componentAndEnvironment(args: string[], rest: "none" | "version" | "reason"): ArgsResult {
  const [component, environment, ...more] = args;
  if (component === undefined || environment === undefined) {
    return { ok: false, problem: "name the component and the environment, e.g. `web production`" };
  }
  const names = checkNames([component, environment], "component or environment");
  if (!names.ok) return names;
  if (rest === "none" && more.length > 0) {
    return { ok: false, problem: "it takes a component and an environment, nothing more" };
  }
  if (rest === "version") {
    if (more.length > 1) return { ok: false, problem: "it takes at most one version" };
    const version = more[0];
    if (version !== undefined && !/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,127}$/.test(version)) {
      return { ok: false, problem: `${code(version)} is not a version` };
    }
    return { ok: true, args: [component, environment, ...(version ? [version] : [])] };
  }
  if (rest === "reason") {
    const reason = more.join(" ");
    if (reason.length > HOLD_REASON_MAX) {
      return {
        ok: false,
        problem: `the reason is ${reason.length} characters long; keep it to ${HOLD_REASON_MAX}`,
      };
    }
    return { ok: true, args: [component, environment, ...(reason ? [reason] : [])] };
  }
  return { ok: true, args: [component, environment] };
}

/** What a command's outcome is decided from (read before anything is decided). */
export interface CommandFacts {
  policy: Pick<Policy, "jobs" | "triggers">;
  pr: { headSha: string };
  /** The commenter's login. */
  user: string;
}

export interface CommandSpec {
  name: CommandName;
  /** How to write it, e.g. `/retest [component...]`. */
  usage: string;
  pattern: CommandPattern;
  who: CommandWho;
  description: string;
  examples: string[];
  /** Checks and normalises the words after the command; a problem says what is wrong. */
  parseArgs(args: string[]): ArgsResult;
  /**
   * The job that answers it: `comment` (the pull request comment's job, which runs
   * {@link CommandSpec.outcome}), or `secrets-sync` (its own job, on issues too, in line with the
   * pushes of the secrets file).
   */
  answeredBy: "comment" | "secrets-sync";
  /** What the command does, for a commenter allowed to use it. Pure. */
  outcome(command: ParsedCommand, facts: CommandFacts): CommandOutcome;
}

export interface ParsedCommand {
  name: CommandName;
  /**
   * For `bump`, `args[0]` is a validated {@link BumpLevel} in lower case; for `deploy-anyway`,
   * `args[0]` is the whole reason (its words joined by single spaces).
   */
  args: string[];
  /** 1-based line of the comment where the command starts. */
  line: number;
  /** The command as written (trimmed). */
  raw: string;
}

// Component and job names are folder names and policy keys: keep them to a safe, plain shape.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function checkNames(words: string[], what: string): ArgsResult {
  const bad = words.find((w) => !NAME.test(w));
  if (bad !== undefined) {
    return {
      ok: false,
      problem: `${code(bad)} is not a ${what} name (letters, digits, ".", "_" and "-")`,
    };
  }
  return { ok: true, args: [...new Set(words)] };
}

function noArgs(args: string[]): ArgsResult {
  return args.length === 0
    ? { ok: true, args: [] }
    : { ok: false, problem: "it takes no arguments" };
}

export const commandTable: readonly CommandSpec[] = [
  {
    name: "recheck",
    usage: "recheck",
    pattern: { scope: "body", key: "triggers.recheck" },
    who: "trusted",
    description:
      "Re-runs monobot's checks and the CI jobs that failed or never ran on the pull request's current commit.",
    examples: ["recheck", "please recheck"],
    parseArgs: () => ({ ok: true, args: [] }),
    answeredBy: "comment",
    outcome: () => ({ ci: { kind: "rerun-failed" } }),
  },
  {
    name: "retest",
    usage: "/retest [component...]",
    pattern: { scope: "line", word: "retest" },
    who: "trusted",
    description:
      "Re-runs the CI jobs that failed or never ran; with component names, re-runs all jobs of those components.",
    examples: ["/retest", "/retest roc-api"],
    parseArgs: (args) => checkNames(args, "component"),
    answeredBy: "comment",
    outcome: (command) => ({
      ci:
        command.args.length > 0
          ? { kind: "components", components: command.args }
          : { kind: "rerun-failed" },
    }),
  },
  {
    name: "test",
    usage: "/test job [component...]",
    pattern: { scope: "line", word: "test" },
    who: "trusted",
    description: "Runs one CI job for every affected component, or for the named components only.",
    examples: ["/test integration", "/test verify roc-api"],
    parseArgs: (args) => {
      const [job, ...components] = args;
      if (job === undefined) return { ok: false, problem: "name the job to run" };
      const jobCheck = checkNames([job], "job");
      if (!jobCheck.ok) return jobCheck;
      const rest = checkNames(components, "component");
      return rest.ok ? { ok: true, args: [job, ...rest.args] } : rest;
    },
    answeredBy: "comment",
    outcome: (command, { policy }) => {
      const job = command.args[0] ?? "";
      if (!(job in policy.jobs.templates)) {
        const known = Object.keys(policy.jobs.templates);
        return {
          reply: `there is no job named \`${job}\`${known.length ? `; the jobs are ${known.map((j) => `\`${j}\``).join(", ")}` : "; this repository configures no CI jobs (policy key `jobs.templates`)"}.`,
        };
      }
      return { ci: { kind: "job", job, components: command.args.slice(1) } };
    },
  },
  {
    name: "ok-to-test",
    usage: "/ok-to-test",
    pattern: { scope: "line", word: "ok-to-test" },
    who: "trusted",
    description:
      "Lets CI run on a pull request from an author who is not trusted, for its current head commit only; a new push needs a new `/ok-to-test`.",
    examples: ["/ok-to-test"],
    parseArgs: noArgs,
    answeredBy: "comment",
    outcome: (_command, { pr, user }) => ({
      ci: { kind: "push" },
      approval: { sha: pr.headSha, by: user },
    }),
  },
  {
    name: "bump",
    usage: "/bump major|minor|patch|prerelease [component...]",
    pattern: { scope: "line", word: "bump" },
    who: "author-or-trusted",
    description:
      "Commits the VERSION (and chart) bump to the pull request's branch, for every affected component or the named ones.",
    examples: ["/bump minor", "/bump patch roc-api"],
    parseArgs: (args) => {
      const [first, ...components] = args;
      if (first === undefined) {
        return { ok: false, problem: `name the level: ${bumpLevels.join(", ")}` };
      }
      const level = first.toLowerCase();
      if (!isBumpLevel(level)) {
        return {
          ok: false,
          problem: `${code(first)} is not a level; use one of ${bumpLevels.join(", ")}`,
        };
      }
      const rest = checkNames(components, "component");
      return rest.ok ? { ok: true, args: [level, ...rest.args] } : rest;
    },
    answeredBy: "comment",
    outcome: (command) => ({
      bump: { level: command.args[0] as BumpLevel, names: command.args.slice(1) },
    }),
  },
  {
    name: "sync-secrets",
    usage: "/sync-secrets",
    pattern: { scope: "line", word: "sync-secrets" },
    who: "admin",
    description:
      "On the config repo (a pull request or an issue): writes every sealed secret of the default branch's secrets file to its targets again, and reports it as the `monobot/secrets-sync` check run on the default branch head.",
    examples: ["/sync-secrets"],
    parseArgs: noArgs,
    answeredBy: "secrets-sync",
    outcome: () => ({}),
  },
  {
    name: "deploy-anyway",
    usage: "/deploy-anyway reason...",
    pattern: { scope: "line", word: "deploy-anyway" },
    who: "admin",
    description:
      "Lets this pull request through the deployment gate (`monobot/deploy-gate`) during a freeze window, for its current head commit only; the check shows who and why.",
    examples: ["/deploy-anyway hotfix for INC-42"],
    parseArgs: (args) => {
      const reason = args.join(" ");
      if (reason === "") return { ok: false, problem: "say why: the reason is shown in the check" };
      if (reason.length > DEPLOY_ANYWAY_REASON_MAX) {
        return {
          ok: false,
          problem: `the reason is ${reason.length} characters long; keep it to ${DEPLOY_ANYWAY_REASON_MAX}`,
        };
      }
      return { ok: true, args: [reason] };
    },
    answeredBy: "comment",
    outcome: (command) => ({ deployAnyway: command.args[0] ?? "" }),
  },
  {
    name: "promote",
    usage: "/promote COMPONENT ENVIRONMENT",
    pattern: { scope: "line", word: "promote" },
    who: "admin",
    description:
      "On the config repo: opens (or updates) the promotion pull request of the component into the environment now, with the version verified in the environment before it; skips the soak, never the verification.",
    examples: ["/promote web production"],
    parseArgs: (args) => componentAndEnvironment(args, "none"),
    answeredBy: "comment",
    outcome: (command) => ({
      environment: {
        kind: "promote",
        component: command.args[0] ?? "",
        environment: command.args[1] ?? "",
      },
    }),
  },
  {
    name: "rollback",
    usage: "/rollback COMPONENT ENVIRONMENT [VERSION]",
    pattern: { scope: "line", word: "rollback" },
    who: "admin",
    description:
      "On the config repo: opens a pull request that pins the component, in the environment, to the last version verified there before the current one (or to VERSION), and puts the environment on hold for it so automation does not promote the bad version again.",
    examples: ["/rollback web production", "/rollback web production 2.0.1"],
    parseArgs: (args) => componentAndEnvironment(args, "version"),
    answeredBy: "comment",
    outcome: (command) => ({
      environment: {
        kind: "rollback",
        component: command.args[0] ?? "",
        environment: command.args[1] ?? "",
        ...(command.args[2] ? { version: command.args[2] } : {}),
      },
    }),
  },
  {
    name: "hold",
    usage: "/hold COMPONENT ENVIRONMENT [reason...]",
    pattern: { scope: "line", word: "hold" },
    who: "admin",
    description:
      "On the config repo: puts the environment on hold for the component: automation promotes no version of it there until `/unhold` (recorded as a GitHub Deployment).",
    examples: ["/hold web production waiting for the database migration"],
    parseArgs: (args) => componentAndEnvironment(args, "reason"),
    answeredBy: "comment",
    outcome: (command, { user }) => ({
      environment: {
        kind: "hold",
        component: command.args[0] ?? "",
        environment: command.args[1] ?? "",
        reason: command.args[2] ?? `held by @${user}`,
      },
    }),
  },
  {
    name: "unhold",
    usage: "/unhold COMPONENT ENVIRONMENT",
    pattern: { scope: "line", word: "unhold" },
    who: "admin",
    description:
      "On the config repo: lifts the environment's hold of the component, so automation promotes into it again.",
    examples: ["/unhold web production"],
    parseArgs: (args) => componentAndEnvironment(args, "none"),
    answeredBy: "comment",
    outcome: (command) => ({
      environment: {
        kind: "unhold",
        component: command.args[0] ?? "",
        environment: command.args[1] ?? "",
      },
    }),
  },
  {
    name: "help",
    usage: "/help",
    pattern: { scope: "line", word: "help" },
    who: "anyone",
    description: "Replies with this list of commands.",
    examples: ["/help"],
    parseArgs: noArgs,
    answeredBy: "comment",
    outcome: (_command, { policy }) => ({ reply: renderHelp(policy) }),
  },
];

/** The regular expression that recognises `spec`: a line's start, or the policy's body pattern. */
export function commandRegExp(spec: CommandSpec, policy: Pick<Policy, "triggers">): RegExp {
  if (spec.pattern.scope === "body") return compilePattern(policy.triggers.recheck);
  const word = spec.pattern.word.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`^ {0,3}/${word}(?=[ \\t]|$)`, "i");
}

// ---------------------------------------------------------------------------------------------
// Which parts of a comment are the commenter's own words: not quotes, code or hidden comments.

interface CommentLine {
  /** 1-based line number in the comment. */
  line: number;
  /** The line with code spans and HTML comments blanked out (for recognising commands). */
  masked: string;
  /** The line with code span delimiters and HTML comments turned into spaces (for arguments). */
  plain: string;
}

const MASK = "\uFFFC";

function indentWidth(line: string): number {
  let width = 0;
  for (const ch of line) {
    if (ch === " ") width += 1;
    else if (ch === "\t") width += 4 - (width % 4);
    else break;
  }
  return width;
}

interface Fence {
  char: string;
  length: number;
}

function openingFence(line: string): Fence | null {
  // Any indentation, so that fences inside list items count too (erring towards ignoring).
  const m = /^[ \t]*(`{3,}|~{3,})(.*)$/.exec(line);
  if (!m?.[1]) return null;
  const marker = m[1];
  // A backtick run followed by another backtick on the line is inline code, not a fence.
  if (marker.startsWith("`") && (m[2] ?? "").includes("`")) return null;
  return { char: marker.charAt(0), length: marker.length };
}

function closesFence(line: string, fence: Fence): boolean {
  const m = /^[ \t]*(`{3,}|~{3,})[ \t]*$/.exec(line);
  return !!m?.[1] && m[1].startsWith(fence.char) && m[1].length >= fence.length;
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * Blanks out inline code spans and inline HTML comments of one paragraph, keeping newlines so
 * that line numbers stay right.
 */
function maskInline(text: string): { masked: string; plain: string } {
  // UTF-16 units, so that indices agree with `startsWith` and `indexOf`.
  const chars = text.split("");
  const masked = [...chars];
  const plain = [...chars];
  const blank = (from: number, to: number, keepContent: { open: number; close: number } | null) => {
    for (let k = from; k < to; k++) {
      if (chars[k] === "\n") continue;
      masked[k] = MASK;
      const inDelimiter =
        keepContent === null || k < from + keepContent.open || k >= to - keepContent.close;
      if (inDelimiter) plain[k] = " ";
    }
  };
  let i = 0;
  const closingRun = backtickRuns(chars);
  // Once a search for `-->` failed, later ones fail too: keeps the scan linear.
  let htmlCommentsClosed = true;
  const n = chars.length;
  while (i < n) {
    const c = chars[i] ?? "";
    if (c === "\\" && i + 1 < n && ASCII_PUNCTUATION.test(chars[i + 1] ?? "")) {
      i += 2;
      continue;
    }
    if (c === "`") {
      let run = 1;
      while (chars[i + run] === "`") run++;
      const close = closingRun(i + run, run);
      if (close >= 0) {
        blank(i, close + run, { open: run, close: run });
        i = close + run;
      } else {
        i += run;
      }
      continue;
    }
    if (c === "<" && htmlCommentsClosed && text.startsWith("<!--", i)) {
      const end = text.indexOf("-->", i + 4);
      if (end >= 0) {
        blank(i, end + 3, null);
        i = end + 3;
        continue;
      }
      htmlCommentsClosed = false;
    }
    i++;
  }
  return { masked: masked.join(""), plain: plain.join("") };
}

/**
 * Finds closing backtick runs: the first maximal run of the same length at or after a position.
 * Positions only grow while one paragraph is scanned, so each length keeps a cursor: linear time.
 */
function backtickRuns(chars: string[]): (from: number, run: number) => number {
  const byLength = new Map<number, { starts: number[]; next: number }>();
  for (let k = 0; k < chars.length;) {
    if (chars[k] !== "`") {
      k++;
      continue;
    }
    let len = 1;
    while (chars[k + len] === "`") len++;
    const entry = byLength.get(len) ?? { starts: [], next: 0 };
    entry.starts.push(k);
    byLength.set(len, entry);
    k += len;
  }
  return (from, run) => {
    const entry = byLength.get(run);
    if (!entry) return -1;
    while (entry.next < entry.starts.length && (entry.starts[entry.next] ?? 0) < from) entry.next++;
    return entry.starts[entry.next] ?? -1;
  };
}

/**
 * The lines a reader sees as the commenter's own text, in order, with their line numbers.
 * Quoted lines, fenced and indented code blocks and HTML comment blocks are left out; blank lines
 * are kept (as empty text) because they separate paragraphs.
 */
function commenterLines(body: string): CommentLine[] {
  const lines = body.replace(/\r\n?/g, "\n").split("\n");
  const out: CommentLine[] = [];
  let fence: Fence | null = null;
  let inHtmlComment = false;
  let inIndentedCode = false;
  let paragraphOpen = false;
  let paragraph: { line: number; text: string }[] = [];

  const flush = () => {
    if (paragraph.length === 0) return;
    const { masked, plain } = maskInline(paragraph.map((p) => p.text).join("\n"));
    const maskedLines = masked.split("\n");
    const plainLines = plain.split("\n");
    paragraph.forEach((p, k) => {
      out.push({ line: p.line, masked: maskedLines[k] ?? "", plain: plainLines[k] ?? "" });
    });
    paragraph = [];
  };
  const skip = () => {
    flush();
    paragraphOpen = false;
  };

  lines.forEach((text, index) => {
    const line = index + 1;
    const blankLine = text.trim() === "";
    if (fence) {
      if (closesFence(text, fence)) fence = null;
      return skip();
    }
    if (inHtmlComment) {
      if (text.includes("-->")) inHtmlComment = false;
      return skip();
    }
    if (inIndentedCode) {
      if (blankLine || indentWidth(text) >= 4) return skip();
      inIndentedCode = false;
    }
    if (blankLine) {
      skip();
      out.push({ line, masked: "", plain: "" });
      return;
    }
    if (/^[ \t]*>/.test(text)) return skip();
    // Indented code cannot interrupt a paragraph: there, a deep indent is a continuation line.
    if (!paragraphOpen && indentWidth(text) >= 4) {
      inIndentedCode = true;
      return skip();
    }
    const opened = openingFence(text);
    if (opened) {
      fence = opened;
      return skip();
    }
    const html = /^[ \t]*<!--/.exec(text);
    if (html) {
      if (!text.slice(html[0].length).includes("-->")) inHtmlComment = true;
      return skip();
    }
    paragraph.push({ line, text });
    paragraphOpen = true;
  });
  flush();
  return out;
}

// ---------------------------------------------------------------------------------------------

function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

function shorten(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The commands in a PR comment, in order, duplicates collapsed, and a usage error for each
 * command written with bad arguments. Unknown `/words` belong to other bots and are ignored.
 */
export function parseCommands(
  body: string,
  policy: Pick<Policy, "triggers">,
): { commands: ParsedCommand[]; errors: string[] } {
  const found: ParsedCommand[] = [];
  const errors: string[] = [];
  const lines = commenterLines(body);

  for (const spec of commandTable) {
    if (spec.pattern.scope !== "body") continue;
    let regex: RegExp;
    try {
      regex = commandRegExp(spec, policy);
    } catch (e) {
      const problem =
        e instanceof PatternError ? e.describe(spec.pattern.key) : (e as Error).message;
      errors.push(
        `The monobot configuration cannot be used: ${problem}. Fix it in .github/monobot.yml.`,
      );
      continue;
    }
    const first = lines.findIndex((l) => l.masked.trim() !== "");
    if (first < 0) continue;
    const visible = lines.slice(first);
    const text = visible
      .map((l) => l.masked)
      .join("\n")
      .trim();
    if (regex.test(text)) {
      const raw = visible
        .map((l) => l.plain)
        .join("\n")
        .trim();
      found.push({ name: spec.name, args: [], line: visible[0]?.line ?? 1, raw });
    }
  }

  const lineSpecs = commandTable.flatMap((spec) =>
    spec.pattern.scope === "line" ? [{ spec, regex: commandRegExp(spec, policy) }] : [],
  );
  for (const l of lines) {
    for (const { spec, regex } of lineSpecs) {
      const m = regex.exec(l.masked);
      if (!m) continue;
      const words = l.plain.slice(m[0].length).trim().split(/\s+/).filter(Boolean);
      const result = spec.parseArgs(words);
      const raw = l.plain.trim();
      if (result.ok) {
        found.push({ name: spec.name, args: result.args, line: l.line, raw });
      } else {
        errors.push(
          `${code(shorten(raw))} on line ${l.line}: ${result.problem}. Usage: ${code(spec.usage)}`,
        );
      }
      break;
    }
  }

  found.sort((a, b) => a.line - b.line);
  const seen = new Set<string>();
  const commands = found.filter((c) => {
    const key = `${c.name}\u0000${c.args.join("\u0000")}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { commands, errors: [...new Set(errors)] };
}

// ---------------------------------------------------------------------------------------------
// Help and documentation, generated from the table so that they cannot drift from the parser.

const WHO_TEXT: Record<CommandWho, string> = {
  trusted: "trusted users",
  "author-or-trusted": "the PR's author (not from a fork) or trusted users",
  admin: "repository admins",
  anyone: "anyone",
};

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function usageText(spec: CommandSpec, recheckPattern: string): string {
  if (spec.pattern.scope === "body") {
    return `a comment whose whole text matches ${code(recheckPattern)}`;
  }
  return code(spec.usage);
}

/** Markdown for the reply to `/help`, showing this repository's own recheck pattern. */
export function renderHelp(policy: Pick<Policy, "triggers">): string {
  const t = policy.triggers;
  const rows = commandTable.map(
    (spec) =>
      `| ${cell(usageText(spec, t.recheck))} | ${cell(WHO_TEXT[spec.who])} | ${cell(spec.description)} | ${cell(code(spec.examples[0] ?? spec.usage))} |`,
  );
  return [
    "### monobot commands",
    "",
    "Comment on the pull request: a slash command starts a line (several may follow each other), the recheck comment is the whole comment. Commands in quotes (`>`) or in code are ignored.",
    "",
    "| Command | Who may use it | What it does | Example |",
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `Trusted users are those whose association with the repository is one of ${t.trusted_associations.join(", ")}, or who have at least ${code(t.trusted_permission)} permission on it.`,
  ].join("\n");
}

/** Markdown list of the commands for the README (between its `commands` markers). */
export function renderCommandsMarkdown(): string {
  return commandTable
    .map((spec) => {
      const usage =
        spec.pattern.scope === "body"
          ? `${code(spec.usage)}: a comment whose whole text matches ${code(spec.pattern.key)} (default ${code(DEFAULT_RECHECK_PATTERN)})`
          : code(spec.usage);
      const examples = spec.examples.map((e) => code(e)).join(", ");
      return `- ${usage}. Who: ${WHO_TEXT[spec.who]}. ${spec.description} Examples: ${examples}.`;
    })
    .join("\n");
}
