// Pure `content -> content` updaters for VERSION files and charts (one exact replacement, verified by parsing again), and the one writer that applies them.
import { isDeepStrictEqual } from "node:util";
import { isMap, parseDocument } from "yaml";
import {
  parseChart,
  parseRequirements,
  type ChartDependency,
  type ChartManifest,
  type ScalarAt,
} from "./charts.js";
import { isSemver, parseVersionFile } from "./versions.js";

/** An edit's outcome: the new content (unchanged when the value was already right), or why not. */
export type EditResult =
  { ok: true; content: string; changed: boolean } | { ok: false; reason: string };

function refuse(reason: string): EditResult {
  return { ok: false, reason };
}

/** Text of `at`'s position replaced; everything outside it is byte-for-byte the same. */
function splice(content: string, start: number, end: number, text: string): string {
  return content.slice(0, start) + text + content.slice(end);
}

function parsesAsString(value: string): boolean {
  const doc = parseDocument(`k: ${value}\n`);
  if (doc.errors.length > 0) return false;
  const js = doc.toJS() as Record<string, unknown> | null;
  return js?.k === value;
}

/**
 * `value` written in the style the old value used, so the diff is the value alone. A plain
 * value that YAML would read as something else than that string (`1.10` is a number) gets
 * double quotes.
 */
function render(value: string, style: ScalarAt["style"]): string | undefined {
  switch (style) {
    case "double":
      return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    case "single":
      return `'${value.replace(/'/g, "''")}'`;
    case "plain":
      return parsesAsString(value)
        ? value
        : `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
    case "block":
      return undefined;
  }
}

// A key written twice is read as Helm reads it, the last one winning, as parseChart does.
const AS_HELM = { uniqueKeys: false } as const;

function toJs(text: string): unknown {
  return parseDocument(text, AS_HELM).toJS();
}

/** Sets `path` in a parsed YAML value (a copy), for comparing a document before and after. */
function withValue(js: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(js) as Record<string | number, unknown>;
  let cur: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    cur = cur[key] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) cur[last] = value;
  return copy;
}

function valueAt(js: unknown, path: (string | number)[]): unknown {
  let cur: unknown = js;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * Replace one scalar and prove it: the file must parse again, `read` must find the new value,
 * and the document must equal the old one with only the value at `path` changed.
 */
function replaceScalar(
  content: string,
  at: ScalarAt,
  value: string,
  path: (string | number)[],
  read: (text: string) => ScalarAt | undefined,
  what: string,
): EditResult {
  if (at.value === value) return { ok: true, content, changed: false };
  const text = render(value, at.style);
  if (text === undefined) {
    return refuse(`${what} is written as a block scalar; change it by hand to ${value}`);
  }
  const next = splice(content, at.start, at.end, text);
  return verify(content, next, value, path, read, what);
}

function verify(
  before: string,
  after: string,
  value: string,
  path: (string | number)[],
  read: (text: string) => ScalarAt | undefined,
  what: string,
): EditResult {
  const check = parseDocument(after, AS_HELM);
  if (check.errors.length > 0) {
    return refuse(`writing ${value} as ${what} would break the YAML; change it by hand`);
  }
  if (read(after)?.value !== value) {
    return refuse(`${what} did not read back as ${value} after the edit; change it by hand`);
  }
  const afterJs = toJs(after);
  const expected = withValue(toJs(before), path, valueAt(afterJs, path));
  if (!isDeepStrictEqual(expected, afterJs)) {
    return refuse(`changing ${what} would change other values of the file; change it by hand`);
  }
  return { ok: true, content: after, changed: true };
}

/** Sets a VERSION file's version, keeping its line ending. */
export function setVersionFile(content: string, version: string): EditResult {
  if (!isSemver(version)) return refuse(`${JSON.stringify(version)} is not a SemVer 2.0.0 version`);
  const parsed = parseVersionFile(content);
  if (!parsed.ok) {
    return refuse(`the VERSION file ${parsed.message} (line ${parsed.line}); fix it by hand first`);
  }
  if (parsed.version === version) return { ok: true, content, changed: false };
  const next = version + content.slice(parsed.version.length);
  const again = parseVersionFile(next);
  if (!again.ok || again.version !== version) {
    return refuse(`the VERSION file did not read back as ${version}; change it by hand`);
  }
  return { ok: true, content: next, changed: true };
}

function chartOf(text: string): ChartManifest | undefined {
  const parsed = parseChart(text, "Chart.yaml");
  return parsed.ok ? parsed.chart : undefined;
}

/** Sets a Chart.yaml's `version`. */
export function setChartVersion(content: string, version: string): EditResult {
  const chart = chartOf(content);
  if (!chart) return refuse("Chart.yaml does not parse; fix it by hand first");
  if (!chart.version) return refuse("Chart.yaml has no version line; add `version:` by hand first");
  return replaceScalar(
    content,
    chart.version,
    version,
    ["version"],
    (t) => chartOf(t)?.version,
    "version",
  );
}

/**
 * Sets a Chart.yaml's `appVersion`, adding the line after `version:` (same indentation, quoted,
 * as Helm recommends) when the chart has none.
 */
export function setChartAppVersion(content: string, appVersion: string): EditResult {
  const chart = chartOf(content);
  if (!chart) return refuse("Chart.yaml does not parse; fix it by hand first");
  const read = (t: string) => chartOf(t)?.appVersion;
  if (chart.appVersion) {
    return replaceScalar(content, chart.appVersion, appVersion, ["appVersion"], read, "appVersion");
  }
  const version = chart.version;
  const doc = parseDocument(content, AS_HELM);
  if (!version || !isMap(doc.contents) || doc.contents.flow) {
    return refuse(
      "Chart.yaml has no block `version:` line to add appVersion after; add it by hand",
    );
  }
  const lineStart = content.lastIndexOf("\n", version.start - 1) + 1;
  const indent = /^[ \t]*/.exec(content.slice(lineStart))?.[0] ?? "";
  let lineEnd = content.indexOf("\n", version.end);
  const crlf = lineEnd > 0 && content[lineEnd - 1] === "\r";
  if (lineEnd < 0) lineEnd = content.length;
  else if (crlf) lineEnd -= 1;
  const eol = crlf ? "\r\n" : "\n";
  const line = `${indent}appVersion: ${render(appVersion, "double") ?? appVersion}`;
  const next =
    lineEnd === content.length && !content.endsWith("\n")
      ? `${content}${eol}${line}`
      : splice(content, lineEnd, lineEnd, `${eol}${line}`);
  const afterJs = toJs(next) as Record<string, unknown> | null;
  const beforeJs = toJs(content) as Record<string, unknown>;
  if (
    read(next)?.value !== appVersion ||
    !isDeepStrictEqual({ ...beforeJs, appVersion: afterJs?.appVersion }, afterJs)
  ) {
    return refuse("adding appVersion would change other values of Chart.yaml; add it by hand");
  }
  return { ok: true, content: next, changed: true };
}

function dependenciesOf(
  text: string,
  kind: "chart" | "requirements",
): ChartDependency[] | undefined {
  if (kind === "chart") return chartOf(text)?.dependencies;
  const parsed = parseRequirements(text, "requirements.yaml");
  return parsed.ok ? parsed.dependencies : undefined;
}

/**
 * Sets the version pin of the dependency at `index` (which must be named `name`) in a
 * Chart.yaml (`kind: "chart"`) or a Helm 2 requirements.yaml.
 */
export function setDependencyPin(
  content: string,
  kind: "chart" | "requirements",
  dependency: { index: number; name: string },
  pin: string,
): EditResult {
  const file = kind === "chart" ? "Chart.yaml" : "requirements.yaml";
  const deps = dependenciesOf(content, kind);
  if (!deps) return refuse(`${file} does not parse; fix it by hand first`);
  const dep = deps[dependency.index];
  if (!dep || dep.name !== dependency.name) {
    return refuse(`${file} has no dependency ${dependency.name} at entry ${dependency.index + 1}`);
  }
  if (!dep.version) {
    return refuse(
      `the ${dependency.name} dependency in ${file} has no version line; add one by hand`,
    );
  }
  return replaceScalar(
    content,
    dep.version,
    pin,
    ["dependencies", dependency.index, "version"],
    (t) => dependenciesOf(t, kind)?.[dependency.index]?.version,
    `the ${dependency.name} dependency's version`,
  );
}

// ---------------------------------------------------------------------------------------------
// The one writer: updates applied in order to in-memory files, as one commit's worth of edits.

/**
 * One change to one file, as release-please's updaters: a pure edit of the file's text and what
 * it changes in words ("version 1.4.0 -> 1.4.1"). A plan is a list of these; the writer applies
 * them in order, each to the text the previous ones left.
 */
export interface FileUpdate {
  path: string;
  edit: (content: string) => EditResult;
  change?: string;
}

/** One file of a commit. `before` is "" for a file the commit creates. */
export interface FileEdit {
  path: string;
  before: string;
  after: string;
  /** What changed, in words, in the order the updates were applied. */
  changes: string[];
  created?: boolean;
}

export interface UpdateWriter {
  /** Applies one update; false when its edit refuses (the reason is added to the problems). */
  apply(update: FileUpdate): boolean;
  /** The file's text with the updates applied so far; undefined when it does not exist. */
  textOf(path: string): string | undefined;
  /** The files that changed, in the order they were first changed. */
  edits(): FileEdit[];
}

export interface WriterOptions {
  /** The problem for an update of a file that does not exist; without it, the file is created. */
  missing?: (path: string) => string;
  /** How a refused edit reads in the problems. */
  refused?: (path: string, reason: string) => string;
}

/** The writer every plan shares: `read` gives a file's text at the start, `problems` collects refusals. */
export function updateWriter(
  read: (path: string) => string | undefined,
  problems: string[],
  options: WriterOptions = {},
): UpdateWriter {
  const working = new Map<string, FileEdit>();
  const textOf = (path: string): string | undefined => working.get(path)?.after ?? read(path);
  const apply = ({ path, edit, change }: FileUpdate): boolean => {
    const before = textOf(path);
    if (before === undefined && options.missing) {
      problems.push(options.missing(path));
      return false;
    }
    const r = edit(before ?? "");
    if (!r.ok) {
      problems.push(options.refused ? options.refused(path, r.reason) : `${path}: ${r.reason}`);
      return false;
    }
    if (!r.changed) return true;
    const entry = working.get(path);
    if (entry) {
      entry.after = r.content;
      if (change !== undefined) entry.changes.push(change);
    } else {
      const fresh: FileEdit = {
        path,
        before: before ?? "",
        after: r.content,
        changes: change === undefined ? [] : [change],
      };
      if (before === undefined) fresh.created = true;
      working.set(path, fresh);
    }
    return true;
  };
  return { apply, textOf, edits: () => [...working.values()] };
}
