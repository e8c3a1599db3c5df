// Helm charts: Chart.yaml and requirements.yaml parsing with positions, the umbrella graph, pins, .helmignore.
import { posix } from "node:path";
import semver from "semver";
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  Scalar,
  type Node as YamlNode,
} from "yaml";
import { globMatcher } from "./glob.js";
import type { Policy } from "./policy.js";
import { isSemver } from "./versions.js";

export const CHART_FILE = "Chart.yaml";
export const REQUIREMENTS_FILE = "requirements.yaml";
export const HELMIGNORE_FILE = ".helmignore";

/** A scalar value of a YAML file with where it is written, for messages and exact edits. */
export interface ScalarAt {
  /** The value as the file's text shows it (`1.0` stays `1.0`, quotes removed). */
  value: string;
  /** 1-based line of the value. */
  line: number;
  /** Offsets of the value's source text (quotes included) in the file. */
  start: number;
  end: number;
  style: "plain" | "single" | "double" | "block";
}

export interface ChartDependency {
  name: string;
  alias?: string;
  /** The version constraint (pin), when written. */
  version?: ScalarAt;
  repository?: string;
  /** The file declaring it: the chart's Chart.yaml, or requirements.yaml (Helm 2). */
  file: string;
  /** 1-based line of the dependency's entry. */
  line: number;
  /** Position in the file's `dependencies` list. */
  index: number;
}

export interface ChartManifest {
  name?: string;
  version?: ScalarAt;
  appVersion?: ScalarAt;
  dependencies: ChartDependency[];
}

export type ChartParse =
  { ok: true; chart: ChartManifest } | { ok: false; line: number; message: string };

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

function scalarAt(node: unknown, text: string, lines: LineCounter): ScalarAt | undefined {
  if (!isScalar(node) || !node.range) return undefined;
  const [start, end] = node.range;
  const raw = text.slice(start, end);
  const style: ScalarAt["style"] =
    node.type === Scalar.QUOTE_DOUBLE
      ? "double"
      : node.type === Scalar.QUOTE_SINGLE
        ? "single"
        : node.type === Scalar.PLAIN
          ? "plain"
          : "block";
  // Plain numbers keep their written form: `version: 1.0` is "1.0", not the number 1.
  const value = style === "plain" ? raw.trim() : String(node.value ?? "");
  return { value, line: lines.linePos(start).line, start, end, style };
}

function lineOfNode(node: unknown, lines: LineCounter): number {
  const range = (node as YamlNode | null)?.range;
  return range ? lines.linePos(range[0]).line : 1;
}

/**
 * Parse a YAML file's top-level mapping, with a located error for anything else. A key written
 * twice is read as Helm's loader reads it (the last one wins), not refused: Helm and every other
 * tool accept such a Chart.yaml, and monobot/lint is where the slip is pointed out.
 */
function parseMapping(
  text: string,
  what: string,
):
  | { ok: true; doc: ReturnType<typeof parseDocument>; lines: LineCounter }
  | { ok: false; line: number; message: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const error = doc.errors[0];
  if (error) {
    return {
      ok: false,
      line: lines.linePos(error.pos[0]).line,
      message: `is not valid YAML: ${firstLine(error.message)}; fix the ${what} so that it parses`,
    };
  }
  if (!isMap(doc.contents)) {
    return {
      ok: false,
      line: lineOfNode(doc.contents, lines),
      message: `must be a YAML mapping (keys such as name and version), not ${doc.contents === null ? "empty" : "a list or a single value"}`,
    };
  }
  return { ok: true, doc, lines };
}

/** The pair of `key` in a mapping; of a key written twice, the last, the one Helm reads. */
function entry(map: unknown, key: string): { key: unknown; value: unknown } | undefined {
  if (!isMap(map)) return undefined;
  return map.items.findLast((p) => isScalar(p.key) && String(p.key.value) === key) as
    { key: unknown; value: unknown } | undefined;
}

function parseDependencies(
  node: unknown,
  text: string,
  lines: LineCounter,
  file: string,
): { ok: true; dependencies: ChartDependency[] } | { ok: false; line: number; message: string } {
  if (node === undefined || node === null || (isScalar(node) && node.value === null)) {
    return { ok: true, dependencies: [] };
  }
  if (!isSeq(node)) {
    return {
      ok: false,
      line: lineOfNode(node, lines),
      message: "dependencies must be a list of entries with name, version and repository",
    };
  }
  const dependencies: ChartDependency[] = [];
  for (const [index, item] of node.items.entries()) {
    const name = entry(item, "name")?.value;
    if (!isMap(item) || !isScalar(name) || typeof name.value !== "string" || name.value === "") {
      return {
        ok: false,
        line: lineOfNode(item, lines),
        message: `dependency ${index + 1} has no name; write name: CHART (the subchart's name)`,
      };
    }
    const dep: ChartDependency = {
      name: name.value,
      file,
      line: lineOfNode(item, lines),
      index,
    };
    const version = scalarAt(entry(item, "version")?.value, text, lines);
    if (version) dep.version = version;
    const repository = entry(item, "repository")?.value;
    if (isScalar(repository) && typeof repository.value === "string") {
      dep.repository = repository.value;
    }
    const alias = entry(item, "alias")?.value;
    if (isScalar(alias) && typeof alias.value === "string") dep.alias = alias.value;
    dependencies.push(dep);
  }
  return { ok: true, dependencies };
}

/**
 * Parse a Chart.yaml: name, version, appVersion and dependencies with their positions. A file
 * that is not one YAML mapping is an error with its line; a missing or invalid `version` is not
 * (see {@link chartVersionProblem}), so the umbrella graph can still use the chart.
 */
export function parseChart(text: string, file: string): ChartParse {
  const parsed = parseMapping(text, "file");
  if (!parsed.ok) return parsed;
  const { doc, lines } = parsed;
  const chart: ChartManifest = { dependencies: [] };
  const name = entry(doc.contents, "name")?.value;
  if (isScalar(name) && name.value !== null) chart.name = String(name.value);
  const version = entry(doc.contents, "version");
  if (version) {
    const at = scalarAt(version.value, text, lines);
    if (!at) {
      return {
        ok: false,
        line: lineOfNode(version.key, lines),
        message: "version must be a single value such as 1.2.3",
      };
    }
    chart.version = at;
  }
  const appVersion = scalarAt(entry(doc.contents, "appVersion")?.value, text, lines);
  if (appVersion) chart.appVersion = appVersion;
  const deps = parseDependencies(entry(doc.contents, "dependencies")?.value, text, lines, file);
  if (!deps.ok) return deps;
  chart.dependencies = deps.dependencies;
  return { ok: true, chart };
}

/** The `dependencies` of a Helm 2 requirements.yaml. */
export function parseRequirements(
  text: string,
  file: string,
): { ok: true; dependencies: ChartDependency[] } | { ok: false; line: number; message: string } {
  if (text.trim() === "") return { ok: true, dependencies: [] };
  const parsed = parseMapping(text, "file");
  if (!parsed.ok) return parsed;
  return parseDependencies(
    entry(parsed.doc.contents, "dependencies")?.value,
    text,
    parsed.lines,
    file,
  );
}

/** What is wrong with a chart's `version`, or undefined when it is one SemVer 2.0.0 version. */
export function chartVersionProblem(
  chart: ChartManifest,
): { line: number; message: string } | undefined {
  const v = chart.version;
  if (!v) {
    return {
      line: 1,
      message: "has no version; add a line `version: 0.1.0` (a SemVer 2.0.0 version)",
    };
  }
  if (isSemver(v.value)) return undefined;
  const cleaned = v.value.trim().replace(/^[vV]/, "");
  const meant = isSemver(cleaned) ? cleaned : semver.coerce(cleaned)?.version;
  return {
    line: v.line,
    message: `version ${JSON.stringify(v.value)} is not a SemVer 2.0.0 version${meant ? `; write version: ${meant}` : "; write a version such as 1.0.0"}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Where the charts are.

function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The path of a file in a chart folder ("" is the repository root). */
export function chartPath(folder: string, file: string): string {
  return folder === "" ? file : `${folder}/${file}`;
}

/** Chart folders among `paths`: folders holding a Chart.yaml that `charts.paths` takes, sorted. */
export function chartFolders(paths: readonly string[], policy: Pick<Policy, "charts">): string[] {
  const within = globMatcher(policy.charts.paths);
  const out: string[] = [];
  for (const path of paths) {
    if (baseName(path) !== CHART_FILE) continue;
    const folder = parentFolder(path);
    if (within(folder === "" ? "." : folder) || within(path)) out.push(folder);
  }
  return out.sort();
}

/** The deepest chart folder holding `path` (a file of a subchart belongs to the subchart). */
export function chartOfPath(folders: ReadonlySet<string>, path: string): string | undefined {
  let folder = path;
  while (folder !== "") {
    folder = parentFolder(folder);
    if (folders.has(folder)) return folder;
  }
  return undefined;
}

/** Chart folders by chart name, for finding this repository's copy of a published chart. */
export type ChartNameIndex = ReadonlyMap<string, readonly string[]>;

export function chartNameIndex(charts: ReadonlyMap<string, ChartManifest>): ChartNameIndex {
  const index = new Map<string, string[]>();
  for (const [folder, chart] of charts) {
    if (chart.name === undefined) continue;
    const list = index.get(chart.name);
    if (list) list.push(folder);
    else index.set(chart.name, [folder]);
  }
  return index;
}

/**
 * Where a dependency's chart comes from, as Helm reads its `repository`:
 * - `file`: `file://PATH`, a chart folder of this repository that `helm dependency update`
 *   packages into the umbrella after checking the pin against its version;
 * - `embedded`: no repository, a chart Helm expects in the umbrella's own `charts/NAME` folder
 *   (also checked against the pin);
 * - `repository`: a chart repository (`https://`, `oci://`, `@alias`, `alias:`, a repository
 *   name): a published version, whatever this repository's copy of that chart holds.
 */
export type DependencySource = "file" | "embedded" | "repository";

export function dependencySource(dep: Pick<ChartDependency, "repository">): DependencySource {
  const repo = dep.repository?.trim() ?? "";
  if (repo === "") return "embedded";
  return repo.startsWith("file://") ? "file" : "repository";
}

/** The folder a `file://` repository points at from `parent`, or undefined (absolute, or outside). */
export function fileDependencyFolder(parent: string, repository: string): string | undefined {
  const rel = repository.trim().slice("file://".length);
  if (rel.startsWith("/")) return undefined;
  const target = posix.normalize(posix.join(parent === "" ? "." : parent, rel));
  if (target === ".." || target.startsWith("../")) return undefined;
  return target === "." ? "" : target.replace(/\/+$/, "");
}

/** The chart `folder` is embedded in (`UMBRELLA/charts/NAME`), when `folder` has that shape. */
export function embeddingFolder(folder: string): string | undefined {
  const m = /^(?:(.*)\/)?charts\/[^/]+$/.exec(folder);
  return m ? (m[1] ?? "") : undefined;
}

/**
 * The chart folder Helm packages into `parent` for this dependency: the `file://` folder, or
 * the parent's `charts/NAME` for a dependency without repository. A repository dependency names
 * a published chart, which this repository's files do not change: undefined.
 */
export function resolveDependency(
  parent: string,
  dep: ChartDependency,
  charts: ReadonlyMap<string, ChartManifest>,
): string | undefined {
  const source = dependencySource(dep);
  if (source === "repository") return undefined;
  const folder =
    source === "file"
      ? fileDependencyFolder(parent, dep.repository ?? "")
      : chartPath(parent, `charts/${dep.name}`);
  return folder !== undefined && folder !== parent && charts.has(folder) ? folder : undefined;
}

/** An umbrella packaging a sub-chart of this repository: a change to the child changes the parent. */
export interface ChartEdge {
  parent: string;
  child: string;
  /** `file`: through a `file://` dependency; `embedded`: the child lies in the parent's `charts/`. */
  via: "file" | "embedded";
  /** The dependency entry naming the child; absent for an embedded chart the parent does not list. */
  dependency?: ChartDependency;
}

/** A repository dependency on a chart this repository also holds: it pins a published version. */
export interface PublishedPin {
  parent: string;
  /** This repository's copy of the chart (the one chart folder with the dependency's name). */
  local: string;
  dependency: ChartDependency;
}

/** The charts and how Helm links them: packaging edges and pins on published versions. */
export interface ChartGraph {
  charts: ReadonlyMap<string, ChartManifest>;
  /** Packaging edges by child folder, parents sorted. */
  parents: ReadonlyMap<string, readonly ChartEdge[]>;
  /** Repository dependencies by the folder of this repository's copy of their chart. */
  published: ReadonlyMap<string, readonly PublishedPin[]>;
}

/** Whether Helm checks the edge's pin against the child's version (`helm dependency update`). */
export function pinIsChecked(edge: ChartEdge): edge is ChartEdge & { dependency: ChartDependency } {
  return edge.dependency !== undefined && dependencySource(edge.dependency) !== "repository";
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The chart graph with Helm's rule: only `file://` dependencies and charts embedded in an
 * umbrella's `charts/` folder are packaged into it. A repository dependency whose chart name is
 * one of this repository's charts is a published pin; one that names an embedded chart is
 * matched to it, as Helm matches the charts of `charts/` to the entries by name.
 */
export function chartGraph(charts: ReadonlyMap<string, ChartManifest>): ChartGraph {
  const parents = new Map<string, ChartEdge[]>();
  const published = new Map<string, PublishedPin[]>();
  const names = chartNameIndex(charts);
  const embedded = new Map<string, string[]>();
  const sorted = [...charts.keys()].sort();
  for (const folder of sorted) {
    const umbrella = embeddingFolder(folder);
    if (umbrella !== undefined && umbrella !== folder && charts.has(umbrella)) {
      push(embedded, umbrella, folder);
    }
  }
  for (const parent of sorted) {
    const chart = charts.get(parent) as ChartManifest;
    const inside = embedded.get(parent) ?? [];
    const linked = new Set<string>();
    for (const dependency of chart.dependencies) {
      const source = dependencySource(dependency);
      let child = resolveDependency(parent, dependency, charts);
      if (child === undefined && source === "repository") {
        child = inside.find((f) => charts.get(f)?.name === dependency.name);
        if (child === undefined) {
          const named = (names.get(dependency.name) ?? []).filter((f) => f !== parent);
          if (named.length === 1) {
            push(published, named[0] as string, { parent, local: named[0] as string, dependency });
          }
          continue;
        }
      }
      if (child === undefined) continue;
      push(parents, child, {
        parent,
        child,
        via: source === "file" ? "file" : "embedded",
        dependency,
      });
      linked.add(child);
    }
    for (const child of inside) {
      if (!linked.has(child)) push(parents, child, { parent, child, via: "embedded" });
    }
  }
  return { charts, parents, published };
}

/** Packaging edges of each chart (its umbrellas), by child folder. */
export function chartParents(charts: ReadonlyMap<string, ChartManifest>): Map<string, ChartEdge[]> {
  return chartGraph(charts).parents as Map<string, ChartEdge[]>;
}

// ---------------------------------------------------------------------------------------------
// Pins: Helm's constraints (Masterminds semver) read with node-semver, commas meaning "and".

function toRange(pin: string): string | null {
  const normalized = pin.trim().replace(/\s*,\s*/g, " ");
  return semver.validRange(normalized === "" ? "*" : normalized);
}

/** Whether a dependency's pin admits `version`; undefined when the pin is not a valid constraint. */
export function pinAdmits(pin: string | undefined, version: string): boolean | undefined {
  if (pin === undefined) return true;
  const range = toRange(pin);
  if (range === null) return undefined;
  return semver.satisfies(version, range);
}

const SIMPLE_RANGE = /^(\^|~>?|=)?\s*([vV]?)(\S+)$/;

/**
 * The pin to write so that it admits `version`: an unchanged pin when it admits it already, the
 * same operator for a `^`, `~` or `=` pin on one version, the exact version otherwise.
 */
export function nextPin(pin: string | undefined, version: string): string {
  if (pin === undefined) return version;
  const trimmed = pin.trim();
  const m = SIMPLE_RANGE.exec(trimmed);
  if (m && isSemver(m[3] ?? "")) {
    if (m[1] === undefined || m[1] === "=") return `${m[1] ?? ""}${m[2] ?? ""}${version}`;
    if (pinAdmits(pin, version)) return pin;
    return `${m[1]}${m[2] ?? ""}${version}`;
  }
  if (pinAdmits(pin, version)) return pin;
  return version;
}

// ---------------------------------------------------------------------------------------------
// .helmignore: what `helm package` leaves out of a chart, so changes there need no bump.

export interface HelmignoreRule {
  pattern: string;
  negate: boolean;
  dirOnly: boolean;
  /** True when the pattern has a `/`: it matches the path from the chart's folder, not a name. */
  anchored: boolean;
  match: (text: string) => boolean;
  line: number;
}

// Helm leaves dotfiles in templates/ out of every chart.
const DEFAULT_HELMIGNORE = "templates/.?*";

function compileRule(
  raw: string,
  line: number,
): HelmignoreRule | { line: number; message: string } {
  let pattern = raw.trim();
  let negate = false;
  if (pattern.startsWith("!")) {
    negate = true;
    pattern = pattern.slice(1);
  }
  let dirOnly = false;
  if (pattern.endsWith("/") && pattern.length > 1) {
    dirOnly = true;
    pattern = pattern.slice(0, -1);
  }
  if (pattern.includes("**")) {
    return {
      line,
      message: `${JSON.stringify(raw.trim())} uses **, which Helm does not support (the rule is ignored); list the folders instead`,
    };
  }
  const anchored = pattern.includes("/");
  if (pattern.startsWith("/")) pattern = pattern.slice(1);
  // Linear-time matching: a .helmignore pattern and the chart's file names come from the change.
  const isMatch = globMatcher([pattern], { nobrace: true, noextglob: true, nonegate: true });
  return { pattern, negate, dirOnly, anchored, match: (t) => isMatch(t), line };
}

/** The rules of a .helmignore file (Helm's default rule first), and the lines Helm cannot use. */
export function parseHelmignore(text: string | null): {
  rules: HelmignoreRule[];
  problems: { line: number; message: string }[];
} {
  const rules: HelmignoreRule[] = [];
  const problems: { line: number; message: string }[] = [];
  const fallback = compileRule(DEFAULT_HELMIGNORE, 0);
  if ("match" in fallback) rules.push(fallback);
  (text ?? "").split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const rule = compileRule(trimmed, i + 1);
    if ("match" in rule) rules.push(rule);
    else problems.push(rule);
  });
  return { rules, problems };
}

/**
 * Whether `relPath` (a file's path from its chart's folder) is left out of the packaged chart.
 * Like .gitignore, the last matching rule wins and `!` takes a path back in; a rule that
 * leaves out a folder leaves out everything in it. Rules without `/` match a file or folder
 * name at any depth; rules with `/` match the path from the chart folder.
 */
export function helmIgnores(rules: readonly HelmignoreRule[], relPath: string): boolean {
  const segments = relPath.split("/");
  // Folders first: a left-out folder cannot be taken back in by a rule on a file inside it.
  for (let depth = 1; depth <= segments.length; depth++) {
    const isDir = depth < segments.length;
    const sub = segments.slice(0, depth).join("/");
    const name = segments[depth - 1] ?? "";
    let ignored = false;
    for (const rule of rules) {
      if (rule.dirOnly && !isDir) continue;
      if (rule.match(rule.anchored ? sub : name)) ignored = !rule.negate;
    }
    if (ignored) return true;
  }
  return false;
}
