// The promotion PR's text and the marker that says what a pending one proposes.
import { describe, expect, it } from "vitest";
import {
  parsePromotionMarker,
  promotionBody,
  promotionBranch,
  promotionTitle,
  type PromotionText,
} from "../../src/core/promotion-pr.js";

const text: PromotionText = {
  component: "roc-api",
  from: "staging",
  to: "production",
  version: "1.5.0",
  supersedes: "1.2.3",
  replaced: "1.4.0",
  deployment: { id: 77, soak: "30m" },
  runs: [{ context: "ci/roc-api/api-tests@staging", state: "success", url: "https://ci/9" }],
  pins: [
    {
      file: "fleet/aether/fleet.yaml",
      key: "targetCustomizations[name=production].helm.values.roc-api.image.tag",
      line: 27,
      before: "1.2.3",
    },
  ],
};

describe("promotion PR text", () => {
  it("one branch per component and environment", () => {
    expect(promotionBranch("roc-api", "production")).toBe("monobot/promote-roc-api-production");
    expect(promotionTitle(text)).toBe("Promote roc-api 1.5.0 to production");
  });

  it("the body says what it supersedes and replaced, the evidence and the pin diff", () => {
    const body = promotionBody(text);
    expect(body).toContain("Supersedes roc-api 1.2.3 in production.");
    expect(body).toContain("Replaces the pending promotion of 1.4.0");
    expect(body).toContain("- deployment 77: success, after a soak of 30m");
    expect(body).toContain("- `ci/roc-api/api-tests@staging`: success ([run](https://ci/9))");
    expect(body).toContain(
      "| `fleet/aether/fleet.yaml:27` | `targetCustomizations[name=production].helm.values.roc-api.image.tag` | 1.2.3 | 1.5.0 |",
    );
  });

  it("the marker reads back; anything else is no marker", () => {
    expect(parsePromotionMarker(promotionBody(text))).toEqual({
      component: "roc-api",
      environment: "production",
      version: "1.5.0",
      deployment: 77,
    });
    expect(parsePromotionMarker("no marker")).toBeUndefined();
    expect(parsePromotionMarker('<!-- monobot:promote {"component":1} -->')).toBeUndefined();
    expect(parsePromotionMarker("<!-- monobot:promote {broken} -->")).toBeUndefined();
  });
});
