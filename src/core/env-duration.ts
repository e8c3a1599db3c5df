// Durations of the environments policy (`verify.soak`): `20s`, `10m`, `1h`, `1h30m`, `2d` to milliseconds and back.
import { DURATION_PATTERN } from "./environments-schema.js";

const UNIT_MS: Readonly<Record<string, number>> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
};

const WHOLE = new RegExp(DURATION_PATTERN);

/**
 * A duration in milliseconds, or undefined when `text` is not one: digits and a unit (d, h, m,
 * s), several parts in descending order (`1h30m`, not `30m1h`), no spaces, no sign.
 */
export function parseDuration(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(/([0-9]+)([dhms])/g)) {
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Milliseconds written as parseDuration reads them (`5400000` -> `1h30m`; under a second -> `0s`). */
export function formatDuration(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000)) * 1000;
  let out = "";
  for (const [unit, size] of Object.entries(UNIT_MS)) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out === "" ? "0s" : out;
}
