// Sets one dotted key of a Helm values.yaml (e.g. image.tag) as a minimal text edit, verified by parsing again.
import { isDeepStrictEqual } from "node:util";
import {
  isAlias,
  isMap,
  isScalar,
  parseDocument,
  Scalar,
  type Node as YamlNode,
  type YAMLMap,
} from "yaml";
import type { EditResult } from "./edits.js";

/** A values key as path segments: `image.tag` -> ["image", "tag"]. */
export function valuesPath(key: string | readonly string[]): string[] {
  return typeof key === "string" ? key.split(".") : [...key];
}

/** The scalar at `path` of a values file as a string, or undefined (missing, not a scalar, bad YAML). */
export function readValuesKey(
  content: string,
  key: string | readonly string[],
): string | undefined {
  const doc = parseDocument(content, { uniqueKeys: true });
  if (doc.errors.length > 0) return undefined;
  let node: unknown = doc.contents;
  for (const segment of valuesPath(key)) {
    if (!isMap(node)) return undefined;
    node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment)?.value;
  }
  if (!isScalar(node) || node.value === null || typeof node.value === "object") return undefined;
  return String(node.value);
}

function refuse(reason: string): EditResult {
  return { ok: false, reason };
}

function quoted(value: string): string {
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Whether `text` written as a value (in a block or a flow mapping) reads back as `value`. */
function readsAs(text: string, value: string, flow: boolean): boolean {
  const doc = parseDocument(flow ? `{k: ${text}}` : `k: ${text}\n`);
  if (doc.errors.length > 0) return false;
  return (doc.toJS() as Record<string, unknown> | null)?.k === value;
}

/** `value` in the old value's quoting style; a plain value YAML would not read as that string is quoted. */
function render(value: string, style: Scalar["type"], flow: boolean): string | undefined {
  switch (style) {
    case Scalar.QUOTE_DOUBLE:
      return quoted(value);
    case Scalar.QUOTE_SINGLE:
      return `'${value.replace(/'/g, "''")}'`;
    case Scalar.PLAIN:
      return readsAs(value, value, flow) ? value : quoted(value);
    default:
      return undefined;
  }
}

function lineStartOf(content: string, offset: number): number {
  return content.lastIndexOf("\n", offset - 1) + 1;
}

/** The indentation of the line holding `offset`, as spaces (a `- ` of a list item counts as two). */
function columnOf(content: string, offset: number): number {
  return offset - lineStartOf(content, offset);
}

function eolOf(content: string): string {
  return /\r\n/.test(content) ? "\r\n" : "\n";
}

/** The file's indentation step: the first nested mapping's indentation, else 2. */
function indentStep(content: string): number {
  for (const line of content.split(/\r?\n/)) {
    const m = /^( +)[^\s#-]/.exec(line);
    if (m) return (m[1] as string).length;
  }
  return 2;
}

/** Block lines for `segments: value`, the first at `indent`, each level one `step` deeper. */
function blockLines(
  segments: readonly string[],
  value: string,
  indent: number,
  step: number,
  eol: string,
): string {
  return segments
    .map((s, i) =>
      i === segments.length - 1
        ? `${" ".repeat(indent + i * step)}${s}: ${quoted(value)}`
        : `${" ".repeat(indent + i * step)}${s}:`,
    )
    .join(eol);
}

function withPath(js: unknown, path: readonly string[], value: unknown): unknown {
  const root = (js && typeof js === "object" ? structuredClone(js) : {}) as Record<string, unknown>;
  let cur = root;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (!next || typeof next !== "object") cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1] as string] = value;
  return root;
}

function verify(before: string, after: string, path: readonly string[], value: string): EditResult {
  const key = path.join(".");
  const doc = parseDocument(after, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    return refuse(`writing ${value} as ${key} would break the YAML; change it by hand`);
  }
  if (readValuesKey(after, path) !== value) {
    return refuse(`${key} did not read back as ${value} after the edit; change it by hand`);
  }
  const expected = withPath(parseDocument(before).toJS(), path, value);
  if (!isDeepStrictEqual(expected, doc.toJS())) {
    return refuse(`changing ${key} would change other values of the file; change it by hand`);
  }
  return { ok: true, content: after, changed: true };
}

/**
 * Sets the values key `key` (dotted, `image.tag`, or segments) to the string `value`: the old
 * value's text is replaced in place in its quoting style (comments, layout, line endings and
 * flow style untouched), or, when the key is missing, one line (or one `, key: value` in a flow
 * mapping) is added to the deepest mapping that exists, with the file's indentation and line
 * endings. The result must parse to the old document with only that key changed.
 */
export function setValuesKey(
  content: string,
  key: string | readonly string[],
  value: string,
): EditResult {
  const path = valuesPath(key);
  const name = path.join(".");
  if (path.length === 0 || path.some((s) => s === "")) {
    return refuse(`"${name}" is not a values key; write a dotted path such as image.tag`);
  }
  const doc = parseDocument(content, { uniqueKeys: true });
  if (doc.errors.length > 0) return refuse("values.yaml does not parse; fix it by hand first");
  const eol = eolOf(content);
  const step = indentStep(content);

  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    if (content.trim() !== "" && !content.split(/\r?\n/).every((l) => /^\s*(#.*)?$/.test(l))) {
      return refuse("values.yaml is not a mapping of keys; fix it by hand first");
    }
    const lead = content === "" || content.endsWith("\n") ? "" : eol;
    return verify(
      content,
      `${content}${lead}${blockLines(path, value, 0, step, eol)}${eol}`,
      path,
      value,
    );
  }

  let node: unknown = doc.contents;
  for (let depth = 0; depth < path.length; depth++) {
    const segment = path[depth] as string;
    const where = path.slice(0, depth).join(".") || "the top level";
    if (isAlias(node)) return refuse(`${where} is an alias in values.yaml; change ${name} by hand`);
    if (!isMap(node)) {
      return refuse(
        `${where} of values.yaml is not a mapping, so ${name} cannot be set; change it by hand`,
      );
    }
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
    if (!pair) return insert(content, node, path, depth, value, eol, step);
    node = pair.value;
  }

  if (isAlias(node)) return refuse(`${name} is an alias in values.yaml; change the anchor by hand`);
  if (!isScalar(node) || !node.range) {
    return refuse(`${name} in values.yaml is a mapping or a list, not a value; change it by hand`);
  }
  if (node.value !== null && String(node.value) === value && typeof node.value === "string") {
    return { ok: true, content, changed: false };
  }
  const [start, end] = node.range;
  const inFlow = isInFlow(doc.contents, path);
  if (start === end) {
    // `tag:` with nothing after it.
    return verify(
      content,
      `${content.slice(0, start)} ${quoted(value)}${content.slice(end)}`,
      path,
      value,
    );
  }
  const style = node.value === null ? Scalar.PLAIN : node.type;
  const text = render(value, style, inFlow);
  if (text === undefined) {
    return refuse(
      `${name} is written as a block scalar in values.yaml; change it by hand to ${value}`,
    );
  }
  return verify(content, content.slice(0, start) + text + content.slice(end), path, value);
}

function isInFlow(root: unknown, path: readonly string[]): boolean {
  let node: unknown = root;
  for (const segment of path.slice(0, -1)) {
    if (!isMap(node)) return false;
    if (node.flow) return true;
    node = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment)?.value;
  }
  return isMap(node) && node.flow === true;
}

/** Adds `path[depth..]` to the mapping `map`, which lacks `path[depth]`. */
function insert(
  content: string,
  map: YAMLMap,
  path: readonly string[],
  depth: number,
  value: string,
  eol: string,
  step: number,
): EditResult {
  const rest = path.slice(depth);
  const name = path.join(".");
  const range = map.range;
  if (!range) return refuse(`cannot place ${name} in values.yaml; add it by hand`);
  if (map.flow) {
    if (rest.length > 1) {
      return refuse(
        `${path.slice(0, depth).join(".")} is a flow mapping without ${rest[0]}; add ${name} by hand`,
      );
    }
    const last = map.items[map.items.length - 1];
    const lastEnd =
      (last?.value as YamlNode | null)?.range?.[1] ?? (last?.key as YamlNode | null)?.range?.[1];
    const entry = `${rest[0]}: ${quoted(value)}`;
    const after =
      lastEnd === undefined
        ? `${content.slice(0, range[0] + 1)}${entry}${content.slice(range[0] + 1)}`
        : `${content.slice(0, lastEnd)}, ${entry}${content.slice(lastEnd)}`;
    return verify(content, after, path, value);
  }
  const first = map.items[0]?.key as YamlNode | null | undefined;
  const last = map.items[map.items.length - 1];
  if (!first?.range || !last) return refuse(`cannot place ${name} in values.yaml; add it by hand`);
  const indent = columnOf(content, first.range[0]);
  const lastNode = (last.value ?? last.key) as YamlNode | null;
  const end = lastNode?.range?.[1] ?? range[1];
  const lines = blockLines(rest, value, indent, step, eol);
  let after: string;
  if (end > 0 && content[end - 1] === "\n") {
    after = `${content.slice(0, end)}${lines}${eol}${content.slice(end)}`;
  } else {
    const nl = content.indexOf("\n", end);
    if (nl < 0) {
      after = `${content}${eol}${lines}`;
    } else {
      const at = content[nl - 1] === "\r" ? nl - 1 : nl;
      after = `${content.slice(0, at)}${eol}${lines}${content.slice(at)}`;
    }
  }
  return verify(content, after, path, value);
}
