// Builds the backend a planned run names and starts the run: the one module that knows them all.
import type { PlannedRun, ResolvedBackend } from "../core/jobs.js";
import type { BackendDeps, CiBackend, DispatchResult } from "./backend.js";
import { GitHubActionsBackend, RepositoryDispatchBackend } from "./github-actions.js";
import { JenkinsBackend } from "./jenkins.js";
import { WebhookBackend } from "./webhook.js";

/** The backend for a run's resolved backend spec. */
export function createBackend(spec: ResolvedBackend, deps: BackendDeps): CiBackend {
  switch (spec.type) {
    case "github-actions":
      return new GitHubActionsBackend(spec, deps);
    case "repository-dispatch":
      return new RepositoryDispatchBackend(spec, deps);
    case "jenkins":
      return new JenkinsBackend(spec, deps);
    case "webhook":
      return new WebhookBackend(spec, deps);
  }
}

/** Start one planned run with the backend it names. */
export function dispatchRun(run: PlannedRun, deps: BackendDeps): Promise<DispatchResult> {
  return createBackend(run.backend, deps).dispatch(run);
}
