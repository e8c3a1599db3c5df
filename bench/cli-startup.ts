// Benchmark: `monobot check` on a small change of a 10-chart, 10-component repository, whole process,
// side by side with a bare `node -e ""` start and `monobot --help` (medians of interleaved runs).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const COMPONENTS = 10;
/** Interleaved rounds: each round runs every command once, so load on the machine hits them alike. */
const ROUNDS = Number(process.env.MONOBOT_BENCH_ROUNDS ?? 15);
const WARMUP = 2;

const BIN = fileURLToPath(new URL("../bin/monobot.js", import.meta.url));
/** The same CLI as tsc compiles it, module by module, with the run-time validator and defaults. */
const UNBUNDLED = fileURLToPath(new URL("../dist/cli-main.js", import.meta.url));
const TIME = "/usr/bin/time";

function chartYaml(i: number, version: string, appVersion: string): string {
  return [
    "apiVersion: v2",
    `name: svc-${i}`,
    "description: A generated service chart",
    "type: application",
    `version: ${version}`,
    `appVersion: "${appVersion}"`,
    "",
  ].join("\n");
}

function goFile(i: number, extra = ""): string {
  return [
    "// SPDX-License-Identifier: Apache-2.0",
    `package svc${i}`,
    "",
    `// Handle serves svc-${i}.`,
    "func Handle(path string) string {",
    `\treturn "svc-${i}:" + path`,
    "}",
    extra,
  ].join("\n");
}

/** main: 10 components under services/, 10 charts under charts/; `change` bumps one of each. */
export function fastImportStream(): Buffer {
  const parts: Buffer[] = [];
  const text = (s: string) => parts.push(Buffer.from(s, "utf8"));
  const data = (s: string) => {
    const b = Buffer.from(s, "utf8");
    text(`data ${b.length}\n`);
    parts.push(b);
    text("\n");
  };
  const file = (path: string, content: string) => {
    text(`M 100644 inline ${path}\n`);
    data(content);
  };
  const who = "Alice Liddell <alice@example.com> 1767225600 +0000";
  const appVersions = Array.from(
    { length: COMPONENTS },
    (_, i) => `    charts/svc-${i}: svc-${i}`,
  ).join("\n");

  text(`commit refs/heads/main\nauthor ${who}\ncommitter ${who}\n`);
  data("Import the services and their charts\n");
  file("LICENSE", "SPDX-License-Identifier: Apache-2.0\n");
  file("README.md", "# Services and charts\n");
  file(".github/monobot.yml", `charts:\n  app_version:\n${appVersions}\n`);
  for (let i = 0; i < COMPONENTS; i++) {
    file(`services/svc-${i}/VERSION`, "1.0.0\n");
    file(`services/svc-${i}/main.go`, goFile(i));
    file(`services/svc-${i}/README.md`, `# svc-${i}\n`);
    file(`charts/svc-${i}/Chart.yaml`, chartYaml(i, "0.1.0", "1.0.0"));
    file(`charts/svc-${i}/values.yaml`, `image:\n  repository: svc-${i}\n  tag: "1.0.0"\n`);
    file(
      `charts/svc-${i}/templates/deployment.yaml`,
      `# SPDX-License-Identifier: Apache-2.0\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc-${i}\n`,
    );
  }

  text(`commit refs/heads/change\nauthor ${who}\ncommitter ${who}\n`);
  data("svc-3: serve /version\n\nSigned-off-by: Alice Liddell <alice@example.com>\n");
  text("from refs/heads/main\n");
  file("services/svc-3/VERSION", "1.1.0\n");
  file(
    "services/svc-3/main.go",
    goFile(3, '\n// Version is served on /version.\nconst Version = "1.1.0"\n'),
  );
  file("charts/svc-3/Chart.yaml", chartYaml(3, "0.2.0", "1.1.0"));
  file("charts/svc-3/values.yaml", `image:\n  repository: svc-3\n  tag: "1.1.0"\n`);
  return Buffer.concat(parts);
}

function generateRepository(): string {
  const root = mkdtempSync(join(tmpdir(), "monobot-bench-startup-"));
  const dir = join(root, "charts-and-services");
  execFileSync("git", ["init", "-q", "-b", "main", dir]);
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1" };
  execFileSync("git", ["fast-import", "--quiet"], { cwd: dir, input: fastImportStream(), env });
  execFileSync("git", ["checkout", "-q", "-f", "main"], { cwd: dir, env });
  return dir;
}

interface Sample {
  ms: number;
  /** Largest resident set of the process tree, from /usr/bin/time, or NaN without it. */
  rssMb: number;
  exit: number;
}

function runOnce(args: string[]): Sample {
  const timed = existsSync(TIME);
  const [cmd, argv] = timed
    ? [TIME, ["-f", "monobot-bench %M", process.execPath, ...args]]
    : [process.execPath, args];
  const started = performance.now();
  const res = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  const m = /monobot-bench (\d+)\s*$/.exec(res.stderr);
  if (timed && !m)
    throw new Error(`could not read /usr/bin/time's figures: ${res.stderr.slice(-500)}`);
  return { ms, rssMb: m ? Number(m[1]) / 1024 : Number.NaN, exit: res.status ?? -1 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export async function benchCliStartup(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const repo = generateRepository();
  try {
    const commands: { name: string; args: string[]; expectExit: number }[] = [
      { name: 'node -e ""', args: ["-e", ""], expectExit: 0 },
      { name: "monobot --help", args: [BIN, "--help"], expectExit: 0 },
      {
        name: "monobot check (1 component + 1 chart bumped)",
        args: [BIN, "check", "--repo", repo, "--base", "main", "--head", "change"],
        expectExit: 0,
      },
      {
        name: "the same check, unbundled (dist/cli-main.js)",
        args: [UNBUNDLED, "check", "--repo", repo, "--base", "main", "--head", "change"],
        expectExit: 0,
      },
    ];
    const samples = commands.map(() => [] as Sample[]);
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      commands.forEach((c, i) => {
        const s = runOnce(c.args);
        if (s.exit !== c.expectExit) {
          throw new Error(`${c.name} exited with ${s.exit}, expected ${c.expectExit}`);
        }
        if (round >= WARMUP) samples[i]?.push(s);
      });
    }
    const bare = median(samples[0]?.map((s) => s.ms) ?? []);
    const rows = commands.map((c, i) => {
      const runs = samples[i] ?? [];
      const ms = median(runs.map((s) => s.ms));
      return {
        command: c.name,
        "median ms": round(ms),
        "min ms": round(Math.min(...runs.map((s) => s.ms))),
        "x bare node": round(ms / bare, 2),
        "peak RSS MB": round(median(runs.map((s) => s.rssMb))),
        runs: runs.length,
      };
    });
    return { rows };
  } finally {
    rmSync(join(repo, ".."), { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchCliStartup();
  console.table(rows);
}
