// A push to the default branch (a merge): postmerge jobs, release tags, release jobs.
import { runMergeJob, type MergeSpec } from "../workflows/on-merge.js";
import { defineHandler, repoRef, type RepoPayload } from "./handler.js";

export type { MergeSpec } from "../workflows/on-merge.js";

export default defineHandler<MergeSpec>({
  name: "push",
  events: ["push"],
  plan(event, services) {
    const payload = event.payload as {
      repository: RepoPayload;
      ref: string;
      before: string;
      after: string;
      deleted?: boolean;
      installation?: { id: number };
    };
    const { repository, ref } = payload;
    if (payload.deleted || ref !== `refs/heads/${repository.default_branch}`) return [];
    const repo = repoRef(repository);
    if (payload.installation) {
      // The default branch moved: its schedules are read again on the next tick.
      services.scheduler.invalidate({
        owner: repo.owner,
        repo: repo.name,
        defaultBranch: repo.defaultBranch,
        installationId: payload.installation.id,
      });
    }
    return [
      {
        key: `${repo.owner}/${repo.name}@${ref}`,
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: { repo, before: payload.before, after: payload.after },
      },
    ];
  },
  run: runMergeJob,
});
