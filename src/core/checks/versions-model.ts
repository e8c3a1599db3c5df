// What monobot/versions and /bump decide from: the judged components, charts and umbrellas of one change.
import { chartGraph, type ChartEdge, type ChartGraph } from "../charts.js";
import { globMatcher } from "../glob.js";
import { suggestLevel, type LevelSuggestion } from "../versions.js";
import { appVersionTies, checkAppVersionTies, type AppVersionTie } from "./app-version-ties.js";
import { chartStates, judgeChart, type ChartState } from "./chart-version-rules.js";
import type { CheckInput } from "./registry.js";
import {
  changedPins,
  danglingFileDependencies,
  propagate,
  publishedPins,
} from "./umbrella-version-rules.js";
import { componentStates, type ComponentState } from "./version-file-rules.js";
import type { Finding, VersionsSnapshot } from "./version-findings.js";

export interface VersionsModel {
  components: ComponentState[];
  charts: Map<string, ChartState>;
  /** Packaging edges (Helm's `file://` and embedded sub-charts) by child folder. */
  parents: ReadonlyMap<string, readonly ChartEdge[]>;
  graph: ChartGraph;
  /** Packaging edges whose pin does not admit the child's version at the head (failures). */
  pins: ChartEdge[];
  ties: AppVersionTie[];
  findings: Finding[];
  suggestion: LevelSuggestion;
  /** Release tag names, or undefined when they were not listed. */
  tags: readonly string[] | undefined;
  notes: string[];
}

/** Everything the check and /bump decide from, built from the snapshot alone. */
export function versionsModel(input: CheckInput): VersionsModel {
  const { policy, components } = input;
  const snapshot = input.snapshot as VersionsSnapshot;
  const findings: Finding[] = [];
  const notes: string[] = [];
  const suggestion = suggestLevel(snapshot.commits);
  const ignoredByVersions = globMatcher(policy.versions.ignore);

  const ties = appVersionTies(policy);
  const states = componentStates(
    { snapshot, policy, suggestion, findings },
    components.affected,
    ignoredByVersions,
    ties,
  );

  const { charts, manifests } = chartStates(snapshot, policy, findings);

  // Own changes: each changed chart must go up.
  for (const state of charts.values()) {
    if (state.files.length === 0) continue;
    judgeChart(state, policy, suggestion, findings);
  }

  // appVersion tied to a component's VERSION: checked when the chart or the component changed.
  checkAppVersionTies(ties, {
    snapshot,
    policy,
    suggestion,
    components: components.components,
    states,
    charts,
    findings,
    notes,
  });

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
