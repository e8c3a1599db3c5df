// A push to a default branch: a scan that rebuilds the repository's open deploy PRs on the new base.
// Deploy jobs are queued by other moments too (a publish, a release tag); they all run here.
import { DEPLOY_HANDLER, type DeploySpec } from "../workflows/deploy-jobs.js";
import { runDeployJob } from "../workflows/run-deploy.js";
import { defineHandler, repoRef, type RepoPayload } from "./handler.js";

export default defineHandler<DeploySpec>({
  name: DEPLOY_HANDLER,
  events: ["push"],
  plan(event) {
    const payload = event.payload as {
      repository: RepoPayload;
      ref: string;
      deleted?: boolean;
      installation?: { id: number };
    };
    const { repository, ref } = payload;
    if (payload.deleted || ref !== `refs/heads/${repository.default_branch}`) return [];
    const repo = repoRef(repository);
    return [
      {
        key: `${repo.owner}/${repo.name}@deploy-scan`,
        // Not the delivery's own id: the push handler's job of the same delivery carries that one.
        deliveryId: `${event.id}/deploy-scan`,
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: { kind: "scan", repo: { owner: repo.owner, name: repo.name } },
      },
    ];
  },
  run: runDeployJob,
});
