// The Checks tab's "Re-run" of a monobot check or of the suite: verify again, re-run failed CI.
import { DEPLOY_GATE_CHECK } from "../core/freeze.js";
import { SECRETS_SYNC_CHECK } from "../core/secrets-provisioning.js";
import {
  defineHandler,
  eventInstallation,
  pullRequestKey,
  repoRef,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";
import { runVerifySpec, verifySupersedeKey } from "./pull-request.js";

/** Checks whose "Re-run" another handler answers: re-verifying the PR would be wasted work. */
const OWN_RERUNS = new Set([DEPLOY_GATE_CHECK, SECRETS_SYNC_CHECK]);

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
    const name = payload.check_run?.name;
    // The gate re-runs itself (deploy-gate.ts); a secrets sync is re-run with /sync-secrets.
    if (name !== undefined && (!name.startsWith("monobot/") || OWN_RERUNS.has(name))) return [];
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
