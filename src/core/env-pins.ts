// An environment's pin of a component in one file, for the three layouts (a Fleet fleet.yaml's targetCustomizations, a values file per environment, an umbrella chart per environment): read it with its line, or move it as a minimal text edit verified by parsing again.
import { isDeepStrictEqual } from "node:util";
import semver from "semver";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, type Document } from "yaml";
import { dependencySource } from "./charts.js";
import { setChartVersion, type EditResult } from "./edits.js";
import { umbrellaKeyProblem, type PinLayout } from "./env-layout.js";
import { landPath, NodeIndex, pinKeyText, type PinStep } from "./env-pin-key.js";
import { setValuesKey } from "./values-edit.js";
import { isSemver } from "./versions.js";

/** A pin as a file shows it. */
export type PinRead =
  | { ok: true; found: true; value: string; line: number }
  /** The path stops at a missing key: nothing pinned yet (a writer adds it where it can). */
  | { ok: true; found: false; line: number; message: string; structural: boolean }
  /** The file itself is wrong (does not parse, or the pin cannot be one): fix it. */
  | { ok: false; line: number; message: string };

/** A pin file parsed once, for reading many pins of it. */
export interface PinFile {
  content: string;
  doc: Document.Parsed;
  lines: LineCounter;
  index: NodeIndex;
}

/** `content` parsed as a pin file, or the line and reason it does not parse. */
export function openPinFile(content: string): PinFile | { line: number; message: string } {
  const lines = new LineCounter();
  // Duplicate keys are found by NodeIndex on the pin's own path: yaml's check compares every
  // pair of keys, quadratic in a values file of 1,000 components.
  const doc = parseDocument(content, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: false,
  });
  const error = doc.errors[0];
  if (error) {
    const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return { line: lines.linePos(error.pos[0]).line, message: `does not parse: ${message}` };
  }
  return { content, doc, lines, index: new NodeIndex() };
}

function lineOf(lines: LineCounter, node: unknown): number {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range ? lines.linePos(range[0]).line : 1;
}

/** For an umbrella pin, the dependency entry must pin a published chart, not package a folder. */
function umbrellaProblem(
  root: unknown,
  steps: readonly PinStep[],
  index: NodeIndex,
): string | undefined {
  const dep = landPath(root, steps.slice(0, 2), index);
  if (!dep.ok || !isMap(dep.node)) return undefined;
  const repo = index.child(dep.node, "repository").value;
  const repository = isScalar(repo) && typeof repo.value === "string" ? repo.value : undefined;
  const source = dependencySource(repository === undefined ? {} : { repository });
  if (source === "repository") return undefined;
  return source === "file"
    ? `the dependency is ${repository}, which packages whatever that folder holds: it pins no version. Point repository at the chart repository the chart is published to (https:// or oci://) and pin its version`
    : `the dependency has no repository, so Helm packages the umbrella's own charts/ folder: it pins no version. Point repository at the chart repository the chart is published to (https:// or oci://) and pin its version`;
}

/** What `steps` (placeholders expanded) pin in `content`, with the line; `layout` adds its own rules. */
export function readPin(content: string, layout: PinLayout, steps: readonly PinStep[]): PinRead {
  const file = openPinFile(content);
  if (!("doc" in file)) return { ok: false, line: file.line, message: file.message };
  return readPinIn(file, layout, steps);
}

/** {@link readPin} on a file parsed once. */
export function readPinIn(file: PinFile, layout: PinLayout, steps: readonly PinStep[]): PinRead {
  const { doc, lines, content, index } = file;
  if (layout === "umbrella") {
    const problem = umbrellaProblem(doc.contents, steps, index);
    if (problem) {
      const at = landPath(doc.contents, steps.slice(0, 2), index);
      return { ok: false, line: at.ok ? lineOf(lines, at.node) : 1, message: problem };
    }
  }
  const landing = landPath(doc.contents, steps, index);
  if (!landing.ok && landing.broken) {
    return { ok: false, line: lineOf(lines, landing.parent), message: landing.message };
  }
  if (!landing.ok) {
    return {
      ok: true,
      found: false,
      line: lineOf(lines, landing.parent),
      message: landing.message,
      // A selector or a list position that finds nothing means the file lacks the
      // environment's place (a target, a dependency), not just this component's value.
      structural: !("key" in (steps[landing.step] as PinStep)) || layout === "umbrella",
    };
  }
  const node = landing.node;
  if (!isScalar(node) || (node.value !== null && typeof node.value === "object")) {
    return {
      ok: false,
      line: lineOf(lines, node),
      message: `${pinKeyText(steps)} is a mapping or a list, not a value; point the key at the version itself`,
    };
  }
  if (node.value === null) {
    return {
      ok: true,
      found: false,
      line: lineOf(lines, node),
      message: `${pinKeyText(steps)} is empty`,
      structural: false,
    };
  }
  // A plain scalar keeps its written form: `tag: 1.10` pins "1.10", not the number 1.1.
  const value =
    node.type === Scalar.PLAIN && node.range
      ? content.slice(node.range[0], node.range[1]).trim()
      : String(node.value);
  return { ok: true, found: true, value, line: lineOf(lines, node) };
}

function refuse(reason: string): EditResult {
  return { ok: false, reason };
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function readsAs(text: string, value: string, flow: boolean): boolean {
  const doc = parseDocument(flow ? `{k: ${text}}` : `k: ${text}\n`);
  return doc.errors.length === 0 && (doc.toJS() as Record<string, unknown> | null)?.k === value;
}

/** `value` in the old value's quoting; a plain value YAML would read as something else gets quotes. */
function render(value: string, node: Scalar, flow: boolean): string | undefined {
  switch (node.type) {
    case Scalar.QUOTE_DOUBLE:
      return quoted(value);
    case Scalar.QUOTE_SINGLE:
      return `'${value.replace(/'/g, "''")}'`;
    case Scalar.PLAIN:
    case undefined:
      return readsAs(value, value, flow) ? value : quoted(value);
    default:
      return undefined;
  }
}

function withValue(js: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const copy = structuredClone(js) as Record<string | number, unknown>;
  let cur = copy;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, unknown>;
  cur[path[path.length - 1] as string | number] = value;
  return copy;
}

/** The edit proven: parses, reads back as `value`, and the document differs at `path` only. */
function verify(
  before: string,
  after: string,
  layout: PinLayout,
  steps: readonly PinStep[],
  path: readonly (string | number)[],
  value: string,
): EditResult {
  const key = pinKeyText(steps);
  const read = readPin(after, layout, steps);
  if (!read.ok || !read.found || read.value !== value) {
    return refuse(`${key} did not read back as ${value} after the edit; change it by hand`);
  }
  const expected = withValue(parseDocument(before).toJS(), path, value);
  if (!isDeepStrictEqual(expected, parseDocument(after).toJS())) {
    return refuse(`changing ${key} would change other values of the file; change it by hand`);
  }
  return { ok: true, content: after, changed: true };
}

/** Whether the value at `path` sits inside a flow collection (`{tag: 1.0}`), where quoting rules differ. */
function inFlow(root: unknown, path: readonly (string | number)[]): boolean {
  let node: unknown = root;
  for (const key of path) {
    if (isMap(node)) {
      if (node.flow) return true;
      node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key))?.value;
    } else if (isSeq(node)) {
      if (node.flow) return true;
      node = node.items[key as number];
    } else return false;
  }
  return false;
}

export interface WritePinOptions {
  /**
   * For an umbrella pin: also raise the umbrella's own `version` (patch), since its content
   * changed (default true). Apply edits to the base branch's text, so the bump happens once.
   */
  bumpUmbrella?: boolean;
}

/**
 * Moves the pin at `steps` to `value`: the old value's text is replaced in place in its quoting
 * style (comments, flow style, line endings untouched); a missing key on a path of mapping keys
 * is added as values-edit adds it. An umbrella pin must be a repository dependency and `value`
 * a SemVer version; its chart's own version goes up by a patch. The result must parse to the
 * old document with only the pin (and that version) changed.
 */
export function writePin(
  content: string,
  layout: PinLayout,
  steps: readonly PinStep[],
  value: string,
  options: WritePinOptions = {},
): EditResult {
  const key = pinKeyText(steps);
  if (layout === "umbrella") {
    const problem = umbrellaKeyProblem(steps);
    if (problem) return refuse(problem);
    if (!isSemver(value)) {
      return refuse(
        `an umbrella pins a chart version; ${JSON.stringify(value)} is not a SemVer version`,
      );
    }
  }
  if (value === "" || /[\s]/.test(value)) {
    return refuse(`${JSON.stringify(value)} is not a version to pin`);
  }
  const read = readPin(content, layout, steps);
  if (!read.ok) return refuse(`${key}: ${read.message}`);
  if (read.found && read.value === value) return { ok: true, content, changed: false };
  const parsed = openPinFile(content);
  if (!("doc" in parsed)) return refuse(`the file ${parsed.message}`);
  const landing = landPath(parsed.doc.contents, steps);
  let moved: EditResult;
  if (landing.ok) {
    const node = landing.node as Scalar;
    const [start, end] = node.range ?? [0, 0];
    const text =
      start === end
        ? ` ${quoted(value)}`
        : render(value, node, inFlow(parsed.doc.contents, landing.path));
    if (text === undefined)
      return refuse(`${key} is written as a block scalar; change it by hand to ${value}`);
    moved = verify(
      content,
      content.slice(0, start) + text + content.slice(end),
      layout,
      steps,
      landing.path,
      value,
    );
  } else if (read.found === false && !read.structural && steps.every((s) => "key" in s)) {
    moved = setValuesKey(
      content,
      steps.map((s) => (s as { key: string }).key),
      value,
    );
  } else {
    return refuse(
      `${key} names nothing in the file (${read.found ? "" : read.message}); add the pin by hand once, then monobot moves it`,
    );
  }
  if (!moved.ok || layout !== "umbrella" || options.bumpUmbrella === false) return moved;
  return bumpUmbrellaVersion(moved.content);
}

/** An umbrella's own `version` up by a patch, because its pins changed. */
export function bumpUmbrellaVersion(content: string): EditResult {
  const parsed = parseDocument(content).toJS() as { version?: unknown } | null;
  const current = typeof parsed?.version === "string" ? parsed.version : undefined;
  const next = current && isSemver(current) ? semver.inc(current, "patch") : null;
  if (!next) {
    return refuse(
      "the umbrella's own version is not a SemVer version, so it cannot go up; fix it by hand first",
    );
  }
  const bumped = setChartVersion(content, next);
  return bumped.ok ? { ok: true, content: bumped.content, changed: true } : bumped;
}
