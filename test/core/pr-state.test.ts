import { describe, expect, it } from "vitest";
import {
  ciMarker,
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
