// What a sealed secrets sync did, per secret and target, and its rendering as a check run's output.
import { fitSummary } from "./checks/annotations.js";
import type { SecretsFileProblem } from "./secrets-file.js";
import type { Conclusion } from "./types.js";

export type SecretSyncStatus = "ok" | "failed" | "refused" | "skipped";

/** One secret at one target. It never holds any part of the value. */
export interface SecretSyncResult {
  /** The secret's name, upper-cased as GitHub stores it (as written when it is not valid). */
  name: string;
  /** The target as written in the file: owner/repo or owner/repo@environment. */
  target: string;
  action: "write" | "delete";
  status: SecretSyncStatus;
  /** What happened or why not, in words. */
  reason: string;
  /** Line of the entry in the file (the file before the push, for deletions). */
  line?: number;
}

export interface SecretSyncReport {
  /** The secrets file's path in the config repo. */
  path: string;
  results: SecretSyncResult[];
  /** Problems with the file as a whole (it does not parse, is not a list): nothing was written. */
  fileProblems: SecretsFileProblem[];
  /** Name and target pairs left alone because their entry did not change. */
  unchanged: number;
}

const WORDS: Record<SecretSyncStatus, string> = {
  ok: "ok",
  failed: "failed",
  refused: "refused",
  skipped: "skipped",
};

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function count(report: SecretSyncReport, status: SecretSyncStatus): number {
  return report.results.filter((r) => r.status === status).length;
}

/** The check run output of a sync: failure when any secret failed or was refused. */
export function renderSecretSyncReport(report: SecretSyncReport): {
  conclusion: Conclusion;
  title: string;
  summary: string;
} {
  if (report.fileProblems.length > 0) {
    const lines = report.fileProblems.map((p) => `- line ${p.line}: ${p.message}`);
    return {
      conclusion: "failure",
      title: `${report.path} could not be read: no secret was written`,
      summary: fitSummary(
        [
          `\`${report.path}\` could not be read, so no secret was written or deleted.`,
          "",
          ...lines,
        ].join("\n"),
      ),
    };
  }
  const written = report.results.filter((r) => r.status === "ok" && r.action === "write").length;
  const deleted = report.results.filter((r) => r.status === "ok" && r.action === "delete").length;
  const failed = count(report, "failed");
  const refused = count(report, "refused");
  const skipped = count(report, "skipped");
  const parts: string[] = [];
  if (written > 0) parts.push(`${written} written`);
  if (deleted > 0) parts.push(`${deleted} deleted`);
  if (refused > 0) parts.push(`${refused} refused`);
  if (failed > 0) parts.push(`${failed} failed`);
  if (skipped > 0) parts.push(`${skipped} skipped`);
  const title =
    parts.length === 0 ? "No sealed secret changed" : `Sealed secrets: ${parts.join(", ")}`;
  const out: string[] = [];
  out.push(
    `Sealed secrets from \`${report.path}\`, per secret and target. Values are never shown.` +
      (report.unchanged > 0
        ? ` ${report.unchanged} unchanged ${report.unchanged === 1 ? "pair" : "pairs"} of secret and target left alone.`
        : ""),
  );
  if (report.results.length > 0) {
    out.push("", "| secret | target | result | line | details |", "|---|---|---|---|---|");
    const order: Record<SecretSyncStatus, number> = { refused: 0, failed: 1, ok: 2, skipped: 3 };
    const rows = [...report.results].sort((a, b) => order[a.status] - order[b.status]);
    for (const r of rows) {
      const what = r.action === "delete" && r.status === "ok" ? "deleted" : WORDS[r.status];
      out.push(
        `| \`${cell(r.name)}\` | ${cell(r.target)} | ${what} | ${r.line ?? ""} | ${cell(r.reason)} |`,
      );
    }
  }
  if (refused > 0) {
    out.push(
      "",
      "**Refused** entries were not written: fix them in the file (see each reason) and push again. A value sealed for another secret or other targets is never written, so a sealed value copied between entries cannot reach another repository.",
    );
  }
  if (failed > 0) {
    out.push(
      "",
      "**Failed** writes were refused by GitHub or could not reach it; `/sync-secrets` retries every entry.",
    );
  }
  return {
    conclusion: failed > 0 || refused > 0 ? "failure" : "success",
    title,
    summary: fitSummary(out.join("\n")),
  };
}
