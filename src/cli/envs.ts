// `monobot envs`: what version of each component every environment runs, read offline from a config repo checkout.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import {
  configRepoComponents,
  environmentMatrix,
  expandEnvironmentPins,
  pinFiles,
  type EnvCell,
  type EnvironmentMatrix,
} from "../core/env-matrix.js";
import { formatPolicyErrors, resolvePolicy, type PolicySource } from "../core/policy.js";
import { CONFIG_PATH } from "../forge/policy-loader.js";

const EXIT_OK = 0;
const EXIT_USAGE = 2;

export const ENVS_USAGE = `monobot envs: what version of each component every environment runs

Usage:
  monobot envs [--repo PATH] [--format text|json] [--config FILE]
      Read the config repo checkout at PATH (default .): its ${CONFIG_PATH} (or FILE)
      names the environments and where each pins a component's version; print the
      component x environment matrix with each version, its chart and the file:line of
      the pin. Pin problems (a key naming nothing, a file that does not parse) are
      printed on stderr with their file and line, as monobot/config reports them.

Exit status: 0 done, 2 usage or configuration error.
`;

export interface EnvsCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  cwd: string;
}

class EnvsUsageError extends Error {}

/** Chart.yaml files under `root` (folders starting with a dot and node_modules skipped), as repository paths. */
function chartFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!e.name.startsWith(".") && e.name !== "node_modules") walk(join(dir, e.name));
      } else if (e.name === "Chart.yaml") {
        out.push(relative(root, join(dir, e.name)).split(sep).join("/"));
      }
    }
  };
  walk(root);
  return out;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The policy source: --config FILE (relative to the working directory) or the checkout's own. */
function policySource(repo: string, config: string | undefined, cwd: string): PolicySource[] {
  if (config !== undefined) {
    const text = readText(resolve(cwd, config));
    if (text === undefined) throw new EnvsUsageError(`cannot read ${config}`);
    return [{ file: config, text }];
  }
  const text = readText(join(repo, CONFIG_PATH));
  return text === undefined ? [] : [{ file: CONFIG_PATH, text }];
}

/** Reads a checkout and builds its matrix with the bot's pure functions. */
export function readEnvironmentMatrix(
  repo: string,
  sources: PolicySource[],
): { ok: true; matrix: EnvironmentMatrix } | { ok: false; errors: string } {
  const resolved = resolvePolicy(sources);
  if (!resolved.ok) return { ok: false, errors: formatPolicyErrors(resolved.errors) };
  const policy = resolved.policy;
  const files = new Map<string, string>();
  for (const path of chartFiles(repo)) {
    const text = readText(join(repo, path));
    if (text !== undefined) files.set(path, text);
  }
  const components = configRepoComponents(policy, files);
  for (const path of pinFiles(expandEnvironmentPins(policy.deploy.environments, components))) {
    if (files.has(path)) continue;
    const text = readText(join(repo, path));
    if (text !== undefined) files.set(path, text);
  }
  const source = sources[sources.length - 1];
  const matrix = environmentMatrix({
    policy,
    files,
    components,
    ...(source ? { policySource: source } : {}),
  });
  return { ok: true, matrix };
}

function cellText(cell: EnvCell | undefined): string {
  if (!cell) return "-";
  const first = cell.pins[0];
  const where = first ? ` ${first.file}:${first.line}` : "";
  const more = cell.pins.length > 1 ? ` (+${cell.pins.length - 1})` : "";
  if (cell.mixed) {
    const values = [...new Set(cell.pins.map((p) => p.value ?? "none"))];
    return `mixed: ${values.join(" / ")}${where}${more}`;
  }
  return `${cell.version ?? "not pinned"}${where}${more}`;
}

/** The matrix as an aligned table: one row per component, one column per environment. */
export function formatEnvironmentMatrix(matrix: EnvironmentMatrix): string {
  const cells = new Map(matrix.cells.map((c) => [`${c.component}\n${c.environment}`, c]));
  const header = [
    "COMPONENT",
    "CHART",
    ...matrix.environments.map(
      (e) => `${e.name.toUpperCase()}${e.production ? " (production)" : ""}`,
    ),
  ];
  const rows = matrix.components.map((component) => [
    component.name,
    component.charts.map((c) => c.folder).join(", "),
    ...matrix.environments.map((e) => cellText(cells.get(`${component.name}\n${e.name}`))),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  const kind = matrix.cells[0]?.kind === "chart" ? "chart versions" : "image tags";
  return [
    `Environments in promotion order: ${matrix.environments.map((e) => e.name).join(" -> ")}; the pins hold ${kind}.`,
    "",
    line(header),
    ...rows.map(line),
    "",
  ].join("\n");
}

/** The matrix as JSON: environments, then each component with its cell per environment. */
export function environmentMatrixJson(matrix: EnvironmentMatrix): unknown {
  const cells = new Map(matrix.cells.map((c) => [`${c.component}\n${c.environment}`, c]));
  return {
    environments: matrix.environments,
    components: matrix.components.map((component) => ({
      name: component.name,
      charts: component.charts.map((c) => c.folder),
      environments: Object.fromEntries(
        matrix.environments.map((e) => {
          const cell = cells.get(`${component.name}\n${e.name}`);
          return [
            e.name,
            cell
              ? {
                  version: cell.version ?? null,
                  kind: cell.kind,
                  mixed: cell.mixed,
                  pins: cell.pins,
                }
              : null,
          ];
        }),
      ),
    })),
    errors: matrix.errors,
  };
}

export function runEnvsCli(args: string[], io: EnvsCliIo): number {
  try {
    const { values } = parseArgs({
      args,
      options: {
        repo: { type: "string", default: "." },
        format: { type: "string", default: "text" },
        config: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help) {
      io.stdout(ENVS_USAGE);
      return EXIT_OK;
    }
    if (values.format !== "text" && values.format !== "json") {
      throw new EnvsUsageError(`--format must be text or json, got "${values.format}"`);
    }
    const repo = resolve(io.cwd, values.repo);
    const sources = policySource(repo, values.config, io.cwd);
    const read = readEnvironmentMatrix(repo, sources);
    if (!read.ok) {
      io.stderr(`${read.errors}\n`);
      return EXIT_USAGE;
    }
    const { matrix } = read;
    if (values.format === "json")
      io.stdout(`${JSON.stringify(environmentMatrixJson(matrix), null, 2)}\n`);
    else if (matrix.environments.length === 0) {
      io.stdout(
        `${sources[0]?.file ?? CONFIG_PATH} lists no environments (deploy.environments); see docs/environments.md.\n`,
      );
    } else io.stdout(formatEnvironmentMatrix(matrix));
    for (const e of matrix.errors) io.stderr(`${e.file}:${e.line}: ${e.message}\n`);
    return matrix.errors.length > 0 ? EXIT_USAGE : EXIT_OK;
  } catch (e) {
    const code = String((e as { code?: string }).code);
    if (e instanceof EnvsUsageError || code.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`monobot envs: ${(e as Error).message}\nRun \`monobot envs --help\` for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}
