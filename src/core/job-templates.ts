// CI job templates: the policy's `jobs` vocabulary (triggers, backends, defaults) that validation and planning share.
//
// Like Jenkins Job Builder, a job is a template whose strings use `{placeholders}`; planning
// expands one template per component into a run (see jobs.ts), after validation (see
// job-template-validator.ts) has said what is wrong with the policy's templates.
import type { Policy } from "./policy-schema.js";

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

/** Triggers a job with `paths` may run on: once for the repository, or once per chart. */
export const PATH_TRIGGERS: readonly JobTrigger[] = ["pull_request", "postmerge", "chart_release"];

export const TRIGGERS: readonly JobTrigger[] = [
  "pull_request",
  "postmerge",
  "release",
  "schedule",
  "chart_release",
  "deployed",
];
export const DEFAULT_TIMEZONE = "UTC";
export const DEFAULT_WORKFLOW_REF = "{default_branch}";

/** The triggers a template runs on, as a list. */
export function jobTriggers(template: JobTemplate): JobTrigger[] {
  return typeof template.on === "string" ? [template.on] : [...template.on];
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

/** The triggers a policy can name, for messages and docs. */
export const JOB_TRIGGERS: readonly JobTrigger[] = TRIGGERS;
