// Plans a deploy PR on the config repo: the image tag, the chart's version, and every umbrella that packages it up to the root.
import semver from "semver";
import {
  CHART_FILE,
  chartGraph,
  chartPath,
  chartVersionProblem,
  parseChart,
  parseRequirements,
  REQUIREMENTS_FILE,
  type ChartManifest,
} from "./charts.js";
import {
  setChartAppVersion,
  updateWriter,
  type FileEdit,
  type FileUpdate,
  type UpdateWriter,
} from "./edits.js";
import type { Policy } from "./policy.js";
import type { Component } from "./types.js";
import {
  packagingRoutes,
  planUmbrellas,
  type AwaitingPublish,
  type ChartMove,
  type MovedChart,
  type PackagingRoute,
  type UmbrellaTake,
} from "./umbrella.js";
import { readValuesKey, setValuesKey, valuesPath } from "./values-edit.js";
import { bumpVersion, compareVersions, isSemver, type BumpLevel } from "./versions.js";

export const VALUES_FILE = "values.yaml";

export type { FileEdit } from "./edits.js";

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
// The plan.

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
  takes: UmbrellaTake[];
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

/** What one environment runs of the component once the deploy PR merges, and why. */
export interface EnvironmentRollout {
  environment: string;
  /** What the pin holds: the image tag, or the chart version of an umbrella pin. */
  kind: "image" | "chart";
  /**
   * - `deployed`: the first environment, whose pins this PR moves to the new version;
   * - `own-pin`: a later environment that pins its own version (this PR leaves it alone);
   * - `kept`: a later environment that followed the default this PR changes, so this PR pins
   *   the version it ran;
   * - `follows`: a later environment without a pin of its own whose default this PR leaves;
   * - `absent`: the environment does not deploy the component;
   * - `problem`: monobot cannot keep it where it is (see the plan's problems).
   */
  how: "deployed" | "own-pin" | "kept" | "follows" | "absent" | "problem";
  /** The version (image tag, or chart version for umbrella pins) it runs before and after the PR. */
  before?: string;
  after?: string;
  /** Where its version is written: the first pin's file, key and line. */
  pin?: { file: string; key: string; line: number };
}

export interface EnvironmentDeploy {
  /** The environment this deploy PR deploys to: the first of `deploy.environments`. */
  first: string;
  /** Every environment, in promotion order. */
  environments: EnvironmentRollout[];
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
  /** With `deploy.environments` listed: where this deploy goes, and what every later environment keeps. */
  environments?: EnvironmentDeploy;
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

export interface ChartInfo {
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

/**
 * A chart's version up by `level`, or why it cannot go up (its Chart.yaml does not parse, or
 * holds no SemVer version); `plan` names the plan in the problem ("deploy", "follow-up").
 */
export function chartBump(
  charts: ReadonlyMap<string, ChartInfo>,
  folder: string,
  level: BumpLevel,
  plan: string,
): ChartMove {
  const info = charts.get(folder);
  if (!info) return {};
  if (info.problem) return { problem: `${info.problem} (this ${plan} must bump ${show(folder)})` };
  const problem = chartVersionProblem(info.manifest);
  if (problem) {
    return { problem: `${chartPath(folder, CHART_FILE)} line ${problem.line}: ${problem.message}` };
  }
  const from = info.manifest.version?.value as string;
  return { from, to: bumpVersion(from, level) };
}

/** The manifests of the charts, for the chart graph. */
export function manifestsOf(charts: ReadonlyMap<string, ChartInfo>): Map<string, ChartManifest> {
  return new Map([...charts].map(([folder, info]) => [folder, info.manifest]));
}

/** A chart of the plan's chain, as the PR body and the preview show it. */
export function chainLink(
  step: MovedChart,
  charts: ReadonlyMap<string, ChartInfo>,
  shown: Pick<ChainLink, "role" | "tagKeys">,
): ChainLink {
  const link: ChainLink = {
    chart: step.chart,
    role: shown.role,
    from: step.from ?? "?",
    to: step.to,
    tagKeys: shown.tagKeys,
    takes: step.takes,
  };
  const name = charts.get(step.chart)?.manifest.name;
  if (name !== undefined) link.name = name;
  return link;
}

/** The pending publish entry of a repository dependency on a chart of the chain. */
export function pendingPublish(p: AwaitingPublish): PendingPublish {
  const dep = p.pin.dependency;
  const out: PendingPublish = {
    umbrella: p.pin.parent,
    chart: p.pin.local,
    dependency: dep.name,
    repository: dep.repository ?? "",
    version: p.version,
    admits: p.admits,
  };
  if (dep.version) out.pin = dep.version.value;
  return out;
}

/**
 * Which of the component's charts move (those running an older or unreadable version), with
 * notes and problems on `plan`; sets `plan.skipped` when none does.
 */
function movingCharts(
  input: DeployPlanInput,
  charts: ReadonlyMap<string, ChartInfo>,
  key: string[],
  plan: DeployPlan,
): string[] {
  const { files, component } = input;
  const to = input.version.to;
  const moving: string[] = [];
  const ahead: string[] = [];
  const current: string[] = [];
  for (const folder of component.charts) {
    if (!charts.has(folder)) {
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
  if (plan.problems.length > 0) return [];
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
  }
  return moving;
}

/** A component chart's own updates: the values key, and appVersion when it followed the image. */
function imageUpdates(
  input: DeployPlanInput,
  info: ChartInfo,
  folder: string,
  key: string[],
  running: string | undefined,
): FileUpdate[] {
  const { component, version } = input;
  const to = version.to;
  const updates: FileUpdate[] = [
    {
      path: chartPath(folder, VALUES_FILE),
      edit: (t) => setValuesKey(t, key, to),
      change: `${component.valuesKey} ${running ?? "(unset)"} -> ${to}`,
    },
  ];
  const app = info.manifest.appVersion?.value;
  if (app !== undefined && app !== to && (app === running || app === version.from)) {
    updates.push({
      path: chartPath(folder, CHART_FILE),
      edit: (t) => setChartAppVersion(t, to),
      change: `appVersion ${app} -> ${to}`,
    });
  }
  return updates;
}

/** Umbrella values that override the chart's tag: otherwise the umbrella would keep deploying the old one. */
function umbrellaOverrides(
  plan: DeployPlan,
  routes: ReadonlyMap<string, PackagingRoute[]>,
  writer: UpdateWriter,
  input: DeployPlanInput,
  key: string[],
): void {
  const to = input.version.to;
  for (const link of plan.chain) {
    if (link.role !== "umbrella") continue;
    const file = chartPath(link.chart, VALUES_FILE);
    const text = writer.textOf(file);
    if (text === undefined) continue;
    for (const route of routes.get(link.chart) ?? []) {
      const full = [...route.prefix, ...key];
      const value = readValuesKey(text, full);
      if (value === undefined || value === to) continue;
      const name = full.join(".");
      if (isSemver(value) && compareVersions(value, to) < 0) {
        writer.apply({
          path: file,
          edit: (t) => setValuesKey(t, full, to),
          change: `${name} ${value} -> ${to}`,
        });
      } else {
        plan.notes.push(
          `${file} sets ${name}: ${value}, which overrides ${route.start}'s ${input.component.valuesKey} in ${show(link.chart)}; left as is.`,
        );
      }
    }
  }
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
  const moving = movingCharts(input, charts, key, plan);
  if (moving.length === 0) return plan;

  const levelOf = (folder: string): BumpLevel =>
    component.chartBump === "follow"
      ? componentLevel(plan.running[folder] ?? version.from, to)
      : "patch";
  const graph = chartGraph(manifestsOf(charts));
  const umbrellas = planUmbrellas({
    graph,
    changes: moving.map((folder) => ({
      chart: folder,
      updates: imageUpdates(
        input,
        charts.get(folder) as ChartInfo,
        folder,
        key,
        plan.running[folder],
      ),
    })),
    // Umbrellas go up by the level of the first chart, whichever chart reaches them.
    move: (folder, role) =>
      chartBump(
        charts,
        folder,
        levelOf(role === "chart" ? folder : (moving[0] as string)),
        "deploy",
      ),
    umbrellaVersion: "first",
  });
  plan.problems.push(...umbrellas.problems);
  plan.notes.push(...umbrellas.notes);
  const writer = updateWriter((path) => files.get(path), plan.problems);
  for (const update of umbrellas.updates) writer.apply(update);

  const routes = packagingRoutes(graph, umbrellas, moving);
  plan.chain = umbrellas.charts.map((step) =>
    chainLink(step, charts, {
      role: step.role,
      tagKeys:
        step.role === "chart"
          ? [{ key, via: [step.chart] }]
          : (routes.get(step.chart) ?? []).map((r) => ({ key: [...r.prefix, ...key], via: r.via })),
    }),
  );
  plan.pendingPublish = umbrellas.published.map(pendingPublish);
  umbrellaOverrides(plan, routes, writer, input, key);

  // Charts whose dependencies could not be read may package the chain without the plan knowing.
  const reached = new Set(plan.chain.map((l) => l.chart));
  for (const [folder, info] of charts) {
    if (!info.problem || reached.has(folder)) continue;
    plan.notes.push(
      `${info.problem}; if ${show(folder)} packages a chart of this deploy, it was not bumped.`,
    );
  }
  plan.edits = writer.edits();
  return plan;
}
