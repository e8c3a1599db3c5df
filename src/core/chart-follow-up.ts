// The follow-up PR after a chart is published: umbrellas that take it from a chart repository move their pin and go up, with every umbrella that packages them.
import { chartGraph, chartNameIndex } from "./charts.js";
import {
  chainLink,
  chartBump,
  chartsOf,
  manifestsOf,
  pendingPublish,
  type DeployPlan,
} from "./deploy-plan.js";
import { DEPLOY_TRAILER, deployMarker } from "./deploy-pr.js";
import { updateWriter, type FileUpdate } from "./edits.js";
import { pinUpdate, planUmbrellas } from "./umbrella.js";

/** The marker key of a chart's follow-up PR (`chart:roc-api`): its branch is `monobot/deploy-chart-roc-api`. */
export function followUpKey(chartName: string): string {
  return `chart:${chartName}`;
}

/** The chart name of a follow-up PR's marker key, or undefined for a component's deploy PR. */
export function followUpChart(key: string): string | undefined {
  return key.startsWith("chart:") && key.length > 6 ? key.slice(6) : undefined;
}

/** An umbrella that takes the published chart from a chart repository. */
export interface TakenFromRepository {
  umbrella: string;
  dependency: string;
  repository: string;
  /** The pin's move; absent when the pin admits the version already. */
  pin?: { from: string; to: string };
}

export interface ChartFollowUpPlan extends DeployPlan {
  /** The published chart: its folder, name and version. */
  chart: { folder: string; name: string; version: string };
  taken: TakenFromRepository[];
}

export interface ChartFollowUpInput {
  /** The config repo's files at its base (see deployPlanReads). */
  files: ReadonlyMap<string, string>;
  /** The chart's name in Chart.yaml (what the chart_release run carries). */
  chart: string;
  /** The version that was published. */
  version: string;
}

/**
 * The follow-up of a published chart: each umbrella that takes it from a chart repository has
 * its pin moved when it does not admit the version (a pin that admits it stays) and its version
 * up by patch, so that its next package takes the published chart; then every umbrella that
 * packages one of those (`file://`, embedded) up to the root, its pin and version, each chart
 * once. Umbrellas of those that take them from a chart repository in turn are pending publish.
 */
export function planChartFollowUp(input: ChartFollowUpInput): ChartFollowUpPlan {
  const { files, version } = input;
  const plan: ChartFollowUpPlan = {
    edits: [],
    chain: [],
    pendingPublish: [],
    running: {},
    problems: [],
    notes: [],
    chart: { folder: "", name: input.chart, version },
    taken: [],
  };
  const charts = chartsOf(files);
  const manifests = manifestsOf(charts);
  const folders = chartNameIndex(manifests).get(input.chart) ?? [];
  if (folders.length !== 1) {
    plan.problems.push(
      folders.length === 0
        ? `no chart of the config repo is named ${input.chart}`
        : `${folders.length} charts are named ${input.chart} (${folders.join(", ")}); rename all but one`,
    );
    return plan;
  }
  const folder = folders[0] as string;
  plan.chart.folder = folder;
  const graph = chartGraph(manifests);
  const pins = graph.published.get(folder) ?? [];
  if (pins.length === 0) {
    plan.skipped = {
      kind: "current",
      reason: `no umbrella takes ${input.chart} from a chart repository; nothing to follow up.`,
    };
    return plan;
  }

  // The takers change (their pin, when it must move), then go up with every umbrella above them.
  const changes = new Map<string, FileUpdate[]>();
  for (const p of pins) {
    const taken: TakenFromRepository = {
      umbrella: p.parent,
      dependency: p.dependency.name,
      repository: p.dependency.repository ?? "",
    };
    const updates = changes.get(p.parent) ?? [];
    changes.set(p.parent, updates);
    const pin = pinUpdate(p.dependency, version);
    if (pin) {
      updates.push(pin.update);
      taken.pin = { from: pin.from, to: pin.to };
      if (pin.note) plan.notes.push(pin.note);
    }
    plan.taken.push(taken);
  }
  const umbrellas = planUmbrellas({
    graph,
    changes: [...changes].map(([chart, updates]) => ({ chart, updates })),
    move: (chart) => chartBump(charts, chart, "patch", "follow-up"),
    umbrellaVersion: "first",
  });
  plan.problems.push(...umbrellas.problems);
  plan.notes.push(...umbrellas.notes);
  const writer = updateWriter((path) => files.get(path), plan.problems);
  for (const update of umbrellas.updates) writer.apply(update);
  // Every chart of a follow-up is an umbrella: the published chart itself is not edited.
  plan.chain = umbrellas.charts.map((step) =>
    chainLink(step, charts, { role: "umbrella", tagKeys: [] }),
  );
  // Repository pins on a chart of the chain wait for its publish, unless the umbrella goes up here.
  const inChain = new Set(plan.chain.map((l) => l.chart));
  const pending = new Set<string>();
  for (const p of umbrellas.published) {
    const key = `${p.pin.parent}\u0000${p.pin.local}`;
    if (pending.has(key) || inChain.has(p.pin.parent)) continue;
    pending.add(key);
    plan.pendingPublish.push(pendingPublish(p));
  }
  plan.edits = writer.edits();
  return plan;
}

export function chartFollowUpTitle(plan: Pick<ChartFollowUpPlan, "chart">): string {
  return `Take chart ${plan.chart.name} ${plan.chart.version}`;
}

/** The follow-up's commit message, with the trailer that marks the branch tip as monobot's. */
export function chartFollowUpCommitMessage(plan: ChartFollowUpPlan): string {
  return [
    chartFollowUpTitle(plan),
    "",
    `${plan.chart.name} ${plan.chart.version} is published; umbrellas that take it from a chart repository take it.`,
    "",
    ...plan.edits.map((e) => `- ${e.path}: ${e.changes.join(", ")}`),
    "",
    `${DEPLOY_TRAILER}: component=${followUpKey(plan.chart.name)} version=${plan.chart.version}`,
  ].join("\n");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

/** The follow-up's body: the marker, what was published, which umbrellas take it, the chain above them. Deterministic. */
export function chartFollowUpBody(plan: ChartFollowUpPlan): string {
  const { chart } = plan;
  const out = [
    deployMarker({ component: followUpKey(chart.name), version: chart.version }),
    `## ${chartFollowUpTitle(plan)}`,
    "",
    `Chart **${chart.name}** (\`${chart.folder || "."}\`) **${chart.version}** is published. These umbrellas take it from a chart repository:`,
    "",
  ];
  for (const t of plan.taken) {
    out.push(
      `- \`${t.umbrella}\` takes \`${t.dependency}\` from ${t.repository || "a chart repository"}: ${t.pin ? `pin ${t.pin.from} -> ${t.pin.to}` : `its pin admits ${chart.version}`}.`,
    );
  }
  out.push("", "### Charts", "", "| Chart | Version | Why |", "|---|---|---|");
  const taken = new Map(plan.taken.map((t) => [t.umbrella, t]));
  for (const link of plan.chain) {
    const direct = taken.get(link.chart);
    const why = [
      ...(direct ? [`takes \`${direct.dependency}\` ${chart.version}`] : []),
      ...link.takes.map(
        (t) => `packages \`${t.child}\`${t.pin ? ` (pin ${t.pin.from} -> ${t.pin.to})` : ""}`,
      ),
    ].join("; ");
    out.push(`| \`${cell(link.chart || ".")}\` | ${link.from} -> ${link.to} | ${cell(why)} |`);
  }
  out.push("");
  if (plan.pendingPublish.length > 0) {
    out.push("### Pending publish", "");
    for (const p of plan.pendingPublish) {
      out.push(
        `- \`${p.umbrella}\` takes \`${p.dependency}\` from ${p.repository || "a chart repository"}: a follow-up pull request takes it once \`${p.chart}\` ${p.version} is published.`,
      );
    }
    out.push("");
  }
  if (plan.notes.length > 0) out.push("### Notes", "", ...plan.notes.map((n) => `- ${n}`), "");
  out.push(
    `<sub>monobot opened this pull request when chart ${chart.name} ${chart.version} was published, and keeps it up to date: a newer version or a move of the default branch rebuilds it as one commit. Close it to skip ${chart.version}.</sub>`,
  );
  return `${out.join("\n")}\n`;
}
