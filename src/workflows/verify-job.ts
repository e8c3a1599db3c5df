// Verification jobs: a pull request's event (its head as the event gave it), a re-run from the Checks tab, or a run that never reported back.
import type { PullRequestData } from "../forge/github.js";
import type { TrackedRun } from "../runtime/run-timeouts.js";
import { deploymentAt, fail } from "./env-deployments.js";
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

/** The component, job and environment of a `deployed` job's status context (`ci/{component}/{job}@{environment}`). */
export function deployedRunOf(
  statusContext: string,
): { component: string; job: string; environment: string } | undefined {
  const m = /^ci\/(.+)\/([^/@]+)@([^/@]+)$/.exec(statusContext);
  return m
    ? { component: m[1] as string, job: m[2] as string, environment: m[3] as string }
    : undefined;
}

/**
 * A CI run gave no result within its `timeout_minutes`: its pending status becomes `error`. A
 * `deployed` job's Deployment then fails too, its description naming the job that timed out, and
 * is handled as any failed verification (one comment on the merged PR; never promoted), so it
 * does not stay `in_progress` for ever.
 */
export async function runTimedOut(run: TrackedRun, context: JobContext): Promise<void> {
  const port = await context.services.clients.forRepo(run.owner, run.repo, run.installationId);
  const current = (await port.statuses(run.sha)).find((s) => s.context === run.statusContext);
  if (current?.state !== "pending") return;
  const waited = `no result after ${run.timeoutMinutes} minutes`;
  await port.setStatus(run.sha, {
    context: run.statusContext,
    state: "error",
    description: `timed out: ${waited}`,
    ...(current.targetUrl ? { targetUrl: current.targetUrl } : {}),
  });
  const deployed = deployedRunOf(run.statusContext);
  if (!deployed) return;
  const d = await deploymentAt(port, run.sha, deployed.environment, deployed.component);
  if (!d || ["success", "failure", "error", "inactive"].includes(d.state)) return;
  await port.setDeploymentStatus(d.id, {
    state: "failure",
    description: `verification timed out: ${run.statusContext} (${deployed.job}) gave ${waited}`,
  });
  const failed = [
    { context: run.statusContext, ...(current.targetUrl ? { targetUrl: current.targetUrl } : {}) },
  ];
  await fail(port, { ...d, state: "failure" }, String(d.payload.version ?? ""), failed, context);
  context.log.info(
    { environment: deployed.environment, component: deployed.component, deployment: d.id },
    "verification timed out",
  );
}
