// A push to the default branch (a merge): postmerge jobs, release tags, release jobs.
import { onMerge } from "../workflows/on-merge.js";
import { deployReleased } from "./deploy.js";
import {
  defineHandler,
  eventInstallation,
  repoRef,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";

export interface MergeSpec {
  repo: RepoRef;
  before: string;
  after: string;
}

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
  async run(spec, context) {
    const { repo } = spec;
    const { services } = context;
    const installationId = eventInstallation(context);
    const log = context.log.child({ repo: `${repo.owner}/${repo.name}` });
    const port = await services.clients.forRepo(repo.owner, repo.name, installationId);
    const loaded = await port.loadPolicy(spec.after);
    if (!loaded.result.ok) {
      log.warn(
        { errors: loaded.result.errors.length },
        "merge ignored: the configuration is invalid",
      );
      return;
    }
    const outcome = await onMerge({
      port,
      policy: loaded.result.policy,
      repo,
      before: spec.before,
      after: spec.after,
      backend: services.backend,
      tracker: services.timeouts.forInstallation(installationId),
      log,
    });
    // Components without a publish job are deployed by their release tag.
    await deployReleased(
      outcome.deployable,
      {
        policy: loaded.result.policy,
        repo: { owner: repo.owner, name: repo.name },
        sha: spec.after,
      },
      context,
      installationId,
    );
  },
});
