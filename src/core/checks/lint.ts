// monobot/lint: parse, conflict-marker, size, forbidden-path, newline and whitespace rules.
import { loadAll } from "js-yaml";
import { LineCounter, parseAllDocuments } from "yaml";
import { globMatcher, type PathMatcher } from "../glob.js";
import { patchOf, type PatchLine } from "../patch.js";
import type { Policy } from "../policy.js";
import { redactResult, redactSecrets } from "../redact.js";
import type {
  Annotation,
  ChangeSnapshot,
  ChangedFile,
  CheckResult,
  FileRequest,
} from "../types.js";
import { contentKey } from "../types.js";
import {
  capAnnotations,
  conclusionOf,
  describeCounts,
  fitSummary,
  omittedLine,
  plural,
  truncatedLine,
} from "./annotations.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

type LintPolicy = Policy["checks"]["lint"];
export type LintRule = keyof LintPolicy["rules"];
type RuleLevel = LintPolicy["rules"][LintRule];
type SnapshotWithoutContents = Omit<ChangeSnapshot, "contents">;

const RULES: readonly LintRule[] = [
  "parse",
  "conflict_markers",
  "max_size",
  "forbidden_path",
  "final_newline",
  "trailing_whitespace",
];

const RULE_TITLES: Record<LintRule, string> = {
  parse: "YAML/JSON must parse",
  conflict_markers: "no merge-conflict markers",
  max_size: "file size limit",
  forbidden_path: "forbidden paths",
  final_newline: "final newline",
  trailing_whitespace: "no trailing whitespace",
};

// ---------------------------------------------------------------------------------------------
// .gitattributes: GitHub's linguist-generated / linguist-vendored and git's binary attributes.

interface AttributeRule {
  match: PathMatcher;
  attrs: Map<string, boolean>;
}

/** Generated, vendored and binary marks that `.gitattributes` files give paths. */
export interface GitAttributes {
  generated(path: string): boolean;
  vendored(path: string): boolean;
  binary(path: string): boolean;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/**
 * The `.gitattributes` files at the head that can apply to some changed file: those in the
 * folder of a changed file or in one of its parents.
 */
export function gitattributesFor(snapshot: SnapshotWithoutContents): string[] {
  const folders = new Set<string>();
  for (const f of snapshot.files) {
    let d = dirOf(f.path);
    while (!folders.has(d)) {
      folders.add(d);
      if (d === "") break;
      d = dirOf(d);
    }
  }
  return snapshot.headPaths.filter(
    (p) => (p === ".gitattributes" || p.endsWith("/.gitattributes")) && folders.has(dirOf(p)),
  );
}

/**
 * Parse `.gitattributes` files (shallowest first) into one matcher. Patterns follow gitignore
 * rules: without a slash they match a name at any depth below their file's folder; with one they
 * are relative to it. Later lines and deeper files win.
 */
export function parseGitAttributes(
  files: readonly { path: string; text: string }[],
): GitAttributes {
  const ordered = [...files].sort((a, b) => depth(a.path) - depth(b.path));
  const rules: AttributeRule[] = [];
  for (const file of ordered) {
    const base = dirOf(file.path);
    for (const rawLine of file.text.split("\n")) {
      const line = rawLine.trim();
      if (line === "" || line.startsWith("#") || line.startsWith("[attr]")) continue;
      const [pattern, ...tokens] = line.split(/\s+/);
      if (!pattern || pattern.startsWith("!")) continue;
      const attrs = new Map<string, boolean>();
      for (const token of tokens) {
        if (token.startsWith("-") || token.startsWith("!")) attrs.set(token.slice(1), false);
        else {
          const eq = token.indexOf("=");
          if (eq < 0) attrs.set(token, true);
          else attrs.set(token.slice(0, eq), !/^(false|0)$/i.test(token.slice(eq + 1)));
        }
      }
      // The `binary` macro stands for `-diff -merge -text`.
      if (attrs.get("binary") === true) attrs.set("diff", false);
      rules.push({ match: globMatcher([attributeGlob(base, pattern)]), attrs });
    }
  }
  const lookup = (attr: string, path: string, when: boolean): boolean => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i] as AttributeRule;
      const value = rule.attrs.get(attr);
      if (value !== undefined && rule.match(path)) return value === when;
    }
    return false;
  };
  return {
    generated: (p) => lookup("linguist-generated", p, true),
    vendored: (p) => lookup("linguist-vendored", p, true),
    binary: (p) => lookup("diff", p, false),
  };
}

function depth(path: string): number {
  return path.split("/").length;
}

function attributeGlob(base: string, pattern: string): string {
  let p = pattern.endsWith("/") ? `${pattern}**` : pattern;
  const anchored = p.startsWith("/") || p.slice(0, -1).includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  if (!anchored) p = `**/${p}`;
  return base === "" ? p : `${base}/${p}`;
}

/** The attributes from the `.gitattributes` files the snapshot holds. */
export function attributesOf(snapshot: ChangeSnapshot): GitAttributes {
  const files: { path: string; text: string }[] = [];
  for (const path of gitattributesFor(snapshot)) {
    const text = snapshot.contents.get(contentKey("head", path));
    if (typeof text === "string") files.push({ path, text });
  }
  return parseGitAttributes(files);
}

// ---------------------------------------------------------------------------------------------
// Which files the text rules skip, shared with monobot/license.

export type SkipReason = "removed" | "binary" | "generated";

/** Compiled lists from `checks.lint` that say which files are binary or generated. */
export interface FileKinds {
  skipReason(file: ChangedFile): SkipReason | undefined;
}

export function fileKinds(lint: LintPolicy, attributes?: GitAttributes): FileKinds {
  const binary = globMatcher(lint.binary);
  const generated = globMatcher(lint.generated);
  return {
    skipReason(file) {
      if (file.status === "removed") return "removed";
      if (file.binary === true || binary(file.path) || attributes?.binary(file.path)) {
        return "binary";
      }
      if (
        generated(file.path) ||
        attributes?.generated(file.path) ||
        attributes?.vendored(file.path)
      ) {
        return "generated";
      }
      return undefined;
    },
  };
}

/** True when the change shows the file has no content change (a pure rename, an empty file). */
export function unchangedOrEmpty(file: ChangedFile): boolean {
  return file.patch === undefined && file.additions === 0 && file.deletions === 0;
}

// ---------------------------------------------------------------------------------------------
// Rule levels per path.

type Levels = Record<LintRule, RuleLevel>;

function levelResolver(lint: LintPolicy): (path: string) => Levels {
  const overrides = lint.overrides.map((o) => ({ match: globMatcher(o.paths), rules: o.rules }));
  return (path) => {
    const levels: Levels = { ...lint.rules };
    for (const o of overrides) {
      if (o.match(path)) Object.assign(levels, o.rules);
    }
    return levels;
  };
}

// ---------------------------------------------------------------------------------------------
// Parsers that report a line and column without echoing the file's text.

export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

type Format = "yaml" | "json" | "jsonc";

function formatOf(path: string, jsonc: PathMatcher): Format | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (jsonc(path)) return "jsonc";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/** The first syntax error of a YAML or JSON text, or `undefined` when it parses. */
export function syntaxProblem(text: string, format: Format): SyntaxProblem | undefined {
  if (format === "yaml") return yamlProblem(text);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (format === "json") {
    try {
      JSON.parse(body);
      return undefined;
    } catch {
      // Node's own message quotes the text around the error; find the position ourselves.
    }
  }
  const problem = jsonProblem(body, format === "jsonc");
  if (!problem) return undefined;
  const pos = positionOf(body, problem.offset);
  return { ...pos, message: problem.message };
}

function yamlProblem(text: string): SyntaxProblem | undefined {
  // js-yaml is about twice as fast on valid files, the common case; the `yaml` package (which
  // reads the policy) confirms and locates errors. A file is flagged only when both reject it,
  // so a custom tag such as CloudFormation's !Ref is not an error.
  try {
    loadAll(text);
    return undefined;
  } catch {
    // Fall through to the second parser.
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      const first = (error.message.split("\n")[0] ?? error.message).replace(
        / at line \d+, column \d+:?$/,
        "",
      );
      return { line: pos.line, column: pos.col, message: redactSecrets(first) };
    }
  }
  return undefined;
}

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * A strict JSON (or JSONC: comments and trailing commas) syntax check that gives the offset of
 * the first error. Iterative, so deeply nested input cannot overflow the stack.
 */
function jsonProblem(
  text: string,
  jsonc: boolean,
): { offset: number; message: string } | undefined {
  const stack: number[] = []; // 123 `{` or 91 `[`
  type State = "value" | "firstKey" | "key" | "colon" | "after" | "firstItem" | "end";
  let state: State = "value";
  let i = 0;
  const n = text.length;
  const afterValue = (): State => (stack.length === 0 ? "end" : "after");
  while (true) {
    // Whitespace and, in JSONC, comments.
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (jsonc && c === 47 && text.charCodeAt(i + 1) === 47) {
        const nl = text.indexOf("\n", i);
        i = nl < 0 ? n : nl + 1;
      } else if (jsonc && c === 47 && text.charCodeAt(i + 1) === 42) {
        const close = text.indexOf("*/", i + 2);
        if (close < 0) return { offset: i, message: "comment is not closed with */" };
        i = close + 2;
      } else break;
    }
    if (i >= n) {
      if (state === "end") return undefined;
      return {
        offset: n,
        message:
          stack.length > 0
            ? `unexpected end of file: ${stack.length} unclosed ${stack[stack.length - 1] === 123 ? "object" : "array"}${stack.length > 1 ? "s" : ""}`
            : "the file is empty: a JSON file needs a value such as {} or []",
      };
    }
    const c = text.charCodeAt(i);
    switch (state) {
      case "end":
        return { offset: i, message: "unexpected text after the end of the JSON value" };
      case "colon":
        if (c !== 58) return { offset: i, message: "expected ':' after the property name" };
        i++;
        state = "value";
        break;
      case "after": {
        const top = stack[stack.length - 1];
        if (c === 44) {
          i++;
          // JSONC allows a trailing comma: after one, a closing bracket may follow.
          state = top === 123 ? "key" : jsonc ? "firstItem" : "value";
        } else if ((c === 125 && top === 123) || (c === 93 && top === 91)) {
          i++;
          stack.pop();
          state = afterValue();
        } else {
          return {
            offset: i,
            message: top === 123 ? "expected ',' or '}' after a value" : "expected ',' or ']'",
          };
        }
        break;
      }
      case "firstKey":
      case "key":
        if (c === 34) {
          const end = stringEnd(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = "colon";
        } else if (c === 125 && (state === "firstKey" || jsonc)) {
          i++;
          stack.pop();
          state = afterValue();
        } else if (c === 125) {
          return { offset: i, message: "trailing comma before '}' (not allowed in JSON)" };
        } else {
          return { offset: i, message: "expected a property name in double quotes" };
        }
        break;
      case "firstItem":
      case "value":
        if (c === 93 && state === "firstItem") {
          i++;
          stack.pop();
          state = afterValue();
        } else if (c === 93 && stack[stack.length - 1] === 91) {
          return { offset: i, message: "trailing comma before ']' (not allowed in JSON)" };
        } else if (c === 123) {
          stack.push(123);
          i++;
          state = "firstKey";
        } else if (c === 91) {
          stack.push(91);
          i++;
          state = "firstItem";
        } else if (c === 34) {
          const end = stringEnd(text, i);
          if (typeof end !== "number") return end;
          i = end;
          state = afterValue();
        } else if (c === 45 || (c >= 48 && c <= 57)) {
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (!m || m[0] === "-") return { offset: i, message: "invalid number" };
          i += m[0].length;
          state = afterValue();
        } else if (text.startsWith("true", i) || text.startsWith("null", i)) {
          i += 4;
          state = afterValue();
        } else if (text.startsWith("false", i)) {
          i += 5;
          state = afterValue();
        } else {
          return {
            offset: i,
            message:
              c === 39
                ? "strings must use double quotes"
                : "expected a value (object, array, string, number, true, false or null)",
          };
        }
        break;
    }
  }
}

/** Offset just past the string starting at `start`, or the problem in it. */
function stringEnd(text: string, start: number): number | { offset: number; message: string } {
  let i = start + 1;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1;
    if (c === 92) {
      const e = text.charCodeAt(i + 1);
      if (e === 117) {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          return { offset: i, message: "invalid \\u escape: expected four hex digits" };
        }
        i += 6;
      } else if (
        e === 34 ||
        e === 92 ||
        e === 47 ||
        e === 98 ||
        e === 102 ||
        e === 110 ||
        e === 114 ||
        e === 116
      ) {
        i += 2;
      } else {
        return { offset: i, message: "invalid escape in a string" };
      }
    } else if (c < 32) {
      return {
        offset: i,
        message: c === 10 ? "string is not closed on this line" : "control character in a string",
      };
    } else i++;
  }
  return { offset: start, message: "string is not closed" };
}

// ---------------------------------------------------------------------------------------------
// The check.

/** Content of a file at the head from the snapshot: string, `null` (absent) or `undefined` (not read). */
function headContent(snapshot: ChangeSnapshot, path: string): string | null | undefined {
  return snapshot.contents.get(contentKey("head", path));
}

function anyContentRule(levels: Levels): boolean {
  return (
    levels.parse !== "off" ||
    levels.conflict_markers !== "off" ||
    levels.max_size !== "off" ||
    levels.final_newline !== "off" ||
    levels.trailing_whitespace !== "off"
  );
}

function lintNeeds(input: { snapshot: SnapshotWithoutContents; policy: Policy }): FileRequest[] {
  const lint = input.policy.checks.lint;
  const kinds = fileKinds(lint);
  const levelsFor = levelResolver(lint);
  const jsonc = globMatcher(lint.jsonc);
  const out: FileRequest[] = gitattributesFor(input.snapshot).map((path) => ({
    side: "head" as const,
    path,
  }));
  for (const file of input.snapshot.files) {
    if (kinds.skipReason(file) !== undefined || unchangedOrEmpty(file)) continue;
    const levels = levelsFor(file.path);
    const wholeForParse = levels.parse !== "off" && formatOf(file.path, jsonc) !== undefined;
    const noPatch = file.patch === undefined && anyContentRule(levels);
    if (wholeForParse || noPatch) out.push({ side: "head", path: file.path });
  }
  return out;
}

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

function hasTrailingWhitespace(text: string): boolean {
  const c = text.charCodeAt(text.length - 1);
  return c === 32 || c === 9;
}

/** Lines of a whole file as patch lines numbered from 1. */
function linesOf(text: string): PatchLine[] {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((t, i) => ({ line: i + 1, text: t.endsWith("\r") ? t.slice(0, -1) : t }));
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** Group sorted line numbers into runs of consecutive lines. */
function runsOf(lines: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const l of lines) {
    const last = runs[runs.length - 1];
    if (last && l === last[1] + 1) last[1] = l;
    else runs.push([l, l]);
  }
  return runs;
}

function lineRange(start: number, end: number): string {
  return start === end ? `line ${start}` : `lines ${start}-${end}`;
}

function runLint({ snapshot, policy }: CheckInput): CheckResult {
  const lint = policy.checks.lint;
  const attributes = attributesOf(snapshot);
  const kinds = fileKinds(lint, attributes);
  const levelsFor = levelResolver(lint);
  // One matcher for the common case (no match); the single globs only to name the one that hit.
  const forbidAny = globMatcher(lint.forbid);
  const forbid = lint.forbid.map((glob) => ({ glob, match: globMatcher([glob]) }));
  const jsonc = globMatcher(lint.jsonc);
  const maxBytes = lint.max_file_kb * 1024;

  const annotations: Annotation[] = [];
  const findings: Record<LintRule, number> = {
    parse: 0,
    conflict_markers: 0,
    max_size: 0,
    forbidden_path: 0,
    final_newline: 0,
    trailing_whitespace: 0,
  };
  const add = (
    rule: LintRule,
    level: RuleLevel,
    path: string,
    start: number,
    end: number,
    title: string,
    message: string,
  ): void => {
    if (level === "off") return;
    findings[rule]++;
    annotations.push({
      path,
      start_line: start,
      end_line: end,
      level,
      title,
      message,
    });
  };

  let checked = 0;
  let addedLines = 0;
  let binaryCount = 0;
  let generatedCount = 0;
  const readWhole: string[] = [];
  const unreadable = new Set<string>();

  for (const file of snapshot.files) {
    if (file.status === "removed") continue;
    const levels = levelsFor(file.path);
    const reason = kinds.skipReason(file);

    // Path rules apply to every file, binary and generated included.
    const forbidden = forbidAny(file.path) ? forbid.find((f) => f.match(file.path)) : undefined;
    if (forbidden) {
      add(
        "forbidden_path",
        levels.forbidden_path,
        file.path,
        1,
        1,
        "Forbidden file",
        `${file.path} matches \`${forbidden.glob}\` in checks.lint.forbid: files like this must not be committed. ` +
          `Remove it with \`git rm --cached ${file.path}\`, add it to .gitignore, and rotate any credential it held.`,
      );
    }

    if (reason === "binary") {
      binaryCount++;
      continue;
    }
    if (reason === "generated") {
      generatedCount++;
      continue;
    }
    checked++;

    const parsed = patchOf(file);
    let content = headContent(snapshot, file.path);
    if (content === undefined && file.status === "added" && unchangedOrEmpty(file)) content = "";
    if (typeof content === "string" && !(file.status === "added" && unchangedOrEmpty(file))) {
      readWhole.push(file.path);
    }
    if (typeof content === "string" && content.includes("\u0000")) {
      binaryCount++;
      checked--;
      continue;
    }

    // Lines to which the line rules apply: the added lines of the patch, or every line of a new
    // file read whole because GitHub gave no patch.
    let lines: PatchLine[] = [];
    let wholeFileLines = false;
    if (parsed) lines = parsed.added;
    else if (typeof content === "string") {
      lines = linesOf(content);
      wholeFileLines = file.status === "added";
    } else if (!unchangedOrEmpty(file) && anyContentRule(levels)) {
      unreadable.add(file.path);
    }
    if (parsed || wholeFileLines) addedLines += lines.length;

    // Size: from the content when read, else from the patch of a new file.
    if (levels.max_size !== "off") {
      let size: number | undefined;
      if (typeof content === "string") {
        size = content.length * 3 > maxBytes ? utf8Bytes(content) : content.length;
      } else if (parsed && file.status === "added") {
        let chars = 0;
        for (const l of parsed.added) chars += l.text.length + 1;
        if (chars * 3 > maxBytes) {
          chars = 0;
          for (const l of parsed.added) chars += utf8Bytes(l.text) + 1;
        }
        size = chars;
      }
      if (size !== undefined && size > maxBytes) {
        add(
          "max_size",
          levels.max_size,
          file.path,
          1,
          1,
          "File too large",
          `${file.path} is ${Math.ceil(size / 1024)} KiB, above the ${lint.max_file_kb} KiB limit (checks.lint.max_file_kb). ` +
            `Keep large files out of the repository (Git LFS or an artifact store), or raise the limit for this repository.`,
        );
      }
    }

    // Parse: whole YAML / JSON files.
    const format = formatOf(file.path, jsonc);
    if (format && levels.parse !== "off") {
      if (typeof content === "string") {
        const problem = syntaxProblem(content, format);
        if (problem) {
          const kind =
            format === "yaml" ? "YAML" : format === "jsonc" ? "JSON (with comments)" : "JSON";
          add(
            "parse",
            levels.parse,
            file.path,
            problem.line,
            problem.line,
            `Invalid ${kind}`,
            `${file.path}:${problem.line}:${problem.column}: ${problem.message}. Fix the ${kind} syntax at line ${problem.line}, column ${problem.column}.`,
          );
        }
      } else {
        unreadable.add(file.path);
      }
    }

    // Conflict markers: in added lines (or every line of a file read whole: never legitimate).
    if (levels.conflict_markers !== "off" && lines.length > 0) {
      let sawStart = false;
      const mids: PatchLine[] = [];
      for (const l of lines) {
        const c = l.text.charCodeAt(0);
        if (c !== 60 && c !== 62 && c !== 61 && c !== 124) continue;
        if (
          isMarker(l.text, CONFLICT_START) ||
          isMarker(l.text, CONFLICT_END) ||
          isMarker(l.text, CONFLICT_BASE)
        ) {
          sawStart = true;
          add(
            "conflict_markers",
            levels.conflict_markers,
            file.path,
            l.line,
            l.line,
            "Merge-conflict marker",
            `Line ${l.line} is a merge-conflict marker (${l.text.slice(0, 7)}). Resolve the conflict: keep the right text, delete the marker lines, and commit again.`,
          );
        } else if (l.text === CONFLICT_MID) mids.push(l);
      }
      // A bare ======= is also a Markdown/RST underline: count it only next to real markers.
      if (sawStart) {
        for (const l of mids) {
          add(
            "conflict_markers",
            levels.conflict_markers,
            file.path,
            l.line,
            l.line,
            "Merge-conflict marker",
            `Line ${l.line} is a merge-conflict separator (=======). Resolve the conflict: keep the right text, delete the marker lines, and commit again.`,
          );
        }
      }
    }

    // Trailing whitespace: added lines only, one annotation per run of lines.
    if (levels.trailing_whitespace !== "off" && (parsed || wholeFileLines)) {
      const bad: number[] = [];
      for (const l of lines) if (hasTrailingWhitespace(l.text)) bad.push(l.line);
      for (const [start, end] of runsOf(bad)) {
        add(
          "trailing_whitespace",
          levels.trailing_whitespace,
          file.path,
          start,
          end,
          "Trailing whitespace",
          `Trailing spaces or tabs on ${lineRange(start, end)}. Remove them (most editors can trim trailing whitespace on save).`,
        );
      }
    }

    // Final newline: from the patch's "\ No newline at end of file", or the content when read.
    if (levels.final_newline !== "off") {
      let missingAt: number | undefined;
      if (typeof content === "string") {
        if (content.length > 0 && !content.endsWith("\n")) missingAt = linesOf(content).length;
      } else if (parsed?.headMissingFinalNewline === true) {
        missingAt = parsed.headLastLine;
      }
      if (missingAt !== undefined) {
        add(
          "final_newline",
          levels.final_newline,
          file.path,
          missingAt,
          missingAt,
          "No newline at end of file",
          `${file.path} does not end with a newline (line ${missingAt} is its last line). Add a line break at the end of the file.`,
        );
      }
    }
  }

  const capped = capAnnotations(annotations, policy.checks.max_annotations);
  const conclusion = conclusionOf(annotations);
  const summary = lintSummary({
    checked,
    addedLines,
    annotations,
    findings,
    lint,
    binaryCount,
    generatedCount,
    readWhole,
    unreadable: [...unreadable],
    omitted: capped.omitted,
    truncated: snapshot.truncated,
  });
  return redactResult({
    name: "monobot/lint",
    conclusion,
    title:
      annotations.length === 0
        ? `No problems in ${plural(checked, "file")}`
        : describeCounts(annotations),
    summary: fitSummary(summary),
    annotations: capped.shown,
  });
}

function listPaths(paths: string[], max = 20): string {
  const shown = paths.slice(0, max).map((p) => `\`${p}\``);
  const more = paths.length > max ? `, and ${paths.length - max} more` : "";
  return shown.join(", ") + more;
}

function lintSummary(s: {
  checked: number;
  addedLines: number;
  annotations: Annotation[];
  findings: Record<LintRule, number>;
  lint: LintPolicy;
  binaryCount: number;
  generatedCount: number;
  readWhole: string[];
  unreadable: string[];
  omitted: number;
  truncated: boolean;
}): string {
  const out: string[] = [];
  out.push(
    `Checked ${plural(s.checked, "changed file")} (${plural(s.addedLines, "added line")}): ${describeCounts(s.annotations)}.`,
  );
  out.push("");
  out.push("| rule | default level | findings |");
  out.push("|---|---|---|");
  for (const rule of RULES) {
    out.push(
      `| ${RULE_TITLES[rule]} (\`${rule}\`) | ${s.lint.rules[rule]} | ${s.findings[rule]} |`,
    );
  }
  out.push("");
  const skipped: string[] = [];
  if (s.binaryCount > 0) skipped.push(plural(s.binaryCount, "binary file"));
  if (s.generatedCount > 0) skipped.push(plural(s.generatedCount, "generated or vendored file"));
  if (skipped.length > 0) {
    out.push(
      `Skipped ${skipped.join(" and ")} (checks.lint.binary / checks.lint.generated, and linguist-generated / linguist-vendored in .gitattributes); only the forbidden-path rule applies to them.`,
    );
  }
  if (s.readWhole.length > 0) {
    out.push(
      `Read whole (YAML/JSON to parse, or no patch from GitHub): ${plural(s.readWhole.length, "file")}: ${listPaths(s.readWhole)}.`,
    );
  }
  if (s.unreadable.length > 0) {
    out.push(
      `Could not check the content of ${plural(s.unreadable.length, "file")} (the whole file was needed but could not be read): ${listPaths(s.unreadable)}.`,
    );
  }
  if (s.annotations.length > 0) {
    out.push("");
    out.push(
      "**How to fix**: each annotation names the file, line and fix. Levels per rule and per path are set in `.github/monobot.yml` under `checks.lint.rules` and `checks.lint.overrides`.",
    );
  }
  const partial = truncatedLine(s.truncated);
  if (partial) out.push("", partial);
  const more = omittedLine(s.omitted);
  if (more) {
    out.push("");
    out.push(more);
  }
  return out.join("\n");
}

export const lintCheck: CheckDefinition = {
  id: "lint",
  name: "monobot/lint",
  needs: lintNeeds,
  run: runLint,
};
