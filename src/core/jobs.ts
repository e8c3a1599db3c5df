// CI job templates: validation of the policy's `jobs` section and the plan of which jobs run for which components.
//
// Like Jenkins Job Builder, a job is a template whose strings use `{placeholders}`; planning
// expands one template per component into a run: the backend to start, its inputs (strings),
// the status context `ci/{component}/{job}` and the run id that brings the result back.
import { closestName } from "./suggest.js";
import { globMatcher } from "./glob.js";
import type { Policy } from "./policy-schema.js";
import { encodeRunId, JOB_NAME } from "./run-id.js";
import { isValidTimeZone, scheduleErrors, scheduleKey } from "./schedule.js";
import type { ChangedFile, Component } from "./types.js";

export type JobsPolicy = Policy["jobs"];
export type JobTemplate = JobsPolicy["templates"][string];
export type JobBackendSpec = JobTemplate["backend"];
export type JobBackendOverride = NonNullable<
  NonNullable<JobTemplate["overrides"]>[string]["backend"]
>;
export type JobTrigger =
  | "pull_request"
  | "postmerge"
  | "release"
  | "schedule"
  | "chart_release"
  /** On the config repo: a version reached an environment (`deploy.environments[].verify.jobs`). */
  | "deployed";
export type BackendType = JobBackendSpec["type"];

/** The input (Jenkins parameter, webhook field) that carries the run id; workflows declare it. */
export const RUN_ID_INPUT = "monobot_run_id";

/** Placeholders monobot fills in, and what each stands for. */
export const BUILTIN_PLACEHOLDERS: Readonly<Record<string, string>> = {
  component: "the component's name",
  version: "the component's version (its VERSION file)",
  sha: "the commit SHA the job runs for",
  ref: "the branch or tag the job runs for",
  pr: "the pull request number (pull_request jobs only)",
  image: "the component's image (components.define.<name>.image)",
  default_branch: "the repository's default branch",
  job: "the job's name",
  owner: "the repository owner",
  repo: "the repository name",
  chart: "the chart's folder, e.g. charts/roc-api (chart_release jobs only)",
  chart_name: "the chart's name in its Chart.yaml (chart_release jobs only)",
  chart_version: "the chart's new version (chart_release jobs only)",
  environment: "the environment a version reached (deployed jobs only)",
};

/** Placeholders that only jobs of one trigger know. */
const TRIGGER_PLACEHOLDERS: Readonly<Record<string, JobTrigger>> = {
  pr: "pull_request",
  chart: "chart_release",
  chart_name: "chart_release",
  chart_version: "chart_release",
  environment: "deployed",
};

/** Triggers a job with `paths` may run on: once for the repository, or once per chart. */
const PATH_TRIGGERS: readonly JobTrigger[] = ["pull_request", "postmerge", "chart_release"];

const TRIGGERS: readonly JobTrigger[] = [
  "pull_request",
  "postmerge",
  "release",
  "schedule",
  "chart_release",
  "deployed",
];
const DEFAULT_TIMEZONE = "UTC";
const DEFAULT_WORKFLOW_REF = "{default_branch}";

/** Keys each backend type takes, required ones first. */
const BACKEND_KEYS: Record<BackendType, { required: string[]; optional: string[] }> = {
  "github-actions": { required: ["workflow"], optional: ["ref", "return_run_details"] },
  "repository-dispatch": { required: ["event_type"], optional: [] },
  jenkins: { required: ["url", "job", "credentials"], optional: ["crumb"] },
  webhook: { required: ["url", "secret"], optional: [] },
};

const REQUIRED_EXAMPLE: Record<string, string> = {
  workflow: "workflow: ci.yml",
  event_type: "event_type: verify",
  url: "url: https://ci.example.com",
  job: 'job: "folder/job/{component}"',
  credentials: "credentials: JENKINS",
  secret: "secret: HOOK",
};

/** Backend keys whose strings may use placeholders. */
const TEMPLATED_BACKEND_KEYS = ["workflow", "ref", "event_type", "url", "job"] as const;

/** GitHub's rule for workflow_dispatch input names. */
const WORKFLOW_INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** GitHub's limit on a repository_dispatch event type. */
const MAX_EVENT_TYPE_LENGTH = 100;

export interface ConfigProblem {
  /** Key path from the policy root, e.g. ["jobs","templates","verify","inputs","target"]. */
  path: string[];
  message: string;
}

/** The triggers a template runs on, as a list. */
export function jobTriggers(template: JobTemplate): JobTrigger[] {
  return typeof template.on === "string" ? [template.on] : [...template.on];
}

// --- placeholders -------------------------------------------------------------------------

type Piece = { text: string } | { name: string };

const PLACEHOLDER = /\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_-]*)\}/g;
/** `{ component }`: a placeholder with spaces is literal text, most likely by mistake. */
const SPACED_PLACEHOLDER =
  /(?<!\{)\{[ \t]+([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\}|(?<!\{)\{([A-Za-z_][A-Za-z0-9_-]*)[ \t]+\}/g;

/**
 * A template string in pieces: `{name}` is a placeholder, `{{` and `}}` are literal braces, any
 * other brace is literal text (so JSON in an input stays as written).
 */
function pieces(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const at = m.index;
    if (at > last) out.push({ text: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ name: m[1] });
    else out.push({ text: m[0][0] as string });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ text: text.slice(last) });
  return out;
}

/** The placeholder names a template string uses, in order of first use. */
export function placeholdersIn(text: string): string[] {
  const names: string[] = [];
  for (const p of pieces(text)) if ("name" in p && !names.includes(p.name)) names.push(p.name);
  return names;
}

/**
 * Fill the placeholders of `text` from `values`; names without a value are reported instead.
 * `encode` is applied to each substituted value (URL parts are percent-encoded).
 */
export function expandPlaceholders(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
  encode: (value: string) => string = (v) => v,
): { ok: true; value: string } | { ok: false; missing: string[] } {
  const missing: string[] = [];
  let value = "";
  for (const p of pieces(text)) {
    if ("text" in p) {
      value += p.text;
      continue;
    }
    const v = Object.hasOwn(values, p.name) ? values[p.name] : undefined;
    if (v === undefined) {
      if (!missing.includes(p.name)) missing.push(p.name);
    } else value += encode(v);
  }
  return missing.length > 0 ? { ok: false, missing } : { ok: true, value };
}

function braces(names: readonly string[]): string {
  return names.map((n) => `{${n}}`).join(", ");
}

// --- configuration errors ------------------------------------------------------------------

function dotted(path: readonly string[]): string {
  return path.join(".");
}

/** The backend an override produces: a different `type` replaces the template's backend. */
export function mergeBackend(
  base: JobBackendSpec,
  override: JobBackendOverride | undefined,
): Record<string, unknown> {
  if (!override) return { ...base };
  if (override.type !== undefined && override.type !== base.type) return { ...override };
  return { ...base, ...override };
}

/**
 * Validates job templates beyond what the schema can say: placeholders, backends' required keys,
 * cron and time zones, components named in templates; collects located problems.
 */
class JobTemplatesValidator {
  readonly problems: ConfigProblem[] = [];
  readonly variableNames: string[];
  readonly known: string[];

  constructor(readonly jobs: JobsPolicy) {
    this.variableNames = Object.keys(jobs.variables).sort();
    this.known = [...Object.keys(BUILTIN_PLACEHOLDERS), ...this.variableNames];
  }

  add(path: string[], message: string): void {
    this.problems.push({ path, message: `${dotted(path)}: ${message}` });
  }

  knownList(known: readonly string[]): string {
    const builtins = Object.keys(BUILTIN_PLACEHOLDERS);
    const vars = known.filter((k) => !builtins.includes(k));
    return `known: ${braces(builtins)}${vars.length ? `, and the jobs.variables ${braces(vars)}` : ""}`;
  }

  /** Unknown placeholders in one string; `{pr}` only where every trigger is pull_request. */
  placeholders(
    path: string[],
    text: string,
    known: readonly string[],
    triggers?: readonly JobTrigger[],
  ): void {
    for (const m of text.matchAll(SPACED_PLACEHOLDER)) {
      const name = (m[1] ?? m[2]) as string;
      if (known.includes(name)) {
        this.add(
          path,
          `"${m[0]}" is literal text; write the placeholder without spaces: {${name}}`,
        );
      }
    }
    for (const name of placeholdersIn(text)) {
      if (!known.includes(name)) {
        const hint = closestName(name, known, 1);
        this.add(
          path,
          `unknown placeholder {${name}}${hint ? ` (did you mean {${hint}}?)` : ""}; ${this.knownList(known)}. ` +
            `Write {{ and }} for literal braces.`,
        );
      } else {
        const only = TRIGGER_PLACEHOLDERS[name];
        const others = only && triggers ? triggers.filter((t) => t !== only) : [];
        if (only && others.length > 0) {
          this.add(
            path,
            `{${name}} is only known for ${only} jobs, and this job also runs on ${others.join(", ")}; remove {${name}} or run the job on ${only} only`,
          );
        }
      }
    }
  }

  variables(): void {
    const builtins = Object.keys(BUILTIN_PLACEHOLDERS);
    for (const [name, value] of Object.entries(this.jobs.variables)) {
      const path = ["jobs", "variables", name];
      if (builtins.includes(name)) {
        this.add(
          path,
          `{${name}} is a placeholder monobot fills in; give the variable another name`,
        );
        continue;
      }
      // Variables may use the built-in placeholders, not each other (no evaluation order to explain).
      this.placeholders(path, value, builtins);
    }
  }

  backend(
    path: string[],
    spec: Record<string, unknown>,
    triggers: readonly JobTrigger[],
    checkPlaceholders: (key: string) => boolean,
  ): void {
    const type = spec.type as BackendType | undefined;
    if (type === undefined) {
      this.add(
        [...path, "type"],
        "is missing: set type to github-actions, repository-dispatch, jenkins or webhook",
      );
      return;
    }
    const keys = BACKEND_KEYS[type];
    for (const key of keys.required) {
      if (spec[key] === undefined) {
        this.add(
          [...path, key],
          `is missing: a ${type} backend needs ${key}, e.g. ${REQUIRED_EXAMPLE[key] ?? key}`,
        );
      }
    }
    const allowed = new Set(["type", ...keys.required, ...keys.optional]);
    for (const key of Object.keys(spec)) {
      if (!allowed.has(key)) {
        this.add(
          [...path, key],
          `does not apply to a ${type} backend, which takes ${[...allowed].join(", ")}; remove it`,
        );
      }
    }
    for (const key of TEMPLATED_BACKEND_KEYS) {
      const value = spec[key];
      if (typeof value !== "string" || !allowed.has(key) || !checkPlaceholders(key)) continue;
      this.placeholders([...path, key], value, this.known, triggers);
    }
    const sample = (text: string, encode?: (v: string) => string) =>
      expandPlaceholders(text, Object.fromEntries(this.known.map((k) => [k, "x"])), encode);
    if (typeof spec.url === "string" && checkPlaceholders("url") && allowed.has("url")) {
      const expanded = sample(spec.url, encodeURIComponent);
      if (expanded.ok) {
        const problem = urlProblem(expanded.value);
        if (problem) this.add([...path, "url"], problem);
      }
    }
    if (
      type === "github-actions" &&
      typeof spec.workflow === "string" &&
      checkPlaceholders("workflow") &&
      placeholdersIn(spec.workflow).length === 0 &&
      !/^(?:[^/\\]+\.ya?ml|[1-9][0-9]*)$/.test(spec.workflow)
    ) {
      this.add(
        [...path, "workflow"],
        `"${spec.workflow}" is not a workflow: write the file name in .github/workflows (e.g. ci.yml) or the workflow's numeric id`,
      );
    }
    if (
      type === "repository-dispatch" &&
      typeof spec.event_type === "string" &&
      checkPlaceholders("event_type") &&
      placeholdersIn(spec.event_type).length === 0 &&
      spec.event_type.length > MAX_EVENT_TYPE_LENGTH
    ) {
      this.add(
        [...path, "event_type"],
        `is ${spec.event_type.length} characters; GitHub accepts at most ${MAX_EVENT_TYPE_LENGTH}`,
      );
    }
    if (type === "jenkins" && typeof spec.job === "string" && checkPlaceholders("job")) {
      const segments = spec.job.split("/").filter((s) => s !== "");
      if (segments.length === 0 || segments.some((s) => s === "." || s === "..")) {
        this.add(
          [...path, "job"],
          `"${spec.job}" is not a Jenkins job path: write it like folder/job/name or folder/name`,
        );
      }
    }
  }

  inputs(
    path: string[],
    inputs: Record<string, string>,
    triggers: readonly JobTrigger[],
    type: BackendType | undefined,
    checkValues: (name: string) => boolean,
  ): void {
    for (const [name, value] of Object.entries(inputs)) {
      const at = [...path, name];
      if (name === RUN_ID_INPUT) {
        if (checkValues(name)) {
          this.add(at, `${RUN_ID_INPUT} is the input monobot adds itself; remove it from inputs`);
        }
        continue;
      }
      if (type === "github-actions" && !WORKFLOW_INPUT_NAME.test(name)) {
        this.add(
          at,
          `"${name}" is not a valid workflow_dispatch input name: start with a letter or _, then letters, digits, - or _`,
        );
      }
      if (checkValues(name)) this.placeholders(at, value, this.known, triggers);
    }
  }

  inputCount(path: string[], inputs: Record<string, string>, type: BackendType | undefined) {
    if (type !== "github-actions") return;
    const names = Object.keys(inputs).filter((n) => n !== RUN_ID_INPUT);
    const count = names.length + 1;
    const max = this.jobs.max_dispatch_inputs;
    if (count > max) {
      this.add(
        path,
        `${count} workflow_dispatch inputs with monobot's own ${RUN_ID_INPUT}, but jobs.max_dispatch_inputs is ${max} ` +
          `(GitHub Enterprise Server accepts 10, github.com 25): pass fewer inputs (several values can share one, e.g. as JSON), ` +
          `use a repository-dispatch backend, or on github.com raise max_dispatch_inputs`,
      );
    }
  }

  /** `paths` jobs run once for the repository (or once per chart), not per component. */
  paths(path: string[], template: JobTemplate, triggers: readonly JobTrigger[]): void {
    if (template.paths === undefined) return;
    const per = triggers.filter((t) => !PATH_TRIGGERS.includes(t));
    if (per.length > 0) {
      this.add(
        [...path, "paths"],
        `a job with paths runs on ${PATH_TRIGGERS.join(", ")}, not on ${per.join(", ")} (those run per component): remove paths or ${per.join(" and ")} from on`,
      );
    }
    const repoWide = triggers.filter((t) => t === "pull_request" || t === "postmerge");
    if (template.components !== undefined && repoWide.length > 0) {
      this.add(
        [...path, "components"],
        `a job with paths runs once for the repository on ${repoWide.join(" and ")}, so components does not apply: remove components (paths choose when it runs)`,
      );
    }
  }

  template(name: string, template: JobTemplate): void {
    const path = ["jobs", "templates", name];
    if (!JOB_NAME.test(name)) {
      this.add(
        path,
        "a job name is 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
      );
    }
    const triggers = jobTriggers(template);
    this.paths(path, template, triggers);
    const scheduled = triggers.includes("schedule");
    if (scheduled && template.cron === undefined) {
      this.add(
        [...path, "on"],
        `a job that runs on schedule needs a cron expression: add cron, e.g. cron: "H 2 * * 1-5"`,
      );
    }
    if (!scheduled && template.cron !== undefined) {
      this.add(
        [...path, "cron"],
        "only applies to jobs with on: schedule; add schedule to on or remove cron",
      );
    }
    if (!scheduled && template.timezone !== undefined) {
      this.add(
        [...path, "timezone"],
        "only applies to jobs with on: schedule; add schedule to on or remove timezone",
      );
    }
    const timezone = template.timezone ?? DEFAULT_TIMEZONE;
    if (template.timezone !== undefined && !isValidTimeZone(template.timezone)) {
      this.add(
        [...path, "timezone"],
        `"${template.timezone}" is not a time zone: use an IANA name such as UTC, Europe/Berlin or America/New_York`,
      );
    } else if (scheduled && template.cron !== undefined) {
      for (const message of scheduleErrors(template.cron, timezone)) {
        this.add([...path, "cron"], message);
      }
    }

    const backend = template.backend as Record<string, unknown>;
    this.backend([...path, "backend"], backend, triggers, () => true);
    const inputs = template.inputs ?? {};
    this.inputs([...path, "inputs"], inputs, triggers, template.backend.type, () => true);
    this.inputCount(
      template.inputs ? [...path, "inputs"] : [...path, "backend"],
      inputs,
      template.backend.type,
    );

    for (const [component, override] of Object.entries(template.overrides ?? {})) {
      const at = [...path, "overrides", component];
      const merged = mergeBackend(template.backend, override.backend);
      const replaced =
        override.backend?.type !== undefined && override.backend.type !== template.backend.type;
      if (override.backend) {
        // Keys taken from the template were checked there; report only what the override sets.
        const own = (key: string) =>
          replaced || (override.backend as Record<string, unknown>)[key] !== undefined;
        this.backend([...at, "backend"], merged, triggers, own);
      }
      const mergedInputs = { ...inputs, ...(override.inputs ?? {}) };
      const type = merged.type as BackendType | undefined;
      const overridden = new Set(Object.keys(override.inputs ?? {}));
      const typeChanged = type !== template.backend.type;
      this.inputs(
        [...at, "inputs"],
        typeChanged ? mergedInputs : (override.inputs ?? {}),
        triggers,
        type,
        (n) => overridden.has(n),
      );
      if (overridden.size > 0 || typeChanged) {
        this.inputCount(
          override.inputs ? [...at, "inputs"] : [...at, "backend"],
          mergedInputs,
          type,
        );
      }
    }
  }
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL: write it in full, e.g. https://ci.example.com`;
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    return `"${parsed.protocol}" URLs are not supported: use https:// (or http:// inside your network)`;
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return "must not contain a user or password: monobot reads credentials from its environment (MONOBOT_CI_<NAME>_USER, _TOKEN, _SECRET)";
  }
  if (parsed.hash !== "") return "must not contain a #fragment";
  return undefined;
}

/**
 * Problems in the policy's `jobs` section that its schema cannot express: unknown placeholders,
 * backend keys per type, the workflow_dispatch input limit, schedules and time zones. Assumes
 * the section passed the schema. Each problem names the key path, so the caller can give file and line.
 */
export function jobsConfigErrors(policy: Policy): ConfigProblem[] {
  const checker = new JobTemplatesValidator(policy.jobs);
  checker.variables();
  for (const [name, template] of Object.entries(policy.jobs.templates)) {
    checker.template(name, template);
  }
  return checker.problems;
}

// --- planning --------------------------------------------------------------------------------

/** A backend with every string expanded for one component. */
export type ResolvedBackend =
  | { type: "github-actions"; workflow: string; ref: string; return_run_details: boolean }
  | { type: "repository-dispatch"; event_type: string }
  | { type: "jenkins"; url: string; job: string; credentials: string; crumb: boolean }
  | { type: "webhook"; url: string; secret: string };

/** One job to start for one component. */
export interface PlannedRun {
  job: string;
  component: string;
  trigger: JobTrigger;
  /** Commit status context (or check name): `ci/{component}/{job}`. */
  statusContext: string;
  backend: ResolvedBackend;
  /** Expanded inputs, strings only, including `monobot_run_id`. */
  inputs: Record<string, string>;
  /** The correlation id, also in `inputs.monobot_run_id`. */
  runId: string;
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  pr?: number;
  version?: string;
  image?: string;
  /** For a chart_release run: the chart it publishes. */
  chart?: ChartRelease;
  /** After this long without a result the run is to be marked as timed out. */
  timeoutMinutes: number;
}

/** A chart whose version went up on a merge: what a chart_release job publishes. */
export interface ChartRelease {
  /** The chart's folder, e.g. charts/roc-api ("" for a chart at the root). */
  folder: string;
  /** Its name in Chart.yaml: the run's `component`, as in `ci/{chart_name}/{job}`. */
  name: string;
  version: string;
}

/** A job that was asked for (or matched) but cannot run, and why, in words for the PR. */
export interface SkippedRun {
  job: string;
  component: string;
  reason: string;
}

export interface PlanContext {
  owner: string;
  repo: string;
  sha: string;
  ref: string;
  defaultBranch: string;
  pr?: number;
  /** Component name -> version (from its VERSION file), for `{version}`. */
  versions?: Readonly<Record<string, string>>;
}

export interface PlanInput {
  policy: Policy;
  trigger: JobTrigger;
  components: readonly Component[];
  context: PlanContext;
  /**
   * Every path the change touches (pull_request, postmerge): jobs with `paths` run once for the
   * repository when one matches. Without it, those jobs do not run.
   */
  changedPaths?: readonly string[];
  /** chart_release: the charts whose version went up. */
  charts?: readonly ChartRelease[];
  /** Restrict to one job and/or some components (`/test job component`, `/retest component`). */
  only?: { job?: string; components?: readonly string[] };
}

export interface JobPlan {
  runs: PlannedRun[];
  skipped: SkippedRun[];
}

/** The status context a job reports as for a component. */
export function statusContext(component: string, job: string): string {
  return `ci/${component}/${job}`;
}

/** Whether a template runs for a component: its `components` globs match the name or the folder. */
export function jobAppliesTo(template: JobTemplate, component: Component): boolean {
  if (template.components === undefined) return true;
  const match = globMatcher(template.components);
  return match(component.name) || match(component.path);
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function placeholderValues(
  input: PlanInput,
  job: string,
  component: Component,
  chart: ChartRelease | undefined,
): Record<string, string | undefined> {
  const { context } = input;
  const builtins: Record<string, string | undefined> = {
    component: component.name,
    version: chart ? chart.version : context.versions?.[component.name],
    chart: chart?.folder,
    chart_name: chart?.name,
    chart_version: chart?.version,
    sha: context.sha,
    ref: context.ref,
    pr: context.pr === undefined ? undefined : String(context.pr),
    image: component.image,
    default_branch: context.defaultBranch,
    job,
    owner: context.owner,
    repo: context.repo,
  };
  const values: Record<string, string | undefined> = { ...builtins };
  for (const [name, text] of Object.entries(input.policy.jobs.variables)) {
    if (Object.hasOwn(BUILTIN_PLACEHOLDERS, name)) continue;
    const expanded = expandPlaceholders(text, builtins);
    values[name] = expanded.ok ? expanded.value : undefined;
  }
  return values;
}

function missingReason(
  missing: readonly string[],
  where: string,
  component: Component,
  input: PlanInput,
): string {
  const name = missing[0] as string;
  const at = `${where} uses {${name}}`;
  switch (name) {
    case "image":
      return `${at} but component ${component.name} has no image: set components.define.${component.name}.image`;
    case "version":
      return `${at} but no version of component ${component.name} is known (its VERSION file could not be read)`;
    case "pr":
      return `${at}, which only pull_request jobs know`;
    case "chart":
    case "chart_name":
    case "chart_version":
      return `${at}, which only chart_release jobs know`;
    default:
      if (Object.hasOwn(input.policy.jobs.variables, name)) {
        return `${at}, whose value (jobs.variables.${name}) uses a placeholder that has no value for ${component.name}`;
      }
      return `${at}, which is not a placeholder monobot knows (run \`monobot config validate\`)`;
  }
}

/** Percent-encode substituted values in a URL, and each segment of a Jenkins job path later. */
function urlValue(value: string): string {
  return encodeURIComponent(value);
}

function resolveBackend(
  spec: Record<string, unknown>,
  expand: (key: string, text: string, encode?: (v: string) => string) => string | undefined,
): ResolvedBackend | undefined {
  const str = (key: string, encode?: (v: string) => string): string | undefined => {
    const v = spec[key];
    return typeof v === "string" ? expand(key, v, encode) : undefined;
  };
  switch (spec.type) {
    case "github-actions": {
      const workflow = str("workflow");
      const ref = expand("ref", typeof spec.ref === "string" ? spec.ref : DEFAULT_WORKFLOW_REF);
      if (workflow === undefined || ref === undefined) return undefined;
      return {
        type: "github-actions",
        workflow,
        ref,
        return_run_details: spec.return_run_details === true,
      };
    }
    case "repository-dispatch": {
      const eventType = str("event_type");
      return eventType === undefined
        ? undefined
        : { type: "repository-dispatch", event_type: eventType };
    }
    case "jenkins": {
      const url = str("url", urlValue);
      const job = str("job");
      const credentials = spec.credentials;
      if (url === undefined || job === undefined || typeof credentials !== "string")
        return undefined;
      return { type: "jenkins", url, job, credentials, crumb: spec.crumb === true };
    }
    case "webhook": {
      const url = str("url", urlValue);
      const secret = spec.secret;
      if (url === undefined || typeof secret !== "string") return undefined;
      return { type: "webhook", url, secret };
    }
    default:
      return undefined;
  }
}

/**
 * The runs a trigger starts: for each job whose `on` includes the trigger, each of `components`
 * its `components` globs select, with overrides applied and every placeholder expanded. Runs that
 * cannot be expanded (a component without image for `{image}`, an unknown version) are returned
 * as skipped with the reason, as are jobs and components `only` asks for that do not apply.
 * Pure: the same input always gives the same plan: jobs by name, components in the order given.
 */
export function planJobs(input: PlanInput): JobPlan {
  const { policy, trigger, only } = input;
  const runs: PlannedRun[] = [];
  const skipped: SkippedRun[] = [];
  const templates = Object.entries(policy.jobs.templates).sort(([a], [b]) => compareStrings(a, b));

  const byName = new Map(input.components.map((c) => [c.name, c]));
  const requested = only?.components;
  const candidates = requested
    ? input.components.filter((c) => requested.includes(c.name))
    : [...input.components];

  const jobs =
    only?.job === undefined ? templates : templates.filter(([name]) => name === only.job);
  if (only?.job !== undefined && jobs.length === 0) {
    const known = templates.map(([n]) => n);
    skipped.push({
      job: only.job,
      component: "",
      reason: `there is no job named ${only.job}${known.length ? `; the jobs are ${known.join(", ")}` : "; the policy has no jobs.templates"}`,
    });
  }

  for (const name of requested ?? []) {
    if (!byName.has(name)) {
      skipped.push({
        job: only?.job ?? "",
        component: name,
        reason: `${name} is not one of the components here`,
      });
    }
  }

  for (const [job, template] of jobs) {
    const triggers = jobTriggers(template);
    if (!triggers.includes(trigger)) {
      if (only?.job !== undefined) {
        for (const component of candidates.filter((c) => jobAppliesTo(template, c))) {
          skipped.push({
            job,
            component: component.name,
            reason: `job ${job} runs on ${triggers.join(", ")}, not on ${trigger}`,
          });
        }
      }
      continue;
    }
    if (trigger === "chart_release") {
      for (const chart of input.charts ?? []) {
        const component = chartComponent(chart);
        if (requested && !requested.includes(chart.name)) continue;
        if (!jobAppliesTo(template, component) || !chartMatches(template, chart)) continue;
        const result = planOne(input, job, template, component, chart);
        if ("reason" in result) skipped.push(result);
        else runs.push(result);
      }
      continue;
    }
    if (template.paths !== undefined) {
      // A repository job: once, when the change touches one of its paths.
      if (trigger !== "pull_request" && trigger !== "postmerge") continue;
      const component = repositoryComponent(input.context.repo);
      if (requested && !requested.includes(component.name)) continue;
      const match = globMatcher(template.paths);
      if (!(input.changedPaths ?? []).some((p) => match(p))) continue;
      const result = planOne(input, job, template, component, undefined);
      if ("reason" in result) skipped.push(result);
      else runs.push(result);
      continue;
    }
    for (const component of candidates) {
      if (!jobAppliesTo(template, component)) {
        if (only?.job !== undefined && requested !== undefined) {
          skipped.push({
            job,
            component: component.name,
            reason: `job ${job} runs only for components matching ${(template.components ?? []).join(", ")}`,
          });
        }
        continue;
      }
      const result = planOne(input, job, template, component, undefined);
      if ("reason" in result) skipped.push(result);
      else runs.push(result);
    }
  }
  return { runs, skipped };
}

/** The paths a change touches, for `paths` jobs: each file, and a renamed file's old path. */
export function changedPathsOf(files: readonly ChangedFile[]): string[] {
  return files.flatMap((f) => (f.previousPath ? [f.path, f.previousPath] : [f.path]));
}

/** The component a repository job runs as: the repository itself (`ci/{repo}/{job}`). */
export function repositoryComponent(repo: string): Component {
  return { name: repo, path: "", versionFile: "", dependsOn: [] };
}

/** The component a chart_release job runs as: the chart, by name (`ci/{chart_name}/{job}`). */
export function chartComponent(chart: ChartRelease): Component {
  const file = chart.folder === "" ? "Chart.yaml" : `${chart.folder}/Chart.yaml`;
  return { name: chart.name, path: chart.folder, versionFile: file, dependsOn: [] };
}

/** Whether a chart_release job's `paths` (default: every chart) take the chart's folder or Chart.yaml. */
function chartMatches(template: JobTemplate, chart: ChartRelease): boolean {
  if (template.paths === undefined) return true;
  const match = globMatcher(template.paths);
  return match(chart.folder) || match(chartComponent(chart).versionFile);
}

/** Whether a job is a component's publish job: it runs on release (the image is built there). */
export function isPublishJob(template: JobTemplate): boolean {
  return jobTriggers(template).includes("release") && template.paths === undefined;
}

/** Whether any publish job runs for `component`; without one, the release tag itself deploys it. */
export function hasPublishJob(policy: Pick<Policy, "jobs">, component: Component): boolean {
  return Object.values(policy.jobs.templates).some(
    (t) => isPublishJob(t) && jobAppliesTo(t, component),
  );
}

function planOne(
  input: PlanInput,
  job: string,
  template: JobTemplate,
  component: Component,
  chart: ChartRelease | undefined,
): PlannedRun | SkippedRun {
  const { policy, context } = input;
  const override = template.overrides?.[component.name];
  const values = placeholderValues(input, job, component, chart);
  const base = `jobs.templates.${job}`;
  let problem: string | undefined;
  const expand =
    (where: string) =>
    (key: string, text: string, encode?: (v: string) => string): string | undefined => {
      const result = expandPlaceholders(text, values, encode);
      if (result.ok) return result.value;
      problem ??= missingReason(result.missing, `${where}.${key}`, component, input);
      return undefined;
    };

  const spec = mergeBackend(template.backend, override?.backend);
  const backendWhere = override?.backend
    ? `${base}.overrides.${component.name}.backend`
    : `${base}.backend`;
  const backend = resolveBackend(spec, expand(backendWhere));

  const inputs: Record<string, string> = {};
  const templateInputs = template.inputs ?? {};
  const overrideInputs = override?.inputs ?? {};
  for (const [name, text] of Object.entries({ ...templateInputs, ...overrideInputs })) {
    if (name === RUN_ID_INPUT) continue;
    const where = Object.hasOwn(overrideInputs, name)
      ? `${base}.overrides.${component.name}.inputs`
      : `${base}.inputs`;
    const value = expand(where)(name, text);
    if (value !== undefined) inputs[name] = value;
  }

  if (problem !== undefined) return { job, component: component.name, reason: problem };
  if (backend === undefined) {
    return {
      job,
      component: component.name,
      reason: `${backendWhere} is incomplete for a ${String(spec.type)} backend (run \`monobot config validate\`)`,
    };
  }

  const runId = encodeRunId({
    owner: context.owner,
    repo: context.repo,
    sha: context.sha,
    component: component.name,
    job,
    ...(context.pr === undefined ? {} : { pr: context.pr }),
  });
  inputs[RUN_ID_INPUT] = runId;

  const run: PlannedRun = {
    job,
    component: component.name,
    trigger: input.trigger,
    statusContext: statusContext(component.name, job),
    backend,
    inputs,
    runId,
    owner: context.owner,
    repo: context.repo,
    sha: context.sha,
    ref: context.ref,
    timeoutMinutes: template.timeout_minutes ?? policy.jobs.timeout_minutes,
  };
  if (context.pr !== undefined) run.pr = context.pr;
  const version = chart ? chart.version : context.versions?.[component.name];
  if (version !== undefined) run.version = version;
  if (component.image !== undefined) run.image = component.image;
  if (chart) run.chart = { ...chart };
  return run;
}

/** One scheduled (job, component) pair, as the scheduler loop walks them. */
export interface ScheduledJob {
  job: string;
  component: string;
  cron: string;
  timezone: string;
  /** The key of the `H` hash and of the scheduler's record of the last fire. */
  key: string;
}

/** Every (job, component) pair that runs on a schedule, in job then component order. */
export function scheduledJobs(policy: Policy, components: readonly Component[]): ScheduledJob[] {
  const out: ScheduledJob[] = [];
  const templates = Object.entries(policy.jobs.templates).sort(([a], [b]) => compareStrings(a, b));
  for (const [job, template] of templates) {
    if (!jobTriggers(template).includes("schedule") || template.cron === undefined) continue;
    if (template.paths !== undefined) continue;
    for (const component of components) {
      if (!jobAppliesTo(template, component)) continue;
      out.push({
        job,
        component: component.name,
        cron: template.cron,
        timezone: template.timezone ?? DEFAULT_TIMEZONE,
        key: scheduleKey(job, component.name),
      });
    }
  }
  return out;
}

/** The triggers a policy can name, for messages and docs. */
export const JOB_TRIGGERS: readonly JobTrigger[] = TRIGGERS;
