// Plans a `/bump`: which VERSION files, Chart.yaml versions, appVersions and umbrella pins change to what.
import { pinIsChecked } from "./charts.js";
import type { ChartState } from "./checks/chart-version-rules.js";
import { versionsModel, type VersionsModel } from "./checks/versions-model.js";
import type { CheckInput } from "./checks/registry.js";
import {
  setChartAppVersion,
  setVersionFile,
  updateWriter,
  type EditResult,
  type FileEdit,
  type UpdateWriter,
} from "./edits.js";
import { contentKey, type Component } from "./types.js";
import { pinUpdate, planUmbrellas, type ChartMove } from "./umbrella.js";
import { bumpVersion, compareVersions, parseVersionFile, type BumpLevel } from "./versions.js";

export interface BumpRequest {
  level: BumpLevel;
  /** Component names, chart folders or chart names; empty: every failing component and chart. */
  names: readonly string[];
}

export type { FileEdit } from "./edits.js";

/** A version that changes, for the commit message and the reply. */
export interface VersionChange {
  kind: "component" | "chart";
  /** Component name or chart folder. */
  name: string;
  path: string;
  from: string;
  to: string;
}

export interface BumpPlan {
  edits: FileEdit[];
  versions: VersionChange[];
  /** Why some or all of the request cannot be done; a plan with problems must not be committed. */
  problems: string[];
}

function normalizeFolder(path: string): string {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  return p.replace(/^\/+/, "").replace(/\/+$/, "");
}

function list(names: readonly string[], max = 15): string {
  const shown = names.slice(0, max).map((n) => `\`${n}\``);
  return names.length > max ? `${shown.join(", ")} …` : shown.join(", ");
}

/** What a `/bump` moves: the components, and the charts named or failing monobot/versions. */
function bumpTargets(
  input: CheckInput,
  model: VersionsModel,
  request: BumpRequest,
  problems: string[],
): { components: Component[]; charts: Set<string> } {
  const components: Component[] = [];
  const charts = new Set<string>();
  const all = input.components.components;
  if (request.names.length === 0) {
    for (const state of model.components) {
      // Not bumped, a regression, an invalid VERSION, a forbidden pre-release: LEVEL fixes each.
      if (state.needsBump || (!state.ok && state.head !== null)) components.push(state.component);
    }
    for (const chart of model.charts.values()) {
      if (chart.needsBump && chart.files.length > 0) charts.add(chart.folder);
    }
    return { components, charts };
  }
  for (const name of request.names) {
    const component = all.find((c) => c.name === name);
    if (component) {
      components.push(component);
      continue;
    }
    const folder = normalizeFolder(name);
    const chart =
      model.charts.get(folder) ?? [...model.charts.values()].find((c) => c.head?.name === name);
    if (chart) {
      charts.add(chart.folder);
      continue;
    }
    problems.push(
      `there is no component or chart named \`${name}\`. Components: ${list(all.map((c) => c.name)) || "none"}; charts: ${list([...model.charts.keys()]) || "none"}.`,
    );
  }
  return { components, charts };
}

/** Each component's VERSION: LEVEL above its base version. Returns the versions written, by name. */
function bumpComponents(
  input: CheckInput,
  targets: readonly Component[],
  level: BumpLevel,
  writer: UpdateWriter,
  out: { problems: string[]; versions: VersionChange[] },
): Map<string, string> {
  const written = new Map<string, string>();
  const preid = input.policy.versions.preid;
  for (const component of targets) {
    const file = component.versionFile;
    const baseText = input.snapshot.contents.get(contentKey("base", file)) ?? null;
    const base = baseText === null ? null : parseVersionFile(baseText);
    if (base === null) {
      out.problems.push(
        `${component.name} is new in this pull request, so there is no released version to bump from; write its first version in \`${file}\`.`,
      );
      continue;
    }
    if (!base.ok) {
      out.problems.push(
        `\`${file}\` is not valid on the base branch (${base.message}), so there is no version to bump from; write the new version by hand.`,
      );
      continue;
    }
    const target = bumpVersion(base.version, level, preid);
    const current = writer.textOf(file) ?? null;
    const head = current === null ? null : parseVersionFile(current);
    const from = head?.ok ? head.version : (current ?? "").split(/\r?\n/, 1)[0] || "(empty)";
    // An unreadable VERSION holds one line at most worth keeping: the whole file is the value.
    const edit = head?.ok
      ? (t: string) => setVersionFile(t, target)
      : (): EditResult => ({ ok: true, content: `${target}\n`, changed: true });
    if (writer.apply({ path: file, edit, change: `${from} -> ${target}` })) {
      written.set(component.name, target);
      if (from !== target) {
        out.versions.push({
          kind: "component",
          name: component.name,
          path: file,
          from,
          to: target,
        });
      }
    }
  }
  return written;
}

/** appVersion of the charts tied to a component (`charts.app_version`); returns the charts it changed. */
function syncAppVersions(
  input: CheckInput,
  model: VersionsModel,
  request: BumpRequest,
  componentVersion: ReadonlyMap<string, string>,
  writer: UpdateWriter,
): Set<string> {
  const moved = new Set<string>();
  for (const tie of model.ties) {
    const chart = model.charts.get(tie.chart);
    const component = input.components.components.find((c) => c.name === tie.component);
    if (!chart?.head || !component) continue;
    let version = componentVersion.get(component.name);
    if (version === undefined && request.names.length === 0) {
      const involved =
        chart.files.length > 0 || model.components.some((s) => s.component === component);
      const text = writer.textOf(component.versionFile);
      const parsed = text === undefined ? null : parseVersionFile(text);
      if (involved && parsed?.ok) version = parsed.version;
    }
    if (version === undefined || chart.head.appVersion?.value === version) continue;
    const old = chart.head.appVersion?.value ?? "(none)";
    const target = version;
    const update = {
      path: chart.file,
      edit: (t: string) => setChartAppVersion(t, target),
      change: `appVersion ${old} -> ${target}`,
    };
    if (writer.apply(update)) moved.add(chart.folder);
  }
  return moved;
}

/**
 * The plan of a `/bump LEVEL [name...]` on the change in `input`. Named components (and charts)
 * go to LEVEL above their base version; without names, every component and chart that fails
 * monobot/versions does. Charts tied to a bumped component get its version as appVersion, and
 * every chart that moves makes its umbrella charts admit the new version and go up too, up to
 * the root. Charts that already went up in the pull request keep their version.
 */
export function planBump(input: CheckInput, request: BumpRequest): BumpPlan {
  const { policy, snapshot } = input;
  const model: VersionsModel = versionsModel(input);
  const level = request.level;
  if (level === "prerelease" && policy.versions.prerelease === "forbid") {
    return {
      edits: [],
      versions: [],
      problems: [
        "this repository forbids pre-release versions (`versions.prerelease: forbid` in .github/monobot.yml), so `/bump prerelease` cannot be done; use `/bump patch`, `minor` or `major`.",
      ],
    };
  }
  const out = { problems: [] as string[], versions: [] as VersionChange[] };
  const writer = updateWriter(
    (path) => snapshot.contents.get(contentKey("head", path)) ?? undefined,
    out.problems,
    {
      missing: (path) => `\`${path}\` could not be read at the head of the pull request.`,
      refused: (path, reason) => `\`${path}\`: ${reason}.`,
    },
  );
  const targets = bumpTargets(input, model, request, out.problems);
  const componentVersion = bumpComponents(input, targets.components, level, writer, out);
  const tiedMoved = syncAppVersions(input, model, request, componentVersion, writer);

  // Charts, then their umbrellas up to the roots.
  const starts = [...[...targets.charts].sort(), ...[...tiedMoved].sort()];
  if (request.names.length === 0) {
    for (const chart of model.charts.values()) {
      const moved =
        !chart.isNew && chart.headVersion !== undefined && chart.headVersion !== chart.baseVersion;
      // Umbrellas reached through a chain come after the charts below them.
      if ((moved || chart.needsBump) && chart.chain === undefined) starts.push(chart.folder);
    }
  }
  const preid = policy.versions.preid;
  const umbrellas = planUmbrellas({
    graph: model.graph,
    changes: [...new Set(starts)].map((chart) => ({ chart })),
    move: (folder) => {
      const chart = model.charts.get(folder);
      return chart ? chartTarget(chart, targets.charts.has(folder), level, preid) : {};
    },
    umbrellaVersion: "last",
  });
  out.problems.push(...umbrellas.problems);
  for (const update of umbrellas.updates) writer.apply(update);
  const chartVersion = new Map<string, string>();
  for (const step of umbrellas.charts) {
    chartVersion.set(step.chart, step.to);
    if (step.from === step.to) continue;
    const path = model.charts.get(step.chart)?.file ?? step.chart;
    out.versions.push({
      kind: "chart",
      name: step.chart,
      path,
      from: step.from ?? "?",
      to: step.to,
    });
  }
  // Pins that do not admit a chart that did not move (the pin changed, or was wrong before).
  for (const edge of model.pins) {
    const version = chartVersion.get(edge.child) ?? model.charts.get(edge.child)?.headVersion;
    if (version === undefined || !pinIsChecked(edge)) continue;
    const pin = pinUpdate(edge.dependency, version);
    if (pin) writer.apply(pin.update);
  }

  const edits = writer.edits().filter((e) => e.after !== e.before);
  return { edits, versions: out.versions, problems: [...new Set(out.problems)] };
}

/** The version a chart goes to: LEVEL above its base when named or not yet up, else its head. */
function chartTarget(
  chart: ChartState,
  named: boolean,
  level: BumpLevel,
  preid: string,
): ChartMove {
  const { baseVersion: base, headVersion: head } = chart;
  const stays: ChartMove = head === undefined ? {} : { from: head, to: head };
  if (chart.isNew) {
    if (!named) return stays;
    return {
      ...stays,
      problem: `${chart.folder} is new in this pull request, so there is no released version to bump from; write its first version in \`${chart.file}\`.`,
    };
  }
  if (chart.headError && !chart.head?.version) {
    return {
      problem: `\`${chart.headError.path}\`: ${chart.headError.message}; fix it by hand first.`,
    };
  }
  if (base === undefined) {
    return {
      problem: `\`${chart.file}\` has no valid version on the base branch, so there is no version to bump from; write the new version by hand.`,
    };
  }
  if (!named && head !== undefined && compareVersions(head, base) > 0) return stays;
  const to = bumpVersion(base, level, preid);
  return head === undefined ? { to } : { from: head, to };
}

/** A commit message that says what changed, who asked, and how the versions were computed. */
export function commitMessage(
  plan: BumpPlan,
  context: {
    level: BumpLevel;
    names: readonly string[];
    requestedBy: string;
    pull: number;
    baseSha: string;
    headSha: string;
  },
): string {
  const command = `/bump ${[context.level, ...context.names].join(" ")}`;
  const components = plan.versions.filter((v) => v.kind === "component");
  const charts = plan.versions.filter((v) => v.kind === "chart");
  let title: string;
  if (plan.versions.length === 1) {
    const only = plan.versions[0] as VersionChange;
    title = `Bump ${only.name} to ${only.to}`;
  } else {
    const parts: string[] = [];
    if (components.length)
      parts.push(`${components.length} component${components.length === 1 ? "" : "s"}`);
    if (charts.length) parts.push(`${charts.length} chart${charts.length === 1 ? "" : "s"}`);
    title = parts.length ? `Bump ${parts.join(" and ")}` : "Update chart pins and appVersions";
  }
  const lines = [`${title} (${command})`, ""];
  for (const edit of plan.edits) lines.push(`- ${edit.path}: ${edit.changes.join("; ")}`);
  lines.push(
    "",
    `Requested by @${context.requestedBy} with \`${command}\` on #${context.pull}. Versions computed by monobot from the pull request's base ${context.baseSha.slice(0, 7)} and head ${context.headSha.slice(0, 7)}; each edit replaces only the old value.`,
  );
  return lines.join("\n");
}

/** The reply's one-line list of version changes, e.g. "roc-api 1.2.3 → 1.2.4, charts/aether 2.0.0 → 2.0.1". */
export function describeVersions(plan: BumpPlan): string {
  return plan.versions.map((v) => `${v.name} ${v.from} → ${v.to}`).join(", ");
}
