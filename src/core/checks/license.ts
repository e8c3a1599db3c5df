// monobot/license: SPDX license headers in the comment syntax of each file type, and a LICENSE.
import { globMatcher } from "../glob.js";
import { patchOf } from "../patch.js";
import { compilePattern, type Policy } from "../policy.js";
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
import { commentSyntaxFor, stripCommentClose, type CommentSyntax } from "./comment-syntax.js";
import { fileKinds, unchangedOrEmpty } from "./file-kinds.js";
import { attributesOf, gitattributesFor, type GitAttributes } from "./gitattributes.js";
import { SPDX_TAG, headerProblems, type HeaderContext } from "./license-rules.js";
import type { CheckDefinition, CheckInput } from "./registry.js";
import { KNOWN_IDS, licenseIdsIn } from "./spdx.js";

const LICENSE_FILE = /^(LICEN[CS]E|COPYING|UNLICENSE)([.-][^/]*)?$/i;

function hasLicenseFile(headPaths: readonly string[]): boolean {
  return headPaths.some((p) => LICENSE_FILE.test(p) || p.startsWith("LICENSES/"));
}

interface Candidate {
  file: ChangedFile;
  syntax: CommentSyntax;
}

type Skips = Record<"excluded" | "generated" | "binary" | "unknownType" | "empty", number>;

/** The changed files the license rules apply to, and how many were skipped for each reason. */
function candidates(
  snapshot: Omit<ChangeSnapshot, "contents">,
  policy: Policy,
  attributes: GitAttributes | undefined,
): { list: Candidate[]; skips: Skips } {
  const license = policy.checks.license;
  const kinds = fileKinds(policy.checks.lint, attributes);
  const exclude = globMatcher(license.exclude);
  const skips: Skips = { excluded: 0, generated: 0, binary: 0, unknownType: 0, empty: 0 };
  const list: Candidate[] = [];
  for (const file of snapshot.files) {
    if (file.status === "removed") continue;
    if (license.scope === "added" && file.status !== "added") continue;
    const reason = kinds.skipReason(file);
    if (reason === "binary") skips.binary++;
    else if (reason === "generated") skips.generated++;
    else if (exclude(file.path)) skips.excluded++;
    else if (unchangedOrEmpty(file)) skips.empty++;
    else {
      const syntax = commentSyntaxFor(file.path);
      if (syntax === undefined) skips.unknownType++;
      else list.push({ file, syntax });
    }
  }
  return { list, skips };
}

/** The file's first `n` lines when its patch shows them, else `undefined`. */
function firstLinesFromPatch(file: ChangedFile, n: number): string[] | undefined {
  const parsed = patchOf(file);
  if (!parsed) return undefined;
  const shown = parsed.headFromStart;
  const wholeFile = file.status === "added" || parsed.headLastLine === shown.length;
  if (shown.length >= n || (wholeFile && shown.length > 0)) return shown.slice(0, n);
  return undefined;
}

function licenseNeeds(input: {
  snapshot: Omit<ChangeSnapshot, "contents">;
  policy: Policy;
}): FileRequest[] {
  const license = input.policy.checks.license;
  if (license.level === "off") return [];
  const out: FileRequest[] = gitattributesFor(input.snapshot).map((path) => ({
    side: "head" as const,
    path,
  }));
  for (const c of candidates(input.snapshot, input.policy, undefined).list) {
    if (firstLinesFromPatch(c.file, license.within_lines) === undefined) {
      out.push({ side: "head", path: c.file.path });
    }
  }
  return out;
}

/** The policy's header settings, and what is wrong with them (said in the summary). */
function headerContext(license: Policy["checks"]["license"]): {
  ctx: HeaderContext;
  notes: string[];
} {
  const notes: string[] = [];
  let copyright: RegExp | undefined;
  if (license.copyright !== "") {
    try {
      copyright = compilePattern(license.copyright);
    } catch (e) {
      notes.push(
        `checks.license.copyright is not a valid regular expression (${(e as Error).message}); the copyright rule was skipped. Fix it in .github/monobot.yml.`,
      );
    }
  }
  const unknownAllowed = license.allowed.filter(
    (id) => !id.startsWith("LicenseRef-") && !KNOWN_IDS.has(id.toLowerCase()),
  );
  if (unknownAllowed.length > 0) {
    notes.push(
      `checks.license.allowed lists ${unknownAllowed.map((i) => `\`${i}\``).join(", ")}, not SPDX identifiers (see https://spdx.org/licenses/; custom licenses are written \`LicenseRef-Name\`).`,
    );
  }
  const ctx: HeaderContext = {
    allowed: license.allowed,
    copyright,
    copyrightSource: license.copyright,
    withinLines: license.within_lines,
    suggested: license.allowed[0] ?? "Apache-2.0",
    verdicts: new Map(),
  };
  return { ctx, notes };
}

/** What one run has seen, for the annotations and the summary. */
interface LicenseTally {
  annotations: Annotation[];
  readWhole: string[];
  unreadable: string[];
  usedIds: Set<string>;
  checked: number;
  filesWithProblems: number;
  skips: Skips;
}

/** The file's first lines: from the patch, else from its content; `undefined` when unread. */
function firstLinesOf(
  snapshot: ChangeSnapshot,
  file: ChangedFile,
  withinLines: number,
  tally: LicenseTally,
): string[] | undefined {
  const fromPatch = firstLinesFromPatch(file, withinLines);
  if (fromPatch !== undefined) return fromPatch;
  const content = snapshot.contents.get(contentKey("head", file.path));
  if (typeof content !== "string") {
    tally.unreadable.push(file.path);
    return undefined;
  }
  if (content.includes("\u0000")) {
    tally.skips.binary++;
    return undefined;
  }
  tally.readWhole.push(file.path);
  return content.split("\n", withinLines).map((l) => l.replace(/\r$/, ""));
}

/** Check one file's header into the tally. */
function checkHeader(
  tally: LicenseTally,
  path: string,
  first: string[],
  syntax: CommentSyntax,
  ctx: HeaderContext,
  level: Annotation["level"],
): void {
  if (first.length === 0 || (first.length === 1 && first[0] === "")) {
    tally.skips.empty++;
    return;
  }
  tally.checked++;
  const problems = headerProblems(first, syntax, ctx);
  if (problems.some((p) => !p.advisory)) tally.filesWithProblems++;
  for (const p of problems) {
    tally.annotations.push({
      path,
      start_line: p.line,
      end_line: p.line,
      level: p.advisory ? "notice" : level,
      title: p.title,
      message: p.message,
    });
  }
  for (const line of first) {
    const at = line.indexOf(SPDX_TAG);
    if (at < 0) continue;
    const expression = stripCommentClose(line.slice(at + SPDX_TAG.length), syntax);
    for (const id of licenseIdsIn(expression)) tally.usedIds.add(id);
  }
}

/** The repository-wide rules: a LICENSE once code arrives, and REUSE's license texts. */
function repositoryRules(
  snapshot: ChangeSnapshot,
  license: Policy["checks"]["license"],
  firstCode: ChangedFile | undefined,
  tally: LicenseTally,
  suggested: string,
  level: Annotation["level"],
): { missingLicenseFile: boolean; missingTexts: string[] } {
  let missingLicenseFile = false;
  if (
    license.require_license_file &&
    firstCode !== undefined &&
    snapshot.headPaths.length > 0 &&
    !hasLicenseFile(snapshot.headPaths)
  ) {
    missingLicenseFile = true;
    tally.annotations.unshift({
      path: firstCode.path,
      start_line: 1,
      end_line: 1,
      level,
      title: "Repository has no LICENSE",
      message: `This PR adds code to a repository without a LICENSE file. Add \`LICENSE\` at the root with the text of ${suggested} (or, REUSE style, \`LICENSES/${suggested}.txt\`, e.g. with \`reuse download ${suggested}\`).`,
    });
  }
  // REUSE: a LICENSES/ folder should hold the text of every license the headers use.
  const reuse = snapshot.headPaths.some((p) => p.startsWith("LICENSES/"));
  const missingTexts = reuse
    ? [...tally.usedIds].filter((id) => !snapshot.headPaths.includes(`LICENSES/${id}.txt`)).sort()
    : [];
  return { missingLicenseFile, missingTexts };
}

function runLicense({ snapshot, policy }: CheckInput): CheckResult {
  const license = policy.checks.license;
  if (license.level === "off") {
    return {
      name: "monobot/license",
      conclusion: "success",
      title: "License headers not checked",
      summary: "`checks.license.level` is `off` in this repository's policy.",
      annotations: [],
    };
  }
  const level = license.level;
  const { ctx, notes } = headerContext(license);
  const { list, skips } = candidates(snapshot, policy, attributesOf(snapshot));
  const tally: LicenseTally = {
    annotations: [],
    readWhole: [],
    unreadable: [],
    usedIds: new Set(),
    checked: 0,
    filesWithProblems: 0,
    skips,
  };
  for (const { file, syntax } of list) {
    const first = firstLinesOf(snapshot, file, license.within_lines, tally);
    if (first !== undefined) checkHeader(tally, file.path, first, syntax, ctx, level);
  }
  const repo = repositoryRules(snapshot, license, list[0]?.file, tally, ctx.suggested, level);
  const { annotations } = tally;
  const capped = capAnnotations(annotations, policy.checks.max_annotations);
  const summary = licenseSummary({ license, ctx, tally, repo, notes, snapshot, capped });
  const conclusion =
    repo.missingLicenseFile && level === "failure" ? "failure" : conclusionOf(annotations);
  return redactResult({
    name: "monobot/license",
    conclusion,
    title:
      annotations.length === 0
        ? `SPDX headers present in ${plural(tally.checked, "file")}`
        : describeCounts(annotations),
    summary: fitSummary(summary),
    annotations: capped.shown,
  });
}

function licenseSummary(s: {
  license: Policy["checks"]["license"];
  ctx: HeaderContext;
  tally: LicenseTally;
  repo: { missingLicenseFile: boolean; missingTexts: string[] };
  notes: string[];
  snapshot: ChangeSnapshot;
  capped: { omitted: number };
}): string {
  const { license, ctx, tally, repo } = s;
  const { annotations, skips, readWhole, unreadable } = tally;
  const out: string[] = [];
  out.push(
    `Checked the SPDX headers of ${plural(tally.checked, "file")}: ${
      tally.filesWithProblems === 0 && !repo.missingLicenseFile
        ? "all carry an allowed license"
        : `${plural(tally.filesWithProblems, "file")} need a fix`
    } (${describeCounts(annotations)}).`,
  );
  if (annotations.length > 0) {
    out.push("");
    out.push(
      `**How to fix**: put the header each annotation shows within the first ${plural(license.within_lines, "line")} of the file (after a shebang or XML declaration), in the file's own comment syntax, e.g. \`// SPDX-License-Identifier: ${ctx.suggested}\` for TypeScript or \`# SPDX-License-Identifier: ${ctx.suggested}\` for Python. Allowed licenses: ${license.allowed.join(", ")}.`,
    );
  }
  if (repo.missingLicenseFile) {
    out.push("");
    out.push(
      `The repository has no \`LICENSE\`, \`COPYING\` or \`LICENSES/\` at its root: add one in this PR (the text of ${ctx.suggested}).`,
    );
  }
  if (repo.missingTexts.length > 0) {
    out.push("");
    out.push(
      `REUSE: \`LICENSES/\` lacks the text of ${repo.missingTexts.map((i) => `\`${i}\``).join(", ")}: add \`LICENSES/<id>.txt\` for each (\`reuse download --all\`).`,
    );
  }
  const skipped: string[] = [];
  if (skips.excluded > 0) skipped.push(`${skips.excluded} excluded by checks.license.exclude`);
  if (skips.generated > 0) skipped.push(`${skips.generated} generated or vendored`);
  if (skips.binary > 0) skipped.push(`${skips.binary} binary`);
  if (skips.unknownType > 0)
    skipped.push(`${skips.unknownType} of a type without known comment syntax`);
  if (skips.empty > 0) skipped.push(`${skips.empty} empty or unchanged in content`);
  if (skipped.length > 0) {
    out.push("");
    out.push(`Skipped files: ${skipped.join(", ")}.`);
  }
  if (readWhole.length > 0) {
    out.push("");
    out.push(
      `Read whole (their first lines are not in the patch): ${plural(readWhole.length, "file")}: ${readWhole
        .slice(0, 20)
        .map((p) => `\`${p}\``)
        .join(", ")}${readWhole.length > 20 ? `, and ${readWhole.length - 20} more` : ""}.`,
    );
  }
  if (unreadable.length > 0) {
    out.push("");
    out.push(
      `Not checked: ${plural(unreadable.length, "file")} whose first lines were neither in the patch nor readable.`,
    );
  }
  for (const note of s.notes) out.push("", `Configuration: ${note}`);
  const partial = truncatedLine(s.snapshot.truncated);
  if (partial) out.push("", partial);
  const more = omittedLine(s.capped.omitted);
  if (more) out.push("", more);
  return out.join("\n");
}

export const licenseCheck: CheckDefinition = {
  id: "license",
  name: "monobot/license",
  needs: licenseNeeds,
  run: runLicense,
};
