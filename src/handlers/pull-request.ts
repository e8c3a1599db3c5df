// `pull_request` opened, pushed to, reopened or ready for review: verify the PR and run its CI.
import { pullRequestInfo, type PullRequestData, type RestPullRequest } from "../forge/github.js";
import type { CiRequest } from "../workflows/pull-request-ci.js";
import { sealedSecretsOfServices } from "../workflows/secret-targets.js";
import { verifyPullRequestEvent } from "../workflows/verify-pull-request.js";
import {
  defineHandler,
  pullRequestKey,
  repoRef,
  eventInstallation,
  type JobContext,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";

export interface VerifySpec {
  repo: RepoRef;
  pr: PullRequestData;
  ci: CiRequest;
}

/** Runs a verification job: the PR as given, with the services' clients and CI backends. */
export async function runVerifySpec(spec: VerifySpec, context: JobContext): Promise<void> {
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

/** Work for a newer head replaces queued work for an older head of the same PR. */
export function verifySupersedeKey(key: string): string {
  return `verify:${key}`;
}

export default defineHandler<VerifySpec>({
  name: "pull-request",
  events: [
    "pull_request.opened",
    "pull_request.synchronize",
    "pull_request.reopened",
    "pull_request.ready_for_review",
  ],
  plan(event) {
    const payload = event.payload as {
      pull_request: RestPullRequest;
      repository: RepoPayload;
      installation?: { id: number };
    };
    const repo = repoRef(payload.repository);
    const pr = pullRequestInfo(payload.pull_request);
    const key = pullRequestKey(repo, pr.number);
    return [
      {
        key,
        supersedeKey: verifySupersedeKey(key),
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: { repo, pr, ci: { kind: "push" } },
      },
    ];
  },
  run: runVerifySpec,
});
