// monobot/lint: runs the rule table of lint-rules.ts over the changed files and sums it up.
import { globMatcher } from "../glob.js";
import { patchOf, type PatchLine } from "../patch.js";
import type { Policy } from "../policy.js";
import { redactResult } from "../redact.js";
import type {
  Annotation,
  ChangeSnapshot,
  ChangedFile,
  CheckResult,
  FileRequest,
} from "../types.js";
import { contentKey } from "../types.js";
import {
  capAnnotations,
  conclusionOf,
  describeCounts,
  fitSummary,
  omittedLine,
  plural,
  truncatedLine,
} from "./annotations.js";
import { fileKinds, unchangedOrEmpty } from "./file-kinds.js";
import { attributesOf, gitattributesFor } from "./gitattributes.js";
import {
  LINT_RULES,
  lintSettings,
  type Finding,
  type LintFile,
  type LintRule,
  type LintRuleDefinition,
  type LintSettings,
  type RuleLevel,
} from "./lint-rules.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

// monobot/license and monobot/secrets skip the same files as lint.
export { fileKinds, unchangedOrEmpty } from "./file-kinds.js";

type LintPolicy = Policy["checks"]["lint"];
type SnapshotWithoutContents = Omit<ChangeSnapshot, "contents">;
type Levels = Record<LintRule, RuleLevel>;

function levelResolver(lint: LintPolicy): (path: string) => Levels {
  const overrides = lint.overrides.map((o) => ({ match: globMatcher(o.paths), rules: o.rules }));
  return (path) => {
    const levels: Levels = { ...lint.rules };
    for (const o of overrides) {
      if (o.match(path)) Object.assign(levels, o.rules);
    }
    return levels;
  };
}

function anyTextRule(levels: Levels): boolean {
  return LINT_RULES.some((r) => r.applies === "text" && levels[r.id] !== "off");
}

function readsWhole(levels: Levels, path: string, settings: LintSettings): boolean {
  return LINT_RULES.some((r) => levels[r.id] !== "off" && r.readsWhole?.(path, settings) === true);
}

function lintNeeds(input: { snapshot: SnapshotWithoutContents; policy: Policy }): FileRequest[] {
  const lint = input.policy.checks.lint;
  const kinds = fileKinds(lint);
  const levelsFor = levelResolver(lint);
  const settings = lintSettings(lint);
  const out: FileRequest[] = gitattributesFor(input.snapshot).map((path) => ({
    side: "head" as const,
    path,
  }));
  for (const file of input.snapshot.files) {
    if (kinds.skipReason(file) !== undefined || unchangedOrEmpty(file)) continue;
    const levels = levelsFor(file.path);
    const noPatch = file.patch === undefined && anyTextRule(levels);
    if (readsWhole(levels, file.path, settings) || noPatch) {
      out.push({ side: "head", path: file.path });
    }
  }
  return out;
}

/** Lines of a whole file as patch lines numbered from 1. */
function linesOf(text: string): PatchLine[] {
  const parts = text.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts.map((t, i) => ({ line: i + 1, text: t.endsWith("\r") ? t.slice(0, -1) : t }));
}

/**
 * What the rules see of a text file: its content when read, its patch, and the lines the line
 * rules apply to (the added lines, or every line of a new file read whole because GitHub gave no
 * patch).
 */
function lintFileOf(snapshot: ChangeSnapshot, file: ChangedFile): LintFile {
  const patch = patchOf(file);
  const emptyNew = file.status === "added" && unchangedOrEmpty(file);
  let content: string | null | undefined = snapshot.contents.get(contentKey("head", file.path));
  if (content === undefined && emptyNew) content = "";
  const text = typeof content === "string" ? content : undefined;
  if (patch) return { file, content: text, patch, lines: patch.added, linesAreAdded: true };
  if (text === undefined) return { file, content: text, patch, lines: [], linesAreAdded: false };
  return {
    file,
    content: text,
    patch,
    lines: linesOf(text),
    linesAreAdded: file.status === "added",
  };
}

/** What one run has seen so far, for the annotations and the summary. */
class LintTally {
  readonly annotations: Annotation[] = [];
  readonly findings = Object.fromEntries(LINT_RULES.map((r) => [r.id, 0])) as Record<
    LintRule,
    number
  >;
  checked = 0;
  addedLines = 0;
  binary = 0;
  generated = 0;
  readonly readWhole: string[] = [];
  readonly unreadable = new Set<string>();

  add(rule: LintRuleDefinition, level: RuleLevel, path: string, f: Finding): void {
    if (level === "off") return;
    this.findings[rule.id]++;
    this.annotations.push({
      path,
      start_line: f.start,
      end_line: f.end,
      level: f.tolerated && level === "failure" ? "warning" : level,
      title: f.title,
      message: f.message,
    });
  }
}

/** Run the rules of kind `applies` that are on for the file. */
function applyRules(
  tally: LintTally,
  applies: LintRuleDefinition["applies"],
  f: LintFile,
  levels: Levels,
  settings: LintSettings,
): void {
  for (const rule of LINT_RULES) {
    const level = levels[rule.id];
    if (rule.applies !== applies || level === "off") continue;
    if (rule.readsWhole?.(f.file.path, settings) === true && f.content === undefined) {
      tally.unreadable.add(f.file.path);
      continue;
    }
    for (const finding of rule.check(f, settings)) tally.add(rule, level, f.file.path, finding);
  }
}

/** Lint one changed file into the tally. */
function lintFile(
  tally: LintTally,
  snapshot: ChangeSnapshot,
  file: ChangedFile,
  ctx: { kinds: ReturnType<typeof fileKinds>; levels: Levels; settings: LintSettings },
): void {
  // Path rules apply to every file, binary and generated included.
  const pathOnly: LintFile = {
    file,
    content: undefined,
    patch: undefined,
    lines: [],
    linesAreAdded: false,
  };
  applyRules(tally, "path", pathOnly, ctx.levels, ctx.settings);
  const reason = ctx.kinds.skipReason(file);
  if (reason === "binary") tally.binary++;
  if (reason === "generated") tally.generated++;
  if (reason !== undefined) return;

  const f = lintFileOf(snapshot, file);
  if (f.content !== undefined && !(file.status === "added" && unchangedOrEmpty(file))) {
    tally.readWhole.push(file.path);
  }
  if (f.content?.includes("\u0000") === true) {
    tally.binary++;
    return;
  }
  tally.checked++;
  if (!f.patch && f.content === undefined && !unchangedOrEmpty(file) && anyTextRule(ctx.levels)) {
    tally.unreadable.add(file.path);
  }
  if (f.linesAreAdded) tally.addedLines += f.lines.length;
  applyRules(tally, "text", f, ctx.levels, ctx.settings);
}

function runLint({ snapshot, policy }: CheckInput): CheckResult {
  const lint = policy.checks.lint;
  const kinds = fileKinds(lint, attributesOf(snapshot));
  const levelsFor = levelResolver(lint);
  const settings = lintSettings(lint);
  const tally = new LintTally();
  for (const file of snapshot.files) {
    if (file.status === "removed") continue;
    lintFile(tally, snapshot, file, { kinds, levels: levelsFor(file.path), settings });
  }

  const { annotations } = tally;
  const capped = capAnnotations(annotations, policy.checks.max_annotations);
  const summary = lintSummary({
    checked: tally.checked,
    addedLines: tally.addedLines,
    annotations,
    findings: tally.findings,
    lint,
    binaryCount: tally.binary,
    generatedCount: tally.generated,
    readWhole: tally.readWhole,
    unreadable: [...tally.unreadable],
    omitted: capped.omitted,
    truncated: snapshot.truncated,
  });
  return redactResult({
    name: "monobot/lint",
    conclusion: conclusionOf(annotations),
    title:
      annotations.length === 0
        ? `No problems in ${plural(tally.checked, "file")}`
        : describeCounts(annotations),
    summary: fitSummary(summary),
    annotations: capped.shown,
  });
}

function listPaths(paths: string[], max = 20): string {
  const shown = paths.slice(0, max).map((p) => `\`${p}\``);
  const more = paths.length > max ? `, and ${paths.length - max} more` : "";
  return shown.join(", ") + more;
}

function lintSummary(s: {
  checked: number;
  addedLines: number;
  annotations: Annotation[];
  findings: Record<LintRule, number>;
  lint: LintPolicy;
  binaryCount: number;
  generatedCount: number;
  readWhole: string[];
  unreadable: string[];
  omitted: number;
  truncated: boolean;
}): string {
  const out: string[] = [];
  out.push(
    `Checked ${plural(s.checked, "changed file")} (${plural(s.addedLines, "added line")}): ${describeCounts(s.annotations)}.`,
  );
  out.push("");
  out.push("| rule | default level | findings |");
  out.push("|---|---|---|");
  for (const rule of LINT_RULES) {
    out.push(
      `| ${rule.title} (\`${rule.id}\`) | ${s.lint.rules[rule.id]} | ${s.findings[rule.id]} |`,
    );
  }
  out.push("");
  const skipped: string[] = [];
  if (s.binaryCount > 0) skipped.push(plural(s.binaryCount, "binary file"));
  if (s.generatedCount > 0) skipped.push(plural(s.generatedCount, "generated or vendored file"));
  if (skipped.length > 0) {
    out.push(
      `Skipped ${skipped.join(" and ")} (checks.lint.binary / checks.lint.generated, and linguist-generated / linguist-vendored in .gitattributes); only the forbidden-path rule applies to them.`,
    );
  }
  if (s.readWhole.length > 0) {
    out.push(
      `Read whole (YAML/JSON to parse, or no patch from GitHub): ${plural(s.readWhole.length, "file")}: ${listPaths(s.readWhole)}.`,
    );
  }
  if (s.unreadable.length > 0) {
    out.push(
      `Could not check the content of ${plural(s.unreadable.length, "file")} (the whole file was needed but could not be read): ${listPaths(s.unreadable)}.`,
    );
  }
  if (s.annotations.length > 0) {
    out.push("");
    out.push(
      "**How to fix**: each annotation names the file, line and fix. Levels per rule and per path are set in `.github/monobot.yml` under `checks.lint.rules` and `checks.lint.overrides`.",
    );
  }
  const partial = truncatedLine(s.truncated);
  if (partial) out.push("", partial);
  const more = omittedLine(s.omitted);
  if (more) {
    out.push("");
    out.push(more);
  }
  return out.join("\n");
}

export const lintCheck: CheckDefinition = {
  id: "lint",
  name: "monobot/lint",
  needs: lintNeeds,
  run: runLint,
};
