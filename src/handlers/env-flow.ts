// The config repo's environments: a push to its default branch records Deployments; a deployment
// status someone else posts on one of monobot's Deployments is a verdict. Jobs queued by the
// soak's timer and by CI results run here too.
import {
  ENV_FLOW_HANDLER,
  envFlowKey,
  runEnvFlowJob,
  type EnvFlowSpec,
} from "../workflows/env-deployments.js";
import { parseDeploySource } from "../workflows/open-deploy-pr.js";
import {
  defineHandler,
  repoRef,
  type HandlerEvent,
  type JobDraft,
  type RepoPayload,
} from "./handler.js";

interface PushPayload {
  repository: RepoPayload;
  ref: string;
  before: string;
  after: string;
  deleted?: boolean;
  commits?: { message?: string; added?: string[]; modified?: string[]; removed?: string[] }[];
  installation?: { id: number };
}

/** The one monorepo the pushed commits' trailers name (a deploy or promotion PR's), if exactly one. */
function pushSource(commits: readonly { message?: string }[]): string | undefined {
  const named = new Set(
    commits.flatMap((c) => {
      const s = parseDeploySource(c.message ?? "");
      return s ? [`${s.owner}/${s.name}`] : [];
    }),
  );
  return named.size === 1 ? [...named][0] : undefined;
}

interface DeploymentStatusPayload {
  repository: RepoPayload;
  deployment: {
    id: number;
    sha: string;
    task: string;
    environment: string;
    payload: unknown;
    creator: { login: string } | null;
  };
  deployment_status: {
    state: string;
    description?: string | null;
    log_url?: string;
    target_url?: string;
    creator: { login: string } | null;
  };
  installation?: { id: number };
}

const YAML = /\.ya?ml$/i;
/** A push event lists at most this many commits. */
const GITHUB_PUSH_COMMITS = 20;

function planPush(event: HandlerEvent): JobDraft<EnvFlowSpec>[] {
  const p = event.payload as PushPayload;
  if (p.deleted || p.ref !== `refs/heads/${p.repository.default_branch}`) return [];
  // Pins live in YAML files (fleet.yaml, values, Chart.yaml): a push touching none moves none, and
  // is not worth a policy read. GitHub lists at most 20 commits of a push: a longer one is read.
  const commits = p.commits ?? [];
  if (commits.length === 0) return [];
  const touched = commits.flatMap((c) => [
    ...(c.added ?? []),
    ...(c.modified ?? []),
    ...(c.removed ?? []),
  ]);
  if (commits.length < GITHUB_PUSH_COMMITS && !touched.some((f) => YAML.test(f))) return [];
  const repo = repoRef(p.repository);
  const source = pushSource(commits);
  return [
    {
      key: `${repo.owner}/${repo.name}@env-record`,
      deliveryId: `${event.id}/env-record`,
      ...(p.installation ? { installationId: p.installation.id } : {}),
      spec: {
        kind: "record",
        repo,
        before: p.before,
        after: p.after,
        ...(source ? { source } : {}),
      },
    },
  ];
}

function planStatus(event: HandlerEvent): JobDraft<EnvFlowSpec>[] {
  const p = event.payload as DeploymentStatusPayload;
  const { deployment: d, deployment_status: s } = p;
  const payload =
    d.payload && typeof d.payload === "object" ? (d.payload as Record<string, unknown>) : {};
  if (d.task !== "deploy" || typeof payload.component !== "string") return [];
  // monobot's own statuses come from the deployment's creator; only someone else's is a verdict.
  if (!s.creator || s.creator.login === d.creator?.login) return [];
  if (!["success", "failure", "error"].includes(s.state)) return [];
  const repo = { owner: p.repository.owner.login, name: p.repository.name };
  const logUrl = s.log_url || s.target_url;
  return [
    {
      key: envFlowKey(repo, d.environment, payload.component),
      ...(p.installation ? { installationId: p.installation.id } : {}),
      spec: {
        kind: "verdict",
        repo,
        sha: d.sha,
        environment: d.environment,
        component: payload.component,
        outside: {
          state: s.state,
          by: s.creator.login,
          ...(s.description ? { description: s.description } : {}),
          ...(logUrl ? { logUrl } : {}),
        },
      },
    },
  ];
}

export default defineHandler<EnvFlowSpec>({
  name: ENV_FLOW_HANDLER,
  events: ["push", "deployment_status"],
  plan(event) {
    return event.name === "push" ? planPush(event) : planStatus(event);
  },
  run: runEnvFlowJob,
});
