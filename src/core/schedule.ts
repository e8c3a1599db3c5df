// Schedules of CI jobs: Jenkins-style cron with `H` (a stable hash spreads load) in a time zone, DST-correct.
//
// An expression has five fields: minute, hour, day of month, month, day of week. Besides plain
// cron (`*`, lists, ranges, steps, month and day names) each comma-separated term of a field may
// be one of Jenkins' hash forms, where the hash comes from a key (the job and component name), so
// the value is stable for that key and different keys spread over the range:
//
//   H          one value in the field's range (day of month: 1-28, day of week: 0-6, as Jenkins)
//   H(a-b)     one value in a-b
//   H/n        every n, starting at a hashed offset below n (minute H/15 may be 7,22,37,52)
//   H(a-b)/n   every n within a-b, starting at a + a hashed offset below n
//
// and the aliases @yearly, @annually, @monthly, @weekly, @daily, @midnight (H H(0-2) * * *) and
// @hourly mean what they mean in Jenkins. When both day fields are restricted, either matching
// is enough (standard cron).
//
// Daylight saving time, in the schedule's time zone:
// - spring forward: a time that does not exist that day (02:30 in Europe/Berlin on the last
//   Sunday of March) fires once, shifted by the gap (03:30 local time);
// - fall back: a time that occurs twice fires once, at its first occurrence; only expressions
//   whose hour field is `*` (every hour) fire in both repeated hours, as an hourly job should.
import { createHash } from "node:crypto";
import { CronExpressionParser, type CronExpression } from "cron-parser";

/** A cron expression or time zone that cannot be used; the message says what to write instead. */
export class ScheduleError extends Error {
  override name = "ScheduleError";
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Upper bound of a bare `H` (Jenkins keeps days of month within 1-28 and Sunday as 0). */
  hashMax: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59, hashMax: 59 },
  { name: "hour", min: 0, max: 23, hashMax: 23 },
  { name: "day of month", min: 1, max: 31, hashMax: 28 },
  { name: "month", min: 1, max: 12, hashMax: 12 },
  { name: "day of week", min: 0, max: 7, hashMax: 6 },
];

const ALIASES: Record<string, string> = {
  "@yearly": "H H H H *",
  "@annually": "H H H H *",
  "@monthly": "H H H * *",
  "@weekly": "H H * * H",
  "@daily": "H H * * *",
  "@midnight": "H H(0-2) * * *",
  "@hourly": "H * * * *",
};

const EXAMPLE = 'e.g. "H 2 * * 1-5" (once between 02:00 and 02:59 on weekdays)';

/** The key whose hash places a job's `H` values: the job and the component it runs for. */
export function scheduleKey(job: string, component: string): string {
  return `${job}/${component}`;
}

/** A number in [0, n) from the key, the field and the term, stable across processes and versions. */
function hashBelow(n: number, key: string, field: number, term: number): number {
  const digest = createHash("sha256").update(`${key}\0${field}\0${term}`).digest();
  return digest.readUIntBE(0, 6) % n;
}

const HASH_TERM = /^H(?:\((\d+)-(\d+)\))?(?:\/(\d+))?$/;

function expandTerm(term: string, spec: FieldSpec, key: string, field: number, index: number) {
  const m = HASH_TERM.exec(term);
  if (!m) {
    throw new ScheduleError(
      `"${term}" in the ${spec.name} field is not a hash form: write H, H(a-b), H/n or H(a-b)/n, ${EXAMPLE}`,
    );
  }
  const low = m[1] === undefined ? spec.min : Number(m[1]);
  const high = m[2] === undefined ? spec.hashMax : Number(m[2]);
  if (low < spec.min || high > spec.max || low > high) {
    throw new ScheduleError(
      `"${term}" in the ${spec.name} field needs a range within ${spec.min}-${spec.max}, low to high`,
    );
  }
  if (m[3] === undefined) return String(low + hashBelow(high - low + 1, key, field, index));
  const step = Number(m[3]);
  if (step < 1 || step > high - low + 1) {
    throw new ScheduleError(
      `"${term}" in the ${spec.name} field has step ${step}; a step must be 1 to ${high - low + 1} for the range ${low}-${high}`,
    );
  }
  const start = low + hashBelow(step, key, field, index);
  if (step === 1) return `${low}-${high}`;
  const last = start + Math.floor((high - start) / step) * step;
  return last === start ? String(start) : `${start}-${last}/${step}`;
}

/**
 * Replace every Jenkins `H` form in `expr` by the values the hash of `key` picks; aliases become
 * their five fields. Throws a ScheduleError for a wrong number of fields or a bad hash form.
 */
export function expandHash(expr: string, key: string): string {
  const trimmed = expr.trim();
  const text = ALIASES[trimmed.toLowerCase()] ?? trimmed;
  if (text.startsWith("@")) {
    throw new ScheduleError(
      `"${trimmed}" is not a known alias: use one of ${Object.keys(ALIASES).join(", ")} or five fields, ${EXAMPLE}`,
    );
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) {
    throw new ScheduleError(
      `"${trimmed}" has ${fields.length} field${fields.length === 1 ? "" : "s"}; write five: minute hour day-of-month month day-of-week, ${EXAMPLE}`,
    );
  }
  return fields
    .map((field, i) => {
      const spec = FIELDS[i] as FieldSpec;
      if (!field.includes("H")) return field;
      // Names such as THU contain an H but do not start with one.
      return field
        .split(",")
        .map((term, t) => (term.startsWith("H") ? expandTerm(term, spec, key, i, t) : term))
        .join(",");
    })
    .join(" ");
}

/** True when `timezone` is an IANA time zone name this runtime knows (e.g. Europe/Berlin, UTC). */
export function isValidTimeZone(timezone: string): boolean {
  if (timezone.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** A compiled schedule: the parsed expression and what DST handling needs. */
interface Compiled {
  expanded: string;
  timezone: string;
  everyHour: boolean;
}

function parse(expanded: string, timezone: string, from: Date): CronExpression {
  return CronExpressionParser.parse(expanded, { currentDate: from, tz: timezone });
}

function compile(expr: string, timezone: string, key: string): Compiled {
  if (!isValidTimeZone(timezone)) {
    throw new ScheduleError(
      `"${timezone}" is not a time zone: use an IANA name such as UTC, Europe/Berlin or America/New_York`,
    );
  }
  const expanded = expandHash(expr, key);
  let parsed: CronExpression;
  try {
    parsed = parse(expanded, timezone, new Date(0));
    // Expressions such as "0 0 30 2 *" parse but never fire; cron-parser throws on the first step.
    parsed.next();
  } catch (e) {
    throw new ScheduleError(
      `"${expr.trim()}" is not a valid cron expression (${(e as Error).message}); ${EXAMPLE}`,
    );
  }
  return { expanded, timezone, everyHour: parsed.fields.hour.values.length === 24 };
}

/** Problems with a schedule, as sentences for users (empty when it is fine). */
export function scheduleErrors(expr: string, timezone: string): string[] {
  try {
    // The key does not change whether an expression is valid, only where its H values land.
    compile(expr, timezone, "validation");
    return [];
  } catch (e) {
    if (e instanceof ScheduleError) return [e.message];
    throw e;
  }
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

function wallClock(date: number, timezone: string): string {
  let format = wallClocks.get(timezone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
    });
    wallClocks.set(timezone, format);
  }
  return format.format(date);
}

const MINUTE = 60_000;
/** Every DST shift in the time zone database is one of these (Lord Howe 30 min, Troll 2 h). */
const DST_SHIFTS = [30 * MINUTE, 60 * MINUTE, 120 * MINUTE];
/**
 * Iteration starts this long before the instant asked about, so it always crosses a DST change
 * from before it: cron-parser's answer near a change depends on where it starts.
 */
const LEAD = 3 * 60 * MINUTE;

/** True when the local time at `t` already occurred earlier that night (the repeated hour of a fall back). */
function repeatsEarlierTime(t: number, timezone: string): boolean {
  const wall = wallClock(t, timezone);
  return DST_SHIFTS.some((shift) => wallClock(t - shift, timezone) === wall);
}

/** Fires in (start, end], oldest first, at most `limit` (the first ones). */
function firesIn(c: Compiled, start: number, end: number, limit: number): number[] {
  const out: number[] = [];
  const iterator = parse(c.expanded, c.timezone, new Date(start - LEAD));
  while (out.length < limit) {
    let t: number;
    try {
      t = iterator.next().getTime();
    } catch {
      break;
    }
    if (t > end) break;
    if (t <= start) continue;
    if (!c.everyHour && repeatsEarlierTime(t, c.timezone)) continue;
    out.push(t);
  }
  return out;
}

/**
 * The first time strictly after `after` when the schedule fires. Throws a ScheduleError for an
 * invalid expression or time zone.
 */
export function nextFire(expr: string, timezone: string, key: string, after: Date): Date {
  const c = compile(expr, timezone, key);
  // The next fire of any valid expression is within about four years (29 February on a weekday).
  const fires = firesIn(c, after.getTime(), after.getTime() + 5 * 366 * 24 * 60 * MINUTE, 1);
  const first = fires[0];
  if (first === undefined) {
    throw new ScheduleError(`"${expr.trim()}" never fires; ${EXAMPLE}`);
  }
  return new Date(first);
}

/**
 * The times in (`from`, `to`] when the schedule fires, oldest first; when there are more than
 * `limit`, only the latest `limit`. The scheduler passes the last fire it recorded as `from`, so a
 * fire missed while monobot was down is returned once and, once recorded, never again.
 */
export function dueFires(
  expr: string,
  timezone: string,
  key: string,
  from: Date,
  to: Date,
  limit = 100,
): Date[] {
  const c = compile(expr, timezone, key);
  const start = from.getTime();
  const end = to.getTime();
  if (!(end > start) || limit < 1) return [];
  // Look back from `to` in growing windows, so a long outage costs no more than `limit` fires.
  for (let span = 60 * MINUTE; ; span *= 4) {
    const windowStart = Math.max(start, end - span);
    const fires = firesIn(c, windowStart, end, Number.MAX_SAFE_INTEGER);
    if (fires.length >= limit || windowStart === start) {
      return fires.slice(-limit).map((t) => new Date(t));
    }
  }
}

/** The expression with its `H` forms expanded for one key, for logs and the summary. */
export function describeSchedule(expr: string, timezone: string, key: string): string {
  return `${expandHash(expr, key)} (${timezone})`;
}
