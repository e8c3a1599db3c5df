import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "../../src/core/env-duration.js";

describe("parseDuration", () => {
  it.each([
    ["20s", 20_000],
    ["10m", 600_000],
    ["1h", 3_600_000],
    ["1h30m", 5_400_000],
    ["2d", 172_800_000],
    ["1d2h3m4s", 93_784_000],
    ["0s", 0],
    ["90m", 5_400_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    "",
    "30",
    "m",
    "1.5h",
    "30m1h",
    "1h 30m",
    "-5m",
    "5 m",
    "10ms",
    "1w",
    "1H",
    "99999999999999999d",
  ])("%j is not a duration", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [5_400_000, "1h30m"],
    [0, "0s"],
    [999, "0s"],
    [93_784_000, "1d2h3m4s"],
  ])("formats %i ms as %s, which parses back", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(Math.floor(ms / 1000) * 1000);
  });
});
