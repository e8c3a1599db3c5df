// How monobot/versions reports: one annotation per file, and the summary's tables, fix and title.
import type { Policy } from "../policy.js";
import type { Annotation, AnnotationLevel } from "../types.js";
import { releaseTag, releasedVersion } from "../versions.js";
import { fitSummary, plural } from "./annotations.js";
import type { Finding } from "./version-findings.js";
import type { VersionsModel } from "./versions-model.js";

const SEVERITY: Record<AnnotationLevel, number> = { failure: 0, warning: 1, notice: 2 };

/** One annotation per file, on the first line that must change, with every message for it. */
export function annotationsOf(findings: readonly Finding[]): Annotation[] {
  const byPath = new Map<string, Finding[]>();
  for (const f of findings) {
    const list = byPath.get(f.path) ?? [];
    if (!list.some((x) => x.message === f.message)) list.push(f);
    byPath.set(f.path, list);
  }
  const out: Annotation[] = [];
  for (const [path, list] of byPath) {
    const sorted = [...list].sort(
      (a, b) => SEVERITY[a.level] - SEVERITY[b.level] || a.line - b.line,
    );
    const top = sorted[0] as Finding;
    out.push({
      path,
      start_line: top.line,
      end_line: top.line,
      level: top.level,
      title: "monobot/versions",
      message: sorted
        .map((f) =>
          sorted.length > 1 && f.line !== top.line ? `(line ${f.line}) ${f.message}` : f.message,
        )
        .join("\n\n"),
    });
  }
  return out.sort((a, b) => SEVERITY[a.level] - SEVERITY[b.level] || (a.path < b.path ? -1 : 1));
}

function cell(textValue: string): string {
  return textValue.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

const MAX_ROWS = 50;

/** The check run's title and summary: tables of components and charts, the fix, the notes. */
export function summaryOf(
  model: VersionsModel,
  policy: Policy,
): { title: string; summary: string; failed: boolean } {
  const failures = model.findings.filter((f) => f.level === "failure");
  const failed = failures.length > 0;
  const out: string[] = [];
  const shownCharts = [...model.charts.values()].filter(
    (c) => c.files.length > 0 || c.chain || c.verdict,
  );
  if (model.components.length === 0 && shownCharts.length === 0) {
    out.push("No component or chart changed in a way that needs a new version.");
  }
  if (model.components.length > 0) {
    out.push("| Component | VERSION | Result |", "|---|---|---|");
    for (const s of model.components.slice(0, MAX_ROWS)) {
      out.push(
        `| ${cell(s.component.name)} | \`${cell(s.component.versionFile)}\` | ${s.ok ? "✅" : "❌"} ${cell(s.verdict)} |`,
      );
    }
    if (model.components.length > MAX_ROWS) {
      out.push(`| … | | ${model.components.length - MAX_ROWS} more |`);
    }
    out.push("");
    const developing = model.components.filter((s) => s.inDevelopment);
    if (developing.length > 0) {
      const names = developing
        .slice(0, 5)
        .map((s) => `\`${s.component.name}\` ${s.baseVersion ?? ""}`)
        .join(", ");
      out.push(
        `In development: ${names}${developing.length > 5 ? " …" : ""}. A pre-release VERSION takes changes as it is; the release commit sets the release version (\`versions.every_change: false\`).`,
        "",
      );
    }
  }
  if (shownCharts.length > 0) {
    out.push("| Chart | Result |", "|---|---|");
    for (const c of shownCharts.slice(0, MAX_ROWS)) {
      const verdict = c.verdict ?? (c.chain ? "follows its subcharts" : "");
      out.push(`| \`${cell(c.folder || ".")}\` | ${c.ok ? "✅" : "❌"} ${cell(verdict)} |`);
    }
    if (shownCharts.length > MAX_ROWS) out.push(`| … | ${shownCharts.length - MAX_ROWS} more |`);
    out.push("");
  }
  const released = model.components.filter(
    (s) => s.baseText !== s.headText && releasedVersion(s.baseVersion, s.headVersion) !== undefined,
  );
  if (released.length > 0) {
    if (model.tags === undefined) {
      out.push(
        `Release tags: not checked. The tag listing was not available to this check, so whether ${released
          .map(
            (s) =>
              `\`${releaseTag(policy.versions.tag, s.component.name, s.headVersion as string)}\``,
          )
          .slice(0, 5)
          .join(", ")}${released.length > 5 ? " …" : ""} exists already is unknown.`,
        "",
      );
    } else {
      out.push(`Release tags: checked against ${plural(model.tags.length, "existing tag")}.`, "");
    }
  }
  out.push(`Suggested level: **${model.suggestion.level}** (${model.suggestion.reason}).`);
  if (failed) {
    out.push(
      "",
      `**How to fix**: write the versions the annotations name and push, or comment \`/bump ${model.suggestion.level}\` and monobot commits them (every failing component's VERSION, its chart and the umbrella charts above it).`,
      "",
    );
    for (const f of failures.slice(0, MAX_ROWS)) out.push(`- \`${f.path}:${f.line}\` ${f.message}`);
    if (failures.length > MAX_ROWS) out.push(`- … ${failures.length - MAX_ROWS} more`);
  }
  if (model.notes.length > 0) out.push("", ...model.notes.map((n) => `Note: ${n}`));

  const developing = model.components.filter((s) => s.inDevelopment).length;
  const bumped = model.components.filter((s) => s.ok && !s.inDevelopment).length;
  const chartsOk = shownCharts.filter((c) => c.ok).length;
  const inDevelopment = developing > 0 ? `${plural(developing, "component")} in development` : "";
  const title = failed
    ? `${plural(new Set(failures.map((f) => f.path)).size, "file")} must change: ${plural(failures.length, "version problem")}`
    : model.components.length === 0 && shownCharts.length === 0
      ? "No versioned change"
      : bumped === 0 && chartsOk === 0 && developing > 0
        ? `No new version needed: ${inDevelopment}`
        : `Versions go up: ${plural(bumped, "component")}, ${plural(chartsOk, "chart")}${inDevelopment ? `; ${inDevelopment}` : ""}`;
  return { title, summary: fitSummary(out.join("\n")), failed };
}
