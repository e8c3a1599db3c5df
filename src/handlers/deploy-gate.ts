// `pull_request` and the Checks tab's "Re-run" on a pull request: one monobot/deploy-gate job per pull
// request, which the deploy-gate workflow runs (and queues again at each freeze transition).
import { DEPLOY_GATE_CHECK } from "../core/deploy-gate.js";
import { pullRequestInfo, type RestPullRequest } from "../forge/github.js";
import {
  DEPLOY_GATE_HANDLER,
  gateSupersedeKey,
  runGateJob,
  type GateSpec,
} from "../workflows/deploy-gate.js";
import {
  defineHandler,
  pullRequestKey,
  repoRef,
  type JobDraft,
  type RepoPayload,
} from "./handler.js";

// Tests and the timer job name these from here too.
export { DEPLOY_GATE_HANDLER, gateTimerKey, type GateSpec } from "../workflows/deploy-gate.js";

interface GatePayload {
  action?: string;
  repository: RepoPayload;
  installation?: { id: number };
  pull_request?: RestPullRequest;
  check_run?: { name: string; pull_requests?: { number: number }[] };
  check_suite?: { pull_requests?: { number: number }[] };
}

/**
 * The queue drops a delivery id it saw, whichever handler queued it: the gate's job of an event
 * that other handlers take too carries its own id.
 */
function gateDeliveryId(eventId: string): string {
  return `${eventId}:deploy-gate`;
}

const GATED_ACTIONS = new Set(["opened", "synchronize", "reopened", "ready_for_review"]);

export default defineHandler<GateSpec>({
  name: DEPLOY_GATE_HANDLER,
  events: [
    "pull_request.opened",
    "pull_request.synchronize",
    "pull_request.reopened",
    "pull_request.ready_for_review",
    "pull_request.closed",
    "check_run.rerequested",
    "check_suite.rerequested",
  ],
  plan(event) {
    const payload = event.payload as GatePayload;
    const repo = repoRef(payload.repository);
    const installation = payload.installation ? { installationId: payload.installation.id } : {};
    if (payload.pull_request) {
      const pr = pullRequestInfo(payload.pull_request);
      const key = pullRequestKey(repo, pr.number);
      if (payload.action === "closed") {
        return [
          {
            key,
            deliveryId: gateDeliveryId(event.id),
            ...installation,
            spec: { repo, pull: pr.number, closed: true },
          },
        ];
      }
      if (!GATED_ACTIONS.has(payload.action ?? "")) return [];
      return [
        {
          key,
          supersedeKey: gateSupersedeKey(key),
          deliveryId: gateDeliveryId(event.id),
          ...installation,
          spec: { repo, pull: pr.number, pr },
        },
      ];
    }
    // The Checks tab: "Re-run" of this check, or of the whole suite (which holds it).
    if (payload.check_run && payload.check_run.name !== DEPLOY_GATE_CHECK) return [];
    const pulls = (payload.check_run ?? payload.check_suite)?.pull_requests ?? [];
    return pulls.map((p): JobDraft<GateSpec> => {
      const key = pullRequestKey(repo, p.number);
      return {
        key,
        supersedeKey: gateSupersedeKey(key),
        deliveryId: gateDeliveryId(`${event.id}#${p.number}`),
        ...installation,
        spec: { repo, pull: p.number },
      };
    });
  },
  run: runGateJob,
});
