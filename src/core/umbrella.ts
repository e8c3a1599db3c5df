// The umbrella chain under Helm's rule, walked once for every plan: which charts go up and which pins follow, as file updates.
import {
  CHART_FILE,
  chartPath,
  nextPin,
  pinAdmits,
  pinIsChecked,
  REQUIREMENTS_FILE,
  type ChartDependency,
  type ChartEdge,
  type ChartGraph,
  type PublishedPin,
} from "./charts.js";
import { setChartVersion, setDependencyPin, type FileUpdate } from "./edits.js";

/** One step of the walk: `parent` packages `child` through `via` (and `dependency`). */
export interface PackagingLink extends ChartEdge {
  /** The longest distance from a start chart to `parent` (1: a direct umbrella). */
  depth: number;
}

/** The umbrellas above some charts, as Helm packages them. */
export interface UmbrellaWalk {
  /** Every chart reached, each once: the start charts, then each umbrella after the charts below it. */
  charts: string[];
  /**
   * Every packaging edge reachable upwards, bottom-up: each after every edge into its child, so
   * that when an edge comes, its child's new version is known and the parent's pin can follow.
   */
  links: PackagingLink[];
  /** Repository dependencies on a chart of the walk: they pin a published version, never walked. */
  published: PublishedPin[];
  /** What stops the walk from being trusted (a start that is not a chart, a missing umbrella, a cycle). */
  problems: string[];
}

function show(folder: string): string {
  return folder === "" ? "the root chart" : folder;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Packaging edges out of `child` whose umbrella is a chart of the graph. */
function edgesUp(graph: ChartGraph, child: string): readonly ChartEdge[] {
  return (graph.parents.get(child) ?? []).filter((e) => graph.charts.has(e.parent));
}

/** The charts reachable upwards from the starts, how many edges lead into each, and from which charts. */
function reachUp(graph: ChartGraph, starts: readonly string[], problems: string[]) {
  const reach = new Set<string>();
  const queue: string[] = [];
  for (const start of starts) {
    if (reach.has(start)) continue;
    if (!graph.charts.has(start)) {
      problems.push(`${show(start)} is not a chart: there is no ${chartPath(start, CHART_FILE)}`);
      continue;
    }
    reach.add(start);
    queue.push(start);
  }
  const roots = [...queue];
  const incoming = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (let i = 0; i < queue.length; i++) {
    const child = queue[i] as string;
    for (const edge of graph.parents.get(child) ?? []) {
      if (!graph.charts.has(edge.parent)) {
        problems.push(
          `${show(child)} is packaged by ${show(edge.parent)}, which has no ${chartPath(edge.parent, CHART_FILE)}; restore it or remove the dependency`,
        );
        continue;
      }
      incoming.set(edge.parent, (incoming.get(edge.parent) ?? 0) + 1);
      children.set(edge.parent, [...(children.get(edge.parent) ?? []), child]);
      if (reach.has(edge.parent)) continue;
      reach.add(edge.parent);
      queue.push(edge.parent);
    }
  }
  return { roots, queue, incoming, children };
}

/** A cycle among charts the walk could not order, from a chart up to itself, as the error to show. */
function cycleProblem(left: ReadonlySet<string>, children: ReadonlyMap<string, string[]>): string {
  // Every chart left over has a child left over: going down from one must come back to a chart.
  const path: string[] = [];
  const seen = new Map<string, number>();
  let at = [...left][0] as string;
  while (!seen.has(at)) {
    seen.set(at, path.length);
    path.push(at);
    at = (children.get(at) ?? []).find((c) => left.has(c)) as string;
  }
  const loop = path.slice(seen.get(at)).reverse();
  // Shown from the chart the walk met first, so the message starts where the user is looking.
  const order = [...left];
  const first = loop.reduce((a, c) => (order.indexOf(c) < order.indexOf(a) ? c : a));
  const i = loop.indexOf(first);
  const cycle = [...loop.slice(i), ...loop.slice(0, i)];
  const shown = [...cycle, cycle[0] as string].map(show).join(" -> ");
  return `${shown}: these charts package each other, which Helm cannot build; remove one of these dependencies`;
}

/**
 * The one walk up the umbrella chain: from the start charts, every umbrella that packages them
 * (`file://` or embedded in its `charts/`), transitively up to the roots, bottom-up. Repository
 * dependencies are listed apart (`published`): they pin a published version. A cycle (which Helm
 * refuses) or a missing chart is a problem, and the walk still ends, each edge listed once.
 */
export function walkUmbrellas(graph: ChartGraph, starts: readonly string[]): UmbrellaWalk {
  const problems: string[] = [];
  const { roots, queue, incoming, children } = reachUp(graph, starts, problems);
  const charts: string[] = [];
  const links: PackagingLink[] = [];
  const depth = new Map<string, number>();
  const done = new Set<string>();
  const ready = roots.filter((r) => !incoming.has(r));
  const emit = (child: string) => {
    done.add(child);
    charts.push(child);
    const d = depth.get(child) ?? 0;
    for (const edge of edgesUp(graph, child)) {
      links.push({ ...edge, depth: d + 1 });
      depth.set(edge.parent, Math.max(depth.get(edge.parent) ?? 0, d + 1));
      const left = (incoming.get(edge.parent) ?? 1) - 1;
      incoming.set(edge.parent, left);
      if (left === 0 && !done.has(edge.parent)) ready.push(edge.parent);
    }
  };
  for (let i = 0; i < ready.length; i++) {
    const chart = ready[i] as string;
    if (!done.has(chart)) emit(chart);
  }
  const left = new Set(queue.filter((c) => !done.has(c)));
  if (left.size > 0) {
    problems.push(cycleProblem(left, children));
    for (const chart of queue) if (!done.has(chart)) emit(chart);
  }
  const published = charts.flatMap((c) => graph.published.get(c) ?? []);
  return { charts, links, published, problems };
}

// ---------------------------------------------------------------------------------------------
// The pin writer.

/** A pin that must move so that it admits a version, and the update that moves it. */
export interface PinMove {
  from: string;
  to: string;
  update: FileUpdate;
  /** Set when the old pin was not a version constraint at all. */
  note?: string;
}

/**
 * The update that makes `dependency`'s pin admit `version` (same operator when it can), or
 * undefined when the pin admits it already or there is none. The same for a `file://`, an
 * embedded or a repository dependency: only which pins to move differs, and the caller says.
 */
export function pinUpdate(dependency: ChartDependency, version: string): PinMove | undefined {
  const pin = dependency.version?.value;
  if (pin === undefined) return undefined;
  const admits = pinAdmits(pin, version);
  if (admits === true) return undefined;
  const to = nextPin(pin, version);
  const kind = baseName(dependency.file) === REQUIREMENTS_FILE ? "requirements" : "chart";
  const { index, name } = dependency;
  const move: PinMove = {
    from: pin,
    to,
    update: {
      path: dependency.file,
      edit: (t) => setDependencyPin(t, kind, { index, name }, to),
      change: `${name} pin ${pin} -> ${to}`,
    },
  };
  if (admits === undefined) {
    move.note = `${dependency.file} pinned ${name} to ${JSON.stringify(pin)}, which is not a version constraint; monobot wrote ${to}.`;
  }
  return move;
}

/** The update of a chart's own version. */
export function chartVersionUpdate(
  chart: string,
  from: string | undefined,
  to: string,
): FileUpdate {
  return {
    path: chartPath(chart, CHART_FILE),
    edit: (t) => setChartVersion(t, to),
    change: `version ${from ?? "(invalid)"} -> ${to}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The plan: the walk and the pin writer composed.

/** Where a chart of the walk goes, as the caller decides: a version, a problem, or neither (it stays). */
export interface ChartMove {
  from?: string;
  to?: string;
  problem?: string;
}

/** A chart that changes, and the updates that change it (a values key, appVersion, a pin). */
export interface ChartChange {
  chart: string;
  updates?: readonly FileUpdate[];
}

export interface UmbrellaTake {
  child: string;
  dependency?: string;
  how: "file" | "embedded";
  pin?: { from: string; to: string };
}

/** A chart whose version is decided, in the order the plan reached it, with the packaged charts it takes. */
export interface MovedChart {
  chart: string;
  role: "chart" | "umbrella";
  from?: string;
  to: string;
  takes: UmbrellaTake[];
}

/** A repository dependency on a moved chart: it can take the new version once that is published. */
export interface AwaitingPublish {
  pin: PublishedPin;
  version: string;
  /** Whether the current pin admits that version. */
  admits: boolean;
}

export interface UmbrellaPlanInput {
  graph: ChartGraph;
  /** The charts that change, in order: each one's updates, then its version, then its umbrellas. */
  changes: readonly ChartChange[];
  /** Where each chart of the walk goes: called once per chart, `chart` for the changed ones. */
  move: (chart: string, role: "chart" | "umbrella") => ChartMove;
  /**
   * Where an umbrella's own version comes among the pins it takes: `first` (a deploy: "the
   * umbrella goes up and takes ...") or `last` (a /bump: each pin follows its chart, then the
   * umbrella goes up). The files come out the same; only the order of the changes in words differs.
   */
  umbrellaVersion: "first" | "last";
}

export interface UmbrellaPlan {
  /** Every update in order; one writer applies them (see updateWriter). */
  updates: FileUpdate[];
  charts: MovedChart[];
  /** The walk's packaging edges, bottom-up (for what an umbrella's values see, {@link packagingRoutes}). */
  links: PackagingLink[];
  published: AwaitingPublish[];
  problems: string[];
  notes: string[];
}

/**
 * The umbrella chain of some changed charts as file updates, for every plan that moves a chart:
 * the deploy plan, `/bump`, the chart follow-up, and a promotion (move environment X's pin, then
 * bump the umbrellas that package it). Contract: pure; `changes` are the charts whose content
 * changes, each with the updates that change it; `move` decides each chart's new version (called
 * once per chart, bottom-up). The result lists, in order, each changed chart's updates and its
 * version, then for each umbrella reached its version and the pin of each packaged chart that no
 * longer admits that chart's new version (Helm checks `file://` and embedded pins). A chart whose
 * `move` gives no version stops the walk there. Repository dependencies on a moved chart are
 * `published`, never edited: they move in a follow-up once the version is published. Nothing is
 * applied: the caller hands `updates` to one writer, which verifies each edit.
 *
 * A promotion composes it so: the pin it moves is an update of the chart holding it (a values
 * key of an environment's chart, the dependency version of an environment's umbrella, built with
 * {@link pinUpdate}), given as that chart's change; a pin outside any chart (a Fleet
 * `targetCustomizations` key in a fleet.yaml) changes no chart, so its update goes to the writer
 * alongside the plan's.
 */
export function planUmbrellas(input: UmbrellaPlanInput): UmbrellaPlan {
  const { graph, changes, move } = input;
  const walk = walkUmbrellas(
    graph,
    changes.map((c) => c.chart),
  );
  const plan: UmbrellaPlan = {
    updates: [],
    charts: [],
    links: walk.links,
    published: [],
    problems: [...walk.problems],
    notes: [],
  };
  const starts = new Set(changes.map((c) => c.chart));
  const takes = new Map<string, UmbrellaTake[]>();
  const takesOf = (chart: string): UmbrellaTake[] => {
    const list = takes.get(chart) ?? [];
    takes.set(chart, list);
    return list;
  };
  const moved = new Map<string, MovedChart>();
  const decided = new Set<string>();
  const decide = (chart: string): MovedChart | undefined => {
    if (decided.has(chart)) return moved.get(chart);
    decided.add(chart);
    const role = starts.has(chart) ? "chart" : "umbrella";
    const m = move(chart, role);
    if (m.problem !== undefined) plan.problems.push(m.problem);
    if (m.to === undefined) return undefined;
    const step: MovedChart = { chart, role, to: m.to, takes: takesOf(chart) };
    if (m.from !== undefined) step.from = m.from;
    moved.set(chart, step);
    plan.charts.push(step);
    if (m.from !== m.to) plan.updates.push(chartVersionUpdate(chart, m.from, m.to));
    return step;
  };
  const first = input.umbrellaVersion === "first";
  for (const change of changes) {
    plan.updates.push(...(change.updates ?? []));
    if (first && graph.charts.has(change.chart)) decide(change.chart);
  }
  const linksOf = new Map<string, PackagingLink[]>();
  for (const link of walk.links)
    linksOf.set(link.child, [...(linksOf.get(link.child) ?? []), link]);
  const reached = new Set(starts);
  for (const chart of walk.charts) {
    if (!first && reached.has(chart)) decide(chart);
    const child = moved.get(chart);
    if (!child) continue;
    for (const link of linksOf.get(chart) ?? []) {
      reached.add(link.parent);
      if (first && !decide(link.parent)) continue;
      takesOf(link.parent).push(follow(link, child.to, plan));
    }
  }
  for (const step of plan.charts) {
    for (const pin of graph.published.get(step.chart) ?? []) {
      const admits = pinAdmits(pin.dependency.version?.value, step.to) === true;
      plan.published.push({ pin, version: step.to, admits });
    }
  }
  return plan;
}

/** The umbrella's take of a moved chart: its pin follows when Helm checks it and it no longer admits. */
function follow(link: PackagingLink, version: string, plan: UmbrellaPlan): UmbrellaTake {
  const take: UmbrellaTake = { child: link.child, how: link.via };
  if (link.dependency) take.dependency = link.dependency.name;
  if (!pinIsChecked(link)) return take;
  const pin = pinUpdate(link.dependency, version);
  if (!pin) return take;
  plan.updates.push(pin.update);
  take.pin = { from: pin.from, to: pin.to };
  if (pin.note) plan.notes.push(pin.note);
  return take;
}

// ---------------------------------------------------------------------------------------------
// Values seen from an umbrella.

/** How a start chart's values are reached from an umbrella: the keys and the charts on the way. */
export interface PackagingRoute {
  start: string;
  /** Keys from the umbrella's values down to the start chart's (alias or name of each dependency). */
  prefix: string[];
  /** Chart folders from the umbrella down to the start chart. */
  via: string[];
}

const MAX_ROUTES = 16;

/** The routes from each start chart up to each umbrella of the walk (at most 16 per umbrella). */
export function packagingRoutes(
  graph: ChartGraph,
  walk: Pick<UmbrellaWalk, "links">,
  starts: readonly string[],
): Map<string, PackagingRoute[]> {
  const up = new Map<string, PackagingLink[]>();
  for (const link of walk.links) up.set(link.child, [...(up.get(link.child) ?? []), link]);
  const routes = new Map<string, PackagingRoute[]>();
  const visit = (start: string, folder: string, prefix: string[], via: string[]) => {
    for (const link of up.get(folder) ?? []) {
      if (via.includes(link.parent)) continue;
      const key =
        link.dependency?.alias ??
        link.dependency?.name ??
        graph.charts.get(folder)?.name ??
        baseName(folder);
      const list = routes.get(link.parent) ?? [];
      if (list.length >= MAX_ROUTES) continue;
      const route = { start, prefix: [key, ...prefix], via: [link.parent, ...via] };
      list.push(route);
      routes.set(link.parent, list);
      visit(start, link.parent, route.prefix, route.via);
    }
  };
  for (const start of starts) visit(start, start, [], [start]);
  return routes;
}
