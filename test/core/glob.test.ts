// Policy globs: picomatch's meaning, matched by the linear engine; globs it cannot run are config errors.
import picomatch from "picomatch";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { compileGlob, globMatcher, GlobError } from "../../src/core/glob.js";
import { policyGlobs, resolvePolicy } from "../../src/core/policy.js";

const repoFile = ".github/monobot.yml";

const GLOBS = [
  "**/VERSION",
  "docs/**",
  "*.md",
  "**/testdata/**",
  "src/{a,b}/*.ts",
  "**",
  "*",
  "a/**/b",
  "?.txt",
  "[abc].txt",
  "+(a|b).md",
  "@(a|b).md",
  "**/*.{png,jpg}",
  "file[0-9].txt",
  "a\\*b",
  "{1..3}.txt",
  "!docs/**",
  ".github/**",
  "**/.env*",
  "services/*/VERSION",
  "*.min.js",
  "charts/**/Chart.yaml",
];
const PATHS = [
  "VERSION",
  "a/VERSION",
  "a/b/VERSION",
  "docs",
  "docs/x",
  "docs/a/b.md",
  "README.md",
  "x/README.md",
  "a/testdata/k/l",
  "src/a/x.ts",
  "src/c/x.ts",
  "src/a/.x.ts",
  "a/b",
  "a/x/y/b",
  "a.txt",
  "ab.txt",
  "a.md",
  "ab.md",
  "x/y.png",
  "file1.txt",
  "a*b",
  "axb",
  "2.txt",
  "4.txt",
  ".github/workflows/ci.yml",
  "a/.env.local",
  "services/api/VERSION",
  "services/api/x/VERSION",
  "app.min.js",
  "[abc].txt",
  "charts/a/Chart.yaml",
  ".hidden",
];

describe("globMatcher", () => {
  it.each(GLOBS)("agrees with picomatch on %s", (glob) => {
    const ours = globMatcher([glob]);
    const theirs = picomatch([glob], { dot: true });
    expect(PATHS.filter((p) => ours(p))).toEqual(PATHS.filter((p) => theirs(p)));
  });

  it("answers a glob that backtracks in JavaScript on a long file name through re2js", () => {
    const glob = "a*a*a*a*a*a*a*b";
    expect(compileGlob(glob).engine).toBeInstanceOf(RE2JS);
    // picomatch's RegExp takes about a minute on 120 characters; the result alone is asserted.
    expect(globMatcher([glob])("a".repeat(5000))).toBe(false);
    expect(globMatcher([glob])(`${"a".repeat(5000)}b`)).toBe(true);
  });

  it("matches a list when one glob does; an empty list matches nothing", () => {
    const m = globMatcher(["docs/**", "*.md"]);
    expect(["docs/x", "a.md", "src/a.ts"].map(m)).toEqual([true, true, false]);
    expect(globMatcher([])("a")).toBe(false);
  });

  it("refuses the negated extglob, and a matcher skips it instead of failing", () => {
    expect(() => compileGlob("!(vendor)/**")).toThrow(GlobError);
    expect(() => compileGlob("!(vendor)/**")).toThrow(/cannot match in linear time/);
    expect(globMatcher(["!(vendor)/**"])("src/a.ts")).toBe(false);
    expect(globMatcher(["!(vendor)/**", "src/**"])("src/a.ts")).toBe(true);
  });
});

describe("policy globs", () => {
  it("lists the globs of every glob key, jobs and lint overrides included", () => {
    const result = resolvePolicy([
      {
        file: repoFile,
        text: [
          "checks:",
          "  lint:",
          "    overrides:",
          "      - paths: ['legacy/**']",
          "        rules: { trailing_whitespace: off }",
          "jobs:",
          "  templates:",
          "    verify:",
          "      on: pull_request",
          "      backend: { type: github-actions, workflow: ci.yml }",
          "      paths: ['src/**']",
          "",
        ].join("\n"),
      },
    ]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const keys = policyGlobs(result.policy).map((g) => `${g.path.join(".")}=${g.glob}`);
    expect(keys).toContain("components.discover.0=**/VERSION");
    expect(keys).toContain("checks.lint.overrides.0.paths.0=legacy/**");
    expect(keys).toContain("jobs.templates.verify.paths.0=src/**");
  });

  it("makes a glob the engine cannot run a monobot/config error on its line", () => {
    const text = "components:\n  exclude:\n    - vendor/**\n    - '!(services)/**'\n";
    const result = resolvePolicy([{ file: repoFile, text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({
      file: repoFile,
      line: 4,
      key: "components.exclude.1",
    });
    expect(result.errors[0]?.message).toMatch(/cannot match in linear time/);
  });
});
