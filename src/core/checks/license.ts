// monobot/license: SPDX license headers in the comment syntax of each file type, and a LICENSE.
import parseSpdx, { type SpdxExpressionNode, type SpdxLicenseNode } from "spdx-expression-parse";
import spdxIds from "spdx-license-ids/index.json" with { type: "json" };
import deprecatedSpdxIds from "spdx-license-ids/deprecated.json" with { type: "json" };
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
import { attributesOf, fileKinds, gitattributesFor, unchangedOrEmpty } from "./lint.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

// ---------------------------------------------------------------------------------------------
// Comment syntax by file type.

/** How a file type writes comments: a line comment token and/or a block comment pair. */
export interface CommentSyntax {
  line?: string;
  block?: readonly [open: string, close: string];
}

const C_LIKE: CommentSyntax = { line: "//", block: ["/*", "*/"] };
const HASH: CommentSyntax = { line: "#" };
const DASHES: CommentSyntax = { line: "--" };
const SEMI: CommentSyntax = { line: ";" };
const PERCENT: CommentSyntax = { line: "%" };
const XML: CommentSyntax = { block: ["<!--", "-->"] };

const BY_EXTENSION: Record<string, CommentSyntax> = {};
function register(syntax: CommentSyntax, extensions: string): void {
  for (const ext of extensions.split(" ")) BY_EXTENSION[ext] = syntax;
}
register(
  C_LIKE,
  "js mjs cjs jsx ts tsx mts cts go rs java kt kts scala sc swift c h cc cpp cxx hpp hh hxx ino cs dart groovy gradle jenkinsfile proto php sol zig fs fsx fsi m mm scss less jsonc",
);
register(
  HASH,
  "py pyi pyx sh bash zsh fish ksh rb rake gemspec pl pm r ps1 psm1 tf tfvars hcl nix ex exs jl cmake mk yaml yml toml cfg conf properties bzl bazel star awk sed",
);
register({ block: ["/*", "*/"] }, "css");
register(XML, "html htm xhtml xml xsd xsl xslt svg vue svelte md markdown");
register({ line: "--", block: ["/*", "*/"] }, "sql");
register({ line: "--", block: ["--[[", "]]"] }, "lua");
register({ line: "--", block: ["{-", "-}"] }, "hs lhs elm purs");
register(DASHES, "ada adb ads vhd vhdl");
register(SEMI, "clj cljs cljc edn el lisp lsp scm ss rkt asm ini");
register(PERCENT, "erl hrl tex sty cls");
register({ block: ["(*", "*)"] }, "ml mli");
register({ line: "'" }, "vb vbs bas");
register({ line: "REM" }, "bat cmd");
register({ line: '"' }, "vim");
register({ block: ["{{/*", "*/}}"] }, "tpl gotmpl");
register({ block: ["<%#", "%>"] }, "erb");
register({ block: ["{{!--", "--}}"] }, "hbs handlebars mustache");
register({ line: ".." }, "rst");

/** Files known by name rather than extension. */
const BY_NAME: Record<string, CommentSyntax> = {
  dockerfile: HASH,
  containerfile: HASH,
  makefile: HASH,
  gnumakefile: HASH,
  "cmakelists.txt": HASH,
  rakefile: HASH,
  gemfile: HASH,
  vagrantfile: HASH,
  build: HASH,
  workspace: HASH,
  jenkinsfile: C_LIKE,
  ".gitignore": HASH,
  ".dockerignore": HASH,
  ".editorconfig": HASH,
  ".gitattributes": HASH,
};

/** The comment syntax of a path's file type, or `undefined` when monobot does not know it. */
export function commentSyntaxFor(path: string): CommentSyntax | undefined {
  const name = (path.slice(path.lastIndexOf("/") + 1) || path).toLowerCase();
  const byName = BY_NAME[name];
  if (byName) return byName;
  if (name.startsWith("dockerfile.") || name.endsWith(".dockerfile")) return HASH;
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return BY_EXTENSION[name.slice(dot + 1)];
}

/** The exact header line to write for a file: `// SPDX-License-Identifier: MIT` and so on. */
export function headerFor(syntax: CommentSyntax, expression: string): string {
  const text = `SPDX-License-Identifier: ${expression}`;
  if (syntax.line !== undefined) return `${syntax.line} ${text}`;
  const [open, close] = syntax.block ?? ["#", ""];
  return `${open} ${text} ${close}`;
}

// A first line that must stay first: a shebang, an XML declaration, a PHP opening tag.
const MUST_STAY_FIRST = /^(#!|<\?xml|<\?php|<!doctype)/i;

const SPDX_TAG = "SPDX-License-Identifier:";

// ---------------------------------------------------------------------------------------------
// Reading and judging a header.

/** A header problem found in the first lines of a file. */
export interface HeaderProblem {
  line: number;
  message: string;
  title: string;
  /** `notice` for advice (a deprecated identifier), else the policy's level. */
  advisory?: boolean;
}

interface HeaderContext {
  allowed: Set<string>;
  copyright: RegExp | undefined;
  copyrightSource: string;
  withinLines: number;
  suggested: string;
}

const KNOWN_IDS = new Map<string, string>(
  [...(spdxIds as string[]), ...(deprecatedSpdxIds as string[])].map((id) => [
    id.toLowerCase(),
    id,
  ]),
);
const DEPRECATED = new Set<string>(deprecatedSpdxIds as string[]);

/** The license leaves of an SPDX expression tree. */
function leaves(node: SpdxExpressionNode): SpdxLicenseNode[] {
  if ("license" in node) return [node];
  return [...leaves(node.left), ...leaves(node.right)];
}

function stripCommentClose(text: string, syntax: CommentSyntax): string {
  let t = text.trim();
  const close = syntax.block?.[1];
  if (close && t.endsWith(close)) t = t.slice(0, -close.length).trim();
  return t;
}

/** True when the text before the SPDX tag is a comment opener of the file's type. */
function inCommentSyntax(prefix: string, syntax: CommentSyntax, insideBlock: boolean): boolean {
  const p = prefix.trim();
  if (syntax.line !== undefined && p.startsWith(syntax.line)) return true;
  if (syntax.block !== undefined) {
    if (p.startsWith(syntax.block[0])) return true;
    if (insideBlock && (p === "" || p.startsWith("*"))) return true;
  }
  return false;
}

function describeSyntax(syntax: CommentSyntax): string {
  const forms: string[] = [];
  if (syntax.line !== undefined) forms.push(`\`${syntax.line}\``);
  if (syntax.block !== undefined) forms.push(`\`${syntax.block[0]} ... ${syntax.block[1]}\``);
  return forms.join(" or ");
}

function suggestId(word: string): string | undefined {
  const known = KNOWN_IDS.get(word.toLowerCase());
  return known !== undefined && known !== word ? known : undefined;
}

/**
 * An expression as it may be shown: words that are neither SPDX identifiers nor operators and
 * are long enough to be a credential pasted by mistake are masked.
 */
function shownExpression(expression: string): string {
  return expression.replace(/[^\s()]+/g, (w) =>
    w.length < 12 ||
    KNOWN_IDS.has(w.replace(/\+$/, "").toLowerCase()) ||
    w.startsWith("LicenseRef-")
      ? w
      : "****",
  );
}

function deprecatedAdvice(id: string): string {
  const base = id.endsWith("+") ? id.slice(0, -1) : id;
  if (/^(A|L)?GPL-|^GFDL-/.test(base)) {
    return id.endsWith("+") ? `use ${base}-or-later` : `use ${base}-only or ${base}-or-later`;
  }
  return "see https://spdx.org/licenses/ for its replacement";
}

/**
 * Problems with the header in `lines` (the file's first lines) for a file of `syntax`.
 * An empty list means the header is present, parses, and uses only allowed licenses.
 */
export function headerProblems(
  lines: readonly string[],
  syntax: CommentSyntax,
  ctx: HeaderContext,
): HeaderProblem[] {
  const window = lines.slice(0, ctx.withinLines);
  const header = headerFor(syntax, ctx.suggested);
  const insertAt = window.length > 0 && MUST_STAY_FIRST.test(window[0] ?? "") ? 2 : 1;
  const where = insertAt === 2 ? "as line 2, after the first line" : "as line 1";
  const problems: HeaderProblem[] = [];

  let tagIndex = -1;
  let insideBlock = false;
  let blockAtTag = false;
  for (let i = 0; i < window.length; i++) {
    const text = window[i] as string;
    const at = text.indexOf(SPDX_TAG);
    if (at >= 0) {
      tagIndex = i;
      blockAtTag = insideBlock;
      break;
    }
    if (syntax.block) {
      const open = text.lastIndexOf(syntax.block[0]);
      const close = text.lastIndexOf(syntax.block[1]);
      if (open >= 0 && close < open + syntax.block[0].length) insideBlock = true;
      else if (close >= 0) insideBlock = false;
    }
  }

  if (tagIndex < 0) {
    problems.push({
      line: 1,
      title: "Missing SPDX license header",
      message:
        `No \`${SPDX_TAG}\` line in the first ${plural(ctx.withinLines, "line")}. ` +
        `Add this header ${where}:\n\n${header}`,
    });
  } else {
    const lineNo = tagIndex + 1;
    const text = window[tagIndex] as string;
    const at = text.indexOf(SPDX_TAG);
    if (!inCommentSyntax(text.slice(0, at), syntax, blockAtTag)) {
      problems.push({
        line: lineNo,
        title: "SPDX header in the wrong comment syntax",
        message: `The SPDX header on line ${lineNo} is not written as a comment of this file type, which uses ${describeSyntax(syntax)}. Write it as:\n\n${headerFor(syntax, stripCommentClose(text.slice(at + SPDX_TAG.length), syntax) || ctx.suggested)}`,
      });
    }
    const expression = stripCommentClose(text.slice(at + SPDX_TAG.length), syntax);
    problems.push(...expressionProblems(expression, lineNo, syntax, ctx));
  }

  if (ctx.copyright) {
    const re = ctx.copyright;
    const found = window.some((line) => re.test(line) || re.test(stripCommentOpen(line, syntax)));
    if (!found) {
      problems.push({
        line: 1,
        title: "Missing copyright line",
        message: `No line in the first ${plural(ctx.withinLines, "line")} matches the copyright pattern \`${ctx.copyrightSource}\` (checks.license.copyright). Add a copyright comment next to the SPDX header.`,
      });
    }
  }
  return problems;
}

function stripCommentOpen(line: string, syntax: CommentSyntax): string {
  let t = line.trim();
  for (const token of [syntax.line, syntax.block?.[0], "*"]) {
    if (token !== undefined && t.startsWith(token)) {
      t = t.slice(token.length).trim();
      break;
    }
  }
  return stripCommentClose(t, syntax);
}

function expressionProblems(
  expression: string,
  lineNo: number,
  syntax: CommentSyntax,
  ctx: HeaderContext,
): HeaderProblem[] {
  if (expression === "") {
    return [
      {
        line: lineNo,
        title: "Empty SPDX license expression",
        message: `The SPDX header on line ${lineNo} names no license. Write:\n\n${headerFor(syntax, ctx.suggested)}`,
      },
    ];
  }
  let tree: SpdxExpressionNode;
  try {
    tree = parseSpdx(expression);
  } catch {
    const fixed = shownExpression(expression.replace(/[A-Za-z0-9.+-]+/g, (w) => suggestId(w) ?? w));
    const hint =
      fixed !== expression
        ? ` SPDX identifiers are case-sensitive here: write \`${fixed}\`.`
        : " Use identifiers from https://spdx.org/licenses/ joined by AND, OR and WITH, e.g. `MIT OR Apache-2.0`.";
    return [
      {
        line: lineNo,
        title: "Invalid SPDX license expression",
        message: `\`${shownExpression(expression)}\` on line ${lineNo} is not a valid SPDX license expression.${hint}`,
      },
    ];
  }
  const out: HeaderProblem[] = [];
  const disallowed: string[] = [];
  for (const leaf of leaves(tree)) {
    const id = leaf.plus ? `${leaf.license}+` : leaf.license;
    if (!ctx.allowed.has(leaf.license) && !ctx.allowed.has(id)) disallowed.push(id);
    if (DEPRECATED.has(leaf.license)) {
      out.push({
        line: lineNo,
        advisory: true,
        title: "Deprecated SPDX identifier",
        message: `\`${leaf.license}\` on line ${lineNo} is a deprecated SPDX identifier: ${deprecatedAdvice(id)}.`,
      });
    }
  }
  if (disallowed.length > 0) {
    out.unshift({
      line: lineNo,
      title: "License not allowed",
      message: `Line ${lineNo} uses ${disallowed.map((d) => `\`${d}\``).join(", ")}, which checks.license.allowed does not allow (allowed: ${[...ctx.allowed].join(", ")}). Use an allowed license, or ask the repository's maintainers to add it to \`checks.license.allowed\` in .github/monobot.yml.`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The check.

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
  attributes: ReturnType<typeof attributesOf> | undefined,
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
  const configNotes: string[] = [];
  let copyright: RegExp | undefined;
  if (license.copyright !== "") {
    try {
      copyright = compilePattern(license.copyright);
    } catch (e) {
      configNotes.push(
        `checks.license.copyright is not a valid regular expression (${(e as Error).message}); the copyright rule was skipped. Fix it in .github/monobot.yml.`,
      );
    }
  }
  const unknownAllowed = license.allowed.filter(
    (id) => !id.startsWith("LicenseRef-") && !KNOWN_IDS.has(id.toLowerCase()),
  );
  if (unknownAllowed.length > 0) {
    configNotes.push(
      `checks.license.allowed lists ${unknownAllowed.map((i) => `\`${i}\``).join(", ")}, not SPDX identifiers (see https://spdx.org/licenses/; custom licenses are written \`LicenseRef-Name\`).`,
    );
  }
  const ctx: HeaderContext = {
    allowed: new Set(license.allowed),
    copyright,
    copyrightSource: license.copyright,
    withinLines: license.within_lines,
    suggested: license.allowed[0] ?? "Apache-2.0",
  };

  const attributes = attributesOf(snapshot);
  const { list, skips } = candidates(snapshot, policy, attributes);
  const annotations: Annotation[] = [];
  const readWhole: string[] = [];
  const unreadable: string[] = [];
  const usedIds = new Set<string>();
  let checked = 0;
  let filesWithProblems = 0;

  for (const { file, syntax } of list) {
    let first = firstLinesFromPatch(file, license.within_lines);
    if (first === undefined) {
      const content = snapshot.contents.get(contentKey("head", file.path));
      if (typeof content !== "string") {
        unreadable.push(file.path);
        continue;
      }
      if (content.includes("\u0000")) {
        skips.binary++;
        continue;
      }
      readWhole.push(file.path);
      first = content.split("\n", license.within_lines).map((l) => l.replace(/\r$/, ""));
    }
    if (first.length === 0 || (first.length === 1 && first[0] === "")) {
      skips.empty++;
      continue;
    }
    checked++;
    const problems = headerProblems(first, syntax, ctx);
    if (problems.some((p) => !p.advisory)) filesWithProblems++;
    for (const p of problems) {
      annotations.push({
        path: file.path,
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
      const expr = stripCommentClose(line.slice(at + SPDX_TAG.length), syntax);
      for (const w of expr.split(/[\s()]+/)) {
        if (w !== "" && !/^(AND|OR|WITH)$/i.test(w) && KNOWN_IDS.has(w.toLowerCase())) {
          usedIds.add(w.replace(/\+$/, ""));
        }
      }
    }
  }

  // The repository's own LICENSE, checked once code arrives.
  let missingLicenseFile = false;
  const firstCode = list[0];
  if (
    license.require_license_file &&
    firstCode !== undefined &&
    snapshot.headPaths.length > 0 &&
    !hasLicenseFile(snapshot.headPaths)
  ) {
    missingLicenseFile = true;
    annotations.unshift({
      path: firstCode.file.path,
      start_line: 1,
      end_line: 1,
      level,
      title: "Repository has no LICENSE",
      message: `This PR adds code to a repository without a LICENSE file. Add \`LICENSE\` at the root with the text of ${ctx.suggested} (or, REUSE style, \`LICENSES/${ctx.suggested}.txt\`, e.g. with \`reuse download ${ctx.suggested}\`).`,
    });
  }

  // REUSE: a LICENSES/ folder should hold the text of every license the headers use.
  const reuse = snapshot.headPaths.some((p) => p.startsWith("LICENSES/"));
  const missingTexts = reuse
    ? [...usedIds].filter((id) => !snapshot.headPaths.includes(`LICENSES/${id}.txt`)).sort()
    : [];

  const capped = capAnnotations(annotations, policy.checks.max_annotations);
  const out: string[] = [];
  out.push(
    `Checked the SPDX headers of ${plural(checked, "file")}: ${
      filesWithProblems === 0 && !missingLicenseFile
        ? "all carry an allowed license"
        : `${plural(filesWithProblems, "file")} need a fix`
    } (${describeCounts(annotations)}).`,
  );
  if (annotations.length > 0) {
    out.push("");
    out.push(
      `**How to fix**: put the header each annotation shows within the first ${plural(license.within_lines, "line")} of the file (after a shebang or XML declaration), in the file's own comment syntax, e.g. \`// SPDX-License-Identifier: ${ctx.suggested}\` for TypeScript or \`# SPDX-License-Identifier: ${ctx.suggested}\` for Python. Allowed licenses: ${license.allowed.join(", ")}.`,
    );
  }
  if (missingLicenseFile) {
    out.push("");
    out.push(
      `The repository has no \`LICENSE\`, \`COPYING\` or \`LICENSES/\` at its root: add one in this PR (the text of ${ctx.suggested}).`,
    );
  }
  if (missingTexts.length > 0) {
    out.push("");
    out.push(
      `REUSE: \`LICENSES/\` lacks the text of ${missingTexts.map((i) => `\`${i}\``).join(", ")}: add \`LICENSES/<id>.txt\` for each (\`reuse download --all\`).`,
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
  for (const note of configNotes) out.push("", `Configuration: ${note}`);
  const partial = truncatedLine(snapshot.truncated);
  if (partial) out.push("", partial);
  const more = omittedLine(capped.omitted);
  if (more) out.push("", more);

  const conclusion =
    missingLicenseFile && level === "failure" ? "failure" : conclusionOf(annotations);
  return redactResult({
    name: "monobot/license",
    conclusion,
    title:
      annotations.length === 0
        ? `SPDX headers present in ${plural(checked, "file")}`
        : describeCounts(annotations),
    summary: fitSummary(out.join("\n")),
    annotations: capped.shown,
  });
}

export const licenseCheck: CheckDefinition = {
  id: "license",
  name: "monobot/license",
  needs: licenseNeeds,
  run: runLicense,
};
