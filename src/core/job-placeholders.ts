// Job template placeholders: `{name}` in a template's strings, what monobot fills in, and their expansion.
import type { JobTrigger } from "./job-templates.js";

/** Placeholders monobot fills in, and what each stands for. */
export const BUILTIN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  component: "the component's name",
  version: "the component's version (its VERSION file)",
  sha: "the commit SHA the job runs for",
  ref: "the branch or tag the job runs for",
  pr: "the pull request number (pull_request jobs only)",
  image: "the component's image (components.define.<name>.image)",
  default_branch: "the repository's default branch",
  job: "the job's name",
  owner: "the repository owner",
  repo: "the repository name",
  chart: "the chart's folder, e.g. charts/roc-api (chart_release jobs only)",
  chart_name: "the chart's name in its Chart.yaml (chart_release jobs only)",
  chart_version: "the chart's new version (chart_release jobs only)",
  environment: "the environment a version reached (deployed jobs only)",
};

/** Placeholders that only jobs of one trigger know. */
export const TRIGGER_PLACEHOLDERS: Readonly<Record<string, JobTrigger>> = {
  pr: "pull_request",
  chart: "chart_release",
  chart_name: "chart_release",
  chart_version: "chart_release",
  environment: "deployed",
};

type Piece = { text: string } | { name: string };

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;
/** `{ component }`: a placeholder with spaces is literal text, most likely by mistake. */
export const SPACED_PLACEHOLDER =
  /(?<!\{)\{[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\}|(?<!\{)\{([A-Za-z_][A-Za-z0-9_-]*)[ \t]+\}/g;

/**
 * A template string in pieces: `{name}` is a placeholder, `{{` and `}}` are literal braces, any
 * other brace is literal text (so JSON in an input stays as written).
 */
function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const at = m.index;
    if (at > last) out.push({ text: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ name: m[1] });
    else out.push({ text: m[0][0] as string });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The placeholder names a template string uses, in order of first use. */
export function placeholdersIn(text: string): string[] {
  const names: string[] = [];
  for (const p of pieces(text)) if ("name" in p && !names.includes(p.name)) names.push(p.name);
  return names;
}

/**
 * Fill the placeholders of `text` from `values`; names without a value are reported instead.
 * `encode` is applied to each substituted value (URL parts are percent-encoded).
 */
export function expandPlaceholders(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
  encode: (value: string) => string = (v) => v,
): { ok: true; value: string } | { ok: false; missing: string[] } {
  const missing: string[] = [];
  let value = "";
  for (const p of pieces(text)) {
    if ("text" in p) {
      value += p.text;
      continue;
    }
    const v = Object.hasOwn(values, p.name) ? values[p.name] : undefined;
    if (v === undefined) {
      if (!missing.includes(p.name)) missing.push(p.name);
    } else value += encode(v);
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, value };
}

/** `{a}, {b}`: placeholder names as a template writes them, for messages. */
export function braces(names: readonly string[]): string {
  return names.map((n) => `{${n}}`).join(", ");
}
