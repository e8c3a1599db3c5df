// The deploy PR's share of the environments: the first environment's pins move to the new version, and every later environment keeps the version it runs.
import { isDeepStrictEqual } from "node:util";
import { isMap, parseDocument } from "yaml";
import {
  planDeploy,
  type ChainLink,
  type DeployComponent,
  type DeployPlan,
  type DeployPlanInput,
  type EnvironmentDeploy,
  type EnvironmentRollout,
  type FileEdit,
} from "./deploy-plan.js";
import { CHART_FILE, parseChart } from "./charts.js";
import type { EditResult } from "./edits.js";
import { landPath, type PinStep } from "./env-pin-key.js";
import { applyPinEdits, planPinMove } from "./env-pin-edits.js";
import {
  configRepoComponents,
  expandEnvironmentPins,
  pinFiles,
  type EnvComponent,
  type EnvPin,
} from "./env-matrix.js";
import { openPinFile, readPin, readPinIn, type PinRead } from "./env-pins.js";
import { environmentList } from "./environments.js";
import type { Policy } from "./policy-schema.js";
import { readValuesKey, setValuesKey, valuesPath } from "./values-edit.js";
import { compareVersions, isSemver } from "./versions.js";

type EnvPolicy = Pick<Policy, "charts" | "components" | "deploy">;

/** The config-repo component the deploy moves: the one owning its charts, else one built from it. */
export function environmentComponent(
  policy: EnvPolicy,
  files: ReadonlyMap<string, string>,
  component: DeployComponent,
): EnvComponent {
  const known = configRepoComponents(policy, files).find((c) =>
    c.charts.some((chart) => component.charts.includes(chart.folder)),
  );
  if (known) return known;
  return {
    name: component.name,
    charts: component.charts.map((folder) => {
      const text = files.get(folder === "" ? CHART_FILE : `${folder}/${CHART_FILE}`);
      const parsed = text === undefined ? undefined : parseChart(text, CHART_FILE);
      const name = parsed?.ok ? parsed.chart.name : undefined;
      return { folder, name: name ?? folder.slice(folder.lastIndexOf("/") + 1) };
    }),
  };
}

/**
 * The pin files a deploy reads besides the charts (every environment's pins of `component`, or of
 * every component of the config repo), given the files read so far (the charts, to name the
 * components); empty without environments.
 */
export function environmentPinReads(
  policy: EnvPolicy,
  files: ReadonlyMap<string, string>,
  component?: DeployComponent,
): string[] {
  if (environmentList(policy.deploy.environments).length === 0) return [];
  const components = configRepoComponents(policy, files);
  if (component) components.push(environmentComponent(policy, files, component));
  return pinFiles(expandEnvironmentPins(policy.deploy.environments, components));
}

/**
 * The config repo's files without the environments' own umbrella charts (pin files named
 * Chart.yaml): a published chart's follow-up must not move their pins, which only the deploy PR
 * (the first environment) and promotion PRs (every later one) write.
 */
export function withoutEnvironmentUmbrellas(
  policy: EnvPolicy,
  files: ReadonlyMap<string, string>,
): ReadonlyMap<string, string> {
  if (environmentList(policy.deploy.environments).length === 0) return files;
  const pins = expandEnvironmentPins(
    policy.deploy.environments,
    configRepoComponents(policy, files),
  );
  const folders = new Set(
    pins
      .filter((p) => p.layout === "umbrella")
      .map((p) => p.file.slice(0, p.file.lastIndexOf("/"))),
  );
  if (folders.size === 0) return files;
  return new Map(
    [...files].filter(([path]) => !folders.has(path.slice(0, Math.max(0, path.lastIndexOf("/"))))),
  );
}

function readAt(files: ReadonlyMap<string, string>, pin: EnvPin): PinRead | undefined {
  const text = files.get(pin.file);
  if (text === undefined) return undefined;
  const file = openPinFile(text);
  if (!("doc" in file))
    return { ok: false, line: file.line, message: `${pin.file} ${file.message}` };
  return readPinIn(file, pin.layout, pin.steps);
}

function keysOf(steps: readonly PinStep[]): string[] | undefined {
  return steps.every((s) => "key" in s) ? steps.map((s) => (s as { key: string }).key) : undefined;
}

/** The values path of a pin (below a Fleet target's `helm.values`), when it is one. */
function valuesPathOf(pin: EnvPin): string[] | undefined {
  if (pin.layout === "values") return keysOf(pin.steps);
  if (pin.layout !== "fleet") return undefined;
  const at = pin.steps.findIndex(
    (s, i) => "key" in s && s.key === "values" && i > 0 && "key" in (pin.steps[i - 1] as PinStep),
  );
  const helm = pin.steps[at - 1];
  return at > 0 && helm && "key" in helm && helm.key === "helm"
    ? keysOf(pin.steps.slice(at + 1))
    : undefined;
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The version an environment without a pin of its own runs, from `files`: a Fleet bundle's own
 * `helm.values`, then the values files of the chart chain the key goes through (an umbrella's
 * values before its sub-chart's), as Helm merges them.
 */
function followedVersion(
  files: ReadonlyMap<string, string>,
  pin: EnvPin,
  chain: readonly ChainLink[],
  valuesKey: readonly string[],
): string | undefined {
  const path = valuesPathOf(pin);
  if (!path) return undefined;
  if (pin.layout === "fleet") {
    const text = files.get(pin.file);
    const bundle =
      text === undefined ? undefined : readValuesKey(text, ["helm", "values", ...path]);
    if (bundle !== undefined) return bundle;
  }
  const routes = chain.flatMap((l) => l.tagKeys).filter((r) => same(r.key, path));
  const own = chain.find((l) => l.role === "chart" && l.chart === pin.chart);
  const tried = routes.length > 0 ? routes : own ? [{ key: [...valuesKey], via: [own.chart] }] : [];
  for (const route of tried) {
    for (let i = 0; i < route.via.length; i++) {
      const folder = route.via[i] as string;
      const text = files.get(folder === "" ? "values.yaml" : `${folder}/values.yaml`);
      const value = text === undefined ? undefined : readValuesKey(text, route.key.slice(i));
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

export interface EnvironmentDeployInput {
  policy: EnvPolicy;
  /** The config repo's files at the base: the charts, their values and every pin file. */
  files: ReadonlyMap<string, string>;
  component: DeployComponent;
  version: string;
  /** The deploy plan on `files`; its edits, problems and notes are extended in place. */
  plan: DeployPlan;
  /** The values key of the component's image tag, as a path. */
  valuesKey: readonly string[];
}

function where(pin: EnvPin, line: number): { file: string; key: string; line: number } {
  return { file: pin.file, key: pin.key, line };
}

/** The version the first environment's pin takes: the image tag, or the chart's new version. */
function firstValue(pin: EnvPin, input: EnvironmentDeployInput): string | undefined {
  if (pin.kind === "image") return input.version;
  return input.plan.chain.find((l) => l.role === "chart" && l.chart === pin.chart)?.to;
}

/** Merges pin edits into the plan's: one FileEdit per path, its changes in order. */
function mergeEdits(
  plan: DeployPlan,
  base: ReadonlyMap<string, string>,
  changed: ReadonlyMap<string, string>,
  changes: ReadonlyMap<string, string[]>,
): void {
  for (const [path, after] of changed) {
    const said = changes.get(path) ?? [];
    const existing = plan.edits.find((e) => e.path === path);
    if (existing) {
      existing.after = after;
      existing.changes.push(...said);
      continue;
    }
    const edit: FileEdit = { path, before: base.get(path) ?? "", after, changes: [...said] };
    plan.edits.push(edit);
  }
  plan.edits.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function withValueAt(js: unknown, path: readonly (string | number)[], value: string): unknown {
  const copy = structuredClone(js) as Record<string | number, unknown>;
  let cur = copy;
  for (const key of path.slice(0, -1)) {
    cur[key] ??= {};
    cur = cur[key] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1] as string | number] = value;
  return copy;
}

/**
 * Adds a missing pin below a selector (a Fleet target's `helm.values` that lacks the
 * component's key): the block mapping that holds the rest of the key is cut out, dedented, given
 * the key as values files are (values-edit.ts), indented back and put in place. The result must
 * read back as `value`, the document otherwise unchanged.
 */
export function addPinBelowSelector(content: string, pin: EnvPin, value: string): EditResult {
  const refuse = (why: string): EditResult => ({
    ok: false,
    reason: `${pin.file}: cannot add ${pin.key} (${why}); add it by hand once`,
  });
  const file = openPinFile(content);
  if (!("doc" in file)) return refuse(`the file ${file.message}`);
  const landing = landPath(file.doc.contents, pin.steps);
  if (landing.ok || landing.broken) return refuse("the place of the key is not missing a key");
  const rest = keysOf(pin.steps.slice(landing.step));
  const parent = landing.parent;
  if (!rest || !isMap(parent) || parent.flow || !parent.range) {
    return refuse("the key goes below a list or a flow mapping");
  }
  const [start, , end] = parent.range;
  const lineStart = content.lastIndexOf("\n", start - 1) + 1;
  const indent = content.slice(lineStart, start);
  if (!/^ *$/.test(indent)) return refuse("its mapping does not start a line");
  const lines = content.slice(start, end).split("\n");
  if (lines.slice(1).some((l) => l.trim() !== "" && !l.startsWith(indent))) {
    return refuse("its mapping is not indented as one block");
  }
  const dedented = [lines[0], ...lines.slice(1).map((l) => l.slice(indent.length))].join("\n");
  const set = setValuesKey(dedented, rest, value);
  if (!set.ok) return refuse(set.reason);
  const back = set.content
    .split("\n")
    .map((l, i) => (i === 0 || l.trim() === "" ? l : `${indent}${l}`))
    .join("\n");
  const tail = dedented.endsWith("\n") ? back : back.replace(/\r?\n$/, "");
  const after = content.slice(0, start) + tail + content.slice(end);
  const read = readPin(after, pin.layout, pin.steps);
  if (!read.ok || !read.found || read.value !== value) return refuse("it did not read back");
  const expected = withValueAt(parseDocument(content).toJS(), [...landing.path, ...rest], value);
  if (!isDeepStrictEqual(expected, parseDocument(after).toJS())) {
    return refuse("other values of the file would change");
  }
  return { ok: true, content: after, changed: true };
}

/** Moves one environment's pins of the component to `value` on `files`; a refusal becomes a problem. */
function movePins(
  pins: readonly EnvPin[],
  environment: string,
  component: string,
  value: string,
  files: Map<string, string>,
  plan: DeployPlan,
  why?: string,
): Map<string, string> | undefined {
  const applied = applyPinEdits(
    files,
    planPinMove(pins, { environment, component, version: value }),
  );
  if (!applied.ok) {
    plan.problems.push(
      why
        ? `${why}; monobot cannot pin it at ${value} there, so add that pin by hand once (${applied.reason})`
        : `${environment}'s pin of ${component} cannot be written: ${applied.reason}`,
    );
    return undefined;
  }
  for (const [path, text] of applied.changed) files.set(path, text);
  return applied.changed;
}

/** A Fleet pin missing below its target's selector, added where writePin adds none; undefined when it cannot. */
function addBelow(
  pins: readonly EnvPin[],
  value: string,
  files: Map<string, string>,
): Map<string, string> | undefined {
  if (pins.length !== 1 || pins[0]?.steps.every((s) => "key" in s)) return undefined;
  const pin = pins[0] as EnvPin;
  const text = files.get(pin.file);
  if (text === undefined) return undefined;
  const added = addPinBelowSelector(text, pin, value);
  if (!added.ok) return undefined;
  files.set(pin.file, added.content);
  return new Map([[pin.file, added.content]]);
}

/** A later environment: left alone, or pinned at the version it runs, or a problem. */
function keepLater(
  env: string,
  pins: readonly EnvPin[],
  input: EnvironmentDeployInput,
  current: Map<string, string>,
  record: (path: string, said: string) => void,
): EnvironmentRollout {
  const { plan, files, component } = input;
  const first = pins[0] as EnvPin;
  const row: EnvironmentRollout = { environment: env, kind: first.kind, how: "absent" };
  const problem = (message: string): EnvironmentRollout => {
    plan.problems.push(message);
    return { ...row, how: "problem" };
  };
  const before = readAt(files, first);
  const after = readAt(current, first);
  if (!before || !after)
    return problem(
      `${first.file}, where ${env} pins ${component.name}, does not exist; add it, or correct the pin's file in deploy.environments`,
    );
  if (!before.ok || !after.ok) {
    const bad = (!before.ok ? before : after) as Extract<PinRead, { ok: false }>;
    return problem(
      `${first.file} line ${bad.line}: ${bad.message}; monobot cannot tell what ${env} runs, so it cannot keep it there`,
    );
  }
  if (before.found) {
    row.before = before.value;
    row.pin = where(first, before.line);
    if (after.found && after.value === before.value)
      return { ...row, how: "own-pin", after: before.value };
    return problem(
      `this deploy would change ${env}'s pin of ${component.name} (${first.file}: ${first.key}), which only a promotion may move; pin ${env} in a file the deploy does not write`,
    );
  }
  // The umbrella of an environment that does not list the chart does not deploy it.
  if (first.layout === "umbrella") return row;
  const message = after.found ? "" : after.message;
  if (before.structural) {
    return problem(
      `${env} has no place of its own for ${component.name} in ${first.file} (${first.key}: ${message}), so it runs the chart's default, which this deploy changes; add ${env}'s entry by hand once so it keeps its version until promoted`,
    );
  }
  const key = input.valuesKey;
  const was = followedVersion(files, first, plan.chain, key);
  const will = followedVersion(current, first, plan.chain, key);
  row.pin = where(first, before.line);
  if (was === will) return { ...row, how: "follows", ...(was ? { before: was, after: was } : {}) };
  if (was === undefined) {
    return problem(
      `${env} has no pin of its own for ${component.name} (${first.file}: ${first.key}) and follows the chart's default, which this deploy sets; monobot cannot tell which version ${env} runs, so pin it there by hand once`,
    );
  }
  const keep = `${env} has no pin of its own for ${component.name} (${first.file}: ${first.key}) and follows the chart's default, which this deploy changes (${was} -> ${will ?? "?"})`;
  const changed =
    addBelow(pins, was, current) ?? movePins(pins, env, first.component, was, current, plan, keep);
  if (!changed) return { ...row, how: "problem" };
  for (const path of changed.keys())
    record(path, `${env}: ${first.key} (unset) -> ${was}, the version it runs`);
  plan.notes.push(
    `${env} had no pin of its own for ${component.name} (${first.file}: ${first.key}) and followed the chart's default, which this deploy changes: this pull request pins it at ${was}, the version it runs, so it keeps it until promoted.`,
  );
  return { ...row, how: "kept", before: was, after: was };
}

/**
 * With `deploy.environments` declared, the deploy PR also writes the first environment's pins of
 * the component (the image tag, or the chart's new version for an umbrella pin), and every later
 * environment keeps what it runs: its own pin is left alone; one that followed the default the
 * deploy changes is pinned at the version it ran; one that cannot be kept (no place of its own for
 * the component, an unknown version) is a problem of the plan. Environment umbrellas leave the
 * plan's pending publish (their pins belong to the environments, moved here or by a promotion).
 * Undefined without environments, or when the plan proposes nothing.
 */
export function planEnvironmentDeploy(
  input: EnvironmentDeployInput,
): EnvironmentDeploy | undefined {
  const { policy, files, plan, component } = input;
  const list = environmentList(policy.deploy.environments);
  if (list.length === 0 || plan.skipped || plan.problems.length > 0) return undefined;
  const target = environmentComponent(policy, files, component);
  const pins = expandEnvironmentPins(policy.deploy.environments, [target]);
  const current = new Map(files);
  for (const e of plan.edits) current.set(e.path, e.after);
  const changes = new Map<string, string[]>();
  const touched = new Map<string, string>();
  const record = (path: string, said: string) => {
    changes.set(path, [...(changes.get(path) ?? []), said]);
    touched.set(path, current.get(path) as string);
  };
  const umbrellas = new Set(
    pins
      .filter((p) => p.layout === "umbrella")
      .map((p) => p.file.slice(0, p.file.lastIndexOf("/"))),
  );
  plan.pendingPublish = plan.pendingPublish.filter((p) => !umbrellas.has(p.umbrella));
  const out: EnvironmentDeploy = { first: (list[0] as { name: string }).name, environments: [] };
  list.forEach((env, i) => {
    const own = pins.filter((p) => p.environment === env.name);
    if (own.length === 0) {
      out.environments.push({ environment: env.name, kind: "image", how: "absent" });
      return;
    }
    if (i > 0) {
      out.environments.push(keepLater(env.name, own, input, current, record));
      return;
    }
    out.environments.push(deployFirst(env.name, own, input, current, record));
  });
  mergeEdits(plan, files, touched, changes);
  return out;
}

function deployFirst(
  env: string,
  pins: readonly EnvPin[],
  input: EnvironmentDeployInput,
  current: Map<string, string>,
  record: (path: string, said: string) => void,
): EnvironmentRollout {
  const { plan, files } = input;
  const first = pins[0] as EnvPin;
  const row: EnvironmentRollout = { environment: env, kind: first.kind, how: "deployed" };
  const before = readAt(files, first);
  if (before?.ok && before.found) row.before = before.value;
  const value = firstValue(first, input);
  if (value === undefined) {
    plan.problems.push(
      `${env} pins the chart version of ${first.chart}, which this deploy does not move`,
    );
    return { ...row, how: "problem" };
  }
  if (row.before !== undefined && isSemver(row.before) && compareVersions(value, row.before) < 0) {
    plan.problems.push(
      `${env} runs ${first.kind === "chart" ? `chart ${first.chartName}` : input.component.name} ${row.before} (${first.file}), newer than ${value}: deploying would roll it back, so monobot proposes nothing there; roll back with /rollback if that is what you want`,
    );
    return { ...row, how: "problem" };
  }
  const changed = movePins(pins, env, first.component, value, current, plan);
  if (!changed) return { ...row, how: "problem" };
  for (const path of changed.keys()) {
    record(path, `${env}: ${first.key} ${row.before ?? "(unset)"} -> ${value}`);
  }
  const read = readAt(current, first);
  row.after = value;
  row.pin = where(first, read?.ok && read.found ? read.line : 1);
  if (first.layout === "umbrella") {
    plan.notes.push(
      `${env}'s umbrella ${first.file} takes ${first.chartName} ${value} from its chart repository: Helm finds it there once ${first.chart} ${value} is published.`,
    );
  }
  return row;
}

/** One sentence for the PR: "Deploys to staging; production keeps 1.2.3 until promoted." */
export function rolloutSentence(rollout: EnvironmentDeploy): string {
  const later = rollout.environments.slice(1).flatMap((r) => {
    if (r.how === "absent") return [`${r.environment} does not deploy it`];
    if (r.how === "problem") return [`${r.environment} cannot be kept where it is (see the notes)`];
    const what = r.kind === "chart" ? `chart ${r.after ?? "?"}` : (r.after ?? "its version");
    return [`${r.environment} keeps ${what} until promoted`];
  });
  return [`Deploys to ${rollout.first}`, ...later].join("; ") + ".";
}

export type { EnvironmentDeploy, EnvironmentRollout } from "./deploy-plan.js";

/**
 * The deploy plan ({@link planDeploy}) on a config repo with this policy: with
 * `deploy.environments` listed, it also writes the first environment's pins and keeps every later
 * one ({@link planEnvironmentDeploy}); `files` then holds the pin files too.
 */
export function planDeployTo(input: DeployPlanInput & { policy: EnvPolicy }): DeployPlan {
  const plan = planDeploy(input);
  const environments = planEnvironmentDeploy({
    policy: input.policy,
    files: input.files,
    component: input.component,
    version: input.version.to,
    plan,
    valuesKey: valuesPath(input.component.valuesKey),
  });
  if (environments) plan.environments = environments;
  return plan;
}
