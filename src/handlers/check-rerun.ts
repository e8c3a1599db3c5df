// The Checks tab's "Re-run" of a monobot check or of the suite: verify again, re-run failed CI.
import { DEPLOY_GATE_CHECK } from "../core/freeze.js";
import { SECRETS_SYNC_CHECK } from "../core/secrets-provisioning.js";
import { reverifyPullRequest, type RerunSpec } from "../workflows/verify-job.js";
import {
  defineHandler,
  pullRequestKey,
  repoRef,
  verifySupersedeKey,
  type RepoPayload,
} from "./handler.js";

/** Checks whose "Re-run" another handler answers: re-verifying the PR would be wasted work. */
const OWN_RERUNS = new Set([DEPLOY_GATE_CHECK, SECRETS_SYNC_CHECK]);

export type { RerunSpec } from "../workflows/verify-job.js";

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
  run: reverifyPullRequest,
});
