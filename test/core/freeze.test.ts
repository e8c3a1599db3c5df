import { describe, expect, it } from "vitest";
import {
  deployGateResult,
  describeWindow,
  evaluateFreeze,
  localToInstant,
  nextTransition,
  parseFreezeWindows,
  type FreezeWindow,
} from "../../src/core/freeze.js";
import type { FreezeWindowConfig } from "../../src/core/policy.js";
import { resolvePolicy } from "../../src/core/policy.js";

function windowsOf(configs: FreezeWindowConfig[]): FreezeWindow[] {
  const { windows, errors } = parseFreezeWindows(configs);
  expect(errors).toEqual([]);
  return windows;
}

const at = (iso: string) => new Date(iso).getTime();

const WEEKEND: FreezeWindowConfig = {
  days: ["Fri"],
  from: "17:00",
  to: "Mon 08:00",
  timezone: "America/Los_Angeles",
  reason: "no deploys into the weekend",
};
const HOLIDAY: FreezeWindowConfig = {
  from: "2026-12-23T00:00",
  to: "2027-01-04T09:00",
  timezone: "Europe/Berlin",
  reason: "holiday freeze",
};

describe("local time to an instant, across DST changes", () => {
  // 2026: America/Los_Angeles springs forward on Mar 8 (02:00 -> 03:00) and falls back on Nov 1
  // (02:00 -> 01:00); Europe/Berlin on Mar 29 (02:00 -> 03:00) and Oct 25 (03:00 -> 02:00).
  it.each([
    ["UTC", "2026-07-01T12:00", "2026-07-01T12:00:00.000Z", "plain UTC"],
    ["America/Los_Angeles", "2026-03-06T17:00", "2026-03-07T01:00:00.000Z", "winter time"],
    ["America/Los_Angeles", "2026-03-09T08:00", "2026-03-09T15:00:00.000Z", "summer time"],
    ["America/Los_Angeles", "2026-03-08T02:30", "2026-03-08T10:30:00.000Z", "gap: 03:30 PDT"],
    ["America/Los_Angeles", "2026-11-01T01:30", "2026-11-01T08:30:00.000Z", "twice: first (PDT)"],
    ["America/Los_Angeles", "2026-11-01T02:30", "2026-11-01T10:30:00.000Z", "after fall-back"],
    ["Europe/Berlin", "2026-03-29T02:30", "2026-03-29T01:30:00.000Z", "gap: 03:30 CEST"],
    ["Europe/Berlin", "2026-03-29T03:00", "2026-03-29T01:00:00.000Z", "first minute of CEST"],
    ["Europe/Berlin", "2026-10-25T02:30", "2026-10-25T00:30:00.000Z", "twice: first (CEST)"],
    ["Europe/Berlin", "2026-10-25T03:00", "2026-10-25T02:00:00.000Z", "after fall-back"],
    ["Asia/Kolkata", "2026-01-01T00:00", "2025-12-31T18:30:00.000Z", "half-hour offset"],
  ])("%s %s -> %s (%s)", (zone, local, expected) => {
    const [date, time] = local.split("T") as [string, string];
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    const [hh, mm] = time.split(":").map(Number) as [number, number];
    expect(new Date(localToInstant(Date.UTC(y, m - 1, d, hh, mm), zone)).toISOString()).toBe(
      expected,
    );
  });
});

describe("evaluateFreeze: weekly and one-off windows at their edges", () => {
  const cases: [string, FreezeWindowConfig[], string, boolean, string?][] = [
    // Fri 17:00 PST -> Mon 08:00 PDT, across the spring-forward Sunday: 62 real hours.
    ["weekend: a second before", [WEEKEND], "2026-03-07T00:59:59Z", false],
    [
      "weekend: Friday 17:00 exactly",
      [WEEKEND],
      "2026-03-07T01:00:00Z",
      true,
      "2026-03-09T15:00:00.000Z",
    ],
    [
      "weekend: Sunday 02:30 that never was",
      [WEEKEND],
      "2026-03-08T10:30:00Z",
      true,
      "2026-03-09T15:00:00.000Z",
    ],
    [
      "weekend: Monday 07:59 PDT",
      [WEEKEND],
      "2026-03-09T14:59:59Z",
      true,
      "2026-03-09T15:00:00.000Z",
    ],
    ["weekend: Monday 08:00 PDT (end excluded)", [WEEKEND], "2026-03-09T15:00:00Z", false],
    ["weekend: Monday 08:00 PST would be an hour late", [WEEKEND], "2026-03-09T15:30:00Z", false],
    // Across the fall-back Sunday: Fri 17:00 PDT -> Mon 08:00 PST.
    [
      "weekend in fall: Friday 17:00 PDT",
      [WEEKEND],
      "2026-10-31T00:00:00Z",
      true,
      "2026-11-02T16:00:00.000Z",
    ],
    [
      "weekend in fall: Monday 07:59 PST",
      [WEEKEND],
      "2026-11-02T15:59:00Z",
      true,
      "2026-11-02T16:00:00.000Z",
    ],
    ["weekend in fall: Monday 08:00 PST", [WEEKEND], "2026-11-02T16:00:00Z", false],
    ["a Wednesday", [WEEKEND], "2026-03-11T19:00:00Z", false],
    // One-off, Berlin: 2026-12-23 00:00 CET is 2026-12-22 23:00 UTC.
    ["holiday: before", [HOLIDAY], "2026-12-22T22:59:59Z", false],
    ["holiday: first second", [HOLIDAY], "2026-12-22T23:00:00Z", true, "2027-01-04T08:00:00.000Z"],
    ["holiday: last second", [HOLIDAY], "2027-01-04T07:59:59Z", true, "2027-01-04T08:00:00.000Z"],
    ["holiday: over", [HOLIDAY], "2027-01-04T08:00:00Z", false],
    // Jan 1 2027 is a Friday: the weekend freeze runs past the holiday's end, so the gate opens later.
    [
      "holiday then weekend: chained",
      [HOLIDAY, WEEKEND],
      "2026-12-25T12:00:00Z",
      true,
      "2027-01-04T16:00:00.000Z",
    ],
    // Overnight windows (to not later than from: the next day), UTC by default.
    ...(() => {
      const nights: FreezeWindowConfig = {
        days: ["Mon", "Tue", "Wed", "Thu"],
        from: "22:00",
        to: "06:00",
        reason: "nights",
      };
      return [
        [
          "nights: Thursday 23:00",
          [nights],
          "2026-03-05T23:00:00Z",
          true,
          "2026-03-06T06:00:00.000Z",
        ],
        [
          "nights: Friday 05:59",
          [nights],
          "2026-03-06T05:59:00Z",
          true,
          "2026-03-06T06:00:00.000Z",
        ],
        ["nights: Friday 06:00", [nights], "2026-03-06T06:00:00Z", false],
        ["nights: Friday 23:00 (not a start day)", [nights], "2026-03-06T23:00:00Z", false],
        ["nights: Sunday 23:00", [nights], "2026-03-08T23:00:00Z", false],
      ] as [string, FreezeWindowConfig[], string, boolean, string?][];
    })(),
    // Windows that start or end on a time DST skips or repeats.
    ...(() => {
      const berlin: FreezeWindowConfig = {
        days: ["Sun"],
        from: "02:30",
        to: "04:00",
        timezone: "Europe/Berlin",
        reason: "maintenance",
      };
      const la: FreezeWindowConfig = {
        days: ["Sat"],
        from: "22:00",
        to: "Sun 02:30",
        timezone: "America/Los_Angeles",
        reason: "batch",
      };
      return [
        // Spring: 02:30 does not exist; the window starts at 03:30 CEST (01:30 UTC).
        ["Berlin spring: 03:29 CEST", [berlin], "2026-03-29T01:29:59Z", false],
        [
          "Berlin spring: 03:30 CEST",
          [berlin],
          "2026-03-29T01:30:00Z",
          true,
          "2026-03-29T02:00:00.000Z",
        ],
        // Fall: 02:30 happens twice; the window starts at the first (00:30 UTC), ends 04:00 CET.
        ["Berlin fall: before the first 02:30", [berlin], "2026-10-25T00:29:59Z", false],
        [
          "Berlin fall: first 02:30",
          [berlin],
          "2026-10-25T00:30:00Z",
          true,
          "2026-10-25T03:00:00.000Z",
        ],
        [
          "Berlin fall: second 02:30",
          [berlin],
          "2026-10-25T01:30:00Z",
          true,
          "2026-10-25T03:00:00.000Z",
        ],
        // Ends on the spring-forward gap: at 03:30 PDT (10:30 UTC).
        [
          "LA spring: ends at 02:30 that never was",
          [la],
          "2026-03-08T10:29:59Z",
          true,
          "2026-03-08T10:30:00.000Z",
        ],
        ["LA spring: open at 03:30 PDT", [la], "2026-03-08T10:30:00Z", false],
        // Ends on a repeated time: at the first 02:30... which in LA is not repeated (01:xx is).
        [
          "LA fall: ends at 02:30 PST",
          [la],
          "2026-11-01T10:29:59Z",
          true,
          "2026-11-01T10:30:00.000Z",
        ],
      ] as [string, FreezeWindowConfig[], string, boolean, string?][];
    })(),
  ];

  it.each(cases)("%s", (_name, configs, now, frozen, opens) => {
    const state = evaluateFreeze(windowsOf(configs), at(now));
    expect(state.frozen).toBe(frozen);
    expect(state.endsAt?.iso).toBe(opens);
  });

  it("says which window holds the gate and when it ends, in its zone and in UTC", () => {
    const state = evaluateFreeze(windowsOf([WEEKEND]), at("2026-03-07T12:00:00Z"));
    expect(state.window?.reason).toBe("no deploys into the weekend");
    expect(state.endsAt).toEqual({
      at: at("2026-03-09T15:00:00Z"),
      iso: "2026-03-09T15:00:00.000Z",
      local: "Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00)",
      utc: "Mon 2026-03-09 15:00 UTC",
      timezone: "America/Los_Angeles",
    });
    expect(state.active.map((a) => a.startedAt.local)).toEqual([
      "Fri 2026-03-06 17:00 America/Los_Angeles (UTC-08:00)",
    ]);
  });
});

describe("nextTransition", () => {
  const windows = () => windowsOf([WEEKEND, HOLIDAY]);

  it.each([
    [
      "open on Wednesday: closes Friday 17:00 PST",
      "2026-03-04T12:00:00Z",
      "2026-03-07T01:00:00.000Z",
      true,
      0,
    ],
    [
      "frozen on Saturday: opens Monday 08:00 PDT",
      "2026-03-07T12:00:00Z",
      "2026-03-09T15:00:00.000Z",
      false,
      0,
    ],
    [
      "at the opening instant: the next Friday",
      "2026-03-09T15:00:00Z",
      "2026-03-14T00:00:00.000Z",
      true,
      0,
    ],
    [
      "before the holiday, on a Tuesday: the holiday starts",
      "2026-12-22T12:00:00Z",
      "2026-12-22T23:00:00.000Z",
      true,
      1,
    ],
    [
      "inside the holiday: the chained weekend ends it",
      "2026-12-28T12:00:00Z",
      "2027-01-04T16:00:00.000Z",
      false,
      0,
    ],
  ] as const)("%s", (_name, now, expected, frozen, index) => {
    const next = nextTransition(windows(), at(now));
    expect(next?.at.iso).toBe(expected);
    expect(next?.frozen).toBe(frozen);
    expect(next?.window.index).toBe(index);
  });

  it("is null when only past one-off windows remain", () => {
    expect(nextTransition(windowsOf([HOLIDAY]), at("2027-02-01T00:00:00Z"))).toBeNull();
    expect(nextTransition([], at("2027-02-01T00:00:00Z"))).toBeNull();
  });
});

describe("describeWindow", () => {
  it.each([
    [WEEKEND, "every Fri 17:00 to Mon 08:00 (America/Los_Angeles)"],
    [HOLIDAY, "2026-12-23 00:00 to 2027-01-04 09:00 (Europe/Berlin)"],
    [
      { days: ["Mon", "Thu"], from: "22:00", to: "06:00", reason: "x" },
      "every Mon, Thu 22:00 to 06:00 the next day (UTC)",
    ],
    [{ days: ["Sat", "Sun"], reason: "x" }, "every Sat, Sun 00:00 to 24:00 (UTC)"],
  ] as [FreezeWindowConfig, string][])("%j", (config, text) => {
    expect(describeWindow(windowsOf([config])[0] as FreezeWindow)).toBe(text);
  });
});

describe("freeze window errors", () => {
  it.each([
    [
      { days: ["Fri"], from: "5pm", reason: "x" },
      "from",
      'deploy.freeze[0].from "5pm" must be a time HH:MM',
    ],
    [
      { days: ["Fri"], to: "Monday 8:00", reason: "x" },
      "to",
      'deploy.freeze[0].to "Monday 8:00" must be a time HH:MM ("08:00") or a day and a time ("Mon 08:00")',
    ],
    [{ days: ["Fri", "Sat"], to: "Mon 08:00", reason: "x" }, "to", "can start on one day only"],
    [
      { from: "2026-12-23", to: "2027-01-04T09:00", reason: "x" },
      "from",
      "must be a local date-time YYYY-MM-DDTHH:MM",
    ],
    [
      { from: "2026-02-30T00:00", to: "2027-01-04T09:00", reason: "x" },
      "from",
      "must be a local date-time",
    ],
    [{ from: "2026-12-23T00:00", reason: "x" }, "to", "deploy.freeze[0].to is missing"],
    [
      { from: "2027-01-04T09:00", to: "2026-12-23T00:00", reason: "x" },
      "to",
      "must be later than from",
    ],
    [{ reason: "x" }, "from", "needs `days` (a weekly window) or `from` and `to` date-times"],
    [
      { days: ["Fri"], timezone: "Mars/Olympus", reason: "x" },
      "timezone",
      '"Mars/Olympus" is not a time zone',
    ],
  ] as [FreezeWindowConfig, string, string][])("%j: %s", (config, key, message) => {
    const { errors, windows } = parseFreezeWindows([config]);
    expect(windows).toEqual([]);
    expect(errors[0]?.path).toEqual(["deploy", "freeze", "0", key]);
    expect(errors[0]?.message).toContain(message);
  });

  it("are policy errors on the line of the key", () => {
    const text = [
      "deploy:",
      "  freeze:",
      '    - { days: [Fri], from: "17:00", to: "Mon 08:00", reason: ok }',
      "    - days: [Sat]",
      "      timezone: Europe/Paris",
      '      from: "25:00"',
      "      reason: broken",
      "",
    ].join("\n");
    const r = resolvePolicy([{ file: ".github/monobot.yml", text }]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      {
        file: ".github/monobot.yml",
        line: 6,
        column: 7,
        key: "deploy.freeze.1.from",
        message:
          'deploy.freeze[1].from "25:00" must be a time HH:MM such as "17:00" (weekly window)',
      },
    ]);
  });

  it("a day name outside Mon..Sun is a schema error naming the choices", () => {
    const r = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: "deploy:\n  freeze:\n    - { days: [Friday], reason: x }\n",
      },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]?.line).toBe(3);
    expect(r.errors[0]?.message).toContain(
      'must be one of "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"',
    );
  });
});

describe("monobot/deploy-gate", () => {
  it("fails inside a freeze, with the window, its reason and when it ends", () => {
    const result = deployGateResult({ freeze: [WEEKEND], now: at("2026-03-07T12:00:00Z") });
    expect(result).toEqual({
      name: "monobot/deploy-gate",
      conclusion: "failure",
      annotations: [],
      title:
        "Deploy freeze until Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00): no deploys into the weekend",
      summary: [
        "**Deploys are frozen**: no deploys into the weekend.",
        "",
        "| Freeze window | Reason | Ends (local) | Ends (UTC) |",
        "|---|---|---|---|",
        "| every Fri 17:00 to Mon 08:00 (America/Los_Angeles) | no deploys into the weekend | Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00) | Mon 2026-03-09 15:00 UTC |",
        "",
        "The gate opens Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00), Mon 2026-03-09 15:00 UTC. monobot evaluates this check again then. To deploy anyway, an admin of this repository comments `/deploy-anyway REASON`; the reason and who gave it are recorded in this check.",
      ].join("\n"),
    });
  });

  it("is neutral when an admin overrode it, saying who and why", () => {
    const result = deployGateResult({
      freeze: [WEEKEND],
      now: at("2026-03-07T12:00:00Z"),
      override: { by: "alice", reason: "hotfix for INC-42" },
    });
    expect(result.conclusion).toBe("neutral");
    expect(result.title).toBe("Freeze overridden by @alice: hotfix for INC-42");
    expect(result.summary).toContain(
      "@alice let this pull request through with `/deploy-anyway`: hotfix for INC-42",
    );
    expect(result.summary).toContain("It is inside a freeze: no deploys into the weekend.");
  });

  it("passes outside every window and names the next one", () => {
    const result = deployGateResult({
      freeze: [WEEKEND, HOLIDAY],
      now: at("2026-03-04T12:00:00Z"),
    });
    expect(result.conclusion).toBe("success");
    expect(result.title).toBe("No deploy freeze now");
    expect(result.summary).toBe(
      "Deploys are open. The next freeze, every Fri 17:00 to Mon 08:00 (America/Los_Angeles) (no deploys into the weekend), begins Fri 2026-03-06 17:00 America/Los_Angeles (UTC-08:00), Sat 2026-03-07 01:00 UTC.",
    );
  });

  it("passes without windows, and records an override that was not needed", () => {
    const result = deployGateResult({
      freeze: [],
      now: at("2026-03-04T12:00:00Z"),
      override: { by: "bob", reason: "just in case" },
    });
    expect(result.conclusion).toBe("success");
    expect(result.summary).toContain("No freeze windows are set");
    expect(result.summary).toContain("@bob commented `/deploy-anyway` (just in case)");
  });

  it("fails with the problems when the windows cannot be read", () => {
    const result = deployGateResult({
      freeze: [{ days: ["Fri"], from: "5pm", reason: "x" }],
      now: at("2026-03-04T12:00:00Z"),
    });
    expect(result.conclusion).toBe("failure");
    expect(result.summary).toContain('deploy.freeze[0].from "5pm"');
  });
});
