// A CI run's result, from GitHub Actions (`workflow_run.completed`) or from the CI callback route
// (Jenkins, webhook jobs): one code path posts it as the commit status `ci/{component}/{job}`.
import { statusDescription } from "../ci/backend.js";
import type { CallbackResult } from "../ci/callback.js";
import { correlateWorkflowRun, type RunIdFields, type RunStatus } from "../core/run-id.js";
import { deployAfterCiResult } from "./deploy.js";
import { defineHandler, eventInstallation, type JobDraft, type RepoPayload } from "./handler.js";

export interface CiResultSpec {
  run: RunIdFields;
  status: RunStatus;
  source: "workflow_run" | "callback";
}

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
  async run(spec, context) {
    const { run, status } = spec;
    const { services } = context;
    const statusContext = `ci/${run.component}/${run.job}`;
    services.timeouts.settle({ ...run, statusContext });
    // A callback names only its repository: the factory finds the installation.
    const installationId =
      spec.source === "callback" ? context.installationId : eventInstallation(context);
    const port = await services.clients.forRepo(run.owner, run.repo, installationId);
    await port.setStatus(run.sha, {
      context: statusContext,
      state: status.state,
      description: statusDescription(status.description),
      ...(status.targetUrl ? { targetUrl: status.targetUrl } : {}),
    });
    context.log.info(
      {
        repo: `${run.owner}/${run.repo}`,
        job: run.job,
        component: run.component,
        state: status.state,
        source: spec.source,
      },
      "CI result posted",
    );
    // A publish job that succeeded deploys (a chart publish, its follow-up): a job of its own.
    await deployAfterCiResult({ run, state: status.state }, context, installationId);
  },
});
