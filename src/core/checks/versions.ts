// monobot/versions: components' VERSION files and Helm charts (umbrellas included) go up by SemVer when they change.
//
// The rules live in their own modules (version-file-rules, chart-version-rules,
// umbrella-version-rules, app-version-ties), assembled by versions-model; the report in
// versions-summary. Here: what the check reads, and the check itself.
import {
  CHART_FILE,
  HELMIGNORE_FILE,
  REQUIREMENTS_FILE,
  chartFolders,
  chartOfPath,
  chartPath,
} from "../charts.js";
import type { Policy } from "../policy.js";
import type { ChangeSnapshot, CheckResult, ComponentsReport, FileRequest } from "../types.js";
import { appVersionTies } from "./app-version-ties.js";
import { parentFolder } from "./chart-version-rules.js";
import type { CheckDefinition, CheckInput } from "./registry.js";
import { versionsModel } from "./versions-model.js";
import { annotationsOf, summaryOf } from "./versions-summary.js";

export const VERSIONS_CHECK = "monobot/versions";

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
  const ties = appVersionTies(policy);
  for (const tie of ties) {
    const c = components.components.find((x) => x.name === tie.component);
    if (c) out.push({ side: "head", path: c.versionFile });
  }
  return out;
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
