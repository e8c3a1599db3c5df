import { describe, expect, it } from "vitest";
import {
  ciMarker,
  deployOverrideMarker,
  readDeployOverrideMarker,
  withDeployOverride,
  okToTestMarker,
  readOkToTestMarker,
  readPrState,
  renderPrState,
  repliedTo,
  replyMarker,
  SUMMARY_MARKER,
} from "../../src/core/pr-state.js";

const SHA_A = "a".repeat(40);
const SHA_B = "0123456789abcdef0123456789abcdef01234567";
const FP = `fp1:${"c".repeat(40)}`;

describe("PR state in the bot's summary comment", () => {
  const state = {
    verifiedSha: SHA_B,
    approval: { sha: SHA_B, by: "carol" },
    ci: { sha: SHA_A, fingerprint: FP },
    deployOverride: { sha: SHA_B, by: "dana", reason: "hotfix for INC-42 --> <b>now</b>" },
  };
  const body = [SUMMARY_MARKER, "### monobot", "", ...renderPrState(state)].join("\n");

  it("round-trips every marker through the comment", () => {
    expect(readPrState([{ id: 1, body, author: "monobot[bot]" }], "monobot[bot]")).toEqual(state);
  });

  it("reads nothing from a forged summary by anyone else", () => {
    const forged = [{ id: 1, body, author: "mallory" }];
    expect(readPrState(forged, "monobot[bot]")).toEqual({
      verifiedSha: null,
      approval: null,
      ci: null,
      deployOverride: null,
    });
  });

  it("reads nothing from a bot comment that is not the summary", () => {
    const reply = [{ id: 2, body: `hello\n${ciMarker(state.ci)}`, author: "monobot[bot]" }];
    expect(readPrState(reply, "monobot[bot]").ci).toBeNull();
  });

  it("knows which deliveries were answered, by the bot only", () => {
    const marker = replyMarker("abc-123/../x");
    expect(marker).toBe("<!-- monobot:reply delivery=abc-123..x -->");
    const comments = [{ id: 3, body: `@bob done\n${marker}`, author: "monobot[bot]" }];
    expect(repliedTo(comments, "monobot[bot]", "abc-123/../x")).toBe(true);
    expect(repliedTo(comments, "monobot[bot]", "other")).toBe(false);
    expect(
      repliedTo([{ ...comments[0]!, author: "mallory" }], "monobot[bot]", "abc-123/../x"),
    ).toBe(false);
  });
});

describe("ok-to-test marker", () => {
  it.each([
    { sha: SHA_B, by: "carol" },
    { sha: SHA_A, by: "a" },
    { sha: SHA_B, by: "Some-User-42" },
    { sha: SHA_B, by: "x".repeat(39) },
  ])("round-trips $by", (approval) => {
    const marker = okToTestMarker(approval);
    expect(marker).toBe(`<!-- monobot:ok-to-test sha=${approval.sha} by=${approval.by} -->`);
    expect(readOkToTestMarker(marker)).toEqual(approval);
    expect(readOkToTestMarker(`## monobot\r\n\r\nsummary\r\n${marker}\r\n| table |`)).toEqual(
      approval,
    );
  });

  it("writes the sha in lower case", () => {
    expect(okToTestMarker({ sha: SHA_B.toUpperCase(), by: "carol" })).toContain(`sha=${SHA_B} `);
  });

  it.each([
    { name: "short sha", approval: { sha: "abc1234", by: "carol" } },
    { name: "non-hex sha", approval: { sha: "g".repeat(40), by: "carol" } },
    { name: "login with spaces", approval: { sha: SHA_B, by: "carol -->" } },
    { name: "bot login", approval: { sha: SHA_B, by: "monobot[bot]" } },
    { name: "empty login", approval: { sha: SHA_B, by: "" } },
  ])("refuses to write a marker for a $name", ({ approval }) => {
    expect(() => okToTestMarker(approval)).toThrow(/ok-to-test marker/);
  });

  const bad: { name: string; text: string }[] = [
    { name: "no marker", text: "## monobot\nall good" },
    { name: "short sha", text: "<!-- monobot:ok-to-test sha=abc1234 by=carol -->" },
    { name: "41-char sha", text: `<!-- monobot:ok-to-test sha=${SHA_B}0 by=carol -->` },
    {
      name: "upper-case sha",
      text: `<!-- monobot:ok-to-test sha=${SHA_B.toUpperCase()} by=carol -->`,
    },
    { name: "non-hex sha", text: `<!-- monobot:ok-to-test sha=${"z".repeat(40)} by=carol -->` },
    {
      name: "login starting with a hyphen",
      text: `<!-- monobot:ok-to-test sha=${SHA_B} by=-carol -->`,
    },
    {
      name: "login with double hyphen",
      text: `<!-- monobot:ok-to-test sha=${SHA_B} by=ca--rol -->`,
    },
    {
      name: "login too long",
      text: `<!-- monobot:ok-to-test sha=${SHA_B} by=${"x".repeat(40)} -->`,
    },
    { name: "login with markup", text: `<!-- monobot:ok-to-test sha=${SHA_B} by=<b>carol</b> -->` },
    { name: "bot login", text: `<!-- monobot:ok-to-test sha=${SHA_B} by=evil[bot] -->` },
    { name: "swapped fields", text: `<!-- monobot:ok-to-test by=carol sha=${SHA_B} -->` },
    { name: "extra field", text: `<!-- monobot:ok-to-test sha=${SHA_B} by=carol also=mallory -->` },
    { name: "not an HTML comment", text: `monobot:ok-to-test sha=${SHA_B} by=carol` },
    { name: "inside a code span", text: `\`<!-- monobot:ok-to-test sha=${SHA_B} by=carol -->\`` },
    { name: "quoted", text: `> <!-- monobot:ok-to-test sha=${SHA_B} by=carol -->` },
    {
      name: "text after it on the line",
      text: `<!-- monobot:ok-to-test sha=${SHA_B} by=carol --> hi`,
    },
    {
      name: "two markers that disagree",
      text: `${okToTestMarker({ sha: SHA_A, by: "carol" })}\n${okToTestMarker({ sha: SHA_B, by: "carol" })}`,
    },
    {
      name: "a valid marker next to a malformed one",
      text: `${okToTestMarker({ sha: SHA_B, by: "carol" })}\n<!-- monobot:ok-to-test sha=${SHA_A} by=<mallory> -->`,
    },
  ];
  it.each(bad)("reads nothing from $name", ({ text }) => {
    expect(readOkToTestMarker(text)).toBeNull();
  });

  it("accepts the same marker written twice", () => {
    const marker = okToTestMarker({ sha: SHA_B, by: "carol" });
    expect(readOkToTestMarker(`${marker}\n\n${marker}`)).toEqual({ sha: SHA_B, by: "carol" });
  });
});

describe("deploy-anyway marker", () => {
  const override = { sha: SHA_B, by: "dana", reason: "hotfix for INC-42" };

  it.each([
    override,
    { sha: SHA_A, by: "a", reason: "x" },
    { sha: SHA_B, by: "Some-User-42", reason: "ends the comment --> and starts <!-- another" },
    { sha: SHA_B, by: "dana", reason: "ünïcödé, emoji 🚀, percent %41 and ~!*'()" },
    { sha: SHA_B, by: "dana", reason: "r".repeat(300) },
  ])("round-trips $reason", (o) => {
    const marker = deployOverrideMarker(o);
    expect(marker).toMatch(/^<!-- monobot:deploy-anyway sha=[0-9a-f]{40} by=\S+ reason=\S+ -->$/);
    // The reason can neither end the HTML comment nor break the line.
    const encoded = / reason=(\S+) -->$/.exec(marker)?.[1] ?? "";
    expect(encoded).toMatch(/^[A-Za-z0-9%._]+$/);
    expect(readDeployOverrideMarker(`text\n${marker}\nmore`)).toEqual(o);
  });

  it("writes the reason's white space as single spaces", () => {
    const marker = deployOverrideMarker({ ...override, reason: "  a\tb \n c " });
    expect(readDeployOverrideMarker(marker)?.reason).toBe("a b c");
  });

  it.each([
    { name: "short sha", o: { ...override, sha: "abc1234" } },
    { name: "login with spaces", o: { ...override, by: "a b" } },
    { name: "bot login", o: { ...override, by: "monobot[bot]" } },
    { name: "empty reason", o: { ...override, reason: "  " } },
    { name: "reason too long", o: { ...override, reason: "r".repeat(301) } },
  ])("refuses to write a marker for a $name", ({ o }) => {
    expect(() => deployOverrideMarker(o)).toThrow(/deploy-anyway marker/);
  });

  const good = deployOverrideMarker(override);
  it.each([
    { name: "no marker", text: "nothing here" },
    { name: "short sha", text: good.replace(SHA_B, "abc1234") },
    { name: "bad login", text: good.replace("by=dana", "by=-dana") },
    { name: "bad percent-encoding", text: good.replace(/reason=\S+/, "reason=%E0%A4%A") },
    { name: "empty reason", text: good.replace(/reason=\S+/, "reason=") },
    { name: "text after it on the line", text: `${good} trailing` },
    { name: "inside a code span", text: `\`${good}\`` },
    {
      name: "two markers that disagree",
      text: `${good}\n${deployOverrideMarker({ ...override, by: "mallory" })}`,
    },
  ])("reads nothing from $name", ({ text }) => {
    expect(readDeployOverrideMarker(text)).toBeNull();
  });

  it("replaces an earlier override in the summary and keeps everything else", () => {
    const summary = [
      SUMMARY_MARKER,
      "### monobot",
      "",
      okToTestMarker({ sha: SHA_A, by: "carol" }),
    ];
    const once = withDeployOverride(summary.join("\n"), override);
    const twice = withDeployOverride(once, { ...override, by: "erin", reason: "second" });
    expect(twice.split("\n")).toEqual([
      ...summary,
      deployOverrideMarker({ ...override, by: "erin", reason: "second" }),
    ]);
    expect(withDeployOverride(twice, { ...override, by: "erin", reason: "second" })).toBe(twice);
    const state = readPrState([{ id: 1, body: twice, author: "monobot[bot]" }], "monobot[bot]");
    expect(state.deployOverride).toEqual({ sha: SHA_B, by: "erin", reason: "second" });
    expect(state.approval).toEqual({ sha: SHA_A, by: "carol" });
  });

  it("starts a summary comment when there is none yet", () => {
    const body = withDeployOverride(null, override);
    expect(body.startsWith(SUMMARY_MARKER)).toBe(true);
    expect(
      readPrState([{ id: 1, body, author: "monobot[bot]" }], "monobot[bot]").deployOverride,
    ).toEqual(override);
  });

  it("is read back from the bot's own summary only: a forged one does nothing", () => {
    const body = withDeployOverride(null, override);
    expect(
      readPrState([{ id: 1, body, author: "mallory" }], "monobot[bot]").deployOverride,
    ).toBeNull();
    const reply = [{ id: 2, body: `@dana ok\n${good}`, author: "monobot[bot]" }];
    expect(readPrState(reply, "monobot[bot]").deployOverride).toBeNull();
  });
});
