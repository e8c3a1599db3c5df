// The config repo's dashboard issue: events that may change what runs where render it again; an edit of it by a person answers the boxes they ticked.
import { DASHBOARD_MARKER } from "../core/dashboard.js";
import { DEPLOY_BRANCH_PREFIX } from "../core/deploy-pr.js";
import { PROMOTE_BRANCH_PREFIX, ROLLBACK_BRANCH_PREFIX } from "../core/env-gate.js";
import {
  DASHBOARD_HANDLER,
  dashboardKey,
  runDashboardJob,
  type DashboardSpec,
} from "../workflows/dashboard.js";
import {
  defineHandler,
  repoRef,
  type HandlerEvent,
  type JobDraft,
  type RepoPayload,
} from "./handler.js";

interface Payload {
  action?: string;
  repository?: RepoPayload;
  installation?: { id: number };
  sender?: { login: string; type?: string };
  ref?: string;
  after?: string;
  deleted?: boolean;
  commits?: { added?: string[]; modified?: string[]; removed?: string[] }[];
  pull_request?: { head: { ref: string } };
  issue?: { number: number; body?: string | null; pull_request?: unknown };
  changes?: { body?: { from?: string } };
}

const YAML = /\.ya?ml$/i;
const GITHUB_PUSH_COMMITS = 20;
const OWN_BRANCHES = [DEPLOY_BRANCH_PREFIX, PROMOTE_BRANCH_PREFIX, ROLLBACK_BRANCH_PREFIX];

/** Whether the event may change the board: a push to the default branch, a deployment status, one of monobot's config-repo pull requests opened or closed. */
function relevant(event: HandlerEvent, p: Payload): boolean {
  if (!p.repository) return false;
  if (event.name === "push") {
    if (p.deleted || p.ref !== `refs/heads/${p.repository.default_branch}`) return false;
    // Pins and the policy live in YAML files: a push touching none changes no board (GitHub
    // lists at most 20 commits of a push: a longer one may touch any).
    const commits = p.commits ?? [];
    const touched = commits.flatMap((c) => [
      ...(c.added ?? []),
      ...(c.modified ?? []),
      ...(c.removed ?? []),
    ]);
    return commits.length >= GITHUB_PUSH_COMMITS || touched.some((f) => YAML.test(f));
  }
  if (event.name === "deployment_status") return true;
  if (event.name === "pull_request") {
    const head = p.pull_request?.head.ref ?? "";
    return (
      ["opened", "closed", "reopened"].includes(p.action ?? "") &&
      OWN_BRANCHES.some((b) => head.startsWith(b))
    );
  }
  return false;
}

function plan(event: HandlerEvent): JobDraft<DashboardSpec>[] {
  const p = event.payload as Payload;
  if (!p.repository) return [];
  const repo = repoRef(p.repository);
  const key = dashboardKey(repo);
  const installation = p.installation ? { installationId: p.installation.id } : {};
  if (event.name === "issues") {
    const issue = p.issue;
    // The bot's own edits are renders: answering them would loop.
    if (p.action !== "edited" || !issue || issue.pull_request || p.sender?.type === "Bot")
      return [];
    if (!(issue.body ?? "").includes(DASHBOARD_MARKER) || p.changes?.body?.from === undefined) {
      return [];
    }
    return [
      {
        key,
        deliveryId: `${event.id}/dashboard`,
        ...installation,
        spec: {
          kind: "ticks",
          repo,
          issue: issue.number,
          sender: p.sender?.login ?? "",
          before: p.changes.body.from,
          after: issue.body ?? "",
        },
      },
    ];
  }
  if (!relevant(event, p)) return [];
  // Queued renders of one repository replace each other: a burst of events is one render.
  return [
    {
      key,
      supersedeKey: key,
      deliveryId: `${event.id}/dashboard`,
      ...installation,
      spec: {
        kind: "render",
        repo,
        ...(event.name === "push" && p.after ? { sha: p.after } : {}),
      },
    },
  ];
}

export default defineHandler<DashboardSpec>({
  name: DASHBOARD_HANDLER,
  events: ["push", "deployment_status", "pull_request", "issues"],
  plan,
  run: runDashboardJob,
});
