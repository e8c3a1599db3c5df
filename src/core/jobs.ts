// CI job planning: which jobs run for which components, each expanded into a run with its backend, inputs and run id.
//
// Planning expands one template (job-templates.ts) per component into a run: the backend to
// start, its inputs (strings), the status context `ci/{component}/{job}` and the run id that
// brings the result back.
import { globMatcher } from "./glob.js";
import { BUILTIN_PLACEHOLDERS, expandPlaceholders } from "./job-placeholders.js";
import {
  DEFAULT_TIMEZONE,
  DEFAULT_WORKFLOW_REF,
  jobTriggers,
  mergeBackend,
  RUN_ID_INPUT,
  type JobTemplate,
  type JobTrigger,
} from "./job-templates.js";
import type { Policy } from "./policy-schema.js";
import { encodeRunId } from "./run-id.js";
import { scheduleKey } from "./schedule.js";
import type { ChangedFile, Component } from "./types.js";

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
  /** `deployed` jobs: the environment the version reached, for `{environment}` and the run id. */
  environment?: string;
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

/**
 * The status context a job reports as for a component: `ci/{component}/{job}`, and for a
 * `deployed` job `ci/{component}/{job}@{environment}`, since one merge may move several
 * environments' pins and each verification is its own.
 */
export function statusContext(component: string, job: string, environment?: string): string {
  return environment === undefined
    ? `ci/${component}/${job}`
    : `ci/${component}/${job}@${environment}`;
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
    environment: context.environment,
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
    ...(context.environment === undefined ? {} : { environment: context.environment }),
  });
  inputs[RUN_ID_INPUT] = runId;

  const run: PlannedRun = {
    job,
    component: component.name,
    trigger: input.trigger,
    statusContext: statusContext(component.name, job, context.environment),
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
