// Annotations of the static checks: the cap per check run, batches of 50 per request, verdicts.
import type { Annotation, AnnotationLevel, Conclusion } from "../types.js";

/** GitHub's Checks API takes at most this many annotations per create or update request. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** GitHub's limits on an annotation's fields and on a check run's summary. */
const MAX_TITLE_CHARS = 255;
const MAX_MESSAGE_CHARS = 64 * 1024;
const MAX_SUMMARY_CHARS = 65_535;

const severity: Record<AnnotationLevel, number> = { failure: 0, warning: 1, notice: 2 };

export interface CappedAnnotations {
  /** The annotations to send: failures first, then warnings, then notices, each in file order. */
  shown: Annotation[];
  /** How many were left out by the cap. */
  omitted: number;
}

/**
 * Keep at most `max` annotations. When some must go, failures are kept before warnings and
 * warnings before notices, so the reason a check fails is always visible.
 */
export function capAnnotations(list: readonly Annotation[], max: number): CappedAnnotations {
  const limit = Math.max(0, Math.floor(max));
  const ordered = list
    .map((a, i) => ({ a, i }))
    .sort((x, y) => severity[x.a.level] - severity[y.a.level] || x.i - y.i)
    .map((x) => x.a);
  const shown = ordered.slice(0, limit).map(fitAnnotation);
  return { shown, omitted: ordered.length - shown.length };
}

/** Split annotations into requests of at most `size` (GitHub accepts 50 per request). */
export function batchAnnotations(
  list: readonly Annotation[],
  size: number = ANNOTATIONS_PER_REQUEST,
): Annotation[][] {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  }
  const out: Annotation[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** `failure` when any annotation is at failure level, else `success`. */
export function conclusionOf(annotations: readonly Annotation[]): Conclusion {
  return annotations.some((a) => a.level === "failure") ? "failure" : "success";
}

/** "2 failures, 1 warning, 0 notices" for a summary. */
export function countLevels(annotations: readonly Annotation[]): Record<AnnotationLevel, number> {
  const counts: Record<AnnotationLevel, number> = { failure: 0, warning: 0, notice: 0 };
  for (const a of annotations) counts[a.level]++;
  return counts;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function describeCounts(annotations: readonly Annotation[]): string {
  const c = countLevels(annotations);
  return `${plural(c.failure, "failure")}, ${plural(c.warning, "warning")}, ${plural(c.notice, "notice")}`;
}

/** The summary's line about annotations left out by the cap, or "" when none were. */
export function omittedLine(omitted: number): string {
  if (omitted <= 0) return "";
  return `${plural(omitted, "more annotation")} not shown (the limit is \`checks.max_annotations\`; fix these and push, or raise the limit in \`.github/monobot.yml\`).`;
}

/** The summary's line for a change GitHub listed only in part, or "" for a complete listing. */
export function truncatedLine(truncated: boolean): string {
  if (!truncated) return "";
  return "GitHub lists at most 3,000 files of a pull request: files beyond those were not checked. Split the change into smaller pull requests to check every file.";
}

/** Keep an annotation within GitHub's field limits. */
function fitAnnotation(a: Annotation): Annotation {
  const out: Annotation = { ...a, message: truncate(a.message, MAX_MESSAGE_CHARS) };
  if (a.title !== undefined) out.title = truncate(a.title, MAX_TITLE_CHARS);
  if (out.end_line < out.start_line) out.end_line = out.start_line;
  return out;
}

/** Keep a summary within GitHub's 65,535 characters. */
export function fitSummary(summary: string): string {
  return truncate(summary, MAX_SUMMARY_CHARS);
}

function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const marker = "\n\n(truncated)";
  return text.slice(0, max - marker.length) + marker;
}
