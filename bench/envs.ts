// Benchmark: `monobot envs` wall time and peak memory on generated config repos of 1,000 components x 5 environments, one per pin layout.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const COMPONENTS = 1_000;
const ENVIRONMENTS = ["dev", "qa", "staging", "canary", "production"];
const RUNS = 3;

const BIN = fileURLToPath(new URL("../bin/monobot.js", import.meta.url));
const TIME = "/usr/bin/time";

type Layout = "fleet" | "values" | "umbrella";

const name = (i: number) => `svc-${String(i).padStart(4, "0")}`;
const tag = (i: number, e: number) => `1.${i % 50}.${ENVIRONMENTS.length - e}`;

function write(root: string, path: string, text: string): void {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, text);
}

function pinOf(layout: Layout): { file: string; key: string } {
  switch (layout) {
    case "fleet":
      return {
        file: "fleet/platform/fleet.yaml",
        key: "targetCustomizations[name={environment}].helm.values.{chart_name}.image.tag",
      };
    case "values":
      return { file: "envs/{environment}/values.yaml", key: "{chart_name}.image.tag" };
    case "umbrella":
      return {
        file: "envs/{environment}/Chart.yaml",
        key: "dependencies[name={chart_name}].version",
      };
  }
}

function policy(layout: Layout): string {
  const pin = pinOf(layout);
  const lines = ["deploy:", "  environments:"];
  for (const env of ENVIRONMENTS) {
    lines.push(`    - name: ${env}`);
    if (env === "production") lines.push("      production: true");
    lines.push(`      pins: [{ file: "${pin.file}", key: "${pin.key}" }]`);
    lines.push("      verify: { soak: 10m }");
  }
  if (layout === "umbrella") lines.push("charts:", '  paths: ["charts/**", "envs/**"]');
  return `${lines.join("\n")}\n`;
}

function fleet(): string {
  const out = ["# Generated: every component in every environment.", "defaultNamespace: platform"];
  out.push("helm:", "  chart: ../../charts/platform", "targetCustomizations:");
  ENVIRONMENTS.forEach((env, e) => {
    out.push(`  - name: ${env}`, `    clusterGroup: ${env}`, "    helm:", "      values:");
    for (let i = 0; i < COMPONENTS; i++) {
      out.push(`        ${name(i)}:`, "          image:", `            tag: "${tag(i, e)}"`);
    }
  });
  return `${out.join("\n")}\n`;
}

/** A config repo of one layout on disk: a chart per component, the pins of 5 environments. */
export function generate(layout: Layout): string {
  const root = mkdtempSync(join(tmpdir(), `monobot-bench-envs-${layout}-`));
  write(root, ".github/monobot.yml", policy(layout));
  for (let i = 0; i < COMPONENTS; i++) {
    const chart = `apiVersion: v2\nname: ${name(i)}\nversion: 0.${i % 50}.0\nappVersion: "1.0.0"\n`;
    write(root, `charts/${name(i)}/Chart.yaml`, chart);
    write(root, `charts/${name(i)}/values.yaml`, "image:\n  tag: 1.0.0\n");
  }
  if (layout === "fleet") write(root, "fleet/platform/fleet.yaml", fleet());
  ENVIRONMENTS.forEach((env, e) => {
    if (layout === "values") {
      const lines = [`# Values of ${env}.`];
      for (let i = 0; i < COMPONENTS; i++) {
        lines.push(`${name(i)}:`, "  image:", `    tag: "${tag(i, e)}"`);
      }
      write(root, `envs/${env}/values.yaml`, `${lines.join("\n")}\n`);
    }
    if (layout === "umbrella") {
      const lines = ["apiVersion: v2", `name: platform-${env}`, "version: 1.0.0", "dependencies:"];
      for (let i = 0; i < COMPONENTS; i++) {
        lines.push(
          `  - name: ${name(i)}`,
          `    version: 0.${i % 50}.${ENVIRONMENTS.length - e}`,
          "    repository: https://charts.example.com/platform",
        );
      }
      write(root, `envs/${env}/Chart.yaml`, `${lines.join("\n")}\n`);
    }
  });
  return root;
}

interface Run {
  wallSeconds: number;
  /** User + system CPU seconds: on a shared machine the wall clock also counts waiting for a core. */
  cpuSeconds: number;
  peakRssMb: number;
  exitCode: number;
  stdout: string;
}

function runTimed(args: string[]): Run {
  const res = spawnSync(TIME, ["-f", "monobot-bench %e %U %S %M", process.execPath, BIN, ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const m = /monobot-bench ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(res.stderr);
  if (!m) throw new Error(`could not read /usr/bin/time's figures: ${res.stderr.slice(-500)}`);
  return {
    wallSeconds: Number(m[1]),
    cpuSeconds: Number(m[2]) + Number(m[3]),
    peakRssMb: Number(m[4]) / 1024,
    exitCode: res.status ?? -1,
    stdout: res.stdout,
  };
}

/** Without /usr/bin/time or the built CLI: runCli in this process, wall time only for memory's sake. */
async function runInProcess(args: string[]): Promise<Run> {
  const { runCli } = await import("../src/cli.js");
  let stdout = "";
  const started = performance.now();
  const cpu = process.cpuUsage();
  const exitCode = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: () => undefined,
    cwd: process.cwd(),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  return {
    wallSeconds,
    cpuSeconds,
    peakRssMb: process.memoryUsage().rss / 1024 / 1024,
    exitCode,
    stdout,
  };
}

const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** `monobot envs --format json` on each layout's generated repository, RUNS times. */
export async function benchEnvs(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows: Array<Record<string, string | number>> = [];
  const timed = existsSync(TIME) && existsSync(BIN);
  for (const layout of ["fleet", "values", "umbrella"] as const) {
    const root = generate(layout);
    try {
      const args = ["envs", "--repo", root, "--format", "json"];
      for (let run = 1; run <= RUNS; run++) {
        const r = timed ? runTimed(args) : await runInProcess(args);
        const out = JSON.parse(r.stdout) as { components: unknown[]; errors: unknown[] };
        rows.push({
          layout,
          run,
          components: out.components.length,
          environments: ENVIRONMENTS.length,
          "pin errors": out.errors.length,
          "wall s": round(r.wallSeconds),
          "CPU s": round(r.cpuSeconds),
          "peak RSS MB": round(r.peakRssMb, 1),
          exit: r.exitCode,
          measured: timed ? "/usr/bin/time (child)" : "in-process",
        });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
  return { rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { rows } = await benchEnvs();
  console.table(rows);
}
