// The follow-up PR after a chart is published: umbrellas that take it from a chart repository move their pin and go up, with every umbrella that packages them.
import {
  CHART_FILE,
  chartGraph,
  chartNameIndex,
  chartPath,
  chartVersionProblem,
  nextPin,
  packagingChain,
  pinAdmits,
  REQUIREMENTS_FILE,
  type ChartDependency,
} from "./charts.js";
import {
  chartsOf,
  editSet,
  type ChainLink,
  type DeployPlan,
  type PendingPublish,
} from "./deploy-plan.js";
import { DEPLOY_TRAILER, deployMarker } from "./deploy-pr.js";
import { setChartVersion, setDependencyPin } from "./edits.js";
import { bumpVersion } from "./versions.js";

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

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function show(folder: string): string {
  return folder === "" ? "the root chart" : folder;
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
  const manifests = new Map([...charts].map(([f, i]) => [f, i.manifest]));
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

  const { apply, edits } = editSet(files, plan.problems);
  const movePin = (dep: ChartDependency, to: string): { from: string; to: string } | undefined => {
    const pin = dep.version?.value;
    if (pin === undefined || pinAdmits(pin, to) === true) return undefined;
    const written = nextPin(pin, to);
    const kind = baseName(dep.file) === REQUIREMENTS_FILE ? "requirements" : "chart";
    const ok = apply(
      dep.file,
      (t) => setDependencyPin(t, kind, { index: dep.index, name: dep.name }, written),
      `${dep.name} pin ${pin} -> ${written}`,
    );
    if (pinAdmits(pin, to) === undefined) {
      plan.notes.push(
        `${dep.file} pinned ${dep.name} to ${JSON.stringify(pin)}, which is not a version constraint; monobot wrote ${written}.`,
      );
    }
    return ok ? { from: pin, to: written } : undefined;
  };
  const links = new Map<string, ChainLink>();
  const bump = (umbrella: string): ChainLink | undefined => {
    const existing = links.get(umbrella);
    if (existing) return existing;
    const info = charts.get(umbrella);
    if (!info) return undefined;
    if (info.problem) {
      plan.problems.push(`${info.problem} (this follow-up must bump ${show(umbrella)})`);
      return undefined;
    }
    const problem = chartVersionProblem(info.manifest);
    if (problem) {
      plan.problems.push(
        `${chartPath(umbrella, CHART_FILE)} line ${problem.line}: ${problem.message}`,
      );
      return undefined;
    }
    const from = info.manifest.version?.value as string;
    const to = bumpVersion(from, "patch");
    if (
      !apply(
        chartPath(umbrella, CHART_FILE),
        (t) => setChartVersion(t, to),
        `version ${from} -> ${to}`,
      )
    )
      return undefined;
    const link: ChainLink = { chart: umbrella, role: "umbrella", from, to, tagKeys: [], takes: [] };
    if (info.manifest.name !== undefined) link.name = info.manifest.name;
    links.set(umbrella, link);
    plan.chain.push(link);
    return link;
  };

  for (const p of pins) {
    const taken: TakenFromRepository = {
      umbrella: p.parent,
      dependency: p.dependency.name,
      repository: p.dependency.repository ?? "",
    };
    const pin = movePin(p.dependency, version);
    if (pin) taken.pin = pin;
    plan.taken.push(taken);
    bump(p.parent);
  }

  // Up from each bumped umbrella, bottom-up, each chart once; repository pins on them wait.
  const pending = new Set<string>();
  for (let i = 0; i < plan.chain.length; i++) {
    const start = (plan.chain[i] as ChainLink).chart;
    for (const edge of packagingChain(graph, start)) {
      const child = links.get(edge.child);
      if (!child) continue;
      const parent = bump(edge.parent);
      if (!parent || parent.takes.some((t) => t.child === edge.child)) continue;
      const take: ChainLink["takes"][number] = { child: edge.child, how: edge.via };
      if (edge.dependency) {
        take.dependency = edge.dependency.name;
        const pin = movePin(edge.dependency, child.to);
        if (pin) take.pin = pin;
      }
      parent.takes.push(take);
    }
  }
  for (const link of plan.chain) {
    for (const p of graph.published.get(link.chart) ?? []) {
      const key = `${p.parent}\u0000${link.chart}`;
      if (pending.has(key) || links.has(p.parent)) continue;
      pending.add(key);
      const entry: PendingPublish = {
        umbrella: p.parent,
        chart: link.chart,
        dependency: p.dependency.name,
        repository: p.dependency.repository ?? "",
        version: link.to,
        admits: pinAdmits(p.dependency.version?.value, link.to) === true,
      };
      if (p.dependency.version) entry.pin = p.dependency.version.value;
      plan.pendingPublish.push(entry);
    }
  }
  plan.edits = edits();
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
