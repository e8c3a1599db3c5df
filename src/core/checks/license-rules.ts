// The header rules of monobot/license, one small function each, over a file's first lines.
import type { SpdxExpressionNode } from "spdx-expression-parse";
import { plural } from "./annotations.js";
import {
  MUST_STAY_FIRST,
  describeSyntax,
  headerFor,
  inCommentSyntax,
  stripCommentClose,
  stripCommentOpen,
  type CommentSyntax,
} from "./comment-syntax.js";
import {
  DEPRECATED,
  deprecatedAdvice,
  leaves,
  parseExpression,
  permits,
  shownExpression,
  suggestId,
  type Permission,
} from "./spdx.js";

export const SPDX_TAG = "SPDX-License-Identifier:";

/** A header problem found in the first lines of a file. */
export interface HeaderProblem {
  line: number;
  message: string;
  title: string;
  /** `notice` for advice (a deprecated identifier), else the policy's level. */
  advisory?: boolean;
}

/** What the policy asks of a header. */
export interface HeaderContext {
  allowed: readonly string[];
  copyright: RegExp | undefined;
  copyrightSource: string;
  withinLines: number;
  suggested: string;
  /** Verdicts already reached in this run, by expression: most files share one header. */
  verdicts: Map<string, Permission>;
}

/** The SPDX line of a file's first lines, as the rules read it. */
interface SpdxLine {
  /** 1-based line number. */
  line: number;
  text: string;
  /** Offset of the tag in the line. */
  at: number;
  /** Whether the line lies inside an open block comment. */
  insideBlock: boolean;
  /** The expression after the tag, without the comment's closing token. */
  expression: string;
  /** Its parse tree, or `undefined` when it is not valid SPDX (or empty). */
  tree: SpdxExpressionNode | undefined;
}

/** The first lines of one file, as every header rule sees them. */
export interface HeaderView {
  window: readonly string[];
  syntax: CommentSyntax;
  spdx: SpdxLine | undefined;
}

export function headerView(
  lines: readonly string[],
  syntax: CommentSyntax,
  withinLines: number,
): HeaderView {
  const window = lines.slice(0, withinLines);
  let insideBlock = false;
  for (let i = 0; i < window.length; i++) {
    const text = window[i] as string;
    const at = text.indexOf(SPDX_TAG);
    if (at >= 0) {
      const expression = stripCommentClose(text.slice(at + SPDX_TAG.length), syntax);
      const tree = expression === "" ? undefined : parseExpression(expression);
      return { window, syntax, spdx: { line: i + 1, text, at, insideBlock, expression, tree } };
    }
    if (syntax.block) {
      const open = text.lastIndexOf(syntax.block[0]);
      const close = text.lastIndexOf(syntax.block[1]);
      if (open >= 0 && close < open + syntax.block[0].length) insideBlock = true;
      else if (close >= 0) insideBlock = false;
    }
  }
  return { window, syntax, spdx: undefined };
}

export interface HeaderRule {
  id: string;
  /** `policy`: at `checks.license.level`; `notice`: advice that never fails a check. */
  level: "policy" | "notice";
  check(view: HeaderView, ctx: HeaderContext): Omit<HeaderProblem, "advisory">[];
}

const missingHeader: HeaderRule = {
  id: "missing_header",
  level: "policy",
  check({ window, syntax, spdx }, ctx) {
    if (spdx) return [];
    const where =
      window.length > 0 && MUST_STAY_FIRST.test(window[0] ?? "")
        ? "as line 2, after the first line"
        : "as line 1";
    return [
      {
        line: 1,
        title: "Missing SPDX license header",
        message:
          `No \`${SPDX_TAG}\` line in the first ${plural(ctx.withinLines, "line")}. ` +
          `Add this header ${where}:\n\n${headerFor(syntax, ctx.suggested)}`,
      },
    ];
  },
};

const commentSyntax: HeaderRule = {
  id: "comment_syntax",
  level: "policy",
  check({ syntax, spdx }, ctx) {
    if (!spdx || inCommentSyntax(spdx.text.slice(0, spdx.at), syntax, spdx.insideBlock)) {
      return [];
    }
    return [
      {
        line: spdx.line,
        title: "SPDX header in the wrong comment syntax",
        message: `The SPDX header on line ${spdx.line} is not written as a comment of this file type, which uses ${describeSyntax(syntax)}. Write it as:\n\n${headerFor(syntax, spdx.expression || ctx.suggested)}`,
      },
    ];
  },
};

const validExpression: HeaderRule = {
  id: "valid_expression",
  level: "policy",
  check({ syntax, spdx }, ctx) {
    if (!spdx || spdx.tree) return [];
    const { line, expression } = spdx;
    if (expression === "") {
      return [
        {
          line,
          title: "Empty SPDX license expression",
          message: `The SPDX header on line ${line} names no license. Write:\n\n${headerFor(syntax, ctx.suggested)}`,
        },
      ];
    }
    const fixed = shownExpression(expression.replace(/[A-Za-z0-9.+-]+/g, (w) => suggestId(w) ?? w));
    const hint =
      fixed !== expression
        ? ` SPDX identifiers are case-sensitive here: write \`${fixed}\`.`
        : " Use identifiers from https://spdx.org/licenses/ joined by AND, OR and WITH, e.g. `MIT OR Apache-2.0`.";
    return [
      {
        line,
        title: "Invalid SPDX license expression",
        message: `\`${shownExpression(expression)}\` on line ${line} is not a valid SPDX license expression.${hint}`,
      },
    ];
  },
};

const allowedLicense: HeaderRule = {
  id: "allowed_license",
  level: "policy",
  check({ spdx }, ctx) {
    if (!spdx?.tree) return [];
    let verdict = ctx.verdicts.get(spdx.expression);
    if (!verdict) {
      verdict = permits(spdx.tree, ctx.allowed);
      ctx.verdicts.set(spdx.expression, verdict);
    }
    if (verdict.allowed) return [];
    const named =
      verdict.disallowed.length > 0
        ? verdict.disallowed.map((d) => `\`${d}\``).join(", ")
        : `\`${shownExpression(spdx.expression)}\``;
    const choice = / OR /i.test(spdx.expression)
      ? " With OR one allowed choice is enough, but no choice here is allowed as a whole."
      : "";
    return [
      {
        line: spdx.line,
        title: "License not allowed",
        message: `Line ${spdx.line} uses ${named}, which checks.license.allowed does not allow (allowed: ${ctx.allowed.join(", ")}).${choice} Use an allowed license, or ask the repository's maintainers to add it to \`checks.license.allowed\` in .github/monobot.yml.`,
      },
    ];
  },
};

const deprecatedId: HeaderRule = {
  id: "deprecated_id",
  level: "notice",
  check({ spdx }) {
    if (!spdx?.tree) return [];
    return leaves(spdx.tree)
      .filter((leaf) => DEPRECATED.has(leaf.license))
      .map((leaf) => ({
        line: spdx.line,
        title: "Deprecated SPDX identifier",
        message: `\`${leaf.license}\` on line ${spdx.line} is a deprecated SPDX identifier: ${deprecatedAdvice(leaf.plus ? `${leaf.license}+` : leaf.license)}.`,
      }));
  },
};

const copyrightLine: HeaderRule = {
  id: "copyright",
  level: "policy",
  check({ window, syntax }, ctx) {
    const re = ctx.copyright;
    if (!re) return [];
    if (window.some((line) => re.test(line) || re.test(stripCommentOpen(line, syntax)))) return [];
    return [
      {
        line: 1,
        title: "Missing copyright line",
        message: `No line in the first ${plural(ctx.withinLines, "line")} matches the copyright pattern \`${ctx.copyrightSource}\` (checks.license.copyright). Add a copyright comment next to the SPDX header.`,
      },
    ];
  },
};

/** Every header rule, in the order their annotations are listed for a file. */
export const HEADER_RULES: readonly HeaderRule[] = [
  missingHeader,
  commentSyntax,
  validExpression,
  allowedLicense,
  deprecatedId,
  copyrightLine,
];

/**
 * Problems with the header in `lines` (the file's first lines) for a file of `syntax`.
 * An empty list means the header is present, parses, and its licenses are allowed.
 */
export function headerProblems(
  lines: readonly string[],
  syntax: CommentSyntax,
  ctx: HeaderContext,
): HeaderProblem[] {
  const view = headerView(lines, syntax, ctx.withinLines);
  return HEADER_RULES.flatMap((rule) =>
    rule.check(view, ctx).map((p) => (rule.level === "notice" ? { ...p, advisory: true } : p)),
  );
}
