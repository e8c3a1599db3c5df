// `pull_request` opened, pushed to, reopened or ready for review: verify the PR and run its CI.
import { pullRequestInfo, type RestPullRequest } from "../forge/github.js";
import { verifyPullRequestJob, type VerifySpec } from "../workflows/verify-job.js";
import {
  defineHandler,
  pullRequestKey,
  repoRef,
  verifySupersedeKey,
  type RepoPayload,
} from "./handler.js";

export type { VerifySpec } from "../workflows/verify-job.js";

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
  run: verifyPullRequestJob,
});
