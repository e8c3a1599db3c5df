// Freeze windows of the deployment gate (weekly or one-off, in IANA zones, DST-correct) and the monobot/deploy-gate result.
//
// A weekly window starts on each of its `days` at `from` (local time) and ends at `to`: a time
// that day, or the next day when it is not later than `from`, or "DAY HH:MM" (the next such day;
// the same day a week later when that time is not later). A one-off window runs from one local
// date-time to another. `from` is included, `to` is not.
//
// Daylight saving time, in the window's zone (the same rule as job schedules, src/core/schedule.ts):
// - a local time that does not exist (02:30 on a spring-forward day) counts as shifted by the
//   gap: 02:30 in Europe/Berlin on the last Sunday of March is 03:30 CEST (01:30 UTC);
// - a local time that occurs twice (02:30 on a fall-back day) counts at its first occurrence,
//   the one in summer time: a freeze starting then starts an hour early rather than late, and
//   one ending then ends at the first 02:30.
import type { FreezeWindowConfig } from "./policy-schema.js";
import { isValidTimeZone } from "./schedule.js";
import type { CheckResult } from "./types.js";

export const DEPLOY_GATE_CHECK = "monobot/deploy-gate";

const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;
type DayName = (typeof DAY_NAMES)[number];

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A local wall-clock date-time, as plain numbers (month 1-12). */
interface Civil {
  year: number;
  month: number;
  day: number;
  minutes: number;
}

export type FreezeWindow =
  | {
      kind: "weekly";
      /** Position in `deploy.freeze`. */
      index: number;
      /** Days it starts on, 0 = Sunday. */
      days: number[];
      /** Minutes after local midnight. */
      from: number;
      /** End: minutes after midnight (1440 is "24:00"), `days` after the start day. */
      to: { minutes: number; days: number };
      toText: string;
      timezone: string;
      reason: string;
    }
  | {
      kind: "once";
      index: number;
      from: Civil;
      to: Civil;
      timezone: string;
      reason: string;
    };

export interface FreezeConfigError {
  path: string[];
  message: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;
const DAY_TIME = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (([01]\d|2[0-3]):([0-5]\d)|24:00)$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)$/;

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number) as [number, number];
  return h * 60 + m;
}

function civilOf(text: string): Civil | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  return { year, month, day, minutes: hour * 60 + minute };
}

function wallMs(c: Civil): number {
  return Date.UTC(c.year, c.month - 1, c.day) + c.minutes * MINUTE;
}

/**
 * Windows from `deploy.freeze`, and what is wrong with those that cannot be used (each error has
 * its key path under `deploy.freeze`, for a located policy error).
 */
export function parseFreezeWindows(configs: readonly FreezeWindowConfig[]): {
  windows: FreezeWindow[];
  errors: FreezeConfigError[];
} {
  const windows: FreezeWindow[] = [];
  const errors: FreezeConfigError[] = [];
  configs.forEach((c, index) => {
    const at = (key: string) => ["deploy", "freeze", String(index), key];
    const fail = (key: string, message: string) => errors.push({ path: at(key), message });
    const where = `deploy.freeze[${index}]`;
    const timezone = c.timezone ?? "UTC";
    let ok = true;
    if (!isValidTimeZone(timezone)) {
      fail(
        "timezone",
        `${where}.timezone "${timezone}" is not a time zone: use an IANA name such as UTC, Europe/Berlin or America/Los_Angeles`,
      );
      ok = false;
    }
    if (c.days !== undefined) {
      const from = c.from ?? "00:00";
      const to = c.to ?? "24:00";
      if (!TIME.test(from) || from === "24:00") {
        fail(
          "from",
          `${where}.from "${from}" must be a time HH:MM such as "17:00" (weekly window)`,
        );
        ok = false;
      }
      const dayTime = DAY_TIME.exec(to);
      if (!TIME.test(to) && !dayTime) {
        fail(
          "to",
          `${where}.to "${to}" must be a time HH:MM ("08:00") or a day and a time ("Mon 08:00")`,
        );
        ok = false;
      }
      if (!ok) return;
      const fromMinutes = minutesOf(from);
      const toMinutes = minutesOf(dayTime ? (dayTime[2] as string) : to);
      const days = c.days.map((d) => DAY_NAMES.indexOf(d as DayName));
      let span: number;
      if (dayTime) {
        if (days.length > 1) {
          fail(
            "to",
            `${where}.to "${to}" names a day, so the window can start on one day only; write one window per start day, or a time without a day`,
          );
          return;
        }
        const toDay = DAY_NAMES.indexOf(dayTime[1] as DayName);
        span = (toDay - (days[0] as number) + 7) % 7;
        if (span === 0 && toMinutes <= fromMinutes) span = 7;
      } else {
        span = toMinutes > fromMinutes ? 0 : 1;
      }
      if (span * 1440 + toMinutes - fromMinutes > 7 * 1440) {
        fail("to", `${where} lasts more than a week; a weekly window must end within 7 days`);
        return;
      }
      windows.push({
        kind: "weekly",
        index,
        // Monday first, as the policy's examples write them.
        days: [...days].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7)),
        from: fromMinutes,
        to: { minutes: toMinutes, days: span },
        toText: to,
        timezone,
        reason: c.reason,
      });
      return;
    }
    const from = c.from === undefined ? undefined : civilOf(c.from);
    const to = c.to === undefined ? undefined : civilOf(c.to);
    if (!from) {
      fail(
        "from",
        c.from === undefined
          ? `${where} needs \`days\` (a weekly window) or \`from\` and \`to\` date-times such as "2026-12-23T00:00"`
          : `${where}.from "${c.from}" must be a local date-time YYYY-MM-DDTHH:MM such as "2026-12-23T00:00" (or add \`days\` for a weekly window)`,
      );
      ok = false;
    }
    if (!to) {
      fail(
        "to",
        `${where}.to ${c.to === undefined ? "is missing" : `"${c.to}" is not a local date-time`}: write YYYY-MM-DDTHH:MM such as "2027-01-04T09:00"`,
      );
      ok = false;
    }
    if (!ok || !from || !to) return;
    if (wallMs(to) <= wallMs(from)) {
      fail("to", `${where}.to ${c.to} must be later than from ${c.from}`);
      return;
    }
    windows.push({ kind: "once", index, from, to, timezone, reason: c.reason });
  });
  return { windows, errors };
}

/** Policy errors of `deploy.freeze` that the schema cannot express (times, zones, order). */
export function freezeConfigErrors(configs: readonly FreezeWindowConfig[]): FreezeConfigError[] {
  return parseFreezeWindows(configs).errors;
}

// ---------------------------------------------------------------------------------------------
// Local time <-> instants, with Intl only.

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, f);
  }
  return f;
}

/** The wall clock of `instant` in `timezone`, as milliseconds of a UTC date with those fields. */
function wallClockAt(instant: number, timezone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timezone).formatToParts(new Date(instant))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return Date.UTC(
    parts.year ?? 1970,
    (parts.month ?? 1) - 1,
    parts.day ?? 1,
    (parts.hour ?? 0) % 24,
    parts.minute ?? 0,
    parts.second ?? 0,
  );
}

function offsetAt(instant: number, timezone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClockAt(whole, timezone) - whole;
}

/** The instant a local wall-clock time means in `timezone` (see the DST rule at the top). */
export function localToInstant(wall: number, timezone: string): number {
  const before = offsetAt(wall - DAY, timezone);
  const after = offsetAt(wall + DAY, timezone);
  const valid = [...new Set([before, after])]
    .map((offset) => wall - offset)
    .filter((instant) => offsetAt(instant, timezone) === wall - instant)
    .sort((a, b) => a - b);
  // Twice: the first occurrence. Never: shifted forward by the gap (the offset before it).
  return valid[0] ?? wall - before;
}

/** A moment for users: the instant, in the window's zone and in UTC. */
export interface Moment {
  /** Milliseconds since the epoch. */
  at: number;
  /** ISO 8601 in UTC, e.g. 2026-03-09T15:00:00.000Z. */
  iso: string;
  /** E.g. "Mon 2026-03-09 08:00 America/Los_Angeles (UTC-07:00)". */
  local: string;
  /** E.g. "Mon 2026-03-09 15:00 UTC". */
  utc: string;
  timezone: string;
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function wallText(wall: number): string {
  const d = new Date(wall);
  return `${DAY_NAMES[d.getUTCDay()]} ${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

function offsetText(offset: number): string {
  const sign = offset < 0 ? "-" : "+";
  const m = Math.round(Math.abs(offset) / MINUTE);
  return `UTC${sign}${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
}

export function moment(at: number, timezone: string): Moment {
  const offset = offsetAt(at, timezone);
  return {
    at,
    iso: new Date(at).toISOString(),
    local: `${wallText(at + offset)} ${timezone} (${offsetText(offset)})`,
    utc: `${wallText(at)} UTC`,
    timezone,
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

interface Interval {
  window: FreezeWindow;
  start: number;
  end: number;
}

/** Occurrences of a window that start within 8 days of `t` either way. */
function occurrences(window: FreezeWindow, t: number): Interval[] {
  if (window.kind === "once") {
    return [
      {
        window,
        start: localToInstant(wallMs(window.from), window.timezone),
        end: localToInstant(wallMs(window.to), window.timezone),
      },
    ];
  }
  const today = wallClockAt(t, window.timezone);
  const midnight = today - (((today % DAY) + DAY) % DAY);
  const out: Interval[] = [];
  for (let k = -8; k <= 8; k++) {
    const day = midnight + k * DAY;
    if (!window.days.includes(new Date(day).getUTCDay())) continue;
    out.push({
      window,
      start: localToInstant(day + window.from * MINUTE, window.timezone),
      end: localToInstant(day + window.to.days * DAY + window.to.minutes * MINUTE, window.timezone),
    });
  }
  return out;
}

function holding(windows: readonly FreezeWindow[], t: number): Interval[] {
  return windows.flatMap((w) => occurrences(w, t)).filter((i) => i.start <= t && t < i.end);
}

export interface ActiveWindow {
  window: FreezeWindow;
  startedAt: Moment;
  endsAt: Moment;
}

export interface FreezeState {
  frozen: boolean;
  /** Windows holding the instant, in policy order. */
  active: ActiveWindow[];
  /** The first of them. */
  window?: FreezeWindow;
  /**
   * When the gate opens again, in the zone of the window that holds it closed last: the end of
   * the active windows, followed through windows that begin before the previous one ends.
   */
  endsAt?: Moment;
}

/** Chained windows are followed at most this far, so a window list that never opens ends the loop. */
const MAX_CHAIN = 64;

/** Whether deploys are frozen at `now`, which windows hold it, and when the gate opens. */
export function evaluateFreeze(windows: readonly FreezeWindow[], now: number | Date): FreezeState {
  const t = typeof now === "number" ? now : now.getTime();
  const active = holding(windows, t).sort((a, b) => a.window.index - b.window.index);
  if (active.length === 0) return { frozen: false, active: [] };
  let last = active.reduce((a, b) => (b.end > a.end ? b : a));
  for (let i = 0; i < MAX_CHAIN; i++) {
    const next = holding(windows, last.end);
    if (next.length === 0) break;
    last = next.reduce((a, b) => (b.end > a.end ? b : a));
  }
  const seen = new Set<number>();
  return {
    frozen: true,
    active: active
      .filter((i) => !seen.has(i.window.index) && seen.add(i.window.index))
      .map((i) => ({
        window: i.window,
        startedAt: moment(i.start, i.window.timezone),
        endsAt: moment(i.end, i.window.timezone),
      })),
    window: active[0]?.window,
    endsAt: moment(last.end, last.window.timezone),
  };
}

export interface FreezeTransition {
  /** When the gate changes. */
  at: Moment;
  /** Whether deploys are frozen from then on. */
  frozen: boolean;
  /** The window that begins (when closing) or ends last (when opening). */
  window: FreezeWindow;
}

/**
 * When the gate next opens or closes after `now`, so a scheduler can evaluate again then; null
 * when no window lies ahead (only one-off windows in the past).
 */
export function nextTransition(
  windows: readonly FreezeWindow[],
  now: number | Date,
): FreezeTransition | null {
  const t = typeof now === "number" ? now : now.getTime();
  const state = evaluateFreeze(windows, t);
  if (state.frozen && state.endsAt) {
    const ending = holding(windows, state.endsAt.at - 1).find((i) => i.end === state.endsAt?.at);
    return {
      at: state.endsAt,
      frozen: false,
      window: ending?.window ?? (state.window as FreezeWindow),
    };
  }
  let best: Interval | undefined;
  for (const w of windows) {
    for (const i of occurrences(w, t)) {
      if (i.start > t && i.end > i.start && (!best || i.start < best.start)) best = i;
    }
  }
  if (!best) return null;
  return { at: moment(best.start, best.window.timezone), frozen: true, window: best.window };
}

function minutesText(minutes: number): string {
  return `${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

function civilText(c: Civil): string {
  return `${c.year}-${pad(c.month)}-${pad(c.day)} ${minutesText(c.minutes)}`;
}

/** A window in words: "every Fri 17:00 to Mon 08:00 (America/Los_Angeles)". */
export function describeWindow(w: FreezeWindow): string {
  if (w.kind === "once") return `${civilText(w.from)} to ${civilText(w.to)} (${w.timezone})`;
  const days = w.days.map((d) => DAY_NAMES[d]).join(", ");
  const to = DAY_TIME.test(w.toText)
    ? w.toText
    : w.to.days === 1 && w.to.minutes !== 1440
      ? `${minutesText(w.to.minutes)} the next day`
      : minutesText(w.to.minutes);
  return `every ${days} ${minutesText(w.from)} to ${to} (${w.timezone})`;
}

// ---------------------------------------------------------------------------------------------
// monobot/deploy-gate.

export interface DeployOverride {
  /** Login of the admin who commented `/deploy-anyway`. */
  by: string;
  reason: string;
}

export interface DeployGateInput {
  /** `deploy.freeze` of the config repo's policy. */
  freeze: readonly FreezeWindowConfig[];
  now: number | Date;
  override?: DeployOverride;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function oneLine(text: string, max = 120): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** The result of monobot/deploy-gate at `now`: failure inside a freeze window, unless overridden. */
export function deployGateResult(input: DeployGateInput): CheckResult {
  const { windows, errors } = parseFreezeWindows(input.freeze);
  const base = { name: DEPLOY_GATE_CHECK, annotations: [] };
  if (errors.length > 0) {
    return {
      ...base,
      conclusion: "failure",
      title: "The freeze windows cannot be read",
      summary: `\`deploy.freeze\` in .github/monobot.yml has problems, so monobot cannot tell whether deploys are frozen:\n\n${errors.map((e) => `- ${e.message}`).join("\n")}`,
    };
  }
  const state = evaluateFreeze(windows, input.now);
  const override = input.override;
  if (!state.frozen || !state.endsAt) {
    const next = nextTransition(windows, input.now);
    const ahead = next
      ? `The next freeze, ${describeWindow(next.window)} (${next.window.reason}), begins ${next.at.local}, ${next.at.utc}.`
      : windows.length === 0
        ? "No freeze windows are set (`deploy.freeze` in the config repo's .github/monobot.yml)."
        : "No freeze window lies ahead.";
    const overridden = override
      ? `\n\n@${override.by} commented \`/deploy-anyway\` (${oneLine(override.reason, 200)}); no freeze holds now, so it was not needed.`
      : "";
    return {
      ...base,
      conclusion: "success",
      title: "No deploy freeze now",
      summary: `Deploys are open. ${ahead}${overridden}`,
    };
  }
  const ends = state.endsAt;
  const first = state.window as FreezeWindow;
  const rows = state.active.map(
    (a) =>
      `| ${cell(describeWindow(a.window))} | ${cell(a.window.reason)} | ${a.endsAt.local} | ${a.endsAt.utc} |`,
  );
  const table = [
    "| Freeze window | Reason | Ends (local) | Ends (UTC) |",
    "|---|---|---|---|",
    ...rows,
  ].join("\n");
  const opens = `The gate opens ${ends.local}, ${ends.utc}${
    state.active.some((a) => a.endsAt.at === ends.at)
      ? ""
      : " (windows follow each other until then)"
  }.`;
  if (override) {
    return {
      ...base,
      conclusion: "neutral",
      title: oneLine(`Freeze overridden by @${override.by}: ${override.reason}`),
      summary: [
        `**Deploy freeze overridden.** @${override.by} let this pull request through with \`/deploy-anyway\`: ${oneLine(override.reason, 500)}`,
        "",
        `It is inside a freeze: ${first.reason}.`,
        "",
        table,
        "",
        opens,
      ].join("\n"),
    };
  }
  return {
    ...base,
    conclusion: "failure",
    title: oneLine(`Deploy freeze until ${ends.local}: ${first.reason}`),
    summary: [
      `**Deploys are frozen**: ${first.reason}.`,
      "",
      table,
      "",
      `${opens} monobot evaluates this check again then. To deploy anyway, an admin of this repository comments \`/deploy-anyway REASON\`; the reason and who gave it are recorded in this check.`,
    ].join("\n"),
  };
}
