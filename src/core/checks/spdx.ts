// SPDX license expressions: known identifiers, and whether an allow list permits an expression.
import parseSpdx, { type SpdxExpressionNode, type SpdxLicenseNode } from "spdx-expression-parse";
import spdxIds from "spdx-license-ids/index.json" with { type: "json" };
import deprecatedSpdxIds from "spdx-license-ids/deprecated.json" with { type: "json" };
import spdxSatisfies from "spdx-satisfies";

/** Every SPDX identifier, current and deprecated, by its lower-case spelling. */
export const KNOWN_IDS = new Map<string, string>(
  [...(spdxIds as string[]), ...(deprecatedSpdxIds as string[])].map((id) => [
    id.toLowerCase(),
    id,
  ]),
);
export const DEPRECATED = new Set<string>(deprecatedSpdxIds as string[]);

/** The parse tree of an expression, or `undefined` when it is not valid SPDX. */
export function parseExpression(expression: string): SpdxExpressionNode | undefined {
  try {
    return parseSpdx(expression);
  } catch {
    return undefined;
  }
}

/** The license leaves of an SPDX expression tree. */
export function leaves(node: SpdxExpressionNode): SpdxLicenseNode[] {
  if ("license" in node) return [node];
  return [...leaves(node.left), ...leaves(node.right)];
}

/** A leaf as written: `GPL-2.0+`, `Apache-2.0 WITH LLVM-exception`. */
export function leafText(leaf: SpdxLicenseNode): string {
  const id = leaf.plus ? `${leaf.license}+` : leaf.license;
  return leaf.exception ? `${id} WITH ${leaf.exception}` : id;
}

/** The tree written out again, fully parenthesised and with upper-case operators. */
function canonical(node: SpdxExpressionNode): string {
  if ("license" in node) return leafText(node);
  return `(${canonical(node.left)} ${node.conjunction.toUpperCase()} ${canonical(node.right)})`;
}

/** The verdict on an expression: whether it is allowed, and which of its licenses are not. */
export interface Permission {
  allowed: boolean;
  /** Leaves that the allow list does not permit on their own, as written. */
  disallowed: string[];
}

/**
 * Whether an allow list permits an expression, in SPDX's own terms: `AND` needs both sides,
 * `OR` one of them (the user may choose), `+` and `-or-later` any later version. A `WITH`
 * exception only adds permissions to its license, so an allowed license is allowed with any
 * exception; entries of the list that are not SPDX are ignored (the summary names them).
 */
export function permits(tree: SpdxExpressionNode, allowList: readonly string[]): Permission {
  const valid = allowList.filter((id) => parseExpression(id) !== undefined);
  const exceptions = new Set(leaves(tree).flatMap((l) => (l.exception ? [l.exception] : [])));
  const list = [...valid];
  for (const id of valid) for (const e of exceptions) list.push(`${id} WITH ${e}`);
  const satisfied = (expression: string): boolean => {
    try {
      return list.length > 0 && spdxSatisfies(expression, list);
    } catch {
      // spdx-satisfies knows no ranges for some identifiers (a LicenseRef-, say): exact match.
      return list.includes(expression);
    }
  };
  const disallowed = leaves(tree)
    .map(leafText)
    .filter((leaf) => !satisfied(leaf));
  return { allowed: satisfied(canonical(tree)), disallowed: [...new Set(disallowed)] };
}

/** The SPDX identifiers (without `+`) an expression names, for the REUSE `LICENSES/` check. */
export function licenseIdsIn(expression: string): string[] {
  const out: string[] = [];
  for (const w of expression.split(/[\s()]+/)) {
    if (w !== "" && !/^(AND|OR|WITH)$/i.test(w) && KNOWN_IDS.has(w.toLowerCase())) {
      out.push(w.replace(/\+$/, ""));
    }
  }
  return out;
}

/** The right spelling of a wrongly cased identifier, if it is one. */
export function suggestId(word: string): string | undefined {
  const known = KNOWN_IDS.get(word.toLowerCase());
  return known !== undefined && known !== word ? known : undefined;
}

/**
 * An expression as it may be shown: words that are neither SPDX identifiers nor operators and
 * are long enough to be a credential pasted by mistake are masked.
 */
export function shownExpression(expression: string): string {
  return expression.replace(/[^\s()]+/g, (w) =>
    w.length < 12 ||
    KNOWN_IDS.has(w.replace(/\+$/, "").toLowerCase()) ||
    w.startsWith("LicenseRef-")
      ? w
      : "****",
  );
}

/** What to write instead of a deprecated identifier. */
export function deprecatedAdvice(id: string): string {
  const base = id.endsWith("+") ? id.slice(0, -1) : id;
  if (/^(A|L)?GPL-|^GFDL-/.test(base)) {
    return id.endsWith("+") ? `use ${base}-or-later` : `use ${base}-only or ${base}-or-later`;
  }
  return "see https://spdx.org/licenses/ for its replacement";
}
