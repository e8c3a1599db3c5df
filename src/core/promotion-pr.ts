// The promotion pull request's text: its branch, title, body with a marker, and what a body says it proposes.

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
  return lines.join("\n") + "\n";
}
