import { describe, expect, it } from "vitest";
import { resolvePolicy } from "../../src/core/policy.js";
import type { CommitInfo } from "../../src/core/types.js";
import {
  bumpChoices,
  bumpVersion,
  commitLevel,
  compareVersions,
  describeChoices,
  isSemver,
  needsNewVersion,
  parseVersionFile,
  releaseTag,
  releaseTagPrefix,
  releasedVersion,
  skippedVersion,
  suggestLevel,
  tagNamesFromRefs,
} from "../../src/core/versions.js";

describe("parseVersionFile", () => {
  const valid: [string, string, string][] = [
    ["plain", "1.2.3", "1.2.3"],
    ["trailing newline", "1.2.3\n", "1.2.3"],
    ["trailing CRLF", "1.2.3\r\n", "1.2.3"],
    ["pre-release", "1.4.0-dev\n", "1.4.0-dev"],
    ["dotted pre-release", "1.4.0-rc.1\n", "1.4.0-rc.1"],
    ["build metadata", "1.4.0+build.7\n", "1.4.0+build.7"],
    ["zero", "0.0.0\n", "0.0.0"],
    // As the tools read it (issue 20): blank lines and whitespace after the version are not a second line.
    ["blank second line", "1.2.3\n\n", "1.2.3"],
  ];
  it.each(valid)("accepts %s", (_name, text, version) => {
    expect(parseVersionFile(text)).toEqual({ ok: true, version });
  });

  const invalid: [string, string, number, RegExp, string | undefined][] = [
    ["empty file", "", 1, /is empty; write one version such as 0\.1\.0/, undefined],
    ["only a newline", "\n", 1, /is empty/, undefined],
    ["leading v", "v1.2.3\n", 1, /starts with "v"; write 1\.2\.3/, "1.2.3"],
    ["spaces", " 1.2.3 \n", 1, /has spaces around the version .*write 1\.2\.3/, "1.2.3"],
    ["second line", "1.2.3\nfoo\n", 2, /has 2 lines.*keep only 1\.2\.3/, "1.2.3"],
    ["empty first line", "\n1.2.3\n", 1, /empty line 1.*write 1\.2\.3 there/, "1.2.3"],
    ["BOM", "\uFEFF1.2.3\n", 1, /byte order mark.*without BOM, holding just 1\.2\.3/, "1.2.3"],
    [
      "two parts",
      "1.2\n",
      1,
      /"1\.2", which is not a SemVer 2\.0\.0 version.*write 1\.2\.0/,
      "1.2.0",
    ],
    ["leading zero", "01.2.3\n", 1, /not a SemVer/, "1.2.3"],
    ["words", "latest\n", 1, /write a version such as 1\.0\.0/, undefined],
    ["huge number", "99999999999999999999.0.0\n", 1, /too large/, undefined],
  ];
  it.each(invalid)(
    "refuses %s, naming the line and what to write",
    (_n, text, line, message, meant) => {
      const result = parseVersionFile(text);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.line).toBe(line);
      expect(result.message).toMatch(message);
      expect(result.meant).toBe(meant);
    },
  );
});

describe("isSemver and order", () => {
  it.each([
    ["1.2.3", true],
    ["v1.2.3", false],
    ["=1.2.3", false],
    [" 1.2.3", false],
    ["1.2.3-", false],
    ["1.2.3-01", false],
    ["1.2.3-0a", true],
    ["1.2.3+", false],
    ["1.2.3-alpha.beta+exp.sha.5114f85", true],
  ])("%s is SemVer: %s", (text, expected) => {
    expect(isSemver(text)).toBe(expected);
  });

  it.each([
    ["1.2.4", "1.2.3", 1],
    ["1.2.3", "1.2.3+build", 0],
    ["1.4.0-dev", "1.4.0", -1],
    ["1.4.0-dev.2", "1.4.0-dev.10", -1],
    ["2.0.0", "10.0.0", -1],
  ])("compare(%s, %s) has sign %d", (a, b, sign) => {
    expect(Math.sign(compareVersions(a, b))).toBe(sign);
  });
});

describe("bumpVersion", () => {
  it.each([
    ["1.2.3", "patch", "1.2.4"],
    ["1.2.3", "minor", "1.3.0"],
    ["1.2.3", "major", "2.0.0"],
    ["1.2.3", "prerelease", "1.2.4-dev"],
    ["1.2.4-dev", "prerelease", "1.2.4-dev.1"],
    ["1.2.4-dev.1", "prerelease", "1.2.4-dev.2"],
    ["1.2.4-rc.1", "prerelease", "1.2.4-rc.2"],
    ["1.2.4-alpha", "prerelease", "1.2.4-dev"],
    ["1.4.0-dev", "patch", "1.4.0"],
    ["1.4.0-dev", "minor", "1.4.0"],
    ["1.4.1-dev", "minor", "1.5.0"],
    ["1.2.3+build", "patch", "1.2.4"],
  ] as const)("%s by %s gives %s", (from, level, to) => {
    const next = bumpVersion(from, level);
    expect(next).toBe(to);
    expect(compareVersions(next, from)).toBeGreaterThan(0);
  });

  it("uses the policy's pre-release identifier", () => {
    expect(bumpVersion("1.2.3", "prerelease", "rc")).toBe("1.2.4-rc");
  });

  it("lists the choices with the suggested level first and merges equal versions", () => {
    expect(describeChoices(bumpChoices("1.2.3", "patch"))).toBe(
      "1.2.4 (patch), 1.3.0 (minor) or 2.0.0 (major)",
    );
    expect(describeChoices(bumpChoices("1.2.3", "minor"))).toBe(
      "1.3.0 (minor), 1.2.4 (patch) or 2.0.0 (major)",
    );
    expect(
      describeChoices(
        bumpChoices("1.4.0-dev", "patch", { prerelease: true }),
        (v) => `version: ${v}`,
      ),
    ).toBe(
      "version: 1.4.0 (patch or minor), version: 2.0.0 (major) or version: 1.4.0-dev.1 (prerelease)",
    );
  });
});

describe("skippedVersion", () => {
  it.each([
    ["1.2.3", "1.2.4", undefined],
    ["1.2.3", "1.3.0", undefined],
    ["1.2.3", "2.0.0", undefined],
    ["1.2.3", "1.2.5", "1.2.4"],
    ["1.2.3", "3.0.0", "2.0.0"],
    ["1.2.3", "1.4.0", "1.3.0"],
    ["1.2.3", "1.2.4-dev", undefined],
    ["1.4.0-dev", "1.4.0", undefined],
    ["1.4.0-dev", "1.4.0-dev.1", undefined],
    ["1.4.0-dev", "1.5.0", "1.4.0"],
  ])("%s -> %s skips %s", (base, head, skipped) => {
    expect(skippedVersion(base, head)).toBe(skipped);
  });
});

function commit(message: string, parents = 1): CommitInfo {
  return {
    sha: "abcdef1234567890abcdef1234567890abcdef12",
    message,
    author: { name: "A", email: "a@example.com" },
    parents,
  };
}

describe("conventional commit levels", () => {
  it.each([
    ["feat: add x", "minor"],
    ["feat(api): add x", "minor"],
    ["fix: y", "patch"],
    ["chore(deps): bump", "patch"],
    ["feat!: drop v1", "major"],
    ["fix(api)!: change", "major"],
    ["feat: x\n\nBREAKING CHANGE: the API moved", "major"],
    ["fix: x\n\nBREAKING-CHANGE: gone", "major"],
    ["Update things", undefined],
    ["feat:no space", undefined],
    ["feat: x\n\nmentions BREAKING CHANGE: inline only", "minor"],
  ])("%j asks for %s", (message, level) => {
    expect(commitLevel(message)).toBe(level);
  });

  it.each([
    [["fix: a", "feat: b"], "minor"],
    [["fix: a", "feat!: b", "feat: c"], "major"],
    [["wip", "more wip"], "patch"],
    [[], "patch"],
  ])("commits %j suggest %s", (messages, level) => {
    expect(suggestLevel(messages.map((m) => commit(m))).level).toBe(level);
  });

  it("skips merge commits and says why", () => {
    const s = suggestLevel([commit("feat!: merged", 2), commit("fix: a")]);
    expect(s).toEqual({ level: "patch", reason: "commit abcdef1 is `fix: a`" });
    expect(suggestLevel([commit("hello")]).reason).toMatch(/no commit title follows/);
  });
});

describe("release tags", () => {
  it("fills the template and finds the listing prefix", () => {
    expect(releaseTag("{component}/v{version}", "api", "1.2.3")).toBe("api/v1.2.3");
    expect(releaseTagPrefix("{component}/v{version}")).toBe("");
    expect(releaseTagPrefix("release/{component}-{version}")).toBe("release/");
    expect(tagNamesFromRefs(["refs/tags/api/v1.2.3", "web/v1"])).toEqual(["api/v1.2.3", "web/v1"]);
  });
});

describe("which changes need a new VERSION", () => {
  const allow = { every_change: false, prerelease: "allow" } as const;
  it.each([
    ["a release", "0.11.13", allow, true],
    ["a pre-release", "0.11.14-dev", allow, false],
    ["a dotted pre-release", "0.11.14-dev.3", allow, false],
    ["a release candidate", "2.0.0-rc.1", allow, false],
    ["a pre-release with every_change", "0.11.14-dev", { ...allow, every_change: true }, true],
    ["a release with every_change", "0.11.13", { ...allow, every_change: true }, true],
    [
      "a pre-release where they are forbidden",
      "0.11.14-dev",
      { ...allow, prerelease: "forbid" },
      true,
    ],
  ] as const)("a change on %s (%s) needs one: %s", (_name, base, versions, expected) => {
    expect(needsNewVersion(base, versions)).toBe(expected);
  });
});

describe("releasedVersion", () => {
  it.each([
    ["release -> next release", "0.11.13", "0.11.14", "0.11.14"],
    ["release -> next -dev", "0.11.13", "0.11.14-dev", undefined],
    ["dev -> dev", "0.11.14-dev", "0.11.14-dev.1", undefined],
    ["dev -> release", "0.11.14-dev", "0.11.14", "0.11.14"],
    ["dev -> a later release", "0.11.14-dev", "0.12.0", "0.12.0"],
    ["unchanged release", "0.11.13", "0.11.13", undefined],
    ["build metadata only", "0.11.13", "0.11.13+build.2", undefined],
    ["a release that went down", "0.11.13", "0.11.12", undefined],
    ["a new component", null, "0.1.0", "0.1.0"],
    ["a new component on a pre-release", null, "0.1.0-dev", undefined],
    ["an unreadable base", "v0.11.13", "0.11.14", "0.11.14"],
    ["an unreadable head", "0.11.13", "v0.11.14", undefined],
  ] as const)("%s: %s -> %s releases %s", (_name, base, head, expected) => {
    expect(releasedVersion(base, head)).toBe(expected);
  });
});

describe("policy keys of versions and charts", () => {
  it("has versions.every_change false by default, and accepts true", () => {
    const defaults = resolvePolicy([]);
    expect(defaults.ok && defaults.policy.versions.every_change).toBe(false);
    const strict = resolvePolicy([
      { file: ".github/monobot.yml", text: "versions:\n  every_change: true\n" },
    ]);
    expect(strict.ok && strict.policy.versions.every_change).toBe(true);
    const wrong = resolvePolicy([
      { file: ".github/monobot.yml", text: "versions:\n  every_change: sometimes\n" },
    ]);
    expect(wrong.ok).toBe(false);
    if (!wrong.ok) expect(wrong.errors[0]).toMatchObject({ line: 2 });
  });

  it("accepts versions.preid and charts.app_version, with defaults dev and {}", () => {
    const defaults = resolvePolicy([]);
    expect(defaults.ok && defaults.policy.versions.preid).toBe("dev");
    expect(defaults.ok && defaults.policy.charts.app_version).toEqual({});
    const custom = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: "versions:\n  preid: rc\ncharts:\n  app_version:\n    charts/roc-api: roc-api\n",
      },
    ]);
    expect(custom.ok && custom.policy.versions.preid).toBe("rc");
    expect(custom.ok && custom.policy.charts.app_version).toEqual({ "charts/roc-api": "roc-api" });
  });

  it.each([
    ["versions:\n  preid: '1'\n", 2, /versions\.preid must be one pre-release identifier/],
    [
      "charts:\n  app_version:\n    charts/a: [x]\n",
      3,
      /charts\.app_version\.charts\/a must be a string/,
    ],
  ])("refuses %j with the line", (text, line, message) => {
    const result = resolvePolicy([{ file: ".github/monobot.yml", text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]).toMatchObject({ file: ".github/monobot.yml", line });
    expect(result.errors[0]?.message).toMatch(message);
  });
});
