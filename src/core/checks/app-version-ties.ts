// charts.app_version: a chart whose appVersion follows a component's VERSION, checked when either changes.
import { CHART_FILE } from "../charts.js";
import type { Policy } from "../policy.js";
import type { ChangeSnapshot, Component } from "../types.js";
import { compareVersions, parseVersionFile, type LevelSuggestion } from "../versions.js";
import type { ChartState } from "./chart-version-rules.js";
import { choicesText, snapshotText, type Finding } from "./version-findings.js";

/** One `charts.app_version` entry: the chart whose appVersion must equal the component's version. */
export interface AppVersionTie {
  chart: string;
  component: string;
}

function normalizeFolder(path: string): string {
  let p = path.trim();
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/^\/+/, "").replace(/\/+$/, "");
  return p === "." ? "" : p;
}

/** `charts.app_version` as (chart folder, component) pairs. */
export function appVersionTies(policy: Pick<Policy, "charts">): AppVersionTie[] {
  return Object.entries(policy.charts.app_version ?? {}).map(([chart, component]) => ({
    chart: normalizeFolder(chart),
    component,
  }));
}

/** The chart folders tied to `component`, for its "must follow" hint. */
export function chartsTiedTo(ties: readonly AppVersionTie[], component: string): string[] {
  return ties.filter((t) => t.component === component).map((t) => t.chart);
}

export interface TieInput {
  snapshot: ChangeSnapshot;
  policy: Policy;
  suggestion: LevelSuggestion;
  components: readonly Component[];
  /** The components with own changes (monobot/versions judged their VERSION files). */
  states: readonly { component: Component }[];
  charts: Map<string, ChartState>;
  findings: Finding[];
  notes: string[];
}

/**
 * Each tie whose chart or component changed: the chart's appVersion must equal the component's
 * version at the head, and an appVersion edit changes the chart, so its version must go up too.
 * A tie naming no chart or no component is a note saying what to correct.
 */
export function checkAppVersionTies(ties: readonly AppVersionTie[], input: TieInput): void {
  const { snapshot, policy, suggestion, charts, findings, notes } = input;
  for (const tie of ties) {
    const chart = charts.get(tie.chart);
    const component = input.components.find((c) => c.name === tie.component);
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
    const own = input.states.some((s) => s.component === component);
    if (chart.files.length === 0 && !own) continue;
    const text = snapshotText(snapshot, "head", component.versionFile);
    const version = text === null ? null : parseVersionFile(text);
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
}
