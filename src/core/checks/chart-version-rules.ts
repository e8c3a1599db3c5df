// monobot/versions on Helm charts: which files of each chart changed, and whether its version went up.
import {
  CHART_FILE,
  HELMIGNORE_FILE,
  REQUIREMENTS_FILE,
  chartFolders,
  chartOfPath,
  chartPath,
  chartVersionProblem,
  embeddingFolder,
  helmIgnores,
  parseChart,
  parseHelmignore,
  parseRequirements,
  type ChartDependency,
  type ChartManifest,
} from "../charts.js";
import { globMatcher } from "../glob.js";
import type { Policy } from "../policy.js";
import type { ChangeSnapshot } from "../types.js";
import { compareVersions, isSemver, skippedVersion, type LevelSuggestion } from "../versions.js";
import { plural } from "./annotations.js";
import {
  choicesText,
  snapshotText,
  type Finding,
  type VersionsSnapshot,
} from "./version-findings.js";

export interface ChartState {
  folder: string;
  /** Path of the Chart.yaml. */
  file: string;
  headText: string | null;
  baseText: string | null;
  head?: ChartManifest;
  headError?: { path: string; line: number; message: string };
  /** Dependencies of Chart.yaml and requirements.yaml at the head. */
  dependencies: ChartDependency[];
  baseVersion?: string;
  headVersion?: string;
  /**
   * True when the chart did not exist at the base: no Chart.yaml there, or one with another
   * chart name (a chart with a new name is a new package, whatever folder it came from).
   */
  isNew: boolean;
  /** The folder at the base: another one when the chart (same name) moved. */
  baseFolder: string;
  /** The chart this one was at the base under another name (then `isNew`). */
  renamedFrom?: { name: string; folder: string };
  /** Changed files that oblige a bump (ignore globs and .helmignore excluded). */
  files: string[];
  needsBump: boolean;
  /** Why the chart must bump as an umbrella: the chain from the chart that moved. */
  chain?: string[];
  verdict?: string;
  ok: boolean;
}

function chartVersionOf(chart: ChartManifest | undefined): string | undefined {
  const v = chart?.version?.value;
  return v !== undefined && isSemver(v) ? v : undefined;
}

/** A removed Chart.yaml under `charts.paths`, by chart name: where a chart moved away from. */
function removedCharts(snapshot: ChangeSnapshot, policy: Policy): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of snapshot.files) {
    if (f.status !== "removed" || chartFolders([f.path], policy).length === 0) continue;
    const base = snapshotText(snapshot, "base", f.path);
    const parsed = base === null ? null : parseChart(base, f.path);
    const name = parsed?.ok ? parsed.chart.name : undefined;
    if (name !== undefined && !out.has(name)) out.set(name, f.path);
  }
  return out;
}

/**
 * Where a head Chart.yaml was at the base: the same path, the path it was renamed from, or (for
 * an added one) a removed Chart.yaml of a chart with the same name: a chart moved to another
 * folder is the same chart. Null when the chart is new.
 */
function basePathOf(
  file: string,
  headName: string | undefined,
  baseOf: ReadonlyMap<string, string | null>,
  removed: Map<string, string>,
): string | null {
  if (!baseOf.has(file)) return file;
  const previous = baseOf.get(file) ?? null;
  if (previous !== null || headName === undefined) return previous;
  const moved = removed.get(headName);
  if (moved !== undefined) removed.delete(headName);
  return moved ?? null;
}

/** Every chart under `charts.paths` at the head, with its base version and its changed files. */
export function chartStates(
  snapshot: VersionsSnapshot,
  policy: Policy,
  findings: Finding[],
): { charts: Map<string, ChartState>; manifests: Map<string, ChartManifest> } {
  const folders = chartFolders(snapshot.headPaths, policy);
  const headSet = new Set(snapshot.headPaths);
  const baseOf = new Map<string, string | null>();
  for (const f of snapshot.files) {
    if (f.status === "added") baseOf.set(f.path, null);
    else baseOf.set(f.path, f.previousPath ?? f.path);
  }
  const removed = removedCharts(snapshot, policy);
  const charts = new Map<string, ChartState>();
  const manifests = new Map<string, ChartManifest>();
  for (const folder of folders) {
    const file = chartPath(folder, CHART_FILE);
    const headText = snapshotText(snapshot, "head", file);
    const state: ChartState = {
      folder,
      file,
      headText,
      baseText: null,
      baseFolder: folder,
      dependencies: [],
      isNew: true,
      files: [],
      needsBump: false,
      ok: true,
    };
    const parsed = headText === null ? null : parseChart(headText, file);
    if (parsed === null) {
      state.headError = { path: file, line: 1, message: `${file} could not be read as text` };
    } else if (!parsed.ok) {
      state.headError = { path: file, line: parsed.line, message: `${file} ${parsed.message}` };
    } else {
      state.head = parsed.chart;
      state.dependencies = [...parsed.chart.dependencies];
      const problem = chartVersionProblem(parsed.chart);
      if (problem) {
        state.headError = { path: file, line: problem.line, message: `${file} ${problem.message}` };
      }
      const version = chartVersionOf(parsed.chart);
      if (version) state.headVersion = version;
    }
    const requirements = chartPath(folder, REQUIREMENTS_FILE);
    if (headSet.has(requirements)) {
      const reqText = snapshotText(snapshot, "head", requirements);
      const req = reqText === null ? null : parseRequirements(reqText, requirements);
      if (req?.ok) state.dependencies.push(...req.dependencies);
      else if (req && !state.headError) {
        state.headError = {
          path: requirements,
          line: req.line,
          message: `${requirements} ${req.message}`,
        };
      }
    }
    const basePath = basePathOf(file, state.head?.name, baseOf, removed);
    const baseText =
      basePath === file && !baseOf.has(file)
        ? headText
        : basePath === null
          ? null
          : snapshotText(snapshot, "base", basePath);
    if (baseText !== null && basePath !== null) {
      const baseParsed = baseText === headText ? parsed : parseChart(baseText, basePath);
      const baseName = baseParsed?.ok ? baseParsed.chart.name : undefined;
      const headName = state.head?.name;
      if (baseName !== undefined && headName !== undefined && baseName !== headName) {
        // A chart with a new name is a new chart (a new package); it starts at any version.
        state.renamedFrom = { name: baseName, folder: parentFolder(basePath) };
      } else {
        state.isNew = false;
        state.baseText = baseText;
        state.baseFolder = parentFolder(basePath);
        const version = baseParsed?.ok ? chartVersionOf(baseParsed.chart) : undefined;
        if (version) state.baseVersion = version;
      }
    }
    charts.set(folder, state);
    manifests.set(folder, { ...(state.head ?? {}), dependencies: state.dependencies });
  }
  chartFiles(snapshot, policy, charts, findings);
  return { charts, manifests };
}

/** The folder of a path ("" at the root). */
export function parentFolder(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function relativeTo(folder: string, path: string): string {
  return folder === "" ? path : path.slice(folder.length + 1);
}

/**
 * The changed files of each chart, without `charts.ignore` and what its .helmignore leaves out.
 * A path at the head belongs to the deepest chart holding it; a path at the base (a removed
 * file, a rename's old path) to the deepest chart whose folder at the base held it, so the old
 * files of a moved chart stay its own. A file moved with its chart, unchanged and at the same
 * place inside it, changes nothing Helm packages. A chart that moves into or out of an umbrella's
 * `charts/` folder changes that umbrella.
 */
function chartFiles(
  snapshot: ChangeSnapshot,
  policy: Policy,
  charts: Map<string, ChartState>,
  findings: Finding[],
): void {
  const headFolders = new Set(charts.keys());
  const baseFolders = new Map<string, string>();
  for (const c of charts.values()) {
    if (!c.isNew) baseFolders.set(c.baseFolder, c.folder);
  }
  // A new chart owns its folder at the base too, unless a moved chart came from there.
  for (const c of charts.values()) {
    if (!baseFolders.has(c.folder)) baseFolders.set(c.folder, c.folder);
  }
  const baseFolderSet = new Set(baseFolders.keys());
  const baseOwner = (p: string): string | undefined => {
    const folder = chartOfPath(baseFolderSet, p);
    return folder === undefined ? undefined : baseFolders.get(folder);
  };
  const ignoredByCharts = globMatcher(policy.charts.ignore);
  const helmignores = new Map<string, ReturnType<typeof parseHelmignore>>();
  const add = (folder: string | undefined, p: string, rel: string) => {
    const state = folder === undefined ? undefined : charts.get(folder);
    if (folder === undefined || !state || ignoredByCharts(p)) return;
    let rules = helmignores.get(folder);
    if (!rules) {
      rules = parseHelmignore(snapshotText(snapshot, "head", chartPath(folder, HELMIGNORE_FILE)));
      helmignores.set(folder, rules);
    }
    if (helmIgnores(rules.rules, rel)) return;
    if (!state.files.includes(p)) state.files.push(p);
  };
  for (const f of snapshot.files) {
    if (f.status === "unchanged") continue;
    const headOwner = f.status === "removed" ? undefined : chartOfPath(headFolders, f.path);
    const basePath =
      f.status === "removed" ? f.path : f.previousPath !== f.path ? f.previousPath : undefined;
    const owner = basePath === undefined ? undefined : baseOwner(basePath);
    if (headOwner !== undefined) {
      const state = charts.get(headOwner) as ChartState;
      const rel = relativeTo(headOwner, f.path);
      const moved =
        basePath !== undefined &&
        owner === headOwner &&
        relativeTo(state.baseFolder, basePath) === rel &&
        f.additions === 0 &&
        f.deletions === 0;
      if (moved) continue;
      add(headOwner, f.path, rel);
    }
    // A file renamed within one chart counts once.
    if (basePath !== undefined && owner !== undefined && owner !== headOwner) {
      const state = charts.get(owner) as ChartState;
      add(owner, basePath, relativeTo(state.baseFolder, basePath));
    }
  }
  for (const c of charts.values()) {
    if (c.isNew || c.baseFolder === c.folder) continue;
    const into = embeddingFolder(c.folder);
    const headUmbrella = into !== undefined && headFolders.has(into) ? into : undefined;
    const outOf = embeddingFolder(c.baseFolder);
    const baseUmbrella = outOf === undefined ? undefined : baseFolders.get(outOf);
    if (headUmbrella === baseUmbrella) continue;
    if (headUmbrella !== undefined) add(headUmbrella, c.file, relativeTo(headUmbrella, c.file));
    if (baseUmbrella !== undefined && outOf !== undefined) {
      const old = chartPath(c.baseFolder, CHART_FILE);
      add(baseUmbrella, old, relativeTo(outOf, old));
    }
  }
  for (const [folder, rules] of helmignores) {
    for (const problem of rules.problems) {
      findings.push({
        path: chartPath(folder, HELMIGNORE_FILE),
        line: problem.line,
        level: "warning",
        message: `${chartPath(folder, HELMIGNORE_FILE)}: ${problem.message}`,
      });
    }
  }
}

/** Reports a chart whose files Helm cannot read; true when there was one. */
export function chartProblem(state: ChartState, findings: Finding[]): boolean {
  if (!state.headError) return false;
  findings.push({
    path: state.headError.path,
    line: state.headError.line,
    level: "failure",
    message: state.headError.message,
  });
  state.ok = false;
  state.verdict = "invalid";
  return true;
}

/** A chart with own changes must go up: not the same version, not a lower one. */
export function judgeChart(
  state: ChartState,
  policy: Policy,
  suggestion: LevelSuggestion,
  findings: Finding[],
): void {
  if (chartProblem(state, findings)) return;
  const head = state.headVersion;
  const line = state.head?.version?.line ?? 1;
  if (state.isNew || head === undefined) {
    state.verdict = `new at ${head ?? "?"}`;
    return;
  }
  const base = state.baseVersion;
  if (base === undefined) {
    findings.push({
      path: state.file,
      line,
      level: "notice",
      message: `${state.file} had no valid version at the base, so ${head} was not compared with it`,
    });
    state.verdict = `${head} (base unreadable)`;
    return;
  }
  const render = (v: string) => `version: ${v}`;
  const cmp = compareVersions(head, base);
  if (cmp > 0) {
    const skipped = skippedVersion(base, head);
    if (skipped !== undefined) {
      findings.push({
        path: state.file,
        line,
        level: "notice",
        message: `${state.folder} goes from ${base} to ${head}, skipping ${skipped}; that is allowed, write ${skipped} instead if the skip is a slip`,
      });
    }
    state.verdict = `${base} → ${head}${skipped ? ` (skips ${skipped})` : ""}`;
    return;
  }
  state.needsBump = true;
  state.ok = false;
  const choices = choicesText(base, suggestion.level, policy, render);
  if (cmp === 0 && head === base) {
    state.verdict = `not bumped (still ${base})`;
    findings.push({
      path: state.file,
      line,
      level: "failure",
      message: `${state.folder} changed (${plural(state.files.length, "file")}) but its version is still ${base}: write ${choices}, or comment \`/bump ${suggestion.level}\``,
    });
    return;
  }
  state.verdict = `regression (${base} → ${head})`;
  findings.push({
    path: state.file,
    line,
    level: "failure",
    message: `${state.folder} version went from ${base} to ${head}, a regression: a new version must be greater than ${base}: write ${choices}, or comment \`/bump ${suggestion.level}\``,
  });
}
