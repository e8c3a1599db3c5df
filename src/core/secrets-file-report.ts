// The sealed secrets file as monobot/secrets reports it: annotations on its lines and a paragraph of summary.
import { targetsOf, type SecretsFile } from "./secrets-file.js";
import type { Annotation } from "./types.js";

/** The file's problems as check annotations on `path`. */
export function secretsFileAnnotations(path: string, file: SecretsFile): Annotation[] {
  return file.problems.map((p) => ({
    path,
    start_line: p.line,
    end_line: p.endLine,
    level: p.level,
    title: "Sealed secrets file",
    message: p.message,
  }));
}

/** One paragraph for the check's summary. */
export function secretsFileSummary(
  path: string,
  file: SecretsFile,
  checkedTargets: boolean,
): string {
  const targets = targetsOf(file).length;
  const failures = file.problems.filter((p) => p.level === "failure").length;
  const head = `Sealed secrets file \`${path}\`: ${file.entries.length} ${
    file.entries.length === 1 ? "entry" : "entries"
  } for ${targets} ${targets === 1 ? "target" : "targets"}`;
  const verdict =
    failures === 0
      ? "every entry is well-formed"
      : `${failures} ${failures === 1 ? "problem" : "problems"} (see the annotations)`;
  const note = checkedTargets
    ? ""
    : " Whether the targets exist and have monobot installed is checked by the bot, not here.";
  return `${head}: ${verdict}. Values are sealed, so only their form is checked; the bot opens them after the merge.${note}`;
}
