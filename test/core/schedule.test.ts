import { describe, expect, it } from "vitest";
import {
  dueFires,
  expandHash,
  isValidTimeZone,
  nextFire,
  ScheduleError,
  scheduleErrors,
  scheduleKey,
} from "../../src/core/schedule.js";

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (text: string) => new Date(text);

/** Values a single expanded cron field stands for (numbers, ranges with steps, lists). */
function values(field: string, min: number, max: number): number[] {
  const out: number[] = [];
  for (const term of field.split(",")) {
    const m = /^(\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(term);
    if (!m) throw new Error(`unexpected term ${term}`);
    const low = Number(m[1]);
    const high = m[2] === undefined ? (m[3] === undefined ? low : max) : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let v = low; v <= high; v += step) out.push(v);
  }
  for (const v of out) {
    expect(v).toBeGreaterThanOrEqual(min);
    expect(v).toBeLessThanOrEqual(max);
  }
  return out;
}

describe("expandHash", () => {
  const key = scheduleKey("nightly", "roc-api");

  it.each([
    { expr: "H * * * *", field: 0, min: 0, max: 59, count: 1 },
    { expr: "* H * * *", field: 1, min: 0, max: 23, count: 1 },
    { expr: "0 0 H * *", field: 2, min: 1, max: 28, count: 1 },
    { expr: "0 0 1 H *", field: 3, min: 1, max: 12, count: 1 },
    { expr: "0 0 * * H", field: 4, min: 0, max: 6, count: 1 },
    { expr: "H(0-29) * * * *", field: 0, min: 0, max: 29, count: 1 },
    { expr: "0 H(0-7) * * *", field: 1, min: 0, max: 7, count: 1 },
    { expr: "0 0 * * H(1-5)", field: 4, min: 1, max: 5, count: 1 },
    { expr: "H/15 * * * *", field: 0, min: 0, max: 59, count: 4 },
    { expr: "0 H/6 * * *", field: 1, min: 0, max: 23, count: 4 },
    { expr: "H(0-29)/10 * * * *", field: 0, min: 0, max: 29, count: 3 },
    { expr: "0 H(8-17)/3 * * *", field: 1, min: 8, max: 17, count: null },
    { expr: "0 0 H/7 * *", field: 2, min: 1, max: 28, count: 4 },
    { expr: "H(0-4),H(30-34) * * * *", field: 0, min: 0, max: 34, count: 2 },
  ])("$expr puts field $field within $min-$max", ({ expr, field, min, max, count }) => {
    const expanded = expandHash(expr, key);
    expect(expanded).not.toContain("H");
    const f = expanded.split(" ")[field] as string;
    const v = values(f, min, max);
    if (count !== null) expect(v).toHaveLength(count);
    // Steps keep their spacing from a hashed start below the step.
    const step = /\/(\d+)$/.exec(expr.split(" ")[field] as string);
    if (step) {
      const s = Number(step[1]);
      expect((v[0] as number) - min).toBeLessThan(s);
      for (let i = 1; i < v.length; i++) expect((v[i] as number) - (v[i - 1] as number)).toBe(s);
    }
    // The other fields are untouched.
    expr.split(" ").forEach((orig, i) => {
      if (!orig.includes("H")) expect(expanded.split(" ")[i]).toBe(orig);
    });
  });

  it("is stable for a key and differs between keys", () => {
    const expr = "H H * * *";
    expect(expandHash(expr, key)).toBe(expandHash(expr, key));
    expect(expandHash(expr, scheduleKey("nightly", "roc-api"))).toBe(expandHash(expr, key));
    const others = new Set(
      ["a", "b", "c", "d", "e", "f"].map((c) => expandHash(expr, scheduleKey("nightly", c))),
    );
    expect(others.size).toBeGreaterThan(3);
  });

  it("hashes the minute and the hour of one key independently", () => {
    const pairs = new Set<string>();
    for (let i = 0; i < 400; i++) pairs.add(expandHash("H H * * *", `job/c${i}`));
    // 400 keys over 1440 (minute, hour) pairs: correlated fields would give far fewer.
    expect(pairs.size).toBeGreaterThan(300);
  });

  it("spreads keys evenly over the range", () => {
    const counts = new Array<number>(60).fill(0);
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const minute = Number(
        expandHash("H 2 * * *", scheduleKey("nightly", `component-${i}`)).split(" ")[0],
      );
      counts[minute] = (counts[minute] ?? 0) + 1;
    }
    // Expected 100 per minute; a fair hash stays well within 60-140 for every bucket.
    expect(Math.min(...counts)).toBeGreaterThan(60);
    expect(Math.max(...counts)).toBeLessThan(140);
    const chiSquare = counts.reduce((sum, c) => sum + (c - 100) ** 2 / 100, 0);
    // 59 degrees of freedom: p = 0.001 at about 98.
    expect(chiSquare).toBeLessThan(98);
  });

  it.each([
    { alias: "@hourly", shape: /^\d+ \* \* \* \*$/ },
    { alias: "@daily", shape: /^\d+ \d+ \* \* \*$/ },
    { alias: "@midnight", shape: /^\d+ [0-2] \* \* \*$/ },
    { alias: "@weekly", shape: /^\d+ \d+ \* \* [0-6]$/ },
    { alias: "@monthly", shape: /^\d+ \d+ \d+ \* \*$/ },
    { alias: "@yearly", shape: /^\d+ \d+ \d+ \d+ \*$/ },
    { alias: "@ANNUALLY", shape: /^\d+ \d+ \d+ \d+ \*$/ },
  ])("expands the alias $alias", ({ alias, shape }) => {
    expect(expandHash(alias, key)).toMatch(shape);
  });

  it("leaves plain cron and day names alone", () => {
    expect(expandHash("*/5 1-3 * JAN-MAR THU", key)).toBe("*/5 1-3 * JAN-MAR THU");
  });

  it.each([
    { expr: "H(0-70) * * * *", error: /range within 0-59/ },
    { expr: "H(5-3) * * * *", error: /low to high/ },
    { expr: "0 0 H(0-5) * *", error: /range within 1-31/ },
    { expr: "H/0 * * * *", error: /step 0/ },
    { expr: "H/61 * * * *", error: /step 61; a step must be 1 to 60/ },
    { expr: "H(1-5)/10 * * * *", error: /step 10; a step must be 1 to 5/ },
    { expr: "Hx * * * *", error: /not a hash form/ },
    { expr: "H * * *", error: /has 4 fields; write five/ },
    { expr: "0 H * * * *", error: /has 6 fields; write five/ },
    { expr: "@fortnightly", error: /not a known alias/ },
  ])("rejects $expr", ({ expr, error }) => {
    expect(() => expandHash(expr, key)).toThrow(ScheduleError);
    expect(() => expandHash(expr, key)).toThrow(error);
  });
});

describe("validation", () => {
  it.each([
    { expr: "H 2 * * 1-5", tz: "Europe/Berlin", errors: 0 },
    { expr: "@daily", tz: "UTC", errors: 0 },
    { expr: "61 2 * * *", tz: "UTC", errors: 1, message: /not a valid cron expression.*61/ },
    { expr: "0 0 30 2 *", tz: "UTC", errors: 1, message: /not a valid cron expression/ },
    { expr: "H(0-99) 2 * * *", tz: "UTC", errors: 1, message: /range within 0-59/ },
    {
      expr: "0 2 * * *",
      tz: "Europe/Berlinn",
      errors: 1,
      message: /"Europe\/Berlinn" is not a time zone/,
    },
    { expr: "0 2 * * *", tz: "", errors: 1, message: /not a time zone/ },
  ])("$expr in '$tz' has $errors error(s)", ({ expr, tz, errors, message }) => {
    const found = scheduleErrors(expr, tz);
    expect(found).toHaveLength(errors);
    if (message) expect(found[0]).toMatch(message);
  });

  it("knows IANA time zones", () => {
    expect(isValidTimeZone("America/New_York")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
  });

  it("nextFire throws a ScheduleError for bad input", () => {
    expect(() => nextFire("0 2 * * *", "Nowhere/Land", "k", at("2025-01-01T00:00:00Z"))).toThrow(
      ScheduleError,
    );
    expect(() => nextFire("0 0 31 2 *", "UTC", "k", at("2025-01-01T00:00:00Z"))).toThrow(
      ScheduleError,
    );
  });
});

describe("time zones and DST", () => {
  it("fires in the schedule's time zone", () => {
    expect(
      nextFire("0 9 * * *", "Europe/Berlin", "k", at("2025-01-15T00:00:00Z")).toISOString(),
    ).toBe("2025-01-15T08:00:00.000Z");
    expect(
      nextFire("0 9 * * *", "Europe/Berlin", "k", at("2025-07-15T00:00:00Z")).toISOString(),
    ).toBe("2025-07-15T07:00:00.000Z");
    expect(
      nextFire("0 9 * * *", "America/New_York", "k", at("2025-01-15T00:00:00Z")).toISOString(),
    ).toBe("2025-01-15T14:00:00.000Z");
  });

  it("puts H values on the local clock", () => {
    const key = scheduleKey("nightly", "roc-api");
    const minute = Number(expandHash("H 2 * * *", key).split(" ")[0]);
    const fires = dueFires(
      "H 2 * * *",
      "Europe/Berlin",
      key,
      at("2025-06-01T00:00:00Z"),
      at("2025-06-04T00:00:00Z"),
    );
    expect(fires).toHaveLength(3);
    for (const fire of fires) {
      const local = new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/Berlin",
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).format(fire);
      expect(local).toBe(`02:${String(minute).padStart(2, "0")}`);
    }
  });

  // Europe/Berlin: 2025-03-30 02:00 CET -> 03:00 CEST; 2025-10-26 03:00 CEST -> 02:00 CET.
  // America/New_York: 2025-03-09 02:00 EST -> 03:00 EDT; 2025-11-02 02:00 EDT -> 01:00 EST.
  it.each([
    {
      name: "Berlin spring forward: 02:30 does not exist and runs once at 03:30 CEST",
      expr: "30 2 * * *",
      tz: "Europe/Berlin",
      from: "2025-03-29T12:00:00Z",
      to: "2025-03-31T12:00:00Z",
      want: ["2025-03-30T01:30:00.000Z", "2025-03-31T00:30:00.000Z"],
    },
    {
      name: "Berlin fall back: 02:30 happens twice and runs once, at the first",
      expr: "30 2 * * *",
      tz: "Europe/Berlin",
      from: "2025-10-25T12:00:00Z",
      to: "2025-10-27T12:00:00Z",
      want: ["2025-10-26T00:30:00.000Z", "2025-10-27T01:30:00.000Z"],
    },
    {
      name: "Berlin fall back: an hourly job runs every real hour",
      expr: "0 * * * *",
      tz: "Europe/Berlin",
      from: "2025-10-25T22:30:00Z",
      to: "2025-10-26T02:30:00Z",
      want: [
        "2025-10-25T23:00:00.000Z",
        "2025-10-26T00:00:00.000Z",
        "2025-10-26T01:00:00.000Z",
        "2025-10-26T02:00:00.000Z",
      ],
    },
    {
      name: "Berlin spring forward: an hourly job skips the missing hour without a double",
      expr: "0 * * * *",
      tz: "Europe/Berlin",
      from: "2025-03-29T23:30:00Z",
      to: "2025-03-30T02:30:00Z",
      want: ["2025-03-30T00:00:00.000Z", "2025-03-30T01:00:00.000Z", "2025-03-30T02:00:00.000Z"],
    },
    {
      name: "Berlin fall back: every 20 minutes in hour 2 runs through the first 02:xx only",
      expr: "*/20 2 * * *",
      tz: "Europe/Berlin",
      from: "2025-10-25T12:00:00Z",
      to: "2025-10-26T12:00:00Z",
      want: ["2025-10-26T00:00:00.000Z", "2025-10-26T00:20:00.000Z", "2025-10-26T00:40:00.000Z"],
    },
    {
      name: "New York spring forward: 02:30 runs once at 03:30 EDT",
      expr: "30 2 * * *",
      tz: "America/New_York",
      from: "2025-03-08T12:00:00Z",
      to: "2025-03-10T12:00:00Z",
      want: ["2025-03-09T07:30:00.000Z", "2025-03-10T06:30:00.000Z"],
    },
    {
      name: "New York fall back: 01:30 runs once, in EDT",
      expr: "30 1 * * *",
      tz: "America/New_York",
      from: "2025-11-01T12:00:00Z",
      to: "2025-11-03T12:00:00Z",
      want: ["2025-11-02T05:30:00.000Z", "2025-11-03T06:30:00.000Z"],
    },
  ])("$name", ({ expr, tz, from, to, want }) => {
    expect(iso(dueFires(expr, tz, "k", at(from), at(to)))).toEqual(want);
    // Walking fire by fire with nextFire gives the same times.
    const walked: Date[] = [];
    for (let t = nextFire(expr, tz, "k", at(from)); t <= at(to); t = nextFire(expr, tz, "k", t)) {
      walked.push(t);
    }
    expect(iso(walked)).toEqual(want);
  });

  it.each([
    // A scheduler that asks from inside the repeated hour must not get the second 02:30.
    {
      name: "Berlin, inside the repeated hour",
      tz: "Europe/Berlin",
      expr: "30 2 * * *",
      after: "2025-10-26T01:00:00Z",
      want: "2025-10-27T01:30:00.000Z",
    },
    {
      name: "Berlin, between the two 02:30s",
      tz: "Europe/Berlin",
      expr: "30 2 * * *",
      after: "2025-10-26T00:45:00Z",
      want: "2025-10-27T01:30:00.000Z",
    },
    {
      name: "New York, inside the repeated hour",
      tz: "America/New_York",
      expr: "30 1 * * *",
      after: "2025-11-02T06:00:00Z",
      want: "2025-11-03T06:30:00.000Z",
    },
    // Asking after the jump but before the shifted time still finds that day's run.
    {
      name: "Berlin, after the jump",
      tz: "Europe/Berlin",
      expr: "30 2 * * *",
      after: "2025-03-30T01:10:00Z",
      want: "2025-03-30T01:30:00.000Z",
    },
    {
      name: "Berlin, just before the jump",
      tz: "Europe/Berlin",
      expr: "30 2 * * *",
      after: "2025-03-30T00:59:00Z",
      want: "2025-03-30T01:30:00.000Z",
    },
    {
      name: "New York, after the jump",
      tz: "America/New_York",
      expr: "30 2 * * *",
      after: "2025-03-09T07:05:00Z",
      want: "2025-03-09T07:30:00.000Z",
    },
  ])("nextFire gives one answer wherever it starts: $name", ({ tz, expr, after, want }) => {
    expect(nextFire(expr, tz, "k", at(after)).toISOString()).toBe(want);
  });
});

describe("dueFires for the scheduler loop", () => {
  const expr = "0 3 * * *";
  it("is exclusive of from and inclusive of to", () => {
    const fire = at("2025-05-02T03:00:00Z");
    expect(iso(dueFires(expr, "UTC", "k", fire, at("2025-05-02T12:00:00Z")))).toEqual([]);
    expect(iso(dueFires(expr, "UTC", "k", at("2025-05-02T00:00:00Z"), fire))).toEqual([
      fire.toISOString(),
    ]);
  });

  it("returns a fire missed during a restart once, and never again once recorded", () => {
    const lastRecorded = at("2025-05-01T03:00:00Z");
    // monobot was down from 02:50 to 03:10 on 2 May.
    const restart = at("2025-05-02T03:10:00Z");
    const due = dueFires(expr, "UTC", "k", lastRecorded, restart);
    expect(iso(due)).toEqual(["2025-05-02T03:00:00.000Z"]);
    const recorded = due[due.length - 1] as Date;
    expect(dueFires(expr, "UTC", "k", recorded, at("2025-05-02T03:11:00Z"))).toEqual([]);
    expect(dueFires(expr, "UTC", "k", recorded, at("2025-05-03T02:59:59Z"))).toEqual([]);
  });

  it("is empty for an empty or backwards range", () => {
    expect(
      dueFires(expr, "UTC", "k", at("2025-05-02T00:00:00Z"), at("2025-05-02T00:00:00Z")),
    ).toEqual([]);
    expect(
      dueFires(expr, "UTC", "k", at("2025-05-03T00:00:00Z"), at("2025-05-02T00:00:00Z")),
    ).toEqual([]);
  });

  it("keeps only the latest fires after a long outage, quickly", () => {
    const started = performance.now();
    const fires = dueFires(
      "* * * * *",
      "Europe/Berlin",
      "k",
      at("2024-01-01T00:00:00Z"),
      at("2025-01-01T00:00:30Z"),
      50,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(fires).toHaveLength(50);
    expect(fires[49]?.toISOString()).toBe("2025-01-01T00:00:00.000Z");
    expect(fires[0]?.toISOString()).toBe("2024-12-31T23:11:00.000Z");
  });

  it("finds a sparse fire far back", () => {
    expect(
      iso(
        dueFires("0 0 1 1 *", "UTC", "k", at("2020-06-01T00:00:00Z"), at("2022-06-01T00:00:00Z")),
      ),
    ).toEqual(["2021-01-01T00:00:00.000Z", "2022-01-01T00:00:00.000Z"]);
  });
});
