// Benchmark: `monobot check` wall time and peak memory on a generated git repository of 20,000 files.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const COMPONENTS = 1_000;
/** Files per component: VERSION, README.md and 18 Go files, so 20,000 files (and 2 at the root). */
const FILES_PER_COMPONENT = 20;
const TOUCHED = 50;
const RUNS = 3;

const BIN = fileURLToPath(new URL("../bin/monobot.js", import.meta.url));
const TIME = "/usr/bin/time";

function folderOf(i: number): string {
  const group = `group-${String(i % 25).padStart(2, "0")}`;
  // Every tenth component is a plugin nested inside the previous service.
  if (i % 10 === 9) return `services/${group}/svc-${i - 1}/plugins/plugin-${i}`;
  return `services/${group}/svc-${i}`;
}

function goFile(i: number, f: number, extra = ""): string {
  return [
    "// SPDX-License-Identifier: Apache-2.0",
    `package svc${i}`,
    "",
    `// Handler${f} serves one route of svc-${i}.`,
    `func Handler${f}(path string) string {`,
    `\treturn "svc-${i}/${f}:" + path`,
    "}",
    extra,
  ].join("\n");
}

/** A fast-import stream: main with every file, and `change` touching TOUCHED components (code + VERSION). */
function fastImportStream(): { stream: Buffer; files: number; changed: number } {
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, "utf8"));
  const data = (s: string) => {
    const b = Buffer.from(s, "utf8");
    text(`data ${b.length}\n`);
    parts.push(b);
    text("\n");
  };
  const who = "Alice Liddell <alice@example.com> 1767225600 +0000";
  const file = (path: string, content: string) => {
    text(`M 100644 inline ${path}\n`);
    data(content);
  };

  let files = 0;
  text(`commit refs/heads/main\nauthor ${who}\ncommitter ${who}\n`);
  data("Import the monorepo\n");
  file("LICENSE", "SPDX-License-Identifier: Apache-2.0\n");
  file("README.md", "# A generated monorepo\n");
  files += 2;
  for (let i = 0; i < COMPONENTS; i++) {
    const folder = folderOf(i);
    file(`${folder}/VERSION`, "1.0.0\n");
    file(`${folder}/README.md`, `# svc-${i}\n\nA generated component.\n`);
    for (let f = 0; f < FILES_PER_COMPONENT - 2; f++)
      file(`${folder}/handler_${f}.go`, goFile(i, f));
    files += FILES_PER_COMPONENT;
  }

  let changed = 0;
  text(`commit refs/heads/change\nauthor ${who}\ncommitter ${who}\n`);
  data(
    `Serve /version in ${TOUCHED} components\n\nSigned-off-by: Alice Liddell <alice@example.com>\n`,
  );
  text("from refs/heads/main\n");
  const step = Math.floor(COMPONENTS / TOUCHED);
  for (let k = 0; k < TOUCHED; k++) {
    const i = k * step + 3;
    file(`${folderOf(i)}/VERSION`, "1.1.0\n");
    file(
      `${folderOf(i)}/handler_0.go`,
      goFile(i, 0, `\n// Version is served on /version.\nconst Version = "1.1.0"\n`),
    );
    changed += 2;
  }
  return { stream: Buffer.concat(parts), files, changed };
}

function generateRepository(): { dir: string; files: number; changed: number; seconds: number } {
  const started = performance.now();
  const root = mkdtempSync(join(tmpdir(), "monobot-bench-cli-"));
  const dir = join(root, "monorepo");
  const git = (args: string[], input?: Buffer) =>
    execFileSync("git", args, {
      cwd: dir,
      input,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1" },
      maxBuffer: 64 * 1024 * 1024,
    });
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  const { stream, files, changed } = fastImportStream();
  git(["fast-import", "--quiet"], stream);
  git(["checkout", "-q", "-f", "main"]);
  return { dir, files, changed, seconds: (performance.now() - started) / 1000 };
}

interface Run {
  wallSeconds: number;
  peakRssMb: number;
  exitCode: number;
  stdout: string;
}

/** Runs the CLI as a child process under /usr/bin/time: wall clock and the largest resident set. */
function runTimed(args: string[]): Run {
  const res = spawnSync(TIME, ["-f", "monobot-bench %e %M", process.execPath, BIN, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const m = /monobot-bench ([\d.]+) (\d+)\s*$/.exec(res.stderr);
  if (!m) throw new Error(`could not read /usr/bin/time's figures: ${res.stderr.slice(-500)}`);
  return {
    wallSeconds: Number(m[1]),
    peakRssMb: Number(m[2]) / 1024,
    // /usr/bin/time exits with the command's status.
    exitCode: res.status ?? -1,
    stdout: res.stdout,
  };
}

/** Without /usr/bin/time: runCli in this process, its RSS sampled every 10 ms (this process's own included). */
async function runInProcess(args: string[]): Promise<Run> {
  const { runCli } = await import("../src/cli.js");
  let stdout = "";
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const exitCode = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: () => undefined,
    cwd: process.cwd(),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { wallSeconds, peakRssMb: peak / 1024 / 1024, exitCode, stdout };
}

/** "6 checks, all success", or the ones that did not succeed. */
function checksLine(checks: CliJson["checks"]): string {
  const other = checks.filter((c) => c.conclusion !== "success");
  return `${checks.length} checks, ${other.length === 0 ? "all success" : other.map((c) => `${c.name}=${c.conclusion}`).join(" ")}`;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

interface CliJson {
  components: Array<{ affected: boolean }>;
  checks: Array<{ name: string; conclusion: string }>;
}

/**
 * `monobot check --format json` on the generated repository, RUNS times. With /usr/bin/time the figures are the
 * child's wall time and `%M` (the largest resident set among node and the git processes it waited for);
 * without it, runCli in-process with sampled RSS.
 */
export async function benchCli(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const repo = generateRepository();
  try {
    const args = [
      "check",
      "--repo",
      repo.dir,
      "--base",
      "main",
      "--head",
      "change",
      "--format",
      "json",
    ];
    const timed = existsSync(TIME);
    const rows: Array<Record<string, string | number>> = [];
    for (let run = 1; run <= RUNS; run++) {
      const r = timed ? runTimed(args) : await runInProcess(args);
      const out = JSON.parse(r.stdout) as CliJson;
      rows.push({
        run,
        "repo files": repo.files,
        components: out.components.length,
        "changed files": repo.changed,
        affected: out.components.filter((c) => c.affected).length,
        "wall s": round(r.wallSeconds),
        "peak RSS MB": round(r.peakRssMb, 1),
        exit: r.exitCode,
        checks: checksLine(out.checks),
        measured: timed ? "/usr/bin/time (child)" : "in-process, RSS sampled",
      });
    }
    rows.push({ run: "generating the repository (git)", "wall s": round(repo.seconds) });
    return { rows };
  } finally {
    rmSync(join(repo.dir, ".."), { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchCli();
  console.table(rows);
}
