// monobot/versions on umbrella charts: an umbrella packaging a chart that moves must admit it and go up too.
import { posix } from "node:path";
import {
  CHART_FILE,
  chartPath,
  dependencySource,
  fileDependencyFolder,
  nextPin,
  pinAdmits,
  pinIsChecked,
  type ChartEdge,
  type ChartGraph,
} from "../charts.js";
import type { Policy } from "../policy.js";
import type { ChangeSnapshot } from "../types.js";
import { bumpVersion, compareVersions, type BumpLevel, type LevelSuggestion } from "../versions.js";
import { chartProblem, type ChartState } from "./chart-version-rules.js";
import { choicesText, type Finding } from "./version-findings.js";

/** The version a chart moves to: its head when it went up, else what a bump would give. */
function movesTo(state: ChartState, level: BumpLevel, preid: string): string | undefined {
  const { baseVersion: base, headVersion: head } = state;
  if (head !== undefined && (base === undefined || compareVersions(head, base) > 0)) return head;
  if (base !== undefined) return bumpVersion(base, level, preid);
  return head;
}

function chainText(origin: ChartState, to: string | undefined, chain: readonly string[]): string {
  const from = origin.baseVersion ?? "?";
  const [first, ...rest] = chain;
  const start = `${origin.folder} ${from} -> ${to ?? "?"} requires ${first} to bump`;
  return rest.length
    ? `${start}, ${rest.map((c) => `which requires ${c} to bump`).join(", ")}`
    : start;
}

/**
 * Breadth-first from every chart whose version changes or must change, up the packaging edges
 * (Helm's `file://` and embedded sub-charts, never repository dependencies): each parent's pin
 * must admit the moved chart's new version and the parent must go up itself.
 */
export function propagate(
  charts: Map<string, ChartState>,
  parents: ReadonlyMap<string, readonly ChartEdge[]>,
  policy: Policy,
  suggestion: LevelSuggestion,
  findings: Finding[],
  pins: ChartEdge[],
): void {
  const level = suggestion.level;
  const preid = policy.versions.preid;
  const origin = new Map<string, { origin: ChartState; to: string | undefined; chain: string[] }>();
  const queue: string[] = [];
  for (const state of charts.values()) {
    if (state.isNew || state.baseVersion === undefined) continue;
    const moved = state.headVersion !== undefined && state.headVersion !== state.baseVersion;
    if (!moved && !state.needsBump) continue;
    origin.set(state.folder, { origin: state, to: movesTo(state, level, preid), chain: [] });
    queue.push(state.folder);
  }
  for (let i = 0; i < queue.length; i++) {
    const folder = queue[i] as string;
    const child = charts.get(folder);
    const route = origin.get(folder);
    if (!child || !route) continue;
    const really = child.headVersion !== undefined && child.headVersion !== child.baseVersion;
    for (const edge of parents.get(folder) ?? []) {
      const parent = charts.get(edge.parent);
      if (!parent) continue;
      if (really && pinIsChecked(edge)) checkPin(edge, child, findings, pins);
      if (origin.has(parent.folder)) continue;
      const chain = [...route.chain, parent.folder];
      parent.chain = chain;
      origin.set(parent.folder, { origin: route.origin, to: route.to, chain });
      queue.push(parent.folder);
      if (parent.isNew) continue;
      if (parent.needsBump || (parent.files.length > 0 && parent.headError)) continue;
      if (chartProblem(parent, findings)) continue;
      const base = parent.baseVersion;
      const head = parent.headVersion;
      if (base !== undefined && head !== undefined && compareVersions(head, base) > 0) {
        parent.verdict ??= `${base} → ${head}`;
        continue;
      }
      parent.needsBump = true;
      parent.ok = false;
      const why = chainText(route.origin, route.to, chain);
      const choices =
        base === undefined
          ? "a greater version"
          : choicesText(base, level, policy, (v) => `version: ${v}`);
      parent.verdict = `must bump (umbrella of ${route.origin.folder})`;
      findings.push({
        path: parent.file,
        line: parent.head?.version?.line ?? 1,
        level: "failure",
        message: `${why}: its version is still ${head ?? base ?? "unreadable"}; write ${choices}, or comment \`/bump ${level}\``,
      });
    }
  }
}

/**
 * A `file://` pin (or the pin of a sub-chart embedded without repository) must admit the local
 * chart's version, or `helm dependency update` refuses to build the umbrella. Pins of a moved
 * chart are checked while propagating; here, those in a dependency file this change touched.
 */
export function changedPins(
  snapshot: ChangeSnapshot,
  charts: Map<string, ChartState>,
  parents: ReadonlyMap<string, readonly ChartEdge[]>,
  findings: Finding[],
  pins: ChartEdge[],
): void {
  const touched = new Set<string>();
  for (const f of snapshot.files) if (f.status !== "removed") touched.add(f.path);
  for (const edges of parents.values()) {
    for (const edge of edges) {
      if (!pinIsChecked(edge) || !touched.has(edge.dependency.file)) continue;
      const child = charts.get(edge.child);
      if (!child?.headVersion || child.headVersion !== child.baseVersion) continue;
      checkPin(edge, child, findings, pins);
    }
  }
}

function checkPin(
  edge: ChartEdge,
  child: ChartState,
  findings: Finding[],
  pins: ChartEdge[],
): void {
  if (!edge.dependency || pins.includes(edge)) return;
  const version = child.headVersion as string;
  const pin = edge.dependency.version;
  const admits = pinAdmits(pin?.value, version);
  if (admits === true) return;
  pins.push(edge);
  const write = nextPin(pin?.value, version);
  const line = pin?.line ?? edge.dependency.line;
  const name = edge.dependency.name;
  const moved = child.baseVersion !== undefined && child.baseVersion !== version;
  findings.push({
    path: edge.dependency.file,
    line,
    level: "failure",
    message:
      admits === undefined
        ? `${edge.parent} pins ${name} to ${JSON.stringify(pin?.value ?? "")}, which is not a valid version constraint; ${child.folder} is now ${version}: write version: ${write}`
        : moved
          ? `${edge.parent} pins ${name} to ${pin?.value ?? ""}, which does not admit ${version} (${child.folder} ${child.baseVersion ?? "?"} -> ${version}): write version: ${write}, or comment \`/bump\` to update it`
          : `${edge.parent} pins ${name} to ${pin?.value ?? ""}, which does not admit ${version}, the version of ${child.folder}: Helm would refuse to build ${edge.parent} (\`helm dependency update\` checks a ${dependencySource(edge.dependency) === "file" ? "file://" : "charts/"} sub-chart against its pin); write version: ${write}, or comment \`/bump\` to update it`,
  });
}

/**
 * A repository dependency pins a published version: this repository's copy moving on does not
 * change the umbrella's package, so a pin that no longer admits the copy's version is a notice.
 */
export function publishedPins(
  charts: Map<string, ChartState>,
  graph: ChartGraph,
  findings: Finding[],
): void {
  for (const [folder, list] of graph.published) {
    const local = charts.get(folder);
    const version = local?.headVersion;
    if (!local || local.isNew || version === undefined || version === local.baseVersion) continue;
    for (const { parent, dependency } of list) {
      const pin = dependency.version?.value;
      const admits = pinAdmits(pin, version);
      if (admits === true) continue;
      const pinned =
        admits === undefined
          ? `to ${JSON.stringify(pin ?? "")} (not a valid version constraint)`
          : (pin ?? "");
      findings.push({
        path: dependency.file,
        line: dependency.version?.line ?? dependency.line,
        level: "notice",
        message: `${parent} pins ${dependency.name} ${pinned} from ${dependency.repository ?? ""}; this repository now has ${version} (${folder}) — update the pin once ${version} is published`,
      });
    }
  }
}

/**
 * A `file://` dependency whose folder holds no chart at the head: Helm cannot build the
 * umbrella. Reported when this change touched the dependency's file or removed or moved the
 * chart it pointed at, so an old broken path elsewhere does not fail unrelated changes.
 */
export function danglingFileDependencies(
  snapshot: ChangeSnapshot,
  charts: Map<string, ChartState>,
  findings: Finding[],
): void {
  const head = new Set(snapshot.headPaths);
  const touched = new Set<string>();
  const gone = new Set<string>();
  for (const f of snapshot.files) {
    if (f.status === "removed") gone.add(f.path);
    else touched.add(f.path);
    if (f.previousPath !== undefined && f.previousPath !== f.path) gone.add(f.previousPath);
  }
  const movedTo = new Map<string, ChartState>();
  for (const c of charts.values()) {
    if (!c.isNew && c.baseFolder !== c.folder) movedTo.set(c.baseFolder, c);
  }
  for (const parent of charts.values()) {
    for (const dep of parent.dependencies) {
      if (dependencySource(dep) !== "file") continue;
      const target = fileDependencyFolder(parent.folder, dep.repository ?? "");
      if (target === undefined || head.has(chartPath(target, CHART_FILE))) continue;
      const wasThere = gone.has(chartPath(target, CHART_FILE));
      if (!wasThere && !touched.has(dep.file)) continue;
      const moved = movedTo.get(target);
      const fix = moved
        ? `write repository: file://${posix.relative(parent.folder === "" ? "." : parent.folder, moved.folder === "" ? "." : moved.folder)} (${dep.name} moved to ${moved.folder})`
        : "point it at the chart's folder";
      findings.push({
        path: dep.file,
        line: dep.line,
        level: "failure",
        message: `${parent.folder || "."} depends on ${dep.name} from ${dep.repository ?? ""}, but ${target || "."} holds no ${CHART_FILE}${wasThere ? " any more" : ""}: Helm cannot build ${parent.folder || "."}; ${fix}`,
      });
      parent.ok = false;
      parent.verdict ??= `${dep.name} not found`;
    }
  }
}
