// Unified-diff hunks of a changed file, parsed into added and removed lines with their line numbers.
import type { ChangedFile } from "./types.js";

/** One line of a patch: its number in the head file (added lines) or base file (removed lines). */
export interface PatchLine {
  line: number;
  /** The line's text without the diff marker and without a trailing carriage return. */
  text: string;
}

export interface Hunk {
  baseStart: number;
  baseCount: number;
  headStart: number;
  headCount: number;
}

export interface ParsedPatch {
  hunks: Hunk[];
  /** Added lines, numbered in the head file, in order. */
  added: PatchLine[];
  /** Removed lines, numbered in the base file, in order. */
  removed: PatchLine[];
  /**
   * The head file's lines from line 1 as far as the first hunk shows them without a gap
   * (context and added lines); empty when the first hunk does not start at line 1.
   */
  headFromStart: string[];
  /**
   * Whether the head file ends without a newline: `true` or `false` when the patch shows the
   * head file's last line, `undefined` when the end of the head file lies outside the hunks.
   */
  headMissingFinalNewline: boolean | undefined;
  /** Number of the head file's last line when the patch shows it (e.g. a whole added file). */
  headLastLine: number | undefined;
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Parse the hunks of a unified diff. Anything before the first hunk and between hunks (a
 * `diff --git` header from a local `git diff`) is skipped; a hunk ends when its line counts
 * are used up, so a file header line that happens to start with `-`, `+` or a space cannot be
 * mistaken for content.
 */
export function parsePatch(patch: string): ParsedPatch {
  const out: ParsedPatch = {
    hunks: [],
    added: [],
    removed: [],
    headFromStart: [],
    headMissingFinalNewline: undefined,
    headLastLine: undefined,
  };
  const lines = patch.split("\n");
  let baseLeft = 0;
  let headLeft = 0;
  let baseLine = 0;
  let headLine = 0;
  let collectingStart = false;
  // Which sides the previous content line belonged to, for "\ No newline at end of file".
  let lastKind: "context" | "added" | "removed" | undefined;
  for (let i = 0; i < lines.length; i++) {
    let raw = lines[i] as string;
    if (raw.endsWith("\r")) raw = raw.slice(0, -1);
    if (baseLeft === 0 && headLeft === 0) {
      if (raw.startsWith("\\") && lastKind !== undefined) {
        noteNoNewline(out, lastKind, headLine - 1);
        continue;
      }
      const m = raw.startsWith("@@") ? HUNK_HEADER.exec(raw) : null;
      if (!m) {
        lastKind = undefined;
        continue;
      }
      const hunk: Hunk = {
        baseStart: Number(m[1]),
        baseCount: m[2] === undefined ? 1 : Number(m[2]),
        headStart: Number(m[3]),
        headCount: m[4] === undefined ? 1 : Number(m[4]),
      };
      out.hunks.push(hunk);
      baseLeft = hunk.baseCount;
      headLeft = hunk.headCount;
      // A count of 0 means the hunk's start is the line *before* the (empty) range.
      baseLine = hunk.baseCount === 0 ? hunk.baseStart + 1 : hunk.baseStart;
      headLine = hunk.headCount === 0 ? hunk.headStart + 1 : hunk.headStart;
      collectingStart = out.hunks.length === 1 && headLine === 1;
      lastKind = undefined;
      continue;
    }
    const marker = raw.charCodeAt(0);
    if (raw.length > 0 && marker !== 32 && marker !== 43 && marker !== 45 && marker !== 92) {
      // Not hunk content (a context line starts with a space): the hunk was shorter than its
      // header said. Read this line again as a possible hunk header.
      baseLeft = 0;
      headLeft = 0;
      collectingStart = false;
      lastKind = undefined;
      i--;
      continue;
    }
    const fits =
      marker === 43
        ? headLeft > 0
        : marker === 45
          ? baseLeft > 0
          : marker === 92 || (headLeft > 0 && baseLeft > 0);
    if (!fits) {
      // Counts that do not add up: stop trusting this hunk rather than misnumber lines.
      baseLeft = 0;
      headLeft = 0;
      collectingStart = false;
      lastKind = undefined;
      continue;
    }
    if (marker === 43 /* + */) {
      const text = raw.slice(1);
      out.added.push({ line: headLine, text });
      if (collectingStart) out.headFromStart.push(text);
      headLine++;
      headLeft--;
      lastKind = "added";
    } else if (marker === 45 /* - */) {
      out.removed.push({ line: baseLine, text: raw.slice(1) });
      baseLine++;
      baseLeft--;
      lastKind = "removed";
    } else if (marker === 92 /* \ */) {
      if (lastKind !== undefined) noteNoNewline(out, lastKind, headLine - 1);
    } else {
      // A context line; some tools strip the single space of an empty context line.
      if (collectingStart) out.headFromStart.push(raw.slice(1));
      baseLine++;
      headLine++;
      baseLeft--;
      headLeft--;
      lastKind = "context";
    }
    if (baseLeft === 0 && headLeft === 0) collectingStart = false;
  }
  return out;
}

function noteNoNewline(
  out: ParsedPatch,
  kind: "context" | "added" | "removed",
  lastHeadLine: number,
): void {
  if (kind === "removed") {
    // Only the base file lacked the final newline. Unless a later "\" line says otherwise for
    // the head, the head's last line is the added line that follows, which ends with a newline.
    return;
  }
  out.headMissingFinalNewline = true;
  out.headLastLine = lastHeadLine;
}

/**
 * Fill in what the patch says about the head's end when no "\ No newline" marker was seen:
 * for an added file every line is shown, so its last added line is its last line.
 */
function completeEnd(parsed: ParsedPatch, file: ChangedFile): ParsedPatch {
  if (parsed.headMissingFinalNewline === undefined && file.status === "added") {
    const last = parsed.added[parsed.added.length - 1];
    if (last) {
      parsed.headMissingFinalNewline = false;
      parsed.headLastLine = last.line;
    }
  }
  return parsed;
}

const cache = new WeakMap<ChangedFile, { patch: string; parsed: ParsedPatch }>();

/**
 * The parsed patch of a changed file, or `undefined` when it has none. Parsed once per file
 * object and shared by every check of the same snapshot.
 */
export function patchOf(file: ChangedFile): ParsedPatch | undefined {
  if (file.patch === undefined) return undefined;
  const hit = cache.get(file);
  if (hit && hit.patch === file.patch) return hit.parsed;
  const parsed = completeEnd(parsePatch(file.patch), file);
  cache.set(file, { patch: file.patch, parsed });
  return parsed;
}

/** True when the file exists at the head and can be checked (it is not removed). */
export function existsAtHead(file: ChangedFile): boolean {
  return file.status !== "removed";
}
