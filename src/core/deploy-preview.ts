// The deploy preview: which cluster groups or environments get which version, from Fleet's fleet.yaml files or the policy.
import { posix } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import type { ChainLink, DeployPlan } from "./deploy-plan.js";
import type { EnvironmentDeploy, EnvironmentRollout } from "./deploy-environments.js";
import { previewEnvironments, type EnvironmentsConfig } from "./environments.js";

const FLEET_FILES = new Set(["fleet.yaml", "fleet.yml"]);

/** The fleet.yaml files among the config repo's paths. */
export function fleetFiles(paths: readonly string[]): string[] {
  return paths.filter((p) => FLEET_FILES.has(p.slice(p.lastIndexOf("/") + 1))).sort();
}

/** One `targetCustomizations` entry of a fleet.yaml. */
export interface FleetTarget {
  name?: string;
  /** Which clusters, as the file writes it (labels live on the clusters, not in git). */
  selects: string;
  values?: unknown;
  doNotDeploy: boolean;
}

/** A Fleet bundle: one fleet.yaml deploying one Helm chart. */
export interface FleetBundle {
  path: string;
  /** The chart folder in the repository, when the chart is local. */
  chart?: string;
  /** `helm.chart` (and `helm.repo`) as written. */
  chartRef: string;
  values?: unknown;
  targets: FleetTarget[];
}

function plain(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

function code(value: string): string {
  return `\`${value.replace(/`/g, "'")}\``;
}

/** A Kubernetes label selector in words: `env=prod`, `tier in (a, b)`, `!canary`. */
export function describeSelector(selector: unknown): string {
  const s = plain(selector);
  if (!s) return "every one";
  const parts: string[] = [];
  for (const [k, v] of Object.entries(plain(s.matchLabels) ?? {})) {
    parts.push(code(`${k}=${text(v) ?? JSON.stringify(v)}`));
  }
  for (const e of Array.isArray(s.matchExpressions) ? s.matchExpressions : []) {
    const expr = plain(e) ?? {};
    const key = text(expr.key) ?? "?";
    const values = (Array.isArray(expr.values) ? expr.values : []).map((v) => text(v) ?? "?");
    switch (text(expr.operator)) {
      case "In":
        parts.push(code(`${key} in (${values.join(", ")})`));
        break;
      case "NotIn":
        parts.push(code(`${key} notin (${values.join(", ")})`));
        break;
      case "Exists":
        parts.push(code(key));
        break;
      case "DoesNotExist":
        parts.push(code(`!${key}`));
        break;
      default:
        parts.push(code(`${key} ${text(expr.operator) ?? "?"} (${values.join(", ")})`));
    }
  }
  return parts.length === 0 ? "every one" : parts.join(", ");
}

function targetSelects(t: Record<string, unknown>): string {
  const out: string[] = [];
  const name = text(t.clusterName);
  if (name !== undefined) out.push(`cluster ${code(name)}`);
  const group = text(t.clusterGroup);
  if (group !== undefined) out.push(`cluster group ${code(group)}`);
  if ("clusterSelector" in t) out.push(`clusters with ${describeSelector(t.clusterSelector)}`);
  if ("clusterGroupSelector" in t) {
    out.push(`cluster groups with ${describeSelector(t.clusterGroupSelector)}`);
  }
  return out.length === 0 ? "every cluster of the GitRepo" : out.join(" and ");
}

/** A fleet.yaml as a bundle, or why it cannot be read. */
export function parseFleet(
  path: string,
  content: string,
  chartFolders: ReadonlySet<string>,
): { ok: true; bundle: FleetBundle } | { ok: false; message: string } {
  const lines = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lines, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const line = lines.linePos(error.pos[0]).line;
    return { ok: false, message: `${path} line ${line} is not valid YAML, so it was left out` };
  }
  if (!isMap(doc.contents))
    return { ok: false, message: `${path} is not a mapping, so it was left out` };
  const js = plain(doc.toJS()) ?? {};
  const helm = plain(js.helm) ?? {};
  const folder = posix.dirname(path) === "." ? "" : posix.dirname(path);
  const chartRef = text(helm.chart);
  const repo = text(helm.repo);
  let chart: string | undefined;
  if (chartRef === undefined) {
    if (chartFolders.has(folder)) chart = folder;
  } else if (repo === undefined && !/^[a-z]+:\/\//.test(chartRef)) {
    const resolved = posix.normalize(posix.join(folder || ".", chartRef)).replace(/\/+$/, "");
    const local = resolved === "." ? "" : resolved;
    if (chartFolders.has(local)) chart = local;
  }
  const targets: FleetTarget[] = [];
  for (const raw of Array.isArray(js.targetCustomizations) ? js.targetCustomizations : []) {
    const t = plain(raw);
    if (!t) continue;
    const target: FleetTarget = {
      selects: targetSelects(t),
      doNotDeploy: t.doNotDeploy === true,
    };
    const name = text(t.name);
    if (name !== undefined) target.name = name;
    const values = plain(t.helm)?.values;
    if (values !== undefined) target.values = values;
    targets.push(target);
  }
  const bundle: FleetBundle = {
    path,
    chartRef:
      chartRef === undefined
        ? `./ (${folder || "the root"})`
        : repo
          ? `${chartRef} from ${repo}`
          : chartRef,
    targets,
  };
  if (chart !== undefined) bundle.chart = chart;
  if (helm.values !== undefined) bundle.values = helm.values;
  return { ok: true, bundle };
}

function valueAt(values: unknown, key: readonly string[]): string | undefined {
  let cur: unknown = values;
  for (const k of key) {
    const m = plain(cur);
    if (!m) return undefined;
    cur = m[k];
  }
  return text(cur);
}

function valuesFile(files: ReadonlyMap<string, string>, folder: string): unknown {
  const content = files.get(folder === "" ? "values.yaml" : `${folder}/values.yaml`);
  if (content === undefined) return undefined;
  const doc = parseDocument(content);
  return doc.errors.length > 0 ? undefined : doc.toJS();
}

export interface PreviewRow {
  /** The fleet.yaml, or "policy" for `deploy.environments`. */
  source: string;
  target: string;
  selects: string;
  chart: string;
  version: string;
  /** Where the version comes from when it is not this PR's. */
  pinnedBy?: string;
}

export interface DeployPreviewInput {
  component: { name: string; image?: string };
  version: string;
  plan: Pick<DeployPlan, "chain" | "pendingPublish" | "environments">;
  /** Config repo files after the plan's edits: fleet.yaml files and the charts' values.yaml. */
  files: ReadonlyMap<string, string>;
  /** `deploy.environments` of the config repo's policy (its older chart folder -> environments form). */
  environments: EnvironmentsConfig | Readonly<Record<string, readonly string[]>>;
}

export interface DeployPreview {
  rows: PreviewRow[];
  /** A Markdown table of the rows (or a sentence when nothing deploys the charts). */
  table: string;
  /** A Mermaid graph: component -> chart -> umbrellas -> targets. */
  mermaid: string;
  notes: string[];
}

/** The version a chart deployment gives the component, and what pins it when that is not `version`. */
function effectiveVersion(
  link: ChainLink,
  layers: { values: unknown; name: string }[],
  files: ReadonlyMap<string, string>,
  version: string,
): { version: string; pinnedBy?: string } {
  for (const route of link.tagKeys) {
    for (const layer of layers) {
      const v = valueAt(layer.values, route.key);
      if (v !== undefined) {
        return v === version
          ? { version }
          : { version: v, pinnedBy: `${layer.name} (${route.key.join(".")})` };
      }
    }
    for (let i = 0; i < route.via.length; i++) {
      const folder = route.via[i] as string;
      const key = route.key.slice(i);
      const v = valueAt(valuesFile(files, folder), key);
      if (v !== undefined) {
        return v === version
          ? { version }
          : { version: v, pinnedBy: `${folder}/values.yaml (${key.join(".")})` };
      }
    }
  }
  return { version };
}

function cell(value: string): string {
  return value.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function label(value: string): string {
  return `"${value.replace(/"/g, "#quot;").replace(/[<>]/g, "")}"`;
}

function rolloutVersion(r: EnvironmentRollout): string {
  const v = (x: string | undefined) => (r.kind === "chart" ? `chart ${x ?? "?"}` : (x ?? "?"));
  switch (r.how) {
    case "deployed":
      return `**${cell(v(r.after))}** (this pull request)`;
    case "own-pin":
      return `${cell(v(r.after))}, until promoted`;
    case "kept":
      return `${cell(v(r.after))}, pinned by this pull request so it stays until promoted`;
    case "follows":
      return `${cell(v(r.after))} (no pin of its own; this pull request leaves its default), until promoted`;
    case "absent":
      return "not deployed there";
    case "problem":
      return "cannot be kept where it is (see the notes)";
  }
}

/** The environments' rows: the first gets this version, every later one keeps its own. */
function environmentRows(rollout: EnvironmentDeploy, chart: string): PreviewRow[] {
  return rollout.environments.map((r) => {
    const row: PreviewRow = {
      source: "deploy.environments",
      target: r.environment,
      selects: `environment ${code(r.environment)}`,
      chart,
      version: r.how === "absent" ? "not deployed" : r.how === "problem" ? "?" : (r.after ?? "?"),
    };
    if (r.how !== "deployed" && r.pin) row.pinnedBy = `${r.pin.file} line ${r.pin.line}`;
    return row;
  });
}

function environmentTable(rollout: EnvironmentDeploy): string {
  return [
    "| Environment | Version | Pin |",
    "|---|---|---|",
    ...rollout.environments.map(
      (r) =>
        `| ${cell(r.environment)} | ${rolloutVersion(r)} | ${
          r.pin ? `\`${cell(r.pin.file)}\` line ${r.pin.line}: \`${cell(r.pin.key)}\`` : "-"
        } |`,
    ),
  ].join("\n");
}

/**
 * Where this deploy lands. With `deploy.environments` listed, one row per environment: the first
 * takes this version (this pull request writes its pins), every later one keeps its own until
 * promoted (the same reads as the matrix of `monobot envs`). Otherwise each Fleet bundle (fleet.yaml) whose chart is in the chain, per
 * target customization (its cluster name, group or selector as written; `helm.values` there or
 * in the bundle may pin the tag), plus the clusters the GitRepo targets without a customization;
 * else the environments `deploy.environments` names for the chain's charts.
 */
export function deployPreview(input: DeployPreviewInput): DeployPreview {
  const { plan, files, version, component } = input;
  if (plan.environments) {
    const chart = plan.chain.find((l) => l.role === "chart")?.chart ?? "";
    const rows = environmentRows(plan.environments, chart);
    return {
      rows,
      table: environmentTable(plan.environments),
      mermaid: mermaidOf(input, rows),
      notes: [],
    };
  }
  const chain = new Map(plan.chain.map((l) => [l.chart, l]));
  const chartFolders = new Set<string>();
  for (const path of files.keys()) {
    if (path === "Chart.yaml" || path.endsWith("/Chart.yaml")) {
      chartFolders.add(path === "Chart.yaml" ? "" : path.slice(0, -"/Chart.yaml".length));
    }
  }
  for (const l of plan.chain) chartFolders.add(l.chart);
  const rows: PreviewRow[] = [];
  const notes: string[] = [];
  const bundles: FleetBundle[] = [];
  for (const path of fleetFiles([...files.keys()])) {
    const parsed = parseFleet(path, files.get(path) as string, chartFolders);
    if (!parsed.ok) {
      notes.push(parsed.message);
      continue;
    }
    const bundle = parsed.bundle;
    if (bundle.chart === undefined || !chain.has(bundle.chart)) continue;
    bundles.push(bundle);
    const link = chain.get(bundle.chart) as ChainLink;
    const row = (target: string, selects: string, layers: { values: unknown; name: string }[]) => {
      const v = effectiveVersion(link, layers, files, version);
      const r: PreviewRow = {
        source: path,
        target,
        selects,
        chart: link.chart,
        version: v.version,
      };
      if (v.pinnedBy) r.pinnedBy = v.pinnedBy;
      rows.push(r);
    };
    const bundleLayer = { values: bundle.values, name: `${path} helm.values` };
    bundle.targets.forEach((t, i) => {
      const name = t.name ?? `target ${i + 1}`;
      if (t.doNotDeploy) {
        rows.push({
          source: path,
          target: name,
          selects: t.selects,
          chart: link.chart,
          version: "not deployed (doNotDeploy)",
        });
        return;
      }
      row(name, t.selects, [
        { values: t.values, name: `${path} ${name} helm.values` },
        bundleLayer,
      ]);
    });
    row(
      bundle.targets.length === 0 ? "all targets" : "other targets",
      bundle.targets.length === 0
        ? "every cluster the GitRepo targets"
        : "clusters the GitRepo targets that no customization matches",
      [bundleLayer],
    );
  }
  if (rows.length === 0) {
    for (const link of plan.chain) {
      const environments = previewEnvironments(input.environments);
      for (const env of environments[link.chart] ?? []) {
        const v = effectiveVersion(link, [], files, version);
        const r: PreviewRow = {
          source: "policy",
          target: env,
          selects: `environment ${code(env)}`,
          chart: link.chart,
          version: v.version,
        };
        if (v.pinnedBy) r.pinnedBy = v.pinnedBy;
        rows.push(r);
      }
    }
  }

  const table =
    rows.length === 0
      ? `No Fleet bundle (fleet.yaml) deploys these charts and \`deploy.environments\` names none of them, so where ${component.name} ${version} lands is not known to monobot.`
      : [
          "| Target | Clusters | Chart | Version | Defined in |",
          "|---|---|---|---|---|",
          ...rows.map(
            (r) =>
              `| ${cell(r.target)} | ${cell(r.selects)} | \`${cell(r.chart)}\` | ${
                r.pinnedBy
                  ? `${cell(r.version)} (pinned by ${cell(r.pinnedBy)})`
                  : r.version === version
                    ? `**${cell(r.version)}**`
                    : cell(r.version)
              } | ${r.source === "policy" ? "`deploy.environments`" : `\`${cell(r.source)}\``} |`,
          ),
        ].join("\n");

  return { rows, table, mermaid: mermaidOf(input, rows), notes };
}

function mermaidOf(input: DeployPreviewInput, rows: readonly PreviewRow[]): string {
  const { plan, component, version } = input;
  const out = ["graph LR"];
  const ids = new Map<string, string>();
  const id = (key: string): string => {
    let v = ids.get(key);
    if (!v) {
      v = `n${ids.size}`;
      ids.set(key, v);
    }
    return v;
  };
  const comp = id(`component:${component.name}`);
  out.push(
    `  ${comp}[${label(`${component.name} ${version}${component.image ? ` (${component.image})` : ""}`)}]`,
  );
  for (const link of plan.chain) {
    out.push(`  ${id(`chart:${link.chart}`)}[${label(`${link.chart} ${link.to}`)}]`);
  }
  for (const link of plan.chain) {
    const node = id(`chart:${link.chart}`);
    if (link.role === "chart") out.push(`  ${comp} --> ${node}`);
    for (const take of link.takes) out.push(`  ${id(`chart:${take.child}`)} --> ${node}`);
  }
  for (const p of plan.pendingPublish) {
    const node = id(`pending:${p.umbrella}`);
    out.push(`  ${node}[${label(`${p.umbrella} (after ${p.chart} ${p.version} is published)`)}]`);
    out.push(`  ${id(`chart:${p.chart}`)} -.-> ${node}`);
  }
  for (const r of rows) {
    const node = id(`target:${r.source}:${r.target}`);
    const where = r.selects.replace(/`/g, "");
    out.push(`  ${node}[${label(`${r.target}: ${where}: ${r.version}`)}]`);
    out.push(`  ${id(`chart:${r.chart}`)} --> ${node}`);
  }
  return out.join("\n");
}
