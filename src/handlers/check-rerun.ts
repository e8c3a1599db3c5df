// The Checks tab's "Re-run" of a monobot check or of the suite: verify again, re-run failed CI.
import {
  defineHandler,
  eventInstallation,
  pullRequestKey,
  repoRef,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";
import { runVerifySpec, verifySupersedeKey } from "./pull-request.js";

export interface RerunSpec {
  repo: RepoRef;
  pull: number;
}

interface RerunPayload {
  repository: RepoPayload;
  installation?: { id: number };
  check_run?: { name: string; pull_requests?: { number: number }[] };
  check_suite?: { pull_requests?: { number: number }[] };
}

export default defineHandler<RerunSpec>({
  name: "check-rerun",
  events: ["check_run.rerequested", "check_suite.rerequested"],
  plan(event) {
    const payload = event.payload as RerunPayload;
    if (payload.check_run && !payload.check_run.name.startsWith("monobot/")) return [];
    const pulls = (payload.check_run ?? payload.check_suite)?.pull_requests ?? [];
    const repo = repoRef(payload.repository);
    // One suite can belong to several PRs: each gets its own job, so none is taken for a duplicate.
    return pulls.map((p) => {
      const key = pullRequestKey(repo, p.number);
      return {
        key,
        supersedeKey: verifySupersedeKey(key),
        deliveryId: `${event.id}#${p.number}`,
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: { repo, pull: p.number },
      };
    });
  },
  async run(spec, context) {
    const port = await context.services.clients.forRepo(
      spec.repo.owner,
      spec.repo.name,
      eventInstallation(context),
    );
    const fresh = await port.pullRequest(spec.pull);
    if (!fresh.open) return;
    await runVerifySpec({ repo: spec.repo, pr: fresh.pr, ci: { kind: "rerun-failed" } }, context);
  },
});
