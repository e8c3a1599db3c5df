// GitHub Deployments of a repository as monobot reads and writes them: each deployment with its latest status, in one GraphQL query; holds written as deployments of their own task.
import { HOLD_TASK, type DeploymentRecord, type DeploymentState } from "../core/env-record.js";
import type { Octokit } from "./octokit.js";
import type { CommitStatus, DeploymentPort, StatusState } from "./port.js";

/** What reading and writing environment records needs: the forge port's Deployments part. */
export type DeploymentsPort = DeploymentPort;

interface DeploymentNode {
  databaseId: number | null;
  environment: string | null;
  task: string | null;
  payload: string | null;
  createdAt: string;
  commitOid: string;
  ref: { name: string } | null;
  description: string | null;
  latestStatus: {
    state: string;
    createdAt: string;
    description: string | null;
    logUrl: string | null;
  } | null;
}

const NODE_FIELDS = `databaseId environment task payload createdAt commitOid ref { name } description
        latestStatus { state createdAt description logUrl }`;

/**
 * What settling a deployment reads, in ONE query: the environment's deployments, the next
 * environment's (for its holds) and the commit's combined status (REST would take three requests).
 */
const SETTLE_QUERY = `query($owner: String!, $name: String!, $environments: [String!], $next: [String!], $withNext: Boolean!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    deployments(environments: $environments, first: 100, orderBy: {field: CREATED_AT, direction: DESC}) {
      nodes { ${NODE_FIELDS} }
    }
    next: deployments(environments: $next, first: 100, orderBy: {field: CREATED_AT, direction: DESC}) @include(if: $withNext) {
      nodes { ${NODE_FIELDS} }
    }
    object(oid: $oid) {
      ... on Commit { status { contexts { context state targetUrl description createdAt } } }
    }
  }
}`;

interface StatusContextNode {
  context: string;
  state: string;
  targetUrl: string | null;
  description: string | null;
  createdAt: string;
}

/** GraphQL's `StatusState`; `EXPECTED` (a required context nobody posted yet) reads as pending. */
const STATUS_STATES: Record<string, StatusState> = {
  SUCCESS: "success",
  FAILURE: "failure",
  ERROR: "error",
  PENDING: "pending",
  EXPECTED: "pending",
};

/** What settling a deployment of `environment` at `sha` needs to know, read at once. */
export interface SettleReads {
  /** The environment's newest `deploy`-task deployments at `sha` (of its newest 100). */
  deployments: DeploymentRecord[];
  /**
   * The next environment's hold deployments, when they decide the component's hold: undefined
   * when the newest 100 deployments there hold none of the component and there are more (an
   * older hold may exist; the caller reads the holds by task then).
   */
  holds?: DeploymentRecord[];
  /** The latest status of each context on `sha`, as the REST combined status lists them. */
  statuses: CommitStatus[];
}

const QUERY = `query($owner: String!, $name: String!, $environments: [String!], $first: Int!) {
  repository(owner: $owner, name: $name) {
    deployments(environments: $environments, first: $first, orderBy: {field: CREATED_AT, direction: DESC}) {
      nodes { ${NODE_FIELDS} }
    }
  }
}`;

const GRAPHQL_STATES: Record<string, DeploymentState> = {
  PENDING: "pending",
  QUEUED: "queued",
  IN_PROGRESS: "in_progress",
  WAITING: "pending",
  SUCCESS: "success",
  FAILURE: "failure",
  ERROR: "error",
  INACTIVE: "inactive",
};

/** A deployment's payload as an object: GitHub keeps what it was given, monobot's is JSON. */
function payloadOf(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function recordOf(n: DeploymentNode): DeploymentRecord | undefined {
  if (n.databaseId === null) return undefined;
  const s = n.latestStatus;
  return {
    id: n.databaseId,
    environment: n.environment ?? "",
    sha: n.commitOid,
    ref: n.ref?.name ?? "",
    task: n.task ?? "",
    payload: payloadOf(n.payload),
    createdAt: n.createdAt,
    state: s ? (GRAPHQL_STATES[s.state] ?? "pending") : "none",
    ...(s?.logUrl ? { logUrl: s.logUrl } : {}),
    ...(s?.description ? { description: s.description } : {}),
    ...(s ? { statusAt: s.createdAt } : {}),
    ...(!s && n.description ? { description: n.description } : {}),
  };
}

function filtered(
  nodes: readonly DeploymentNode[],
  q: { task?: string; sha?: string },
): DeploymentRecord[] {
  return nodes.flatMap((n) => {
    const r = recordOf(n);
    if (!r) return [];
    if (q.task !== undefined && r.task !== q.task) return [];
    if (q.sha !== undefined && r.sha !== q.sha) return [];
    return [r];
  });
}

export class GitHubDeployments implements DeploymentsPort {
  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly repo: string,
  ) {}

  /** The newest deployments (100 at most), each with its latest status, in ONE request. */
  async listDeployments(q: {
    environment?: string;
    task?: string;
    sha?: string;
    limit?: number;
  }): Promise<DeploymentRecord[]> {
    const data = await this.octokit.graphql<{
      repository: { deployments: { nodes: DeploymentNode[] } } | null;
    }>(QUERY, {
      owner: this.owner,
      name: this.repo,
      environments: q.environment === undefined ? null : [q.environment],
      first: Math.min(Math.max(q.limit ?? 100, 1), 100),
    });
    const nodes = data.repository?.deployments.nodes ?? [];
    return filtered(nodes, q);
  }

  /**
   * One request for a verdict: the deployments of `environment` at `sha` (task `task`), the hold
   * deployments of `next` for `component`, and the combined status of `sha`.
   */
  async settleReads(q: {
    sha: string;
    environment: string;
    task: string;
    next?: string;
    component: string;
  }): Promise<SettleReads> {
    const data = await this.octokit.graphql<{
      repository: {
        deployments: { nodes: DeploymentNode[] };
        next?: { nodes: DeploymentNode[] };
        object: { status?: { contexts: StatusContextNode[] } | null } | null;
      } | null;
    }>(SETTLE_QUERY, {
      owner: this.owner,
      name: this.repo,
      environments: [q.environment],
      next: q.next === undefined ? [] : [q.next],
      withNext: q.next !== undefined,
      oid: q.sha,
    });
    const repo = data.repository;
    const deployments = filtered(repo?.deployments.nodes ?? [], { task: q.task, sha: q.sha });
    const statuses = (repo?.object?.status?.contexts ?? []).map((c) => ({
      context: c.context,
      state: STATUS_STATES[c.state] ?? "pending",
      targetUrl: c.targetUrl,
      description: c.description,
    }));
    if (q.next === undefined) return { deployments, holds: [], statuses };
    const nextNodes = repo?.next?.nodes ?? [];
    const holds = filtered(nextNodes, { task: HOLD_TASK });
    // GraphQL filters deployments by environment only: a full page without the component's hold
    // does not prove there is none.
    const decisive =
      nextNodes.length < 100 || holds.some((h) => h.payload.component === q.component);
    return { deployments, ...(decisive ? { holds } : {}), statuses };
  }

  async createDeployment(d: Parameters<DeploymentsPort["createDeployment"]>[0]) {
    const { data } = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.repo,
      ref: d.ref,
      environment: d.environment,
      ...(d.task ? { task: d.task } : {}),
      payload: d.payload,
      ...(d.description ? { description: d.description } : {}),
      // A record, not a deploy GitHub should gate: no merge of the default branch, no checks.
      auto_merge: false,
      required_contexts: [],
      ...(d.productionEnvironment !== undefined
        ? { production_environment: d.productionEnvironment }
        : {}),
      ...(d.transientEnvironment !== undefined
        ? { transient_environment: d.transientEnvironment }
        : {}),
    });
    if (!("id" in data))
      throw new Error(`GitHub did not create the deployment: ${data.message ?? ""}`);
    return {
      id: data.id,
      environment: data.environment,
      sha: data.sha,
      ref: data.ref,
      task: data.task,
      payload: typeof data.payload === "object" && data.payload ? data.payload : {},
      createdAt: data.created_at,
      state: "none",
    } satisfies DeploymentRecord;
  }

  async setDeploymentStatus(id: number, s: Parameters<DeploymentsPort["setDeploymentStatus"]>[1]) {
    await this.octokit.rest.repos.createDeploymentStatus({
      owner: this.owner,
      repo: this.repo,
      deployment_id: id,
      state: s.state,
      ...(s.description ? { description: s.description } : {}),
      ...(s.logUrl ? { log_url: s.logUrl } : {}),
      ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    });
  }
}
