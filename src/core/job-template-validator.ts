// Validation of the policy's `jobs` section beyond its schema: placeholders, backends, inputs, schedules, time zones.
import {
  braces,
  BUILTIN_PLACEHOLDERS,
  expandPlaceholders,
  placeholdersIn,
  SPACED_PLACEHOLDER,
  TRIGGER_PLACEHOLDERS,
} from "./job-placeholders.js";
import {
  DEFAULT_TIMEZONE,
  jobTriggers,
  mergeBackend,
  PATH_TRIGGERS,
  RUN_ID_INPUT,
  type BackendType,
  type JobsPolicy,
  type JobTemplate,
  type JobTrigger,
} from "./job-templates.js";
import type { Policy } from "./policy-schema.js";
import { JOB_NAME } from "./run-id.js";
import { isValidTimeZone, scheduleErrors } from "./schedule.js";
import { closestName } from "./suggest.js";

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

function dotted(path: readonly string[]): string {
  return path.join(".");
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
