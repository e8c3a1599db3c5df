// Benchmark of policy patterns and globs on the linear engine (re2js) against JavaScript's
// backtracking RegExp, on safe inputs and on the inputs that stall the backtracking engine.
import { pathToFileURL } from "node:url";
import picomatch from "picomatch";
import { globMatcher } from "../src/core/glob.js";
import { compilePattern } from "../src/core/pattern.js";
import { redactSecrets } from "../src/core/redact.js";

/** The old path: a leading inline flag group turned into RegExp flags. */
function backtrackingPattern(pattern: string): RegExp {
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  if (!inline) return new RegExp(pattern);
  return new RegExp(pattern.slice(inline[0].length), [...new Set(inline[1])].join(""));
}

/** Median wall time of `run` in milliseconds, over `runs` runs of `inner` calls each. */
function timeMs(run: () => unknown, runs = 7, inner = 1): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    for (let j = 0; j < inner; j++) run();
    times.push((performance.now() - t0) / inner);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

function row(what: string, engine: string, input: string, ms: number, result: unknown) {
  return {
    what,
    engine,
    input,
    median_ms: Number(ms < 0.01 ? ms.toFixed(5) : ms.toFixed(2)),
    result: String(result),
  };
}

export async function benchPatterns(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows: Array<Record<string, string | number>> = [];
  const recheck = "(?i)^.*recheck$";
  const safe = "Please recheck";
  const linear = compilePattern(recheck);
  const old = backtrackingPattern(recheck);
  rows.push(
    row(
      "triggers.recheck default",
      "RegExp",
      "14-char comment",
      timeMs(() => old.test(safe), 7, 10_000),
      old.test(safe),
    ),
    row(
      "triggers.recheck default",
      "re2js",
      "14-char comment",
      timeMs(() => linear.test(safe), 7, 10_000),
      linear.test(safe),
    ),
  );

  const catastrophic = "(?i)^(a+)+recheck$";
  const comment = `${"a".repeat(100_000)}recheck!`;
  const linearBad = compilePattern(catastrophic);
  rows.push(
    row(
      "(?i)^(a+)+recheck$",
      "re2js",
      "100 KB comment",
      timeMs(() => linearBad.test(comment), 5),
      linearBad.test(comment),
    ),
  );
  // The backtracking engine doubles its time with each character: 100 KB would never finish.
  const oldBad = backtrackingPattern(catastrophic);
  for (const n of [20, 22, 24]) {
    const small = `${"a".repeat(n)}recheck!`;
    rows.push(
      row(
        "(?i)^(a+)+recheck$",
        "RegExp",
        `${n + 8}-char comment`,
        timeMs(() => oldBad.test(small), 3),
        oldBad.test(small),
      ),
    );
  }

  const globs = ["**/VERSION", "docs/**", "**/*.{png,jpg}", "services/*/src/**", "!vendor/**"];
  const paths = Array.from(
    { length: 3000 },
    (_, i) => `services/svc-${i % 60}/src/mod${i}/file${i}.ts`,
  );
  const ours = globMatcher(globs);
  const theirs = picomatch(globs, { dot: true });
  rows.push(
    row(
      "5 policy globs x 3,000 paths",
      "picomatch RegExp",
      "PR file list",
      timeMs(() => paths.filter((p) => theirs(p)).length),
      paths.filter((p) => theirs(p)).length,
    ),
    row(
      "5 policy globs x 3,000 paths",
      "re2js",
      "PR file list",
      timeMs(() => paths.filter(ours).length),
      paths.filter(ours).length,
    ),
  );
  const badGlob = "a*a*a*a*a*a*a*b";
  const longName = "a".repeat(255);
  rows.push(
    row(
      badGlob,
      "re2js",
      "255-char file name",
      timeMs(() => globMatcher([badGlob])(longName), 5),
      globMatcher([badGlob])(longName),
    ),
  );
  const theirsBad = picomatch(badGlob, { dot: true });
  rows.push(
    row(
      badGlob,
      "picomatch RegExp",
      "40-char file name",
      timeMs(() => theirsBad("a".repeat(40)), 3),
      theirsBad("a".repeat(40)),
    ),
  );

  const log = Array.from({ length: 20_000 }, (_, i) =>
    i % 500 === 0
      ? `step ${i}: token = "ghp_${"Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2".slice(0, 36)}"`
      : `step ${i}: compiled module ${i} in ${i % 97} ms`,
  ).join("\n");
  rows.push(
    row(
      "redactSecrets",
      "secret rules",
      "20,000-line log (1 MB)",
      timeMs(() => redactSecrets(log), 5),
      "masked",
    ),
  );
  return { rows };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchPatterns();
  console.table(rows);
}
