// The ONE summary comment monobot keeps per pull request: components, verdicts, skipped work.
import { SUMMARY_MARKER } from "./pr-state.js";
import type { CheckResult, ComponentsReport, Conclusion } from "./types.js";

export { isSummaryComment, SUMMARY_MARKER } from "./pr-state.js";

export interface SummaryInput {
  headSha: string;
  components?: ComponentsReport;
  versions?: Map<string, { base: string | null; head: string | null }>;
  results: CheckResult[];
  /** Work not done, each with the reason a user reads. */
  skipped: string[];
  /** Further Markdown blocks (e.g. CI), shown after the checks. */
  sections?: string[];
  /** Hidden state lines kept in the comment (e.g. an /ok-to-test approval marker). */
  state?: string[];
  /** Most component rows shown; the rest are counted. */
  maxRows?: number;
}

const ICON: Record<Conclusion, string> = {
  success: "✅",
  failure: "❌",
  neutral: "⚪",
  skipped: "⏭️",
  action_required: "⚠️",
  cancelled: "⏹️",
  timed_out: "⌛",
};

function escapeCell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function versionCell(v: { base: string | null; head: string | null } | undefined): string {
  if (!v) return "";
  if (v.base === null && v.head === null) return "";
  if (v.base === null) return `new: ${v.head ?? ""}`;
  if (v.head === null) return `removed (was ${v.base})`;
  if (v.base === v.head) return v.head;
  return `${v.base} → ${v.head}`;
}

export function renderSummary(input: SummaryInput): string {
  const out: string[] = [SUMMARY_MARKER, `### monobot · \`${input.headSha.slice(0, 7)}\``, ""];
  const report = input.components;
  if (report) {
    const maxRows = input.maxRows ?? 50;
    if (report.affected.length === 0) {
      out.push("No component is affected by this change.", "");
    } else {
      out.push("| Component | Path | Version | Why |", "|---|---|---|---|");
      for (const a of report.affected.slice(0, maxRows)) {
        const why = a.via
          ? `depends on ${a.via.join(" → ")}`
          : `${a.files.length} file${a.files.length === 1 ? "" : "s"} changed${a.ownChange ? "" : " (ignored paths only)"}`;
        out.push(
          `| ${escapeCell(a.component.name)} | \`${escapeCell(a.component.path || ".")}\` | ${escapeCell(versionCell(input.versions?.get(a.component.name)))} | ${escapeCell(why)} |`,
        );
      }
      if (report.affected.length > maxRows) {
        out.push("", `…and ${report.affected.length - maxRows} more affected components.`);
      }
      out.push("");
    }
    if (report.outside.length > 0) {
      const shown = report.outside.slice(0, 10).map((p) => `\`${p}\``);
      const more = report.outside.length > 10 ? ` and ${report.outside.length - 10} more` : "";
      out.push(`Outside every component: ${shown.join(", ")}${more}.`, "");
    }
  }
  if (input.results.length > 0) {
    out.push("| Check | Result | |", "|---|---|---|");
    for (const r of input.results) {
      out.push(
        `| \`${r.name}\` | ${ICON[r.conclusion]} ${r.conclusion} | ${escapeCell(r.title)} |`,
      );
    }
    out.push("");
  }
  for (const section of input.sections ?? []) out.push(section, "");
  if (input.skipped.length > 0) {
    out.push("**Not run**", "", ...input.skipped.map((s) => `- ${s}`), "");
  }
  out.push("<sub>Comment `/help` for the commands monobot understands.</sub>");
  for (const line of input.state ?? []) out.push(line);
  return out.join("\n");
}
