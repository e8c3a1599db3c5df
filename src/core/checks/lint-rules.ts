// The rules of monobot/lint, one small function each, in the order the summary lists them.
import { globMatcher, type PathMatcher } from "../glob.js";
import type { ParsedPatch, PatchLine } from "../patch.js";
import type { Policy } from "../policy.js";
import type { ChangedFile } from "../types.js";
import { duplicateKeyLines, formatOf, syntaxProblem, type Format } from "./syntax.js";

type LintPolicy = Policy["checks"]["lint"];
export type LintRule = keyof LintPolicy["rules"];
export type RuleLevel = LintPolicy["rules"][LintRule];

/** The settings of `checks.lint` the rules read, compiled once per run. */
export interface LintSettings {
  maxFileKb: number;
  forbid: readonly string[];
  forbidAny: PathMatcher;
  jsonc: PathMatcher;
}

export function lintSettings(lint: LintPolicy): LintSettings {
  return {
    maxFileKb: lint.max_file_kb,
    forbid: lint.forbid,
    forbidAny: globMatcher(lint.forbid),
    jsonc: globMatcher(lint.jsonc),
  };
}

/** What a rule sees of one changed file. */
export interface LintFile {
  file: ChangedFile;
  /** The head content when it was read (or a new empty file), else `undefined`. */
  content: string | undefined;
  patch: ParsedPatch | undefined;
  /** The added lines of the patch, or every line of a new file read whole. */
  lines: readonly PatchLine[];
  /** True when `lines` are what the change added (from the patch, or a whole new file). */
  linesAreAdded: boolean;
}

/** One problem a rule found. */
export interface Finding {
  start: number;
  end: number;
  title: string;
  message: string;
  /**
   * Set on something the tools accept (a duplicate key Helm reads as the last one): it is shown,
   * but never above a warning, whatever the rule's level.
   */
  tolerated?: true;
}

export interface LintRuleDefinition {
  id: LintRule;
  /** The rule in words, for the summary's table. */
  title: string;
  /** `path` rules apply to every file, binary and generated included; `text` rules to text. */
  applies: "path" | "text";
  /** True when the rule needs the whole head file of `path`, even with a patch. */
  readsWhole?(path: string, settings: LintSettings): boolean;
  check(file: LintFile, settings: LintSettings): Finding[];
}

// ---------------------------------------------------------------------------------------------
// parse

/** A component's VERSION file: one line, the version. */
function isVersionFile(path: string): boolean {
  return path === "VERSION" || path.endsWith("/VERSION");
}

function formatName(format: Format): string {
  return format === "yaml" ? "YAML" : format === "jsonc" ? "JSON (with comments)" : "JSON";
}

function syntaxFindings(path: string, text: string, format: Format): Finding[] {
  const problem = syntaxProblem(text, format);
  const kind = formatName(format);
  if (problem) {
    return [
      {
        start: problem.line,
        end: problem.line,
        title: `Invalid ${kind}`,
        message: `${path}:${problem.line}:${problem.column}: ${problem.message}. Fix the ${kind} syntax at line ${problem.line}, column ${problem.column}.`,
      },
    ];
  }
  if (format !== "yaml") return [];
  return duplicateKeyLines(text).map((line) => ({
    start: line,
    end: line,
    title: "Duplicate YAML key",
    message: `${path}:${line}: this key is already set earlier in the same mapping. Helm and js-yaml keep the last value, so this line wins; delete the earlier entry (or this one) so that the file says one thing.`,
    tolerated: true,
  }));
}

/** Blank lines in a VERSION file: the tools trim them, but a VERSION holds one line. */
function versionFindings(path: string, text: string): Finding[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const out: Finding[] = [];
  lines.forEach((line, i) => {
    if (line.trim() !== "") return;
    out.push({
      start: i + 1,
      end: i + 1,
      title: "Blank line in VERSION",
      message: `${path}:${i + 1} is blank. A VERSION file holds one line, the version; tools trim the blank line away, but delete it so that every reader sees the same file.`,
      tolerated: true,
    });
  });
  return out;
}

const parse: LintRuleDefinition = {
  id: "parse",
  title: "YAML/JSON must parse",
  applies: "text",
  readsWhole: (path, s) => formatOf(path, s.jsonc) !== undefined || isVersionFile(path),
  check({ file, content }, s) {
    if (content === undefined) return [];
    const format = formatOf(file.path, s.jsonc);
    if (format) return syntaxFindings(file.path, content, format);
    return isVersionFile(file.path) ? versionFindings(file.path, content) : [];
  },
};

// ---------------------------------------------------------------------------------------------
// conflict_markers

const CONFLICT_START = "<<<<<<<";
const CONFLICT_END = ">>>>>>>";
const CONFLICT_BASE = "|||||||";
const CONFLICT_MID = "=======";

function isMarker(text: string, marker: string): boolean {
  return (
    text.startsWith(marker) &&
    (text.length === marker.length || text.charCodeAt(marker.length) === 32)
  );
}

function markerFinding(l: PatchLine, what: string): Finding {
  return {
    start: l.line,
    end: l.line,
    title: "Merge-conflict marker",
    message: `Line ${l.line} is a merge-conflict ${what}. Resolve the conflict: keep the right text, delete the marker lines, and commit again.`,
  };
}

const conflictMarkers: LintRuleDefinition = {
  id: "conflict_markers",
  title: "no merge-conflict markers",
  applies: "text",
  // In added lines, or every line of a file read whole: a marker is never legitimate.
  check({ lines }) {
    const out: Finding[] = [];
    const mids: PatchLine[] = [];
    for (const l of lines) {
      const c = l.text.charCodeAt(0);
      if (c !== 60 && c !== 62 && c !== 61 && c !== 124) continue;
      if (
        isMarker(l.text, CONFLICT_START) ||
        isMarker(l.text, CONFLICT_END) ||
        isMarker(l.text, CONFLICT_BASE)
      ) {
        out.push(markerFinding(l, `marker (${l.text.slice(0, 7)})`));
      } else if (l.text === CONFLICT_MID) mids.push(l);
    }
    // A bare ======= is also a Markdown/RST underline: count it only next to real markers.
    if (out.length === 0) return out;
    return [...out, ...mids.map((l) => markerFinding(l, "separator (=======)"))];
  },
};

// ---------------------------------------------------------------------------------------------
// max_size

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** The file's size: from the content when read, else from the patch of a new file. */
function sizeOf({ file, content, patch }: LintFile, maxBytes: number): number | undefined {
  // Counting characters first spares encoding a file that cannot be near the limit.
  if (content !== undefined) {
    return content.length * 3 > maxBytes ? utf8Bytes(content) : content.length;
  }
  if (!patch || file.status !== "added") return undefined;
  let chars = 0;
  for (const l of patch.added) chars += l.text.length + 1;
  if (chars * 3 <= maxBytes) return chars;
  let bytes = 0;
  for (const l of patch.added) bytes += utf8Bytes(l.text) + 1;
  return bytes;
}

const maxSize: LintRuleDefinition = {
  id: "max_size",
  title: "file size limit",
  applies: "text",
  check(f, s) {
    const maxBytes = s.maxFileKb * 1024;
    const size = sizeOf(f, maxBytes);
    if (size === undefined || size <= maxBytes) return [];
    return [
      {
        start: 1,
        end: 1,
        title: "File too large",
        message:
          `${f.file.path} is ${Math.ceil(size / 1024)} KiB, above the ${s.maxFileKb} KiB limit (checks.lint.max_file_kb). ` +
          `Keep large files out of the repository (Git LFS or an artifact store), or raise the limit for this repository.`,
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// forbidden_path

const forbiddenPath: LintRuleDefinition = {
  id: "forbidden_path",
  title: "forbidden paths",
  applies: "path",
  check({ file }, s) {
    // One matcher for the common case (no match); the single globs only to name the one that hit.
    if (!s.forbidAny(file.path)) return [];
    const glob = s.forbid.find((g) => globMatcher([g])(file.path));
    if (glob === undefined) return [];
    return [
      {
        start: 1,
        end: 1,
        title: "Forbidden file",
        message:
          `${file.path} matches \`${glob}\` in checks.lint.forbid: files like this must not be committed. ` +
          `Remove it with \`git rm --cached ${file.path}\`, add it to .gitignore, and rotate any credential it held.`,
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// final_newline

/** Number of lines of a text, the last one counted even without its line break. */
function lineCount(text: string): number {
  let n = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
  return text.endsWith("\n") ? n - 1 : n;
}

const finalNewline: LintRuleDefinition = {
  id: "final_newline",
  title: "final newline",
  applies: "text",
  // From the content when read, else the patch's "\ No newline at end of file".
  check({ file, content, patch }) {
    let missingAt: number | undefined;
    if (content !== undefined) {
      if (content.length > 0 && !content.endsWith("\n")) missingAt = lineCount(content);
    } else if (patch?.headMissingFinalNewline === true) {
      missingAt = patch.headLastLine;
    }
    if (missingAt === undefined) return [];
    return [
      {
        start: missingAt,
        end: missingAt,
        title: "No newline at end of file",
        message: `${file.path} does not end with a newline (line ${missingAt} is its last line). Add a line break at the end of the file.`,
      },
    ];
  },
};

// ---------------------------------------------------------------------------------------------
// trailing_whitespace

function hasTrailingWhitespace(text: string): boolean {
  const c = text.charCodeAt(text.length - 1);
  return c === 32 || c === 9;
}

/** Group sorted line numbers into runs of consecutive lines. */
function runsOf(lines: readonly number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const l of lines) {
    const last = runs[runs.length - 1];
    if (last && l === last[1] + 1) last[1] = l;
    else runs.push([l, l]);
  }
  return runs;
}

const trailingWhitespace: LintRuleDefinition = {
  id: "trailing_whitespace",
  title: "no trailing whitespace",
  applies: "text",
  // Added lines only (a modified file read whole shows old lines too), one finding per run.
  check({ lines, linesAreAdded }) {
    if (!linesAreAdded) return [];
    const bad = lines.filter((l) => hasTrailingWhitespace(l.text)).map((l) => l.line);
    return runsOf(bad).map(([start, end]) => ({
      start,
      end,
      title: "Trailing whitespace",
      message: `Trailing spaces or tabs on ${start === end ? `line ${start}` : `lines ${start}-${end}`}. Remove them (most editors can trim trailing whitespace on save).`,
    }));
  },
};

/** Every lint rule, in the order of the summary's table. */
export const LINT_RULES: readonly LintRuleDefinition[] = [
  parse,
  conflictMarkers,
  maxSize,
  forbiddenPath,
  finalNewline,
  trailingWhitespace,
];
