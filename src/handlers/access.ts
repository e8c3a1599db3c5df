// monobot/access again whenever its answer may change: a push, a review, `recheck`, the Checks tab's Re-run.
import { ACCESS_CHECK } from "../core/access.js";
import { CONFIG_CHECK } from "../core/checks/config.js";
import { parseCommands } from "../core/commands.js";
import { pullRequestInfo, type PullRequestData, type RestPullRequest } from "../forge/github.js";
import { runAccessCheck } from "../workflows/access-check.js";
import { decideTrust } from "../workflows/decide-trust.js";
import { movedEnvironments } from "../workflows/promotion-check.js";
import {
  defineHandler,
  eventInstallation,
  pullRequestKey,
  repoRef,
  type JobDraft,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";

export const ACCESS_HANDLER = "access";

export interface AccessSpec {
  repo: RepoRef;
  pull: number;
  /** The pull request as a `pull_request` event gave it; absent, it is read fresh. */
  pr?: PullRequestData;
  /** A comment that may be `recheck`: acted on only when it is, from a trusted user. */
  comment?: { commenter: string; association: string; body: string };
}

interface AccessPayload {
  action?: string;
  repository: RepoPayload;
  installation?: { id: number };
  pull_request?: RestPullRequest;
  review?: unknown;
  check_run?: { name: string; pull_requests?: { number: number }[] };
  check_suite?: { pull_requests?: { number: number }[] };
  issue?: { number: number; pull_request?: unknown };
  comment?: { body: string; user: { login: string } | null; author_association: string };
  sender?: { type: string };
}

/** Re-runs that answer a failing access check, or a config check this handler posts on the head. */
const RERUNS = new Set([ACCESS_CHECK, CONFIG_CHECK]);

/** Cheap pre-filter: ordinary discussion never costs a job. */
const MAYBE_RECHECK = /recheck/i;

function supersedeKey(key: string): string {
  return `access:${key}`;
}

/** Pull request numbers an event is about, and the pull request itself when the payload holds it. */
function pullsOf(payload: AccessPayload): { pull: number; pr?: PullRequestData }[] {
  if (payload.pull_request && payload.review === undefined) {
    const pr = pullRequestInfo(payload.pull_request);
    return [{ pull: pr.number, pr }];
  }
  // A review's pull request may lag a push made meanwhile: read it fresh when the job runs.
  if (payload.pull_request) return [{ pull: payload.pull_request.number }];
  if (payload.check_run && !RERUNS.has(payload.check_run.name)) return [];
  const runOrSuite = payload.check_run ?? payload.check_suite;
  if (runOrSuite) return (runOrSuite.pull_requests ?? []).map((p) => ({ pull: p.number }));
  return [];
}

export default defineHandler<AccessSpec>({
  name: ACCESS_HANDLER,
  events: [
    "pull_request.opened",
    "pull_request.synchronize",
    "pull_request.reopened",
    "pull_request.ready_for_review",
    "pull_request_review.submitted",
    "pull_request_review.dismissed",
    "pull_request_review.edited",
    "check_run.rerequested",
    "check_suite.rerequested",
    "issue_comment.created",
  ],
  plan(event) {
    const payload = event.payload as AccessPayload;
    const repo = repoRef(payload.repository);
    const installation = payload.installation ? { installationId: payload.installation.id } : {};
    if (payload.issue) {
      const { issue, comment } = payload;
      if (!issue.pull_request || !comment?.user || payload.sender?.type === "Bot") return [];
      if (!MAYBE_RECHECK.test(comment.body)) return [];
      const key = pullRequestKey(repo, issue.number);
      return [
        {
          key,
          deliveryId: `${event.id}:access`,
          ...installation,
          spec: {
            repo,
            pull: issue.number,
            comment: {
              commenter: comment.user.login,
              association: comment.author_association,
              body: comment.body,
            },
          },
        },
      ];
    }
    const pulls = pullsOf(payload);
    return pulls.map(({ pull, pr }): JobDraft<AccessSpec> => {
      const key = pullRequestKey(repo, pull);
      // The queue drops a delivery id it has seen, whichever handler queued it: this job's is its own.
      const suffix = pulls.length > 1 ? `#${pull}` : "";
      return {
        key,
        supersedeKey: supersedeKey(key),
        deliveryId: `${event.id}${suffix}:access`,
        ...installation,
        spec: { repo, pull, ...(pr ? { pr } : {}) },
      };
    });
  },
  async run(spec, context) {
    const { services } = context;
    const log = context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}`, pr: spec.pull });
    const port = await services.clients.forRepo(
      spec.repo.owner,
      spec.repo.name,
      eventInstallation(context),
    );
    let pr = spec.pr;
    if (!pr) {
      const fresh = await port.pullRequest(spec.pull);
      if (!fresh.open) return;
      pr = fresh.pr;
    }
    const base = await port.loadPolicy(pr.baseRef);
    if (spec.comment) {
      if (!base.result.ok) return;
      const policy = base.result.policy;
      const asked = parseCommands(spec.comment.body, policy).commands;
      if (!asked.some((c) => c.name === "recheck")) return;
      // The comment handler answers an untrusted commenter; this one stays silent.
      const trust = await decideTrust(
        port,
        spec.comment.commenter,
        spec.comment.association,
        policy,
      );
      if (!trust.trusted) return;
    }
    const policy = base.result.ok ? base.result.policy : undefined;
    const head = pr;
    await runAccessCheck(
      port,
      {
        pr,
        deliveryId: context.deliveryId,
        base,
        // The environments' pins are read from the base branch's policy, as the rules are.
        ...(policy
          ? {
              movedEnvironments: async (files) => movedEnvironments(port, head, policy, files),
            }
          : {}),
      },
      log,
    );
  },
});
