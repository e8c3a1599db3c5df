// Pin keys of the environments policy: `{placeholder}` templates, dotted paths with list selectors (`targetCustomizations[name=staging].helm.values`), and where such a path lands in a YAML document.
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap, type YAMLSeq } from "yaml";

/** Placeholders a pin's `file` and `key` may use, and what each stands for. */
export const PIN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  environment: "the environment's name, e.g. staging",
  component: "the component's name, e.g. roc-api",
  chart: "the component's chart folder in the config repo, e.g. charts/roc-api",
  chart_name: "the chart's name in its Chart.yaml, e.g. roc-api",
};

/** The placeholders that tell one component's pin from another's. */
export const COMPONENT_PLACEHOLDERS: readonly string[] = ["component", "chart", "chart_name"];

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder names `text` uses, in order of first use. */
export function pinPlaceholders(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!out.includes(m[1] as string)) out.push(m[1] as string);
  }
  return out;
}

/** `text` with each known placeholder replaced; unknown ones stay as written (validation names them). */
export function expandPin(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole);
}

/** One step of a pin key: a mapping key, a list position, or the list entry whose `field` is `value`. */
export type PinStep = { key: string } | { index: number } | { field: string; value: string };

export type PinKeyParse = { ok: true; steps: PinStep[] } | { ok: false; message: string };

function describe(step: PinStep): string {
  if ("key" in step) return step.key;
  if ("index" in step) return `[${step.index}]`;
  return `[${step.field}=${step.value}]`;
}

/** A path of steps written back as a key (`a.b[name=x].c`). */
export function pinKeyText(steps: readonly PinStep[]): string {
  return steps.map((s, i) => ("key" in s ? `${i === 0 ? "" : "."}${s.key}` : describe(s))).join("");
}

/**
 * A pin key as steps: segments separated by dots, each a mapping key optionally followed by
 * selectors, `[N]` (the N-th entry, from 0) or `[field=value]` (the one entry whose `field` is
 * `value`). Parse the template before expanding placeholders, so a value holding a dot (a chart
 * named `a.b`) stays one key.
 */
export function parsePinKey(key: string): PinKeyParse {
  const steps: PinStep[] = [];
  const fail = (why: string): PinKeyParse => ({
    ok: false,
    message: `"${key}" is not a pin key: ${why}; write a dotted path such as image.tag or targetCustomizations[name=staging].helm.values.image.tag`,
  });
  let i = 0;
  let expectKey = true;
  while (i < key.length) {
    const ch = key[i];
    if (ch === "[") {
      const close = key.indexOf("]", i);
      if (close < 0) return fail("a [ has no closing ]");
      const inner = key.slice(i + 1, close);
      if (/^[0-9]+$/.test(inner)) steps.push({ index: Number(inner) });
      else {
        const eq = inner.indexOf("=");
        const field = inner.slice(0, eq).trim();
        const value = inner.slice(eq + 1).trim();
        if (eq < 0 || field === "" || value === "") {
          return fail(`[${inner}] is neither a position [0] nor a selector [name=value]`);
        }
        steps.push({ field, value });
      }
      i = close + 1;
      expectKey = false;
      continue;
    }
    if (ch === ".") {
      if (expectKey) return fail("it has an empty segment");
      i += 1;
      expectKey = true;
      continue;
    }
    if (!expectKey) return fail("a selector must be followed by . or [");
    let end = i;
    while (end < key.length && key[end] !== "." && key[end] !== "[") {
      if (key[end] === "]") return fail("a ] has no opening [");
      end += 1;
    }
    steps.push({ key: key.slice(i, end) });
    i = end;
    expectKey = false;
  }
  if (expectKey) return fail(key === "" ? "it is empty" : "it ends with a dot");
  return { ok: true, steps };
}

/** Each step's strings with placeholders expanded. */
export function expandSteps(
  steps: readonly PinStep[],
  values: Readonly<Record<string, string>>,
): PinStep[] {
  return steps.map((s) => {
    if ("key" in s) return { key: expandPin(s.key, values) };
    if ("field" in s) return { field: s.field, value: expandPin(s.value, values) };
    return s;
  });
}

/** Where a path lands in a document: the node and its concrete path, or the step that found nothing. */
export type PathLanding =
  | { ok: true; node: unknown; path: (string | number)[] }
  | {
      ok: false;
      /** Index of the step that found nothing. */
      step: number;
      /** The node the failing step looked into (a mapping for a missing key). */
      parent: unknown;
      /** Concrete path of `parent`. */
      path: (string | number)[];
      message: string;
      /** The file is wrong on the way (a key written twice), not just missing the pin. */
      broken?: boolean;
    };

function scalarText(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || typeof node.value === "object") return undefined;
  return String(node.value);
}

const TWICE = Symbol("a key written twice");

/**
 * Lookups of one parsed document, built once per mapping or list on first use: a pin file of
 * 1,000 components is read 5,000 times, and a linear search per step would cost quadratic time.
 */
export class NodeIndex {
  private readonly maps = new WeakMap<object, Map<string, unknown>>();
  private readonly lists = new WeakMap<object, Map<string, Map<string, number[]>>>();

  /** The value of `key` in a mapping node; a key written twice is `twice` (YAML forbids it). */
  child(map: YAMLMap, key: string): { found: boolean; value: unknown; twice?: boolean } {
    let index = this.maps.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) {
        const k = scalarText(pair.key);
        if (k === undefined) continue;
        index.set(k, index.has(k) ? TWICE : pair.value);
      }
      this.maps.set(map, index);
    }
    const value = index.get(key);
    return value === TWICE
      ? { found: true, value: undefined, twice: true }
      : { found: index.has(key), value };
  }

  /** Positions of the entries of a list node whose `field` is `value`. */
  select(list: YAMLSeq, field: string, value: string): number[] {
    let byField = this.lists.get(list);
    if (!byField) this.lists.set(list, (byField = new Map()));
    let byValue = byField.get(field);
    if (!byValue) {
      byValue = new Map();
      list.items.forEach((item, at) => {
        if (!isMap(item)) return;
        const v = scalarText(this.child(item, field).value);
        if (v === undefined) return;
        const hits = byValue?.get(v);
        if (hits) hits.push(at);
        else byValue?.set(v, [at]);
      });
      byField.set(field, byValue);
    }
    return byValue.get(value) ?? [];
  }
}

/** The landing of a path that stops at step `i`, with the reason in words. */
function missed(
  steps: readonly PinStep[],
  i: number,
  parent: unknown,
  path: readonly (string | number)[],
  why: string,
  broken = false,
): PathLanding {
  const shown = pinKeyText(steps.slice(0, i + 1));
  const above = pinKeyText(steps.slice(0, i)) || "the file";
  const message =
    why === "missing"
      ? `${shown} is not in the file`
      : why === "not a mapping" || why === "not a list"
        ? `${shown}: ${above} is ${why}`
        : `${shown}: ${why}`;
  return { ok: false, step: i, parent, path: [...path], message, ...(broken ? { broken } : {}) };
}

/** Follows `steps` from `root` (a parsed document's contents); pass one index per document. */
export function landPath(
  root: unknown,
  steps: readonly PinStep[],
  index: NodeIndex = new NodeIndex(),
): PathLanding {
  let node: unknown = root;
  const path: (string | number)[] = [];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as PinStep;
    if ("key" in step) {
      if (!isMap(node)) return missed(steps, i, node, path, "not a mapping");
      const hit = index.child(node, step.key);
      if (!hit.found) return missed(steps, i, node, path, "missing");
      if (hit.twice)
        return missed(steps, i, node, path, `${step.key} is written twice; keep one`, true);
      path.push(step.key);
      node = hit.value;
      continue;
    }
    if (!isSeq(node)) return missed(steps, i, node, path, "not a list");
    if ("index" in step) {
      if (step.index >= node.items.length) {
        return missed(steps, i, node, path, `the list has ${node.items.length} entries`);
      }
      path.push(step.index);
      node = node.items[step.index];
      continue;
    }
    const hits = index.select(node, step.field, step.value);
    if (hits.length !== 1) {
      return missed(
        steps,
        i,
        node,
        path,
        hits.length === 0
          ? `no entry has ${step.field}: ${step.value}`
          : `${hits.length} entries have ${step.field}: ${step.value}; make it name one`,
      );
    }
    path.push(hits[0] as number);
    node = node.items[hits[0] as number];
  }
  return { ok: true, node, path };
}

/** Whether the node a landing ends on is a value (a scalar, not a mapping or a list). */
export function isValueNode(node: unknown): node is YamlNode {
  return isScalar(node);
}
