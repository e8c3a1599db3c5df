// Tests for the annotation cap, the 50-per-request batching and the verdict of a check.
import { describe, expect, it } from "vitest";
import {
  ANNOTATIONS_PER_REQUEST,
  batchAnnotations,
  capAnnotations,
  conclusionOf,
  describeCounts,
  omittedLine,
  truncatedLine,
} from "../../../src/core/checks/annotations.js";
import type { Annotation, AnnotationLevel } from "../../../src/core/types.js";

function make(n: number, level: AnnotationLevel = "warning", path = "a.txt"): Annotation[] {
  return Array.from({ length: n }, (_, i) => ({
    path,
    start_line: i + 1,
    end_line: i + 1,
    level,
    message: `problem ${i + 1}`,
  }));
}

describe("batchAnnotations", () => {
  const cases: { total: number; sizes: number[] }[] = [
    { total: 0, sizes: [] },
    { total: 1, sizes: [1] },
    { total: 50, sizes: [50] },
    { total: 51, sizes: [50, 1] },
    { total: 120, sizes: [50, 50, 20] },
    { total: 200, sizes: [50, 50, 50, 50] },
  ];
  for (const c of cases) {
    it(`splits ${c.total} annotations into requests of at most 50`, () => {
      const list = make(c.total);
      const batches = batchAnnotations(list);
      expect(batches.map((b) => b.length)).toEqual(c.sizes);
      expect(batches.flat()).toEqual(list);
      for (const b of batches) expect(b.length).toBeLessThanOrEqual(ANNOTATIONS_PER_REQUEST);
    });
  }

  it("takes another batch size and refuses a nonsensical one", () => {
    expect(batchAnnotations(make(7), 3).map((b) => b.length)).toEqual([3, 3, 1]);
    expect(() => batchAnnotations(make(2), 0)).toThrow(/positive integer/);
  });
});

describe("capAnnotations", () => {
  it("keeps everything under the cap, in order", () => {
    const list = make(5);
    expect(capAnnotations(list, 200)).toEqual({ shown: list, omitted: 0 });
  });

  it("keeps failures before warnings before notices and counts the rest", () => {
    const list = [
      ...make(3, "notice", "n.txt"),
      ...make(3, "warning", "w.txt"),
      ...make(3, "failure", "f.txt"),
    ];
    const { shown, omitted } = capAnnotations(list, 4);
    expect(omitted).toBe(5);
    expect(shown.map((a) => `${a.path}:${a.start_line}`)).toEqual([
      "f.txt:1",
      "f.txt:2",
      "f.txt:3",
      "w.txt:1",
    ]);
  });

  it("caps at the policy's default of 200 with 250 findings", () => {
    const { shown, omitted } = capAnnotations(make(250), 200);
    expect(shown).toHaveLength(200);
    expect(omitted).toBe(50);
    expect(omittedLine(omitted)).toMatch(/^50 more annotations not shown/);
    expect(omittedLine(1)).toMatch(/^1 more annotation not shown/);
    expect(omittedLine(0)).toBe("");
  });

  it("fits titles and messages into GitHub's limits", () => {
    const [long] = make(1);
    const { shown } = capAnnotations(
      [{ ...(long as Annotation), title: "t".repeat(300), message: "m".repeat(70_000) }],
      10,
    );
    expect(shown[0]?.title?.length).toBe(255);
    expect(shown[0]?.message.length).toBe(64 * 1024);
  });
});

describe("conclusionOf", () => {
  const cases: { levels: AnnotationLevel[]; conclusion: string }[] = [
    { levels: [], conclusion: "success" },
    { levels: ["notice", "warning"], conclusion: "success" },
    { levels: ["notice", "failure"], conclusion: "failure" },
  ];
  for (const c of cases) {
    it(`${c.levels.join(", ") || "no annotations"} -> ${c.conclusion}`, () => {
      const list = c.levels.map((level, i) => ({
        ...(make(1)[0] as Annotation),
        level,
        start_line: i + 1,
      }));
      expect(conclusionOf(list)).toBe(c.conclusion);
    });
  }

  it("describes counts in words", () => {
    expect(describeCounts([...make(2, "failure"), ...make(1, "warning")])).toBe(
      "2 failures, 1 warning, 0 notices",
    );
  });
});

describe("truncatedLine", () => {
  it("says when GitHub listed only part of the change", () => {
    expect(truncatedLine(false)).toBe("");
    expect(truncatedLine(true)).toMatch(/at most 3,000 files.*not checked/);
  });
});
