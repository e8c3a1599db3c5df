// Plans a deploy PR on the config repo: the image tag, the chart's version, and every umbrella that packages it up to the root.
import semver from "semver";
import {
  CHART_FILE,
  chartGraph,
  chartPath,
  chartVersionProblem,
  nextPin,
  parseChart,
  parseRequirements,
  pinAdmits,
  REQUIREMENTS_FILE,
  type ChartDependency,
  type ChartManifest,
} from "./charts.js";
import { setChartAppVersion, setChartVersion, setDependencyPin, type EditResult } from "./edits.js";
import type { Policy } from "./policy.js";
import type { Component } from "./types.js";
import { readValuesKey, setValuesKey, valuesPath } from "./values-edit.js";
import { bumpVersion, compareVersions, isSemver, type BumpLevel } from "./versions.js";

export const VALUES_FILE = "values.yaml";

/** What a deploy needs to know of a component, from the monorepo's policy. */
export interface DeployComponent {
  name: string;
  image?: string;
  /** Chart folders in the config repo that deploy the image. */
  charts: readonly string[];
  /** Dotted path of the image tag in each chart's values.yaml. */
  valuesKey: string;
  chartBump: "patch" | "follow";
}

function normalizeFolder(path: string): string {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  return p.replace(/^\/+/, "").replace(/\/+$/, "");
}

/** The config repo of `deploy.config_repo`, or undefined when the monorepo deploys nowhere. */
export function deployTarget(
  policy: Pick<Policy, "deploy">,
): { owner: string; name: string } | undefined {
  const [owner, name, ...rest] = policy.deploy.config_repo.split("/");
  return owner && name && rest.length === 0 ? { owner, name } : undefined;
}

/** The deploy settings of a component, or undefined when it names no chart. */
export function deployComponent(
  policy: Pick<Policy, "deploy" | "components">,
  component: Pick<Component, "name" | "image" | "chart">,
): DeployComponent | undefined {
  const raw = component.chart;
  const charts = (raw === undefined ? [] : typeof raw === "string" ? [raw] : raw)
    .map(normalizeFolder)
    .filter((c, i, all) => all.indexOf(c) === i);
  if (charts.length === 0) return undefined;
  const out: DeployComponent = {
    name: component.name,
    charts,
    valuesKey: policy.components.define[component.name]?.values_key ?? policy.deploy.values_key,
    chartBump: policy.deploy.chart_bump,
  };
  if (component.image !== undefined) out.image = component.image;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Helm's packaging rule.

/** How an umbrella takes a chart: packaged into it (`file://`, embedded) or from a chart repository. */
export interface UmbrellaEdge {
  parent: string;
  child: string;
  /** The dependency entry; absent for an embedded chart that `dependencies` does not list. */
  dependency?: ChartDependency;
  how: "file" | "embedded" | "repository";
}

/**
 * Helm's rule, from the shared chart graph of src/core/charts.ts: `helm package` puts into an
 * umbrella the dependencies with `repository: file://...` and the charts embedded in its own
 * `charts/` folder (listed in `dependencies` or not); any other dependency on a chart this
 * repository holds pins a published version, and moves only once that version is published.
 */
export function umbrellaEdges(
  charts: ReadonlyMap<string, ChartManifest>,
): Map<string, UmbrellaEdge[]> {
  const graph = chartGraph(charts);
  const out = new Map<string, UmbrellaEdge[]>();
  const add = (edge: UmbrellaEdge) => {
    const list = out.get(edge.child) ?? [];
    list.push(edge);
    out.set(edge.child, list);
  };
  for (const [child, edges] of graph.parents) {
    for (const e of edges) {
      add({
        parent: e.parent,
        child,
        how: e.via,
        ...(e.dependency ? { dependency: e.dependency } : {}),
      });
    }
  }
  for (const [local, pins] of graph.published) {
    for (const pin of pins)
      add({ parent: pin.parent, child: local, dependency: pin.dependency, how: "repository" });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The plan.

/**
 * The files a plan edits, each edit applied to the text the previous ones left: `apply` records
 * a verified edit (or a problem), `textOf` reads the current text, `edits` lists the changed files.
 */
export function editSet(files: ReadonlyMap<string, string>, problems: string[]) {
  const working = new Map<string, FileEdit>();
  const textOf = (path: string): string | undefined => working.get(path)?.after ?? files.get(path);
  const apply = (path: string, edit: (text: string) => EditResult, change: string): boolean => {
    const before = textOf(path);
    const r = edit(before ?? "");
    if (!r.ok) {
      problems.push(`${path}: ${r.reason}`);
      return false;
    }
    if (!r.changed) return true;
    const entry = working.get(path);
    if (entry) {
      entry.after = r.content;
      entry.changes.push(change);
    } else {
      const fresh: FileEdit = { path, before: before ?? "", after: r.content, changes: [change] };
      if (before === undefined) fresh.created = true;
      working.set(path, fresh);
    }
    return true;
  };
  return { apply, textOf, edits: () => [...working.values()] };
}

export interface DeployPlanInput {
  /**
   * Files of the config repo at its base, by path: every Chart.yaml and requirements.yaml, and
   * the values.yaml of the charts (see {@link deployPlanReads}); other files are ignored.
   */
  files: ReadonlyMap<string, string>;
  component: DeployComponent;
  /** The previous release (when known) and the version to deploy. */
  version: { from?: string; to: string };
}

/** One file of the commit. `before` is "" for a file the plan creates. */
export interface FileEdit {
  path: string;
  before: string;
  after: string;
  /** What changed, in words, e.g. "image.tag 1.2.3 -> 1.3.0". */
  changes: string[];
  created?: boolean;
}

/** A chart whose version goes up, in the order the plan reached it. */
export interface ChainLink {
  chart: string;
  name?: string;
  role: "chart" | "umbrella";
  from: string;
  to: string;
  /**
   * Where the component's tag is set when this chart is deployed: the key in this chart's
   * values (`image.tag`; `aether.roc-api.image.tag` for an umbrella) and the charts it passes
   * through, this one first (one key segment is dropped per chart down the route).
   */
  tagKeys: { key: string[]; via: string[] }[];
  /** For an umbrella: the packaged charts of the chain it takes, and its pins. */
  takes: {
    child: string;
    dependency?: string;
    how: "file" | "embedded";
    pin?: { from: string; to: string };
  }[];
}

/** An umbrella that takes a chart of the chain from a chart repository: a follow-up moves its pin. */
export interface PendingPublish {
  umbrella: string;
  chart: string;
  dependency: string;
  repository: string;
  /** The pin as written, if any. */
  pin?: string;
  /** The version the chart goes to; it must be published before the umbrella can take it. */
  version: string;
  /** Whether the current pin admits that version once published. */
  admits: boolean;
}

export interface DeployPlan {
  edits: FileEdit[];
  chain: ChainLink[];
  pendingPublish: PendingPublish[];
  /** The version each component chart runs now (its values key), when readable. */
  running: Record<string, string | undefined>;
  /** Set when there is nothing to propose: the config repo runs this version, or a newer one. */
  skipped?: { kind: "current" | "rollback"; reason: string };
  /** Why the plan cannot be committed; empty when it can. */
  problems: string[];
  /** Things a reviewer should know that do not stop the plan. */
  notes: string[];
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function show(folder: string): string {
  return folder === "" ? "the root chart" : folder;
}

/** The files a plan reads, among every path of the config repo: each chart's manifests and values. */
export function deployPlanReads(paths: readonly string[]): string[] {
  const folders = new Set(paths.filter((p) => baseName(p) === CHART_FILE).map((p) => folderOf(p)));
  return paths
    .filter((p) => {
      const name = baseName(p);
      return (
        (name === CHART_FILE || name === REQUIREMENTS_FILE || name === VALUES_FILE) &&
        folders.has(folderOf(p))
      );
    })
    .sort();
}

interface ChartInfo {
  manifest: ChartManifest;
  /** Parse problem of Chart.yaml (or requirements.yaml), when any. */
  problem?: string;
}

/** Every chart of the files: Chart.yaml merged with a Helm 2 requirements.yaml. */
export function chartsOf(files: ReadonlyMap<string, string>): Map<string, ChartInfo> {
  const out = new Map<string, ChartInfo>();
  for (const [path, text] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (baseName(path) !== CHART_FILE) continue;
    const folder = folderOf(path);
    const parsed = parseChart(text, path);
    // A Chart.yaml that does not parse still takes part through its requirements.yaml, so the
    // plan reaches it and says what to fix, rather than leaving it behind silently.
    const info: ChartInfo = parsed.ok
      ? { manifest: parsed.chart }
      : {
          manifest: { dependencies: [] },
          problem: `${path} line ${parsed.line} ${parsed.message}`,
        };
    const reqPath = chartPath(folder, REQUIREMENTS_FILE);
    const req = files.get(reqPath);
    if (req !== undefined) {
      const deps = parseRequirements(req, reqPath);
      if (deps.ok) {
        info.manifest.dependencies = [...info.manifest.dependencies, ...deps.dependencies];
      } else info.problem ??= `${reqPath} line ${deps.line} ${deps.message}`;
    }
    out.set(folder, info);
  }
  return out;
}

/** The bump level going from `from` to `to` asks for: major, minor, else patch. */
export function componentLevel(from: string | undefined, to: string): BumpLevel {
  if (from === undefined || !isSemver(from) || !isSemver(to)) return "patch";
  const diff = semver.diff(from, to);
  if (diff === "major" || diff === "premajor") return "major";
  if (diff === "minor" || diff === "preminor") return "minor";
  return "patch";
}

interface ValuesRoute {
  start: string;
  /** Keys from the umbrella's values down to the start chart's. */
  prefix: string[];
  /** Chart folders from the umbrella down to the start chart. */
  via: string[];
}

/** Packaged routes from component charts up to each chart: the values keys of the chart, seen from there. */
function valuesRoutes(
  starts: readonly string[],
  edges: ReadonlyMap<string, UmbrellaEdge[]>,
  charts: ReadonlyMap<string, ChartInfo>,
): Map<string, ValuesRoute[]> {
  const MAX_ROUTES = 16;
  const routes = new Map<string, ValuesRoute[]>();
  const walk = (start: string, folder: string, prefix: string[], via: string[]) => {
    for (const edge of edges.get(folder) ?? []) {
      if (edge.how === "repository" || via.includes(edge.parent)) continue;
      const key =
        edge.dependency?.alias ??
        edge.dependency?.name ??
        charts.get(folder)?.manifest.name ??
        baseName(folder);
      const list = routes.get(edge.parent) ?? [];
      if (list.length >= MAX_ROUTES) continue;
      const route = { start, prefix: [key, ...prefix], via: [edge.parent, ...via] };
      list.push(route);
      routes.set(edge.parent, list);
      walk(start, edge.parent, route.prefix, route.via);
    }
  };
  for (const s of starts) walk(s, s, [], [s]);
  return routes;
}

/**
 * The plan of a deploy PR for `component` at `version.to`: for each of its charts, the values
 * key set to the version (the chart's appVersion too when it followed the image) and the chart's
 * version up by patch (or by the component's own level with `chart_bump: follow`); then each
 * umbrella that packages a chart of the chain, transitively up to the root, its pin moved when
 * it does not admit the new version and its version up. Every chart goes up once, however many
 * routes reach it. Umbrellas that take a chart from a chart repository are listed as pending
 * publish. A version the config repo runs already, or a lower one, plans nothing.
 */
export function planDeploy(input: DeployPlanInput): DeployPlan {
  const { files, component, version } = input;
  const to = version.to;
  const plan: DeployPlan = {
    edits: [],
    chain: [],
    pendingPublish: [],
    running: {},
    problems: [],
    notes: [],
  };
  if (!isSemver(to)) {
    plan.problems.push(
      `${JSON.stringify(to)} is not a SemVer 2.0.0 version; nothing can be deployed`,
    );
    return plan;
  }
  const key = valuesPath(component.valuesKey);
  const charts = chartsOf(files);
  const { apply, textOf, edits } = editSet(files, plan.problems);

  // Which of the component's charts move: those running an older (or unreadable) version.
  const moving: string[] = [];
  const ahead: string[] = [];
  const current: string[] = [];
  for (const folder of component.charts) {
    const info = charts.get(folder);
    if (!info) {
      plan.problems.push(
        `${chartPath(folder, CHART_FILE)} does not exist in the config repo; correct \`chart\` of components.define.${component.name} in the monorepo's .github/monobot.yml`,
      );
      continue;
    }
    const values = files.get(chartPath(folder, VALUES_FILE));
    const running = values === undefined ? undefined : readValuesKey(values, key);
    plan.running[folder] = running;
    if (running !== undefined && isSemver(running)) {
      const cmp = compareVersions(to, running);
      if (cmp < 0) ahead.push(`${folder} runs ${running}`);
      else if (cmp === 0) current.push(folder);
      else moving.push(folder);
      continue;
    }
    if (values === undefined) {
      plan.notes.push(
        `${folder} has no ${VALUES_FILE}; monobot creates it with ${component.valuesKey}.`,
      );
    } else if (running === undefined) {
      plan.notes.push(
        `${chartPath(folder, VALUES_FILE)} had no ${component.valuesKey}; monobot adds it.`,
      );
    } else {
      plan.notes.push(
        `${chartPath(folder, VALUES_FILE)} had ${component.valuesKey}: ${running}, which is not a version, so it was not compared with ${to}.`,
      );
    }
    moving.push(folder);
  }
  if (plan.problems.length > 0) return plan;
  for (const a of ahead) {
    plan.notes.push(
      `${a}, newer than ${to}: a rollback, so that chart is left as is (roll back in the config repo by hand).`,
    );
  }
  if (moving.length === 0) {
    plan.skipped =
      ahead.length > 0
        ? {
            kind: "rollback",
            reason: `the config repo runs a newer ${component.name} already (${ahead.join(", ")}); ${to} would be a rollback, so monobot proposes nothing. Roll back in the config repo by hand if that is what you want.`,
          }
        : {
            kind: "current",
            reason: `the config repo runs ${component.name} ${to} already (${current.join(", ")}); nothing to propose.`,
          };
    return plan;
  }

  const manifests = new Map([...charts].map(([f, i]) => [f, i.manifest]));
  const edges = umbrellaEdges(manifests);
  const routes = valuesRoutes(moving, edges, charts);
  const next = new Map<string, string>();

  const bumpChart = (folder: string, level: BumpLevel): string | undefined => {
    const info = charts.get(folder) as ChartInfo;
    if (info.problem) {
      plan.problems.push(`${info.problem} (this deploy must bump ${show(folder)})`);
      return undefined;
    }
    const problem = chartVersionProblem(info.manifest);
    if (problem) {
      plan.problems.push(
        `${chartPath(folder, CHART_FILE)} line ${problem.line}: ${problem.message}`,
      );
      return undefined;
    }
    const from = info.manifest.version?.value as string;
    const target = bumpVersion(from, level);
    const file = chartPath(folder, CHART_FILE);
    if (!apply(file, (t) => setChartVersion(t, target), `version ${from} -> ${target}`))
      return undefined;
    next.set(folder, target);
    return target;
  };

  // The component's charts: values key, appVersion when it followed the image, version.
  const queue: string[] = [];
  for (const folder of moving) {
    const running = plan.running[folder];
    const level =
      component.chartBump === "follow" ? componentLevel(running ?? version.from, to) : "patch";
    const valuesFile = chartPath(folder, VALUES_FILE);
    apply(
      valuesFile,
      (t) => setValuesKey(t, key, to),
      `${component.valuesKey} ${running ?? "(unset)"} -> ${to}`,
    );
    const info = charts.get(folder) as ChartInfo;
    const app = info.manifest.appVersion?.value;
    if (app !== undefined && app !== to && (app === running || app === version.from)) {
      apply(
        chartPath(folder, CHART_FILE),
        (t) => setChartAppVersion(t, to),
        `appVersion ${app} -> ${to}`,
      );
    }
    const from = info.manifest.version?.value ?? "?";
    const target = bumpChart(folder, level);
    if (target === undefined) continue;
    const link: ChainLink = {
      chart: folder,
      role: "chart",
      from,
      to: target,
      tagKeys: [{ key, via: [folder] }],
      takes: [],
    };
    if (info.manifest.name !== undefined) link.name = info.manifest.name;
    plan.chain.push(link);
    queue.push(folder);
  }

  // Umbrellas, breadth-first up to the root; each goes up once.
  const level =
    component.chartBump === "follow"
      ? componentLevel(plan.running[moving[0] as string] ?? version.from, to)
      : "patch";
  const links = new Map(plan.chain.map((l) => [l.chart, l]));
  for (let i = 0; i < queue.length; i++) {
    const child = queue[i] as string;
    const childVersion = next.get(child) as string;
    for (const edge of edges.get(child) ?? []) {
      const dep = edge.dependency;
      if (edge.how === "repository") {
        const pending: PendingPublish = {
          umbrella: edge.parent,
          chart: child,
          dependency: dep?.name ?? baseName(child),
          repository: dep?.repository ?? "",
          version: childVersion,
          admits: pinAdmits(dep?.version?.value, childVersion) === true,
        };
        if (dep?.version) pending.pin = dep.version.value;
        plan.pendingPublish.push(pending);
        continue;
      }
      let link = links.get(edge.parent);
      if (!link) {
        const info = charts.get(edge.parent) as ChartInfo;
        const from = info.manifest.version?.value ?? "?";
        const target = bumpChart(edge.parent, level);
        if (target === undefined) continue;
        link = {
          chart: edge.parent,
          role: "umbrella",
          from,
          to: target,
          tagKeys: (routes.get(edge.parent) ?? []).map((r) => ({
            key: [...r.prefix, ...key],
            via: r.via,
          })),
          takes: [],
        };
        if (info.manifest.name !== undefined) link.name = info.manifest.name;
        links.set(edge.parent, link);
        plan.chain.push(link);
        queue.push(edge.parent);
      }
      const take: ChainLink["takes"][number] = { child, how: edge.how };
      if (dep) take.dependency = dep.name;
      const pin = dep?.version?.value;
      if (dep && pin !== undefined) {
        const admits = pinAdmits(pin, childVersion);
        if (admits !== true) {
          const written = nextPin(pin, childVersion);
          const kind = baseName(dep.file) === REQUIREMENTS_FILE ? "requirements" : "chart";
          const ok = apply(
            dep.file,
            (t) => setDependencyPin(t, kind, { index: dep.index, name: dep.name }, written),
            `${dep.name} pin ${pin} -> ${written}`,
          );
          if (ok) take.pin = { from: pin, to: written };
          if (admits === undefined) {
            plan.notes.push(
              `${dep.file} pinned ${dep.name} to ${JSON.stringify(pin)}, which is not a version constraint; monobot wrote ${written}.`,
            );
          }
        }
      }
      link.takes.push(take);
    }
  }

  // Umbrella values that override the chart's tag: otherwise the umbrella would keep deploying the old one.
  for (const link of plan.chain) {
    if (link.role !== "umbrella") continue;
    const file = chartPath(link.chart, VALUES_FILE);
    const text = textOf(file);
    if (text === undefined) continue;
    for (const route of routes.get(link.chart) ?? []) {
      const full = [...route.prefix, ...key];
      const value = readValuesKey(text, full);
      if (value === undefined || value === to) continue;
      const name = full.join(".");
      if (isSemver(value) && compareVersions(value, to) < 0) {
        apply(file, (t) => setValuesKey(t, full, to), `${name} ${value} -> ${to}`);
      } else {
        plan.notes.push(
          `${file} sets ${name}: ${value}, which overrides ${route.start}'s ${component.valuesKey} in ${show(link.chart)}; left as is.`,
        );
      }
    }
  }

  // Charts whose dependencies could not be read may package the chain without the plan knowing.
  const reached = new Set(plan.chain.map((l) => l.chart));
  for (const [folder, info] of charts) {
    if (!info.problem || reached.has(folder)) continue;
    plan.notes.push(
      `${info.problem}; if ${show(folder)} packages a chart of this deploy, it was not bumped.`,
    );
  }

  plan.edits = edits();
  return plan;
}
