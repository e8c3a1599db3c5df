// Verification jobs: a pull request's event (its head as the event gave it) or a re-run from the Checks tab.
import type { PullRequestData } from "../forge/github.js";
import { eventInstallation, type JobContext, type RepoRef } from "./job-context.js";
import type { CiRequest } from "./pull-request-ci.js";
import { sealedSecretsOfServices } from "./secret-targets.js";
import { verifyPullRequestEvent } from "./verify-pull-request.js";

export interface VerifySpec {
  repo: RepoRef;
  pr: PullRequestData;
  ci: CiRequest;
}

/** The Checks tab's "Re-run": the pull request is read fresh when the job runs. */
export interface RerunSpec {
  repo: RepoRef;
  pull: number;
}

/** Runs a verification job: the PR as given, with the services' clients and CI backends. */
export async function verifyPullRequestJob(spec: VerifySpec, context: JobContext): Promise<void> {
  const { services } = context;
  const installationId = eventInstallation(context);
  const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
  await verifyPullRequestEvent(
    port,
    {
      repo: spec.repo,
      pr: spec.pr,
      deliveryId: context.deliveryId,
      ci: spec.ci,
      checks: services.checks,
      botLogin: await services.clients.botLogin(),
      backend: services.backend,
      tracker: services.timeouts.forInstallation(installationId),
      sealedSecrets: sealedSecretsOfServices(services, spec.repo, installationId),
    },
    context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}`, pr: spec.pr.number }),
  );
}

/** Verifies an open pull request again, as it is now, and re-runs its failed CI jobs. */
export async function reverifyPullRequest(spec: RerunSpec, context: JobContext): Promise<void> {
  const port = await context.services.clients.forRepo(
    spec.repo.owner,
    spec.repo.name,
    eventInstallation(context),
  );
  const fresh = await port.pullRequest(spec.pull);
  if (!fresh.open) return;
  await verifyPullRequestJob(
    { repo: spec.repo, pr: fresh.pr, ci: { kind: "rerun-failed" } },
    context,
  );
}
