// A CI run's result, from GitHub Actions or from the CI callback route: the commit status it becomes.
import { statusDescription } from "../ci/backend.js";
import { statusContext as jobStatusContext } from "../core/jobs.js";
import type { RunIdFields, RunStatus } from "../core/run-id.js";
import { deployAfterCiResult } from "./deploy-jobs.js";
import { settleDeployment } from "./env-deployments.js";
import { eventInstallation, type JobContext } from "./job-context.js";

export interface CiResultSpec {
  run: RunIdFields;
  status: RunStatus;
  source: "workflow_run" | "callback";
}

/**
 * Posts a CI run's result as the commit status `ci/{component}/{job}`, settles its timeout, and
 * queues the deploy that a successful publish (or chart release) job asks for.
 */
export async function postCiResult(spec: CiResultSpec, context: JobContext): Promise<void> {
  const { run, status } = spec;
  const { services } = context;
  const statusContext = jobStatusContext(run.component, run.job, run.environment);
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
  // A `deployed` job's result is a verdict on its environment's Deployment.
  if (run.environment !== undefined) {
    await settleDeployment(
      {
        kind: "verdict",
        repo: { owner: run.owner, name: run.repo },
        sha: run.sha,
        environment: run.environment,
        component: run.component,
      },
      { ...context, installationId },
    );
  }
  // A publish job that succeeded deploys (a chart publish, its follow-up): a job of its own.
  await deployAfterCiResult({ run, state: status.state }, context, installationId);
}
