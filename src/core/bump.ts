// Plans a `/bump`: which VERSION files, Chart.yaml versions, appVersions and umbrella pins change to what.
import {
  chartPath,
  nextPin,
  pinAdmits,
  pinIsChecked,
  REQUIREMENTS_FILE,
  type ChartEdge,
} from "./charts.js";
import type { ChartState } from "./checks/chart-version-rules.js";
import { versionsModel, type VersionsModel } from "./checks/versions-model.js";
import type { CheckInput } from "./checks/registry.js";
import {
  setChartAppVersion,
  setChartVersion,
  setDependencyPin,
  setVersionFile,
  type EditResult,
} from "./edits.js";
import { contentKey, type Component } from "./types.js";
import { bumpVersion, compareVersions, parseVersionFile, type BumpLevel } from "./versions.js";

export interface BumpRequest {
  level: BumpLevel;
  /** Component names, chart folders or chart names; empty: every failing component and chart. */
  names: readonly string[];
}

/** One file of the commit: its text at the head, the new text, and what changed in words. */
export interface FileEdit {
  path: string;
  before: string;
  after: string;
  changes: string[];
}

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

/**
 * The plan of a `/bump LEVEL [name...]` on the change in `input`. Named components (and charts)
 * go to LEVEL above their base version; without names, every component and chart that fails
 * monobot/versions does. Charts tied to a bumped component get its version as appVersion, and
 * every chart that moves makes its umbrella charts admit the new version and go up too, up to
 * the root. Charts that already went up in the pull request keep their version.
 */
export function planBump(input: CheckInput, request: BumpRequest): BumpPlan {
  const { policy, components, snapshot } = input;
  const model: VersionsModel = versionsModel(input);
  const level = request.level;
  const preid = policy.versions.preid;
  const problems: string[] = [];
  const versions: VersionChange[] = [];
  const working = new Map<string, FileEdit>();

  if (level === "prerelease" && policy.versions.prerelease === "forbid") {
    return {
      edits: [],
      versions: [],
      problems: [
        "this repository forbids pre-release versions (`versions.prerelease: forbid` in .github/monobot.yml), so `/bump prerelease` cannot be done; use `/bump patch`, `minor` or `major`.",
      ],
    };
  }

  const headText = (path: string): string | null =>
    working.get(path)?.after ?? snapshot.contents.get(contentKey("head", path)) ?? null;

  const apply = (path: string, edit: (text: string) => EditResult, change: string): boolean => {
    const current = headText(path);
    if (current === null) {
      problems.push(`\`${path}\` could not be read at the head of the pull request.`);
      return false;
    }
    const result = edit(current);
    if (!result.ok) {
      problems.push(`\`${path}\`: ${result.reason}.`);
      return false;
    }
    if (!result.changed) return true;
    const entry = working.get(path);
    if (entry) {
      entry.after = result.content;
      entry.changes.push(change);
    } else {
      working.set(path, { path, before: current, after: result.content, changes: [change] });
    }
    return true;
  };

  // What to bump.
  const componentTargets: Component[] = [];
  const namedCharts = new Set<string>();
  if (request.names.length > 0) {
    for (const name of request.names) {
      const component = components.components.find((c) => c.name === name);
      if (component) {
        componentTargets.push(component);
        continue;
      }
      const folder = normalizeFolder(name);
      const chart =
        model.charts.get(folder) ?? [...model.charts.values()].find((c) => c.head?.name === name);
      if (chart) {
        namedCharts.add(chart.folder);
        continue;
      }
      problems.push(
        `there is no component or chart named \`${name}\`. Components: ${list(components.components.map((c) => c.name)) || "none"}; charts: ${list([...model.charts.keys()]) || "none"}.`,
      );
    }
  } else {
    for (const state of model.components) {
      // Not bumped, a regression, an invalid VERSION, a forbidden pre-release: LEVEL fixes each.
      if (state.needsBump || (!state.ok && state.head !== null)) {
        componentTargets.push(state.component);
      }
    }
    for (const chart of model.charts.values()) {
      if (chart.needsBump && chart.files.length > 0) namedCharts.add(chart.folder);
    }
  }

  // Components: LEVEL above the base version.
  const componentVersion = new Map<string, string>();
  for (const component of componentTargets) {
    const file = component.versionFile;
    const baseText = snapshot.contents.get(contentKey("base", file)) ?? null;
    const base = baseText === null ? null : parseVersionFile(baseText);
    if (base === null) {
      problems.push(
        `${component.name} is new in this pull request, so there is no released version to bump from; write its first version in \`${file}\`.`,
      );
      continue;
    }
    if (!base.ok) {
      problems.push(
        `\`${file}\` is not valid on the base branch (${base.message}), so there is no version to bump from; write the new version by hand.`,
      );
      continue;
    }
    const target = bumpVersion(base.version, level, preid);
    const current = headText(file);
    const head = current === null ? null : parseVersionFile(current);
    const from = head?.ok ? head.version : (current ?? "").split(/\r?\n/, 1)[0] || "(empty)";
    // An unreadable VERSION holds one line at most worth keeping: the whole file is the value.
    const edit = head?.ok
      ? (t: string) => setVersionFile(t, target)
      : (): EditResult => ({ ok: true, content: `${target}\n`, changed: true });
    if (apply(file, edit, `${from} -> ${target}`)) {
      componentVersion.set(component.name, target);
      if (from !== target) {
        versions.push({ kind: "component", name: component.name, path: file, from, to: target });
      }
    }
  }

  // appVersion of charts tied to a component.
  const tiedMoved = new Set<string>();
  for (const tie of model.ties) {
    const chart = model.charts.get(tie.chart);
    const component = components.components.find((c) => c.name === tie.component);
    if (!chart?.head || !component) continue;
    let version = componentVersion.get(component.name);
    if (version === undefined && request.names.length === 0) {
      const involved =
        chart.files.length > 0 || model.components.some((s) => s.component === component);
      const text = headText(component.versionFile);
      const parsed = text === null ? null : parseVersionFile(text);
      if (involved && parsed?.ok) version = parsed.version;
    }
    if (version === undefined || chart.head.appVersion?.value === version) continue;
    const old = chart.head.appVersion?.value ?? "(none)";
    const target = version;
    if (apply(chart.file, (t) => setChartAppVersion(t, target), `appVersion ${old} -> ${target}`)) {
      tiedMoved.add(chart.folder);
    }
  }

  // Charts, then their umbrellas, breadth-first up to the roots.
  const queue: string[] = [];
  const seen = new Set<string>();
  const enqueue = (folder: string) => {
    if (seen.has(folder)) return;
    seen.add(folder);
    queue.push(folder);
  };
  for (const folder of [...namedCharts].sort()) enqueue(folder);
  for (const folder of [...tiedMoved].sort()) enqueue(folder);
  if (request.names.length === 0) {
    for (const chart of model.charts.values()) {
      const moved =
        !chart.isNew && chart.headVersion !== undefined && chart.headVersion !== chart.baseVersion;
      // Umbrellas reached through a chain come after the charts below them.
      if ((moved || chart.needsBump) && chart.chain === undefined) enqueue(chart.folder);
    }
  }
  const chartVersion = new Map<string, string>();
  const writePin = (edge: ChartEdge, version: string) => {
    if (!pinIsChecked(edge)) return;
    const dep = edge.dependency;
    const pin = dep.version?.value;
    if (pinAdmits(pin, version) === true) return;
    const next = nextPin(pin, version);
    const kind = dep.file === chartPath(edge.parent, REQUIREMENTS_FILE) ? "requirements" : "chart";
    apply(
      dep.file,
      (t) => setDependencyPin(t, kind, { index: dep.index, name: dep.name }, next),
      `${dep.name} pin ${pin ?? "(none)"} -> ${next}`,
    );
  };
  for (let i = 0; i < queue.length; i++) {
    const folder = queue[i] as string;
    const chart = model.charts.get(folder);
    if (!chart) continue;
    const target = chartTarget(chart, namedCharts.has(folder), level, preid, problems);
    if (target === undefined) continue;
    const head = chart.headVersion;
    if (head !== target) {
      const ok = apply(
        chart.file,
        (t) => setChartVersion(t, target),
        `version ${head ?? "(invalid)"} -> ${target}`,
      );
      if (!ok) continue;
      versions.push({
        kind: "chart",
        name: folder,
        path: chart.file,
        from: head ?? "?",
        to: target,
      });
    }
    chartVersion.set(folder, target);
    // Only umbrellas that package the chart (file:// or embedded) follow it; a repository
    // dependency pins a published version, which this commit does not publish.
    for (const edge of model.parents.get(folder) ?? []) {
      writePin(edge, target);
      enqueue(edge.parent);
    }
  }
  // Pins that do not admit a chart that did not move (the pin changed, or was wrong before).
  for (const edge of model.pins) {
    const child = model.charts.get(edge.child);
    const version = chartVersion.get(edge.child) ?? child?.headVersion;
    if (version !== undefined) writePin(edge, version);
  }

  const edits = [...working.values()].filter((e) => e.after !== e.before);
  return { edits, versions, problems: [...new Set(problems)] };
}

/** The version a chart goes to: LEVEL above its base when named or not yet up, else its head. */
function chartTarget(
  chart: ChartState,
  named: boolean,
  level: BumpLevel,
  preid: string,
  problems: string[],
): string | undefined {
  const { baseVersion: base, headVersion: head } = chart;
  if (chart.isNew) {
    if (named) {
      problems.push(
        `${chart.folder} is new in this pull request, so there is no released version to bump from; write its first version in \`${chart.file}\`.`,
      );
    }
    return head;
  }
  if (chart.headError && !chart.head?.version) {
    problems.push(`\`${chart.headError.path}\`: ${chart.headError.message}; fix it by hand first.`);
    return undefined;
  }
  if (base === undefined) {
    problems.push(
      `\`${chart.file}\` has no valid version on the base branch, so there is no version to bump from; write the new version by hand.`,
    );
    return undefined;
  }
  if (!named && head !== undefined && compareVersions(head, base) > 0) return head;
  return bumpVersion(base, level, preid);
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
