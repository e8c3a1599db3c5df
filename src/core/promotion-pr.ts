// The promotion pull request's text: its branch, title, body with a marker, and what a body says it proposes.
import { changesSection, type ReleaseNotesInput } from "./deploy-pr.js";
import { parseFleet } from "./deploy-preview.js";
import type { PinLayout } from "./env-layout.js";
import type { PinStep } from "./env-pin-key.js";

/** ONE promotion PR per component and target environment. */
export function promotionBranch(component: string, environment: string): string {
  return `monobot/promote-${component}-${environment}`;
}

/** What an open promotion PR proposes, read back from its marker. */
export interface PromotionMarker {
  component: string;
  environment: string;
  version: string;
  /** The upstream deployment that verified the version (newer ids are newer deployments). */
  deployment: number;
}

const MARKER = /<!-- monobot:promote (\{[^\n]*?\}) -->/;

export function parsePromotionMarker(body: string | undefined): PromotionMarker | undefined {
  const m = MARKER.exec(body ?? "");
  if (!m) return undefined;
  try {
    const v = JSON.parse(m[1] as string) as Partial<PromotionMarker>;
    if (
      typeof v.component !== "string" ||
      typeof v.environment !== "string" ||
      typeof v.version !== "string" ||
      typeof v.deployment !== "number"
    )
      return undefined;
    return {
      component: v.component,
      environment: v.environment,
      version: v.version,
      deployment: v.deployment,
    };
  } catch {
    return undefined;
  }
}

export interface PromotionText {
  component: string;
  from: string;
  to: string;
  version: string;
  /** The version in the target environment now (what this supersedes), if any. */
  supersedes?: string;
  /** The version an earlier state of this PR proposed, replaced by this one. */
  replaced?: string;
  deployment: { id: number; url?: string; soak?: string };
  runs: readonly { context: string; state: string; url?: string }[];
  pins: readonly { file: string; key: string; line: number; before?: string }[];
  /** The component's release notes between `supersedes` and `version`, or why there are none. */
  notes?: ReleaseNotesInput | { missing: string };
  /** Where the version lands in `to` (see {@link promotionTargets}). */
  targets?: readonly PromotionTarget[];
}

/** A place of the target environment that gets the version: a Fleet target, or the environment's file. */
export interface PromotionTarget {
  target: string;
  /** Which clusters, as the file says it (cluster labels live on the clusters, not in git). */
  clusters: string;
  /** `file:line` of the pin. */
  pin: string;
}

/** The step of a Fleet pin key that picks a `targetCustomizations` entry: `[name=production]` or `[1]`. */
function fleetTarget(steps: readonly PinStep[]): PinStep | undefined {
  const at = steps.findIndex((s) => "key" in s && s.key === "targetCustomizations");
  return at < 0 ? undefined : steps[at + 1];
}

/**
 * Where a promotion lands: for a Fleet pin, the `targetCustomizations` entry its key selects and
 * the clusters that entry selects (as deploy PRs preview them); for a values file or umbrella per
 * environment, the environment itself (which clusters deploy that file is not in git).
 */
export function promotionTargets(
  environment: string,
  pins: readonly { file: string; line: number; layout: PinLayout; steps: readonly PinStep[] }[],
  files: ReadonlyMap<string, string>,
): PromotionTarget[] {
  const out: PromotionTarget[] = [];
  for (const pin of pins) {
    const where = `${pin.file}:${pin.line}`;
    const content = files.get(pin.file);
    const step = fleetTarget(pin.steps);
    const parsed =
      pin.layout === "fleet" && content !== undefined && step
        ? parseFleet(pin.file, content, new Set())
        : undefined;
    if (parsed?.ok && step) {
      const targets = parsed.bundle.targets;
      const t =
        "index" in step
          ? targets[step.index]
          : "field" in step && step.field === "name"
            ? targets.find((x) => x.name === step.value)
            : undefined;
      if (t) {
        out.push({
          target: t.name ?? `target ${targets.indexOf(t) + 1}`,
          clusters: t.doNotDeploy ? "none (doNotDeploy)" : t.selects,
          pin: where,
        });
        continue;
      }
    }
    out.push({
      target: environment,
      clusters: `the clusters that deploy \`${pin.file}\``,
      pin: where,
    });
  }
  return out;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

export function promotionTitle(t: PromotionText): string {
  return `Promote ${t.component} ${t.version} to ${t.to}`;
}

export function promotionCommitMessage(t: PromotionText): string {
  return `${promotionTitle(t)}\n\nVerified in ${t.from} (deployment ${t.deployment.id}).`;
}

export function promotionBody(t: PromotionText): string {
  const marker: PromotionMarker = {
    component: t.component,
    environment: t.to,
    version: t.version,
    deployment: t.deployment.id,
  };
  const lines = [
    `<!-- monobot:promote ${JSON.stringify(marker)} -->`,
    `Promotes **${t.component} ${t.version}** from ${t.from} to **${t.to}**.`,
    "",
    t.supersedes === undefined
      ? `${t.to} does not run ${t.component} yet.`
      : `Supersedes ${t.component} ${t.supersedes} in ${t.to}.`,
  ];
  if (t.replaced !== undefined && t.replaced !== t.version) {
    lines.push(
      `Replaces the pending promotion of ${t.replaced}: a newer version was verified in ${t.from}.`,
    );
  }
  lines.push("", `### Evidence from ${t.from}`, "");
  const dep = t.deployment.url
    ? `[deployment ${t.deployment.id}](${t.deployment.url})`
    : `deployment ${t.deployment.id}`;
  lines.push(
    `- ${dep}: success${t.deployment.soak ? `, after a soak of ${t.deployment.soak}` : ""}`,
  );
  for (const r of t.runs) {
    lines.push(`- \`${r.context}\`: ${r.state}${r.url ? ` ([run](${r.url}))` : ""}`);
  }
  if (t.runs.length === 0) lines.push("- verified by a deployment status (no verification jobs)");
  lines.push("", "### Pins", "", "| file | key | before | after |", "| --- | --- | --- | --- |");
  for (const p of t.pins) {
    lines.push(
      `| \`${p.file}:${p.line}\` | \`${p.key}\` | ${p.before ?? "(none)"} | ${t.version} |`,
    );
  }
  if (t.targets && t.targets.length > 0) {
    lines.push(
      "",
      `### Where it goes in ${t.to}`,
      "",
      "| Target | Clusters | Pin |",
      "| --- | --- | --- |",
    );
    for (const x of t.targets) {
      lines.push(`| ${cell(x.target)} | ${cell(x.clusters)} | \`${cell(x.pin)}\` |`);
    }
  }
  if (t.notes && "missing" in t.notes) {
    lines.push("", "### Release notes", "", t.notes.missing);
  } else if (t.notes) {
    lines.push("", ...changesSection(t.notes));
    while (lines.at(-1) === "") lines.pop();
  }
  return lines.join("\n") + "\n";
}
