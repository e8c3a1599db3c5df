import { describe, expect, it } from "vitest";
import { configVerdict } from "../../src/core/checks/config.js";
import { isSummaryComment, renderSummary, SUMMARY_MARKER } from "../../src/core/summary.js";
import type { Component, ComponentsReport } from "../../src/core/types.js";

const api: Component = {
  name: "api",
  path: "services/api",
  versionFile: "services/api/VERSION",
  dependsOn: [],
};
const web: Component = {
  name: "web",
  path: "services/web",
  versionFile: "services/web/VERSION",
  dependsOn: ["api"],
};

const report: ComponentsReport = {
  components: [api, web],
  affected: [
    { component: api, files: ["services/api/a.go", "services/api/b.go"], ownChange: true },
    { component: web, files: [], ownChange: false, via: ["api"] },
  ],
  outside: ["Makefile"],
  errors: [],
};

describe("renderSummary", () => {
  it("starts with the hidden marker and shows components, checks and skipped work", () => {
    const body = renderSummary({
      headSha: "0123456789abcdef0123456789abcdef01234567",
      components: report,
      versions: new Map([["api", { base: "1.0.0", head: "1.1.0" }]]),
      results: [
        {
          name: "monobot/lint",
          conclusion: "failure",
          title: "2 problems | one",
          summary: "",
          annotations: [],
        },
      ],
      skipped: ["CI jobs: waiting for /ok-to-test"],
      state: ["<!-- state -->"],
    });
    expect(body.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(isSummaryComment(body)).toBe(true);
    expect(body).toContain("`0123456`");
    expect(body).toContain("| api | `services/api` | 1.0.0 → 1.1.0 | 2 files changed |");
    expect(body).toContain("| web | `services/web` |  | depends on api |");
    expect(body).toContain("Outside every component: `Makefile`.");
    expect(body).toContain("| `monobot/lint` | ❌ failure | 2 problems \\| one |");
    expect(body).toContain("- CI jobs: waiting for /ok-to-test");
    expect(body.endsWith("<!-- state -->")).toBe(true);
  });

  it("caps the component rows and counts the rest", () => {
    const many: ComponentsReport = {
      ...report,
      affected: Array.from({ length: 60 }, (_, i) => ({
        component: { ...api, name: `c${i}`, path: `c${i}` },
        files: ["x"],
        ownChange: true,
      })),
    };
    const body = renderSummary({
      headSha: "a".repeat(40),
      components: many,
      results: [],
      skipped: [],
      maxRows: 50,
    });
    expect(body.match(/^\| c\d+ /gm)).toHaveLength(50);
    expect(body).toContain("…and 10 more affected components.");
  });

  it("says when no component is affected", () => {
    const body = renderSummary({
      headSha: "a".repeat(40),
      components: { ...report, affected: [], outside: [] },
      results: [],
      skipped: [],
    });
    expect(body).toContain("No component is affected by this change.");
  });
});

describe("configVerdict", () => {
  it("passes and names the merged files", () => {
    const r = configVerdict({
      files: ["policies/default.yml", ".github/monobot.yml"],
      errors: [],
      componentErrors: [],
      repoFile: ".github/monobot.yml",
    });
    expect(r.conclusion).toBe("success");
    expect(r.summary).toContain("`policies/default.yml` <- `.github/monobot.yml`");
  });

  it("fails with annotations only on the repository's own file", () => {
    const r = configVerdict({
      files: ["policies/default.yml", "org/.github:.github/monobot.yml", ".github/monobot.yml"],
      errors: [
        {
          file: ".github/monobot.yml",
          line: 4,
          column: 3,
          key: "versions.prerelease",
          message: "bad",
        },
        { file: "org/.github:.github/monobot.yml", line: 2, column: 1, key: "x", message: "worse" },
      ],
      componentErrors: ["cycle: a -> b -> a"],
      repoFile: ".github/monobot.yml",
    });
    expect(r.conclusion).toBe("failure");
    expect(r.title).toBe("3 configuration problems: no other check ran");
    expect(r.annotations).toEqual([
      {
        path: ".github/monobot.yml",
        start_line: 4,
        end_line: 4,
        level: "failure",
        title: "Invalid `versions.prerelease`",
        message: "bad",
      },
    ]);
    expect(r.summary).toContain("`org/.github:.github/monobot.yml` line 2: worse");
    expect(r.summary).toContain("- cycle: a -> b -> a");
  });
});
