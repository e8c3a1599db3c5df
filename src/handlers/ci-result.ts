// A CI run's result, from GitHub Actions (`workflow_run.completed`) or from the CI callback route
// (Jenkins, webhook jobs): one code path posts it as the commit status `ci/{component}/{job}`.
import type { CallbackResult } from "../ci/callback.js";
import { correlateWorkflowRun, type RunIdFields } from "../core/run-id.js";
import { postCiResult, type CiResultSpec } from "../workflows/ci-result.js";
import { defineHandler, type JobDraft, type RepoPayload } from "./handler.js";

export type { CiResultSpec } from "../workflows/ci-result.js";

/** Results of one commit are posted one at a time. */
function commitKey(run: RunIdFields): string {
  return `${run.owner}/${run.repo}@${run.sha}`;
}

/** The job for a verified CI callback: the same result reported twice is posted once. */
export function callbackJob(parsed: CallbackResult): JobDraft<CiResultSpec> {
  const { run } = parsed;
  return {
    key: commitKey(run),
    deliveryId: `callback:${parsed.runId}:${parsed.state}`,
    spec: {
      run,
      status: {
        state: parsed.state,
        description: parsed.description ?? `${run.job}: ${parsed.state}`,
        ...(parsed.url ? { targetUrl: parsed.url } : {}),
      },
      source: "callback",
    },
  };
}

export default defineHandler<CiResultSpec>({
  name: "ci-result",
  events: ["workflow_run.completed"],
  plan(event) {
    const payload = event.payload as {
      workflow_run: Parameters<typeof correlateWorkflowRun>[0];
      repository: RepoPayload;
      installation?: { id: number };
    };
    const correlated = correlateWorkflowRun(payload.workflow_run);
    if (!correlated) return [];
    const { run, status } = correlated;
    // A run may only report on its own repository.
    if (run.owner !== payload.repository.owner.login || run.repo !== payload.repository.name) {
      return [];
    }
    return [
      {
        key: commitKey(run),
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: {
          run,
          status,
          source: "workflow_run",
        },
      },
    ];
  },
  run: postCiResult,
});
