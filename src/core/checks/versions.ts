// monobot/versions: components' VERSION files and Helm charts (umbrellas included) go up by SemVer when they change.
import { posix } from "node:path";
import {
  CHART_FILE,
  HELMIGNORE_FILE,
  REQUIREMENTS_FILE,
  chartFolders,
  chartOfPath,
  chartPath,
  chartVersionProblem,
  helmIgnores,
  nextPin,
  parseChart,
  parseHelmignore,
  parseRequirements,
  pinAdmits,
  chartGraph,
  embeddingFolder,
  fileDependencyFolder,
  dependencySource,
  pinIsChecked,
  type ChartDependency,
  type ChartEdge,
  type ChartGraph,
  type ChartManifest,
} from "../charts.js";
import { globMatcher } from "../glob.js";
import type { Policy } from "../policy.js";
import {
  contentKey,
  type Annotation,
  type AnnotationLevel,
  type ChangeSnapshot,
  type CheckResult,
  type Component,
  type ComponentsReport,
  type FileRequest,
} from "../types.js";
import {
  bumpChoices,
  bumpVersion,
  compareVersions,
  describeChoices,
  isPrerelease,
  isSemver,
  needsNewVersion,
  parseVersionFile,
  releaseTag,
  releasedVersion,
  skippedVersion,
  suggestLevel,
  type BumpLevel,
  type LevelSuggestion,
  type VersionFileResult,
} from "../versions.js";
import { fitSummary, plural } from "./annotations.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

export const VERSIONS_CHECK = "monobot/versions";

/**
 * The snapshot as this check reads it: `releaseTags` are the repository's tag names that the
 * policy's template can produce (one matching-refs listing per event), or absent when the
 * pipeline did not list them: tag existence is then reported as not checked.
 */
export type VersionsSnapshot = ChangeSnapshot & { releaseTags?: readonly string[] };

/** One problem or note, on the line that must change. */
export interface Finding {
  path: string;
  line: number;
  level: AnnotationLevel;
  message: string;
}

export interface ComponentState {
  component: Component;
  /** Own changed files that oblige a bump (the policy's `versions.ignore` excluded). */
  files: string[];
  baseText: string | null;
  headText: string | null;
  base: VersionFileResult | null;
  head: VersionFileResult | null;
  /** The valid versions, when readable. */
  baseVersion?: string;
  headVersion?: string;
  /** The VERSION must go up and does not: unchanged, equal or lower. */
  needsBump: boolean;
  /**
   * The VERSION at the base is a pre-release that takes the change as it is (an in-development
   * version; `versions.every_change: false`), and the head did not raise it.
   */
  inDevelopment: boolean;
  verdict: string;
  ok: boolean;
}

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

export interface Tie {
  chart: string;
  component: string;
}

export interface VersionsModel {
  components: ComponentState[];
  charts: Map<string, ChartState>;
  /** Packaging edges (Helm's `file://` and embedded sub-charts) by child folder. */
  parents: ReadonlyMap<string, readonly ChartEdge[]>;
  graph: ChartGraph;
  /** Packaging edges whose pin does not admit the child's version at the head (failures). */
  pins: ChartEdge[];
  ties: Tie[];
  findings: Finding[];
  suggestion: LevelSuggestion;
  /** Release tag names, or undefined when they were not listed. */
  tags: readonly string[] | undefined;
  notes: string[];
}

function text(snapshot: ChangeSnapshot, side: "base" | "head", path: string): string | null {
  return snapshot.contents.get(contentKey(side, path)) ?? null;
}

function normalizeFolder(path: string): string {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

/** `charts.app_version` as (chart folder, component) pairs. */
export function tiesOf(policy: Pick<Policy, "charts">): Tie[] {
  return Object.entries(policy.charts.app_version ?? {}).map(([chart, component]) => ({
    chart: normalizeFolder(chart),
    component,
  }));
}

type SnapshotNoContents = Omit<ChangeSnapshot, "contents">;

/** Changed paths, both sides of renames. */
function changedPaths(snapshot: SnapshotNoContents): string[] {
  const out: string[] = [];
  for (const f of snapshot.files) {
    if (f.status === "unchanged") continue;
    out.push(f.path);
    if (f.previousPath !== undefined && f.previousPath !== f.path) out.push(f.previousPath);
  }
  return out;
}

/** Charts with changed files (before .helmignore, which is read with the contents). */
function touchedCharts(folders: ReadonlySet<string>, snapshot: SnapshotNoContents): Set<string> {
  const out = new Set<string>();
  for (const p of changedPaths(snapshot)) {
    const folder = chartOfPath(folders, p);
    if (folder !== undefined) out.add(folder);
  }
  return out;
}

/**
 * What the check reads beyond the patches: VERSION files of components with own changes (and
 * of `extraComponents`, for /bump) at both sides; every Chart.yaml and requirements.yaml under
 * `charts.paths` at the head (the umbrella graph), and at the base those that changed; the
 * .helmignore of changed charts; the VERSION at head of components charts are tied to.
 */
export function versionsNeeds(
  input: { snapshot: SnapshotNoContents; policy: Policy; components: ComponentsReport },
  extraComponents: readonly string[] = [],
): FileRequest[] {
  const { snapshot, policy, components } = input;
  const out: FileRequest[] = [];
  const extra = new Set(extraComponents);
  for (const c of components.components) {
    const own = components.affected.some((a) => a.component === c && a.ownChange);
    if (!own && !extra.has(c.name)) continue;
    out.push({ side: "base", path: c.versionFile }, { side: "head", path: c.versionFile });
  }
  const headSet = new Set(snapshot.headPaths);
  const folders = chartFolders(snapshot.headPaths, policy);
  const folderSet = new Set(folders);
  const changed = new Map<string, string | undefined>();
  for (const f of snapshot.files) {
    if (f.status === "added") changed.set(f.path, undefined);
    else changed.set(f.path, f.previousPath ?? f.path);
  }
  const touched = touchedCharts(folderSet, snapshot);
  // A Chart.yaml added while another is removed may be the same chart moved: read the removed.
  if (
    snapshot.files.some(
      (f) =>
        f.status === "added" &&
        chartPath(parentFolder(f.path), CHART_FILE) === f.path &&
        folderSet.has(parentFolder(f.path)),
    )
  ) {
    for (const f of snapshot.files) {
      if (f.status === "removed" && chartFolders([f.path], policy).length > 0) {
        out.push({ side: "base", path: f.path });
      }
    }
  }
  for (const folder of folders) {
    for (const name of [CHART_FILE, REQUIREMENTS_FILE]) {
      const path = chartPath(folder, name);
      if (!headSet.has(path)) continue;
      out.push({ side: "head", path });
      const basePath = changed.get(path);
      if (basePath !== undefined) out.push({ side: "base", path: basePath });
    }
    const ignore = chartPath(folder, HELMIGNORE_FILE);
    if (touched.has(folder) && headSet.has(ignore)) out.push({ side: "head", path: ignore });
  }
  const ties = tiesOf(policy);
  for (const tie of ties) {
    const c = components.components.find((x) => x.name === tie.component);
    if (c) out.push({ side: "head", path: c.versionFile });
  }
  return out;
}

/**
 * Removed files of components removed by the change (their VERSION file is gone at the head):
 * at the head these paths fall to an outer component, which a removal must not oblige to bump.
 */
function removedComponentFiles(snapshot: SnapshotNoContents, policy: Policy): Set<string> {
  const discover = globMatcher(policy.components.discover);
  const head = new Set(snapshot.headPaths);
  const folders: string[] = [];
  for (const f of snapshot.files) {
    if (f.status === "removed" && discover(f.path) && !head.has(f.path)) {
      const slash = f.path.lastIndexOf("/");
      if (slash > 0) folders.push(f.path.slice(0, slash + 1));
    }
  }
  const out = new Set<string>();
  if (folders.length === 0) return out;
  for (const f of snapshot.files) {
    if (f.status === "removed" && folders.some((folder) => f.path.startsWith(folder)))
      out.add(f.path);
  }
  return out;
}

function readVersion(textValue: string | null): VersionFileResult | null {
  return textValue === null ? null : parseVersionFile(textValue);
}

/** "services/roc-api" or, for the root component, its name. */
function where(c: Component): string {
  return c.path === "" ? c.name : c.path;
}

function choicesText(
  base: string,
  suggestion: BumpLevel,
  policy: Policy,
  render?: (v: string) => string,
): string {
  const choices = bumpChoices(base, suggestion, {
    preid: policy.versions.preid,
    prerelease: isPrerelease(base) && policy.versions.prerelease === "allow",
  });
  return describeChoices(choices, render);
}

function componentState(
  snapshot: VersionsSnapshot,
  policy: Policy,
  suggestion: LevelSuggestion,
  component: Component,
  files: string[],
  findings: Finding[],
  tiedCharts: readonly string[],
): ComponentState {
  const file = component.versionFile;
  const baseText = text(snapshot, "base", file);
  const headText = text(snapshot, "head", file);
  const base = readVersion(baseText);
  const head = readVersion(headText);
  const state: ComponentState = {
    component,
    files,
    baseText,
    headText,
    base,
    head,
    needsBump: false,
    inDevelopment: false,
    verdict: "",
    ok: true,
  };
  if (base?.ok) state.baseVersion = base.version;
  if (head?.ok) state.headVersion = head.version;
  const fail = (line: number, message: string, verdict: string) => {
    findings.push({ path: file, line, level: "failure", message });
    state.ok = false;
    state.verdict = verdict;
  };
  const follow =
    tiedCharts.length > 0
      ? ` (${tiedCharts.join(", ")} must follow: charts.app_version ties ${tiedCharts.length === 1 ? "its" : "their"} appVersion to this VERSION)`
      : "";
  const bumpHint = `or comment \`/bump ${suggestion.level}\`${follow}`;

  if (head === null) {
    fail(
      1,
      `${file} could not be read as text: write one version such as 1.0.0 in it`,
      "unreadable",
    );
    return state;
  }
  if (!head.ok) {
    fail(head.line, `${file} ${head.message}`, "invalid VERSION");
    return state;
  }
  const headVersion = head.version;
  const changedText = baseText !== headText;
  if (base === null) {
    state.verdict = `new at ${headVersion}`;
  } else if (!base.ok) {
    findings.push({
      path: file,
      line: 1,
      level: "notice",
      message: `${file} was not valid at the base (${base.message}), so ${headVersion} was not compared with it`,
    });
    state.verdict = `${headVersion} (base unreadable)`;
  } else {
    const cmp = compareVersions(headVersion, base.version);
    const choices = choicesText(base.version, suggestion.level, policy);
    if (cmp === 0 && !needsNewVersion(base.version, policy.versions)) {
      // Changes land on the in-development version until a release commit sets the release.
      state.inDevelopment = true;
      state.verdict = `in development on ${base.version} (no new version needed)`;
      return state;
    }
    if (!changedText) {
      state.needsBump = true;
      fail(
        1,
        `${where(component)} changed (${plural(files.length, "file")}) but VERSION is still ${base.version}: write ${choices}, ${bumpHint}`,
        `not bumped (still ${base.version})`,
      );
      return state;
    }
    if (cmp <= 0) {
      state.needsBump = true;
      const how =
        cmp === 0
          ? `${headVersion} is equal to ${base.version} in SemVer precedence (build metadata does not count)`
          : `${headVersion} is lower than ${base.version}`;
      fail(
        1,
        `${file} went from ${base.version} to ${headVersion}, a regression: ${how}. A new version must be greater: write ${choices}, ${bumpHint}`,
        `regression (${base.version} → ${headVersion})`,
      );
      return state;
    }
    const skipped = skippedVersion(base.version, headVersion);
    if (skipped !== undefined) {
      findings.push({
        path: file,
        line: 1,
        level: "notice",
        message: `${file} goes from ${base.version} to ${headVersion}, skipping ${skipped}; that is allowed, write ${skipped} instead if the skip is a slip`,
      });
    }
    state.verdict = `${base.version} → ${headVersion}${skipped ? ` (skips ${skipped})` : ""}`;
  }
  if (changedText && isPrerelease(headVersion) && policy.versions.prerelease === "forbid") {
    const release = bumpVersion(headVersion, "patch");
    fail(
      1,
      `${file} holds ${headVersion}, a pre-release, which this repository forbids (versions.prerelease: forbid): write ${release}`,
      `pre-release ${headVersion} forbidden`,
    );
    return state;
  }
  if (changedText && !isPrerelease(headVersion) && snapshot.releaseTags) {
    const tag = releaseTag(policy.versions.tag, component.name, headVersion);
    if (snapshot.releaseTags.includes(tag)) {
      fail(
        1,
        `${component.name} ${headVersion} was released already (tag ${tag} exists): write a version that has not been released, e.g. ${bumpVersion(headVersion, suggestion.level)}`,
        `${headVersion} already tagged`,
      );
      return state;
    }
  }
  return state;
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
    const base = text(snapshot, "base", f.path);
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
function chartStates(
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
    const headText = text(snapshot, "head", file);
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
      const reqText = text(snapshot, "head", requirements);
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
          : text(snapshot, "base", basePath);
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

function parentFolder(path: string): string {
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
      rules = parseHelmignore(text(snapshot, "head", chartPath(folder, HELMIGNORE_FILE)));
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

/** Everything the check and /bump decide from, built from the snapshot alone. */
export function versionsModel(input: CheckInput): VersionsModel {
  const { policy, components } = input;
  const snapshot = input.snapshot as VersionsSnapshot;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const suggestion = suggestLevel(snapshot.commits);
  const ignoredByVersions = globMatcher(policy.versions.ignore);

  const ties = tiesOf(policy);
  const removedWithin = removedComponentFiles(snapshot, policy);
  const states: ComponentState[] = [];
  for (const a of components.affected) {
    if (!a.ownChange) continue;
    const files = a.files.filter((f) => !ignoredByVersions(f) && !removedWithin.has(f));
    // Only the removal of a nested component: the outer one need not bump for it.
    if (files.length === 0) continue;
    const tied = ties.filter((t) => t.component === a.component.name).map((t) => t.chart);
    states.push(componentState(snapshot, policy, suggestion, a.component, files, findings, tied));
  }

  const { charts, manifests } = chartStates(snapshot, policy, findings);

  // Own changes: each changed chart must go up.
  for (const state of charts.values()) {
    if (state.files.length === 0) continue;
    judgeChart(state, policy, suggestion, findings);
  }

  // appVersion tied to a component's VERSION: checked when the chart or the component changed.
  for (const tie of ties) {
    const chart = charts.get(tie.chart);
    const component = components.components.find((c) => c.name === tie.component);
    if (!chart) {
      notes.push(
        `\`charts.app_version\` names \`${tie.chart}\`, which has no ${CHART_FILE} under \`charts.paths\` at the head; correct the folder or remove the entry.`,
      );
      continue;
    }
    if (!component) {
      notes.push(
        `\`charts.app_version\` ties \`${tie.chart}\` to \`${tie.component}\`, which is not a component; use a component's name.`,
      );
      continue;
    }
    const own = states.some((s) => s.component === component);
    if (chart.files.length === 0 && !own) continue;
    const version = readVersion(text(snapshot, "head", component.versionFile));
    if (!version?.ok || !chart.head || chart.headError) continue;
    const app = chart.head.appVersion;
    if (app?.value === version.version) continue;
    let also = "";
    const { baseVersion: base, headVersion: head } = chart;
    if (
      !chart.needsBump &&
      !chart.isNew &&
      base !== undefined &&
      head !== undefined &&
      compareVersions(head, base) <= 0
    ) {
      // The appVersion edit changes the chart, so its version must go up as well.
      chart.needsBump = true;
      also = `, and then the chart's version must go up from ${base}: write ${choicesText(base, suggestion.level, policy, (v) => `version: ${v}`)}`;
    }
    findings.push({
      path: chart.file,
      line: app?.line ?? chart.head.version?.line ?? 1,
      level: "failure",
      message: `${chart.folder} ${app ? `has appVersion ${app.value}` : "has no appVersion"} but ${component.name} is at ${version.version} (${component.versionFile}); charts.app_version ties them: write appVersion: "${version.version}"${also}; or comment \`/bump ${suggestion.level}\``,
    });
    chart.ok = false;
    chart.verdict ??= `appVersion ${app?.value ?? "missing"} ≠ ${version.version}`;
  }

  // Umbrellas: every chart packaging a chart that moves must admit it and go up too.
  const graph = chartGraph(manifests);
  const parents = graph.parents;
  const pins: ChartEdge[] = [];
  propagate(charts, parents, policy, suggestion, findings, pins);
  changedPins(snapshot, charts, parents, findings, pins);
  publishedPins(charts, graph, findings);
  danglingFileDependencies(snapshot, charts, findings);

  if (snapshot.truncated) {
    notes.push(
      "The pull request lists more than 3,000 files; components and charts changed only beyond them were not seen.",
    );
  }
  return {
    components: states,
    charts,
    parents,
    graph,
    pins,
    ties,
    findings,
    suggestion,
    tags: snapshot.releaseTags,
    notes,
  };
}

function chartProblem(state: ChartState, findings: Finding[]): boolean {
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

function judgeChart(
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
function propagate(
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
function changedPins(
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
function publishedPins(
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
function danglingFileDependencies(
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

const SEVERITY: Record<AnnotationLevel, number> = { failure: 0, warning: 1, notice: 2 };

/** One annotation per file, on the first line that must change, with every message for it. */
export function annotationsOf(findings: readonly Finding[]): Annotation[] {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byPath.get(f.path) ?? [];
    if (!list.some((x) => x.message === f.message)) list.push(f);
    byPath.set(f.path, list);
  }
  const out: Annotation[] = [];
  for (const [path, list] of byPath) {
    const sorted = [...list].sort(
      (a, b) => SEVERITY[a.level] - SEVERITY[b.level] || a.line - b.line,
    );
    const top = sorted[0] as Finding;
    out.push({
      path,
      start_line: top.line,
      end_line: top.line,
      level: top.level,
      title: "monobot/versions",
      message: sorted
        .map((f) =>
          sorted.length > 1 && f.line !== top.line ? `(line ${f.line}) ${f.message}` : f.message,
        )
        .join("\n\n"),
    });
  }
  return out.sort((a, b) => SEVERITY[a.level] - SEVERITY[b.level] || (a.path < b.path ? -1 : 1));
}

function cell(textValue: string): string {
  return textValue.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

const MAX_ROWS = 50;

function summaryOf(
  model: VersionsModel,
  policy: Policy,
): { title: string; summary: string; failed: boolean } {
  const failures = model.findings.filter((f) => f.level === "failure");
  const failed = failures.length > 0;
  const out: string[] = [];
  const shownCharts = [...model.charts.values()].filter(
    (c) => c.files.length > 0 || c.chain || c.verdict,
  );
  if (model.components.length === 0 && shownCharts.length === 0) {
    out.push("No component or chart changed in a way that needs a new version.");
  }
  if (model.components.length > 0) {
    out.push("| Component | VERSION | Result |", "|---|---|---|");
    for (const s of model.components.slice(0, MAX_ROWS)) {
      out.push(
        `| ${cell(s.component.name)} | \`${cell(s.component.versionFile)}\` | ${s.ok ? "✅" : "❌"} ${cell(s.verdict)} |`,
      );
    }
    if (model.components.length > MAX_ROWS) {
      out.push(`| … | | ${model.components.length - MAX_ROWS} more |`);
    }
    out.push("");
    const developing = model.components.filter((s) => s.inDevelopment);
    if (developing.length > 0) {
      const names = developing
        .slice(0, 5)
        .map((s) => `\`${s.component.name}\` ${s.baseVersion ?? ""}`)
        .join(", ");
      out.push(
        `In development: ${names}${developing.length > 5 ? " …" : ""}. A pre-release VERSION takes changes as it is; the release commit sets the release version (\`versions.every_change: false\`).`,
        "",
      );
    }
  }
  if (shownCharts.length > 0) {
    out.push("| Chart | Result |", "|---|---|");
    for (const c of shownCharts.slice(0, MAX_ROWS)) {
      const verdict = c.verdict ?? (c.chain ? "follows its subcharts" : "");
      out.push(`| \`${cell(c.folder || ".")}\` | ${c.ok ? "✅" : "❌"} ${cell(verdict)} |`);
    }
    if (shownCharts.length > MAX_ROWS) out.push(`| … | ${shownCharts.length - MAX_ROWS} more |`);
    out.push("");
  }
  const released = model.components.filter(
    (s) => s.baseText !== s.headText && releasedVersion(s.baseVersion, s.headVersion) !== undefined,
  );
  if (released.length > 0) {
    if (model.tags === undefined) {
      out.push(
        `Release tags: not checked. The tag listing was not available to this check, so whether ${released
          .map(
            (s) =>
              `\`${releaseTag(policy.versions.tag, s.component.name, s.headVersion as string)}\``,
          )
          .slice(0, 5)
          .join(", ")}${released.length > 5 ? " …" : ""} exists already is unknown.`,
        "",
      );
    } else {
      out.push(`Release tags: checked against ${plural(model.tags.length, "existing tag")}.`, "");
    }
  }
  out.push(`Suggested level: **${model.suggestion.level}** (${model.suggestion.reason}).`);
  if (failed) {
    out.push(
      "",
      `**How to fix**: write the versions the annotations name and push, or comment \`/bump ${model.suggestion.level}\` and monobot commits them (every failing component's VERSION, its chart and the umbrella charts above it).`,
      "",
    );
    for (const f of failures.slice(0, MAX_ROWS)) out.push(`- \`${f.path}:${f.line}\` ${f.message}`);
    if (failures.length > MAX_ROWS) out.push(`- … ${failures.length - MAX_ROWS} more`);
  }
  if (model.notes.length > 0) out.push("", ...model.notes.map((n) => `Note: ${n}`));

  const developing = model.components.filter((s) => s.inDevelopment).length;
  const bumped = model.components.filter((s) => s.ok && !s.inDevelopment).length;
  const chartsOk = shownCharts.filter((c) => c.ok).length;
  const inDevelopment = developing > 0 ? `${plural(developing, "component")} in development` : "";
  const title = failed
    ? `${plural(new Set(failures.map((f) => f.path)).size, "file")} must change: ${plural(failures.length, "version problem")}`
    : model.components.length === 0 && shownCharts.length === 0
      ? "No versioned change"
      : bumped === 0 && chartsOk === 0 && developing > 0
        ? `No new version needed: ${inDevelopment}`
        : `Versions go up: ${plural(bumped, "component")}, ${plural(chartsOk, "chart")}${inDevelopment ? `; ${inDevelopment}` : ""}`;
  return { title, summary: fitSummary(out.join("\n")), failed };
}

function runVersions(input: CheckInput): CheckResult {
  const model = versionsModel(input);
  const { title, summary, failed } = summaryOf(model, input.policy);
  return {
    name: VERSIONS_CHECK,
    conclusion: failed ? "failure" : "success",
    title,
    summary,
    annotations: annotationsOf(model.findings),
  };
}

export const versionsCheck: CheckDefinition = {
  id: "versions",
  name: VERSIONS_CHECK,
  needs: (input) => versionsNeeds(input),
  run: runVersions,
};
