import { describe, expect, it } from "vitest";
import { compilePattern, lineOf, mergePolicy, resolvePolicy } from "../../src/core/policy.js";

const repoFile = ".github/monobot.yml";

describe("mergePolicy", () => {
  it.each([
    {
      name: "mappings merge key by key",
      under: { a: { x: 1, y: 2 } },
      over: { a: { y: 3 } },
      want: { a: { x: 1, y: 3 } },
    },
    { name: "lists replace", under: { a: [1, 2] }, over: { a: [3] }, want: { a: [3] } },
    { name: "scalars replace", under: { a: "x" }, over: { a: "y" }, want: { a: "y" } },
    { name: "new keys are added", under: { a: 1 }, over: { b: 2 }, want: { a: 1, b: 2 } },
    {
      name: "_extends is dropped",
      under: { a: 1 },
      over: { _extends: "org/.github", b: 2 },
      want: { a: 1, b: 2 },
    },
  ])("$name", ({ under, over, want }) => {
    expect(mergePolicy(under, over)).toEqual(want);
  });
});

describe("resolvePolicy", () => {
  it("gives the shipped defaults when the repository has no file", () => {
    const result = resolvePolicy([]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.triggers.recheck).toBe("(?i)^.*recheck$");
    expect(result.policy.components.discover).toEqual(["**/VERSION"]);
    expect(result.policy.versions.prerelease).toBe("allow");
  });

  it("merges a repository file over the defaults, lists replaced", () => {
    const result = resolvePolicy([
      { file: repoFile, text: "versions:\n  prerelease: forbid\n  ignore: ['docs/**']\n" },
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.policy.versions.prerelease).toBe("forbid");
    expect(result.policy.versions.ignore).toEqual(["docs/**"]);
    expect(result.policy.versions.tag).toBe("{component}/v{version}");
  });

  it("lets a later file override an earlier one (organisation defaults, then the repository)", () => {
    const result = resolvePolicy([
      { file: "org/.github:.github/monobot.yml", text: "versions:\n  prerelease: forbid\n" },
      { file: repoFile, text: "versions:\n  prerelease: allow\n" },
    ]);
    expect(result.ok && result.policy.versions.prerelease).toBe("allow");
  });

  it.each([
    {
      name: "an unknown top-level key",
      text: "components:\n  discover: ['**/VERSION']\nversion:\n  prerelease: forbid\n",
      line: 3,
      message: /unknown key "version"/,
    },
    {
      name: "a wrong enum value",
      text: "# comment\nversions:\n  ignore: []\n  prerelease: sometimes\n",
      line: 4,
      message: /versions\.prerelease must be one of "allow", "forbid"/,
    },
    {
      name: "a wrong type in a list",
      text: "triggers:\n  trusted_associations:\n    - OWNER\n    - 42\n",
      line: 4,
      message: /triggers\.trusted_associations\.1 must be one of/,
    },
    {
      name: "a regex that does not compile",
      text: "triggers:\n  recheck: '(?i)^re(check$'\n",
      line: 2,
      message: /triggers\.recheck is not a valid regular expression/,
    },
    {
      name: "a tag template without {version}",
      text: "versions:\n  tag: 'release-{component}'\n",
      line: 2,
      message: /must contain the \{version\} placeholder/,
    },
    {
      name: "a duplicate key",
      text: "versions:\n  prerelease: allow\n  prerelease: forbid\n",
      line: 3,
      message: /invalid YAML: Map keys must be unique/,
    },
    {
      name: "broken YAML",
      text: "versions:\n  prerelease: allow\n\tignore: x\n",
      line: 3,
      message: /invalid YAML: Tabs are not allowed/,
    },
    {
      name: "a file that is not a mapping",
      text: "- just\n- a list\n",
      line: 1,
      message: /must be a YAML mapping/,
    },
    {
      name: "a bad component definition key",
      text: "components:\n  define:\n    api:\n      path: services/api\n      dependson: [proto]\n",
      line: 5,
      message: /unknown key "components\.define\.api\.dependson"/,
    },
  ])("reports $name with the file and line", ({ text, line, message }) => {
    const result = resolvePolicy([{ file: repoFile, text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const error = result.errors[0];
    expect(error?.file).toBe(repoFile);
    expect(error?.line).toBe(line);
    expect(error?.message).toMatch(message);
  });

  it("locates an error in the file that set the key, not in a later one", () => {
    const result = resolvePolicy([
      { file: "org/.github:.github/monobot.yml", text: "\n\nversions:\n  prerelease: never\n" },
      { file: repoFile, text: "triggers:\n  skip_drafts: false\n" },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ file: "org/.github:.github/monobot.yml", line: 4 });
  });
});

describe("lineOf", () => {
  it("finds nested keys and list items", () => {
    const text = "a:\n  b:\n    - x\n    - y\n  c: 1\n";
    expect(lineOf(text, ["a", "b", "1"]).line).toBe(4);
    expect(lineOf(text, ["a", "c"]).line).toBe(5);
    expect(lineOf(text, ["a", "missing"]).line).toBe(1);
  });
});

describe("compilePattern", () => {
  it.each([
    { pattern: "(?i)^.*recheck$", input: "Please RECHECK", match: true },
    { pattern: "(?i)^.*recheck$", input: "recheck this", match: false },
    { pattern: "^.*recheck$", input: "RECHECK", match: false },
    { pattern: "^.*recheck$", input: "do recheck", match: true },
    { pattern: "(?is)^a.b$", input: "A\nB", match: true },
  ])("$pattern on $input -> $match", ({ pattern, input, match }) => {
    expect(compilePattern(pattern).test(input)).toBe(match);
  });

  it("translates (?i) to the i flag", () => {
    const re = compilePattern("(?i)^x$");
    expect(re.flags).toContain("i");
    expect(re.source).toBe("^x$");
  });
});

describe("job templates in policy validation", () => {
  it("reports a jobs error with the file and line of the key", () => {
    const text = [
      "jobs:",
      "  templates:",
      "    verify:",
      "      on: pull_request",
      "      backend: { type: github-actions, workflow: ci.yml }",
      "      inputs:",
      '        target: "{tagret}"',
      "",
    ].join("\n");
    const result = resolvePolicy([{ file: repoFile, text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({
      file: repoFile,
      line: 7,
      key: "jobs.templates.verify.inputs.target",
    });
    expect(result.errors[0]?.message).toMatch(/unknown placeholder \{tagret\}/);
  });
});
