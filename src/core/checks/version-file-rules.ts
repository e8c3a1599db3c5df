// monobot/versions on components: each changed component's VERSION file must be valid and go up (or stay in development).
import { globMatcher } from "../glob.js";
import type { Policy } from "../policy.js";
import type { ChangeSnapshot, Component, ComponentsReport } from "../types.js";
import {
  bumpVersion,
  compareVersions,
  isPrerelease,
  needsNewVersion,
  parseVersionFile,
  releaseTag,
  skippedVersion,
  type LevelSuggestion,
  type VersionFileResult,
} from "../versions.js";
import { plural } from "./annotations.js";
import { chartsTiedTo, type AppVersionTie } from "./app-version-ties.js";
import {
  choicesText,
  snapshotText,
  type Finding,
  type VersionsSnapshot,
} from "./version-findings.js";

/** A component with own changes, as monobot/versions judged its VERSION file. */
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

/**
 * Removed files of components removed by the change (their VERSION file is gone at the head):
 * at the head these paths fall to an outer component, which a removal must not oblige to bump.
 */
function removedComponentFiles(
  snapshot: Omit<ChangeSnapshot, "contents">,
  policy: Policy,
): Set<string> {
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

/** What judging a component reads, and where its findings go. */
export interface ComponentRulesContext {
  snapshot: VersionsSnapshot;
  policy: Policy;
  suggestion: LevelSuggestion;
  findings: Finding[];
}

/** Records a failure on the VERSION file and the verdict the summary shows. */
type Fail = (line: number, message: string, verdict: string) => void;

/**
 * The components with own changes that oblige a new version (`versions.ignore` excluded), each
 * judged; `ties` name the charts that must follow a component's VERSION, for its hint.
 */
export function componentStates(
  ctx: ComponentRulesContext,
  affected: ComponentsReport["affected"],
  ignored: (path: string) => boolean,
  ties: readonly AppVersionTie[],
): ComponentState[] {
  const removedWithin = removedComponentFiles(ctx.snapshot, ctx.policy);
  const states: ComponentState[] = [];
  for (const a of affected) {
    if (!a.ownChange) continue;
    const files = a.files.filter((f) => !ignored(f) && !removedWithin.has(f));
    // Only the removal of a nested component: the outer one need not bump for it.
    if (files.length === 0) continue;
    states.push(componentState(ctx, a.component, files, chartsTiedTo(ties, a.component.name)));
  }
  return states;
}

function componentState(
  ctx: ComponentRulesContext,
  component: Component,
  files: string[],
  tiedCharts: readonly string[],
): ComponentState {
  const { snapshot, findings } = ctx;
  const file = component.versionFile;
  const baseText = snapshotText(snapshot, "base", file);
  const headText = snapshotText(snapshot, "head", file);
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
  const fail: Fail = (line, message, verdict) => {
    findings.push({ path: file, line, level: "failure", message });
    state.ok = false;
    state.verdict = verdict;
  };

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
  } else if (!goesUp(ctx, state, base.version, headVersion, fail, tiedCharts)) {
    return state;
  }
  if (baseText !== headText) releaseProblem(ctx, state, headVersion, fail);
  return state;
}

/**
 * Compares the head's VERSION with the base's: in development, not bumped, a regression, or up
 * (with a notice when it skips a version). False when the component's verdict is settled.
 */
function goesUp(
  ctx: ComponentRulesContext,
  state: ComponentState,
  base: string,
  head: string,
  fail: Fail,
  tiedCharts: readonly string[],
): boolean {
  const { policy, suggestion } = ctx;
  const file = state.component.versionFile;
  const cmp = compareVersions(head, base);
  if (cmp === 0 && !needsNewVersion(base, policy.versions)) {
    // Changes land on the in-development version until a release commit sets the release.
    state.inDevelopment = true;
    state.verdict = `in development on ${base} (no new version needed)`;
    return false;
  }
  const choices = choicesText(base, suggestion.level, policy);
  const follow =
    tiedCharts.length > 0
      ? ` (${tiedCharts.join(", ")} must follow: charts.app_version ties ${tiedCharts.length === 1 ? "its" : "their"} appVersion to this VERSION)`
      : "";
  const bumpHint = `or comment \`/bump ${suggestion.level}\`${follow}`;
  if (state.baseText === state.headText) {
    state.needsBump = true;
    fail(
      1,
      `${where(state.component)} changed (${plural(state.files.length, "file")}) but VERSION is still ${base}: write ${choices}, ${bumpHint}`,
      `not bumped (still ${base})`,
    );
    return false;
  }
  if (cmp <= 0) {
    state.needsBump = true;
    const how =
      cmp === 0
        ? `${head} is equal to ${base} in SemVer precedence (build metadata does not count)`
        : `${head} is lower than ${base}`;
    fail(
      1,
      `${file} went from ${base} to ${head}, a regression: ${how}. A new version must be greater: write ${choices}, ${bumpHint}`,
      `regression (${base} → ${head})`,
    );
    return false;
  }
  const skipped = skippedVersion(base, head);
  if (skipped !== undefined) {
    ctx.findings.push({
      path: file,
      line: 1,
      level: "notice",
      message: `${file} goes from ${base} to ${head}, skipping ${skipped}; that is allowed, write ${skipped} instead if the skip is a slip`,
    });
  }
  state.verdict = `${base} → ${head}${skipped ? ` (skips ${skipped})` : ""}`;
  return true;
}

/** A changed VERSION must not be a forbidden pre-release, nor a release tagged already. */
function releaseProblem(
  ctx: ComponentRulesContext,
  state: ComponentState,
  headVersion: string,
  fail: Fail,
): void {
  const { snapshot, policy, suggestion } = ctx;
  const { component } = state;
  if (isPrerelease(headVersion) && policy.versions.prerelease === "forbid") {
    const release = bumpVersion(headVersion, "patch");
    fail(
      1,
      `${component.versionFile} holds ${headVersion}, a pre-release, which this repository forbids (versions.prerelease: forbid): write ${release}`,
      `pre-release ${headVersion} forbidden`,
    );
    return;
  }
  if (!isPrerelease(headVersion) && snapshot.releaseTags) {
    const tag = releaseTag(policy.versions.tag, component.name, headVersion);
    if (snapshot.releaseTags.includes(tag)) {
      fail(
        1,
        `${component.name} ${headVersion} was released already (tag ${tag} exists): write a version that has not been released, e.g. ${bumpVersion(headVersion, suggestion.level)}`,
        `${headVersion} already tagged`,
      );
    }
  }
}
