// Policy patterns run on the linear engine; patterns it cannot run are config errors on their line.
import { describe, expect, it } from "vitest";
import { configVerdict } from "../../src/core/checks/config.js";
import { parseCommands } from "../../src/core/commands.js";
import { compilePattern, LinearRegExp, PatternError } from "../../src/core/pattern.js";
import {
  defaultPolicyObject,
  policyPatterns,
  resolvePolicy,
  type Policy,
} from "../../src/core/policy.js";

const repoFile = ".github/monobot.yml";
const CATASTROPHIC = "(?i)^(a+)+recheck$";

describe("compilePattern on the linear engine", () => {
  it("answers a catastrophic pattern on a 100 KB comment through re2js, not RegExp", () => {
    const re = compilePattern(CATASTROPHIC);
    expect(re).toBeInstanceOf(LinearRegExp);
    // With JavaScript's engine this input backtracks for ever; the result alone is asserted.
    expect(re.test(`${"a".repeat(100_000)}recheck!`)).toBe(false);
    expect(re.test(`${"a".repeat(100_000)}RECHECK`)).toBe(true);
  });

  it("keeps the inline flags, in any combination and anywhere", () => {
    expect(compilePattern("(?i)^x$").test("X")).toBe(true);
    expect(compilePattern("(?s)^a.b$").test("a\nb")).toBe(true);
    expect(compilePattern("^a.b$").test("a\nb")).toBe(false);
    expect(compilePattern("(?m)^b$").test("a\nb\nc")).toBe(true);
    expect(compilePattern("^b$").test("a\nb\nc")).toBe(false);
    expect(compilePattern("(?ims)^A.b$").flags).toBe("ims");
    expect(compilePattern("x(?i)y").test("xY")).toBe(true);
  });

  it("gives exec results shaped like RegExp's: index, groups, input", () => {
    const m = compilePattern("(?<year>\\d{4})-(\\d{2})").exec("since 2024-05 at least");
    expect(m?.[0]).toBe("2024-05");
    expect(m?.index).toBe(6);
    expect(m?.groups?.year).toBe("2024");
    expect(m?.[2]).toBe("05");
    expect(m?.input).toBe("since 2024-05 at least");
    expect("since 2024-05".match(compilePattern("\\d{4}"))?.[0]).toBe("2024");
  });

  it.each([
    { pattern: "(?i)^(?=.*please).*recheck$", feature: /lookahead and lookbehind/ },
    { pattern: "(?<!no )recheck$", feature: /lookahead and lookbehind/ },
    { pattern: "^(re)check \\1$", feature: /backreferences/ },
    { pattern: "^a++$", feature: /possessive/ },
  ])("refuses $pattern, which needs backtracking", ({ pattern, feature }) => {
    expect(() => compilePattern(pattern)).toThrow(PatternError);
    expect(() => compilePattern(pattern)).toThrow(feature);
    expect(() => compilePattern(pattern)).toThrow(/cannot match in linear time/);
  });

  it("says a broken pattern is not a regular expression", () => {
    expect(() => compilePattern("(?i)^re(check$")).toThrow(
      /is not a valid regular expression: missing closing \)/,
    );
  });
});

describe("policy patterns", () => {
  it("lists every policy key that becomes a regex", () => {
    const result = resolvePolicy([
      { file: repoFile, text: "checks:\n  license:\n    copyright: 'Copyright \\d{4}'\n" },
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(policyPatterns(result.policy).map((p) => p.path.join("."))).toEqual([
      "triggers.recheck",
      "checks.license.copyright",
    ]);
  });

  it.each([
    {
      text: "triggers:\n  recheck: '(?i)^(?!wip).*recheck$'\n",
      line: 2,
      key: "triggers.recheck",
      message: /triggers\.recheck uses lookahead .* cannot match in linear time/,
    },
    {
      text: "# ours\nchecks:\n  license:\n    copyright: '(?i)copyright (\\d{4}) acme \\1'\n",
      line: 4,
      key: "checks.license.copyright",
      message: /checks\.license\.copyright uses backreferences/,
    },
  ])("makes $key a monobot/config error on its line", ({ text, line, key, message }) => {
    const result = resolvePolicy([{ file: repoFile, text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file: repoFile, line, key });
    expect(result.errors[0]?.message).toMatch(message);
    const verdict = configVerdict({
      files: ["policies/default.yml", repoFile],
      errors: result.errors,
      componentErrors: [],
      repoFile,
    });
    expect(verdict.conclusion).toBe("failure");
    expect(verdict.annotations[0]).toMatchObject({ path: repoFile, start_line: line });
    expect(verdict.annotations[0]?.message).toMatch(message);
  });
});

const defaults = defaultPolicyObject() as Pick<Policy, "triggers">;
const withRecheck = (recheck: string) => ({ triggers: { ...defaults.triggers, recheck } });

describe("the recheck command with a catastrophic policy pattern", () => {
  it("parses a 100 KB comment and finds no recheck", () => {
    const body = `${"a".repeat(100_000)}recheck!`;
    const parsed = parseCommands(body, withRecheck(CATASTROPHIC));
    expect(parsed.commands).toEqual([]);
    expect(parsed.errors).toEqual([]);
  });

  it("still recognises a recheck the pattern matches", () => {
    const parsed = parseCommands(`${"a".repeat(1000)}recheck`, withRecheck(CATASTROPHIC));
    expect(parsed.commands.map((c) => c.name)).toEqual(["recheck"]);
  });

  it("replies that the pattern cannot be used instead of running it", () => {
    const parsed = parseCommands("recheck", withRecheck("(?<=x)recheck"));
    expect(parsed.commands).toEqual([]);
    expect(parsed.errors[0]).toMatch(/triggers\.recheck uses lookahead and lookbehind/);
  });
});
