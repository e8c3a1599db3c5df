// What runs where, from a config repo's files: the components, every environment's pins expanded, the component x environment matrix, and the pin errors `monobot/config` reports.
import { lineOf } from "./policy.js";
import {
  CHART_FILE,
  chartFolders,
  parseChart,
  resolveDependency,
  type ChartManifest,
} from "./charts.js";
import {
  COMPONENT_PLACEHOLDERS,
  expandPin,
  expandSteps,
  parsePinKey,
  pinPlaceholders,
  type PinStep,
} from "./env-pin-key.js";
import { pinKind, pinLayout, type PinKind, type PinLayout } from "./env-layout.js";
import { openPinFile, readPinIn, type PinFile } from "./env-pins.js";
import { environmentList, type EnvironmentsConfig } from "./environments.js";
import type { Policy } from "./policy-schema.js";
import { isSemver } from "./versions.js";

/** A component as the config repo deploys it: its name and chart folders (with their Chart.yaml names). */
export interface EnvComponent {
  name: string;
  charts: { folder: string; name: string }[];
}

/** One environment's pin of one component's chart, placeholders expanded. */
export interface EnvPin {
  environment: string;
  component: string;
  chart: string;
  chartName: string;
  file: string;
  /** The key with placeholders expanded, as users read it. */
  key: string;
  steps: PinStep[];
  layout: PinLayout;
  kind: PinKind;
  /** Index of the environment in the list, and of the pin in its `pins`. */
  at: { environment: number; pin: number };
}

/** A problem to fix, on the line of the file that holds it. */
export interface EnvPinError {
  file: string;
  line: number;
  message: string;
}

const POLICY_FILE = ".github/monobot.yml";

function folderOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

const SIMPLE_LINE = /^([A-Za-z][A-Za-z0-9_-]*):(?: +(.*?))? *$/;
/** A name YAML reads as the same text (never a number, a boolean or null). */
const SIMPLE_NAME = /^(?:"[^"\\]*"|'[^']*'|[A-Za-z][A-Za-z0-9._-]*)$/;
const YAML_WORDS = /^(?:null|Null|NULL|true|True|TRUE|false|False|FALSE)$/;
const SIMPLE_VALUE = /^(?:"[^"\\]*"|'[^']*'|[A-Za-z0-9_.+~=<>^/()-][^:#{}[\],&*!|>'"%@`]*)$/;

/**
 * A Chart.yaml of top-level `key: value` lines only (no dependencies, nothing nested or
 * flow-styled), read without a YAML parse: most charts of a config repo of 1,000 components look
 * so, and parsing each was a third of `monobot envs`. Anything else (undefined) gets parseChart.
 */
function simpleChart(text: string): ChartManifest | undefined {
  const seen = new Set<string>();
  let name: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === "" || raw.startsWith("#")) continue;
    const m = SIMPLE_LINE.exec(raw.replace(/ +#.*$/, ""));
    if (!m) return undefined;
    const key = m[1] as string;
    const value = m[2] ?? "";
    if (key === "dependencies" || seen.has(key) || value === "" || !SIMPLE_VALUE.test(value)) {
      return undefined;
    }
    seen.add(key);
    if (key === "name") {
      if (!SIMPLE_NAME.test(value) || YAML_WORDS.test(value)) return undefined;
      name = /^["']/.test(value) ? value.slice(1, -1) : value;
    }
  }
  return name === undefined || name === "" ? undefined : { name, dependencies: [] };
}

function parsedCharts(
  paths: readonly string[],
  files: ReadonlyMap<string, string>,
  policy: Pick<Policy, "charts">,
  /** Folders only whose presence matters (the environments' umbrellas, which are no component). */
  unread: ReadonlySet<string> = new Set(),
): Map<string, ChartManifest> {
  const charts = new Map<string, ChartManifest>();
  for (const folder of chartFolders(paths, policy)) {
    const text = files.get(folder === "" ? CHART_FILE : `${folder}/${CHART_FILE}`);
    if (text === undefined) continue;
    // An environment's umbrella lists every component: parsing it here too doubled the cost.
    if (unread.has(folder)) {
      charts.set(folder, { dependencies: [] });
      continue;
    }
    const simple = simpleChart(text);
    if (simple) {
      charts.set(folder, simple);
      continue;
    }
    const parsed = parseChart(text, CHART_FILE);
    if (parsed.ok) charts.set(folder, parsed.chart);
  }
  return charts;
}

/** Folders of the environments' own umbrella charts (pin files named Chart.yaml). */
function umbrellaFolders(config: EnvironmentsConfig): Set<string> {
  const out = new Set<string>();
  for (const env of environmentList(config)) {
    for (const pin of env.pins) {
      if (pinLayout(pin.file) !== "umbrella") continue;
      const file = expandPin(pin.file, { environment: env.name });
      if (pinPlaceholders(file).length === 0) out.add(folderOf(file));
    }
  }
  return out;
}

/**
 * The components whose versions the environments pin: the policy's `components.define` entries
 * that name a chart, else every chart of the repository that packages no chart of it (an
 * umbrella packaging `file://` or embedded charts is how components are grouped, not one) and
 * is not an environment's own umbrella, named as its Chart.yaml names it.
 */
export function configRepoComponents(
  policy: Pick<Policy, "charts" | "components" | "deploy">,
  files: ReadonlyMap<string, string>,
): EnvComponent[] {
  const paths = [...files.keys()];
  const defined = Object.entries(policy.components.define).filter(([, d]) => d.chart);
  const umbrellas = umbrellaFolders(policy.deploy.environments);
  const charts = parsedCharts(paths, files, policy, defined.length > 0 ? undefined : umbrellas);
  const nameOf = (folder: string) =>
    charts.get(folder)?.name ?? folder.slice(folder.lastIndexOf("/") + 1);
  if (defined.length > 0) {
    return defined
      .map(([name, d]) => ({
        name,
        charts: (typeof d.chart === "string" ? [d.chart] : (d.chart ?? [])).map((folder) => ({
          folder,
          name: nameOf(folder),
        })),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }
  const out: EnvComponent[] = [];
  for (const [folder, chart] of charts) {
    if (umbrellas.has(folder)) continue;
    if (chart.dependencies.some((d) => resolveDependency(folder, d, charts) !== undefined)) {
      continue;
    }
    out.push({ name: nameOf(folder), charts: [{ folder, name: nameOf(folder) }] });
  }
  return out.sort(
    (a, b) =>
      a.name.localeCompare(b.name) ||
      (a.charts[0]?.folder ?? "").localeCompare(b.charts[0]?.folder ?? ""),
  );
}

/** Every environment's pins of every component, placeholders expanded (a key that does not parse is left out). */
export function expandEnvironmentPins(
  config: EnvironmentsConfig,
  components: readonly EnvComponent[],
): EnvPin[] {
  const out: EnvPin[] = [];
  environmentList(config).forEach((env, e) => {
    env.pins.forEach((pin, p) => {
      const parsed = parsePinKey(pin.key);
      if (!parsed.ok) return;
      const layout = pinLayout(pin.file);
      for (const component of components) {
        const seen = new Set<string>();
        for (const chart of component.charts) {
          const values = {
            environment: env.name,
            component: component.name,
            chart: chart.folder,
            chart_name: chart.name,
          };
          const file = expandPin(pin.file, values);
          const key = expandPin(pin.key, values);
          if (seen.has(`${file}\n${key}`)) continue;
          seen.add(`${file}\n${key}`);
          out.push({
            environment: env.name,
            component: component.name,
            chart: chart.folder,
            chartName: chart.name,
            file,
            key,
            steps: expandSteps(parsed.steps, values),
            layout,
            kind: pinKind(layout),
            at: { environment: e, pin: p },
          });
        }
      }
    });
  });
  return out;
}

/** The files `pins` read: what a caller reads (with the charts) before building the matrix. */
export function pinFiles(pins: readonly EnvPin[]): string[] {
  return [...new Set(pins.map((p) => p.file))].sort();
}

/** One pin as read: where it is and what it holds. */
export interface PinLocation {
  chart: string;
  file: string;
  key: string;
  /** 1-based line of the value (or of the place it is missing from). */
  line: number;
  /** The pinned version; undefined when this pin holds none yet. */
  value?: string;
}

/** What one environment runs of one component. */
export interface EnvCell {
  environment: string;
  component: string;
  kind: PinKind;
  /** The version every pin agrees on; undefined when none is pinned or the pins disagree. */
  version?: string;
  /** The pins disagree: each holds a different version. */
  mixed: boolean;
  pins: PinLocation[];
}

export interface EnvironmentMatrix {
  environments: { name: string; production: boolean }[];
  components: readonly EnvComponent[];
  /** Component-major: every environment of the first component, then the next. */
  cells: EnvCell[];
  errors: EnvPinError[];
}

export interface EnvironmentMatrixInput {
  policy: Pick<Policy, "charts" | "components" | "deploy">;
  /** The config repo's files that matter: every Chart.yaml and every pin file (path -> text). */
  files: ReadonlyMap<string, string>;
  /** The policy file's text, to put a pin's errors on the line of its key. */
  policySource?: { file: string; text: string };
  /** The components (default: {@link configRepoComponents}). */
  components?: readonly EnvComponent[];
}

function policyLine(
  input: EnvironmentMatrixInput,
  path: (string | number)[],
): { file: string; line: number } {
  const source = input.policySource;
  if (!source) return { file: POLICY_FILE, line: 1 };
  return { file: source.file, line: lineOf(source.text, path.map(String)).line };
}

interface PinGroupState {
  found: number;
  missing: { file: string; line: number; message: string }[];
  files: Set<string>;
}

/** Reads pins one by one, parsing each file once, collecting cells and errors. */
class PinReader {
  readonly errors: EnvPinError[] = [];
  /** Per policy pin (`environment/pin`): how many components it found, and where it missed. */
  readonly groups = new Map<string, PinGroupState>();
  readonly cells = new Map<string, EnvCell>();
  private readonly opened = new Map<string, PinFile | undefined>();
  private readonly reported = new Set<string>();

  constructor(private readonly input: EnvironmentMatrixInput) {}

  private open(path: string): PinFile | undefined {
    if (this.opened.has(path)) return this.opened.get(path);
    const text = this.input.files.get(path);
    let file: PinFile | undefined;
    if (text !== undefined) {
      const parsed = openPinFile(text);
      if ("doc" in parsed) file = parsed;
      else
        this.errors.push({ file: path, line: parsed.line, message: `${path} ${parsed.message}` });
    }
    this.opened.set(path, file);
    return file;
  }

  private once(key: string, error: EnvPinError): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.errors.push(error);
  }

  private cell(pin: EnvPin): EnvCell {
    const key = `${pin.component}\n${pin.environment}`;
    let cell = this.cells.get(key);
    if (!cell) {
      cell = {
        environment: pin.environment,
        component: pin.component,
        kind: pin.kind,
        mixed: false,
        pins: [],
      };
      this.cells.set(key, cell);
    }
    return cell;
  }

  read(pin: EnvPin): void {
    const groupKey = `${pin.at.environment}/${pin.at.pin}`;
    let group = this.groups.get(groupKey);
    if (!group) this.groups.set(groupKey, (group = { found: 0, missing: [], files: new Set() }));
    group.files.add(pin.file);
    const location: PinLocation = { chart: pin.chart, file: pin.file, key: pin.key, line: 1 };
    this.cell(pin).pins.push(location);
    const file = this.open(pin.file);
    if (!file) {
      if (!this.input.files.has(pin.file)) {
        group.missing.push({
          ...policyLine(this.input, pinPath(pin, "file")),
          message: `${pin.file} does not exist`,
        });
      }
      return;
    }
    const read = readPinIn(file, pin.layout, pin.steps);
    if (read.ok) location.line = read.line;
    if (!read.ok) {
      group.found += 1;
      this.once(`${pin.file}:${read.line}:${read.message}`, {
        file: pin.file,
        line: read.line,
        message: `${pin.file}: ${pin.key}: ${read.message}`,
      });
    } else if (!read.found && read.structural) {
      group.found += 1;
      this.once(`${groupKey}:${read.message}`, {
        ...policyLine(this.input, pinPath(pin, "key")),
        message: `deploy.environments[${pin.at.environment}] (${pin.environment}) pins[${pin.at.pin}].key names nothing in ${pin.file}: ${read.message}`,
      });
    } else if (!read.found) {
      group.missing.push({
        file: pin.file,
        line: read.line,
        message: `${pin.file}: ${read.message}`,
      });
    } else {
      group.found += 1;
      location.value = read.value;
      if (pin.kind === "chart" && !isSemver(read.value)) {
        this.errors.push({
          file: pin.file,
          line: read.line,
          message: `${pin.file}: ${pin.key} is ${read.value}, a range: which chart runs would depend on when \`helm dependency update\` ran; pin one version such as 1.2.3`,
        });
      }
    }
  }

  /** A policy pin that found nothing for any component names nothing: its key or file is wrong. */
  unmatched(pins: readonly EnvPin[]): EnvPinError[] {
    const out: EnvPinError[] = [];
    const list = environmentList(this.input.policy.deploy.environments);
    for (const [groupKey, group] of this.groups) {
      if (group.found > 0 || group.missing.length === 0) continue;
      const [e, p] = groupKey.split("/").map(Number) as [number, number];
      const first = group.missing[0] as { file: string; line: number; message: string };
      const sample = pins.find((x) => x.at.environment === e && x.at.pin === p) as EnvPin;
      const field = group.files.size === 1 && !this.input.files.has(sample.file) ? "file" : "key";
      out.push({
        ...policyLine(this.input, pinPath(sample, field)),
        message: `deploy.environments[${e}] (${list[e]?.name ?? "?"}) pins[${p}] names nothing for any component: ${first.message}${group.files.size === 1 ? "" : ` (and in ${group.files.size - 1} more files)`}`,
      });
    }
    return out;
  }
}

/**
 * The component x environment matrix and every pin error, from file contents and the policy:
 * the same function serves `monobot envs`, the bot's views and {@link validateEnvironmentPins}.
 * A pin file that does not parse, a pin that cannot be one (a `file://` dependency, a mapping),
 * an umbrella pin on a version range, a key whose selector names nothing in its file, or a key
 * that names nothing for any component is an error; a key missing for some components only is
 * a cell without a version (not deployed there yet).
 */
export function environmentMatrix(input: EnvironmentMatrixInput): EnvironmentMatrix {
  const list = environmentList(input.policy.deploy.environments);
  const components = input.components ?? configRepoComponents(input.policy, input.files);
  const pins = expandEnvironmentPins(input.policy.deploy.environments, components);
  const reader = new PinReader(input);
  for (const pin of pins) reader.read(pin);
  const errors = [
    ...reader.errors,
    ...reader.unmatched(pins),
    ...sharedPinErrors(input, components),
  ];
  const ordered: EnvCell[] = [];
  for (const component of components) {
    for (const env of list) {
      const cell = reader.cells.get(`${component.name}\n${env.name}`);
      if (!cell) continue;
      const versions = [
        ...new Set(cell.pins.flatMap((p) => (p.value === undefined ? [] : [p.value]))),
      ];
      cell.mixed = versions.length > 1;
      if (versions.length === 1) cell.version = versions[0] as string;
      ordered.push(cell);
    }
  }
  return {
    environments: list.map((e) => ({ name: e.name, production: e.production === true })),
    components,
    cells: ordered,
    errors: dedupeErrors(errors),
  };
}

function pinPath(pin: EnvPin, field: "file" | "key"): (string | number)[] {
  return ["deploy", "environments", pin.at.environment, "pins", pin.at.pin, field];
}

/** With several components, a pin naming none of them would give every component one value. */
function sharedPinErrors(
  input: EnvironmentMatrixInput,
  components: readonly EnvComponent[],
): EnvPinError[] {
  if (components.length < 2) return [];
  const out: EnvPinError[] = [];
  environmentList(input.policy.deploy.environments).forEach((env, e) => {
    env.pins.forEach((pin, p) => {
      const used = [...pinPlaceholders(pin.file), ...pinPlaceholders(pin.key)];
      if (used.some((n) => COMPONENT_PLACEHOLDERS.includes(n))) return;
      out.push({
        ...policyLine(input, ["deploy", "environments", e, "pins", p, "key"]),
        message: `deploy.environments[${e}] (${env.name}) pins[${p}] names no component, so all ${components.length} components would share one pin; use {chart_name}, {chart} or {component} in its file or key`,
      });
    });
  });
  return out;
}

function dedupeErrors(errors: EnvPinError[]): EnvPinError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const k = `${e.file}:${e.line}:${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * The pin errors of a config repo, each on its line: the part of `monobot/config` that needs the
 * pinned files' contents (`files`: every Chart.yaml and pin file). Pass `policySource` to locate
 * errors of the policy itself on the line of the pin's key.
 */
export function validateEnvironmentPins(
  policy: Pick<Policy, "charts" | "components" | "deploy">,
  files: ReadonlyMap<string, string>,
  policySource?: { file: string; text: string },
): EnvPinError[] {
  if (environmentList(policy.deploy.environments).length === 0) return [];
  return environmentMatrix({ policy, files, ...(policySource ? { policySource } : {}) }).errors;
}
