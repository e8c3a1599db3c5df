// Types for spdx-expression-parse, which ships none: the parse tree of an SPDX license expression.
declare module "spdx-expression-parse" {
  /** One license: `MIT`, `GPL-2.0+` (plus), `Apache-2.0 WITH LLVM-exception`, `LicenseRef-X`. */
  export interface SpdxLicenseNode {
    license: string;
    plus?: true;
    exception?: string;
  }

  /** `left AND right` or `left OR right`. */
  export interface SpdxConjunctionNode {
    left: SpdxExpressionNode;
    conjunction: "and" | "or";
    right: SpdxExpressionNode;
  }

  export type SpdxExpressionNode = SpdxLicenseNode | SpdxConjunctionNode;

  /** Parse an SPDX license expression; throws an Error on a syntax error or unknown identifier. */
  export default function parse(source: string): SpdxExpressionNode;
}
