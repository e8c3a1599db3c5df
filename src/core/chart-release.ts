// Which charts a merge releases (their Chart.yaml `version` went up), and how monobot knows a chart version is published.
import { CHART_FILE, parseChart } from "./charts.js";
import type { ChartRelease } from "./jobs.js";
import type { ChangedFile } from "./types.js";
import { compareVersions, isSemver } from "./versions.js";

/**
 * The tag that marks a chart version as published: `{chart_name}-{chart_version}`, the tag
 * chart-releaser (helm/chart-releaser-action) creates in the repository for each chart it
 * publishes. monobot reads it (one ref lookup, no chart repository index to fetch), so a
 * chart_release job never publishes a version twice.
 */
export function chartReleaseTag(name: string, version: string): string {
  return `${name}-${version}`;
}

function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function isChartFile(path: string): boolean {
  return path === CHART_FILE || path.endsWith(`/${CHART_FILE}`);
}

/** The Chart.yaml files a change adds or modifies (read at both ends to find releases). */
export function changedChartFiles(files: readonly ChangedFile[]): string[] {
  return files
    .filter((f) => f.status !== "removed" && isChartFile(f.path))
    .map((f) => f.path)
    .sort();
}

function versionOf(text: string | null | undefined, file: string) {
  if (text === null || text === undefined) return undefined;
  const parsed = parseChart(text, file);
  if (!parsed.ok) return undefined;
  return { name: parsed.chart.name, version: parsed.chart.version?.value };
}

/**
 * The charts a merge releases: each changed Chart.yaml whose `version` is a SemVer version
 * above the one at the base (or a new chart), with its name. A Chart.yaml that does not parse,
 * has no name, or whose version did not go up releases nothing (monobot/versions reports those
 * on the pull request).
 */
export function chartReleases(
  files: readonly string[],
  before: (path: string) => string | null | undefined,
  after: (path: string) => string | null | undefined,
): ChartRelease[] {
  const out: ChartRelease[] = [];
  for (const file of files) {
    const head = versionOf(after(file), file);
    if (!head?.name || head.version === undefined || !isSemver(head.version)) continue;
    const base = versionOf(before(file), file)?.version;
    if (base !== undefined && isSemver(base) && compareVersions(head.version, base) <= 0) continue;
    if (base !== undefined && !isSemver(base) && base === head.version) continue;
    out.push({ folder: folderOf(file), name: head.name, version: head.version });
  }
  return out;
}
