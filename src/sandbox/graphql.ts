// The sandbox's GraphQL endpoint: a real schema for the subset of GitHub's that monobot reads, run by graphql-js.
import { GraphQLError, buildSchema, graphql, type GraphQLSchema } from "graphql";
import { isBinary } from "./diff.js";
import { isSha, signatureDate } from "./git-objects.js";
import { nodeId, type Urls } from "./representations.js";
import type { Auth } from "./rest/context.js";
import type { Deployment, Repository, SandboxState, User } from "./state.js";

/** GitHub truncates `Blob.text` of large blobs; the sandbox does so at 512 KiB and sets `isTruncated`. */
export const BLOB_TEXT_LIMIT = 512 * 1024;

const SDL = /* GraphQL */ `
  scalar GitObjectID
  scalar DateTime
  scalar URI

  scalar GitRefname

  type Mutation {
    updateRefs(input: UpdateRefsInput!): UpdateRefsPayload
  }

  input UpdateRefsInput {
    clientMutationId: String
    repositoryId: ID!
    refUpdates: [RefUpdate!]!
  }

  input RefUpdate {
    name: GitRefname!
    afterOid: GitObjectID!
    beforeOid: GitObjectID
    force: Boolean = false
  }

  type UpdateRefsPayload {
    clientMutationId: String
  }

  type Query {
    repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
    rateLimit(dryRun: Boolean = false): RateLimit
  }

  type RateLimit {
    cost: Int!
    limit: Int!
    nodeCount: Int!
    remaining: Int!
    resetAt: DateTime!
    used: Int!
  }

  interface RepositoryOwner {
    id: ID!
    login: String!
    url: URI!
  }

  type User implements RepositoryOwner {
    id: ID!
    databaseId: Int
    login: String!
    url: URI!
  }

  type Organization implements RepositoryOwner {
    id: ID!
    databaseId: Int
    login: String!
    url: URI!
  }

  type Repository {
    id: ID!
    databaseId: Int
    name: String!
    nameWithOwner: String!
    owner: RepositoryOwner!
    isPrivate: Boolean!
    isFork: Boolean!
    url: URI!
    defaultBranchRef: Ref
    ref(qualifiedName: String!): Ref
    object(expression: String, oid: GitObjectID): GitObject
    deployments(
      environments: [String!]
      first: Int
      last: Int
      orderBy: DeploymentOrder = { field: CREATED_AT, direction: ASC }
    ): DeploymentConnection!
  }

  input DeploymentOrder {
    field: DeploymentOrderField!
    direction: OrderDirection!
  }

  enum DeploymentOrderField {
    CREATED_AT
  }

  enum OrderDirection {
    ASC
    DESC
  }

  type DeploymentConnection {
    totalCount: Int!
    nodes: [Deployment]
  }

  enum DeploymentStatusState {
    PENDING
    SUCCESS
    FAILURE
    INACTIVE
    ERROR
    QUEUED
    IN_PROGRESS
    WAITING
  }

  type DeploymentStatus {
    id: ID!
    state: DeploymentStatusState!
    description: String
    logUrl: URI
    environmentUrl: URI
    createdAt: DateTime!
  }

  type Deployment {
    id: ID!
    databaseId: Int
    environment: String
    originalEnvironment: String
    task: String
    payload: String
    description: String
    createdAt: DateTime!
    updatedAt: DateTime!
    commitOid: String!
    ref: Ref
    latestStatus: DeploymentStatus
  }

  type Ref {
    id: ID!
    name: String!
    prefix: String!
    target: GitObject
  }

  interface GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
  }

  type Blob implements GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    byteSize: Int!
    isBinary: Boolean
    isTruncated: Boolean!
    text: String
  }

  type Tree implements GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    entries: [TreeEntry!]
  }

  type TreeEntry {
    name: String!
    path: String
    type: String!
    mode: Int!
    oid: GitObjectID!
    size: Int!
    extension: String
    object: GitObject
  }

  type Commit implements GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    message: String!
    messageHeadline: String!
    messageBody: String!
    authoredDate: DateTime!
    committedDate: DateTime!
    tree: Tree!
    parents(first: Int): CommitConnection!
    history(first: Int, path: String): CommitHistoryConnection!
    file(path: String!): TreeEntry
  }

  type CommitHistoryConnection {
    totalCount: Int!
    nodes: [Commit]
  }

  type CommitConnection {
    totalCount: Int!
    nodes: [Commit]
  }

  type Tag implements GitObject {
    id: ID!
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    name: String!
    message: String
    target: GitObject!
  }
`;

interface Ctx {
  state: SandboxState;
  urls: Urls;
  auth: Auth;
}

let schema: GraphQLSchema | undefined;

function getSchema(): GraphQLSchema {
  schema ??= buildSchema(SDL);
  return schema;
}

/** A resolver-side error that GitHub reports with a top-level `type` (e.g. NOT_FOUND). */
class TypedError extends GraphQLError {
  constructor(
    message: string,
    readonly ghType: string,
  ) {
    super(message);
  }
}

function ownerNode(ctx: Ctx, u: User): Record<string, unknown> {
  return {
    __typename: u.type === "Organization" ? "Organization" : "User",
    id: nodeId(u.type, u.id),
    databaseId: u.id,
    login: u.login,
    url: ctx.urls.html(`/${u.login}`),
  };
}

function objectNode(
  ctx: Ctx,
  repo: Repository,
  sha: string,
  path = "",
): Record<string, unknown> | null {
  const obj = ctx.state.store.get(sha);
  if (!obj) return null;
  const full = `${repo.owner.login}/${repo.name}`;
  const base = {
    id: nodeId(obj.type, sha),
    oid: sha,
    abbreviatedOid: sha.slice(0, 7),
    commitUrl: ctx.urls.html(`/${full}/commit/${sha}`),
  };
  switch (obj.type) {
    case "blob": {
      const binary = isBinary(obj.content);
      const truncated = !binary && obj.content.length > BLOB_TEXT_LIMIT;
      return {
        __typename: "Blob",
        ...base,
        byteSize: obj.content.length,
        isBinary: binary,
        isTruncated: truncated,
        text: binary ? null : obj.content.subarray(0, BLOB_TEXT_LIMIT).toString("utf8"),
      };
    }
    case "tree":
      return {
        __typename: "Tree",
        ...base,
        entries: () =>
          obj.entries.map((e) => {
            const entryPath = path ? `${path}/${e.name}` : e.name;
            const dot = e.name.lastIndexOf(".");
            return {
              name: e.name,
              path: entryPath,
              type: e.type,
              mode: parseInt(e.mode, 8),
              oid: e.sha,
              size: e.type === "blob" ? (ctx.state.store.blob(e.sha)?.length ?? 0) : 0,
              extension: e.type === "blob" && dot > 0 ? e.name.slice(dot) : null,
              object: () => objectNode(ctx, repo, e.sha, entryPath),
            };
          }),
      };
    case "commit": {
      const c = obj.commit;
      const message = c.message.replace(/\n$/, "");
      const nl = message.indexOf("\n");
      return {
        __typename: "Commit",
        ...base,
        message,
        messageHeadline: nl < 0 ? message : message.slice(0, nl),
        messageBody: nl < 0 ? "" : message.slice(nl + 1).replace(/^\n+/, ""),
        authoredDate: signatureDate(c.author),
        committedDate: signatureDate(c.committer),
        tree: () => objectNode(ctx, repo, c.tree),
        parents: (args: { first?: number | null }) => {
          const list = args.first ? c.parents.slice(0, args.first) : c.parents;
          return { totalCount: c.parents.length, nodes: list.map((p) => objectNode(ctx, repo, p)) };
        },
        file: (args: { path: string }) => {
          const path = args.path.replace(/^\/+|\/+$/g, "");
          const entry = ctx.state.store.lookup(c.tree, path);
          if (!entry) return null;
          const name = path.slice(path.lastIndexOf("/") + 1);
          const dot = name.lastIndexOf(".");
          return {
            name,
            path,
            type: entry.type,
            mode: parseInt(entry.mode, 8),
            oid: entry.sha,
            size: entry.type === "blob" ? (ctx.state.store.blob(entry.sha)?.length ?? 0) : 0,
            extension: entry.type === "blob" && dot > 0 ? name.slice(dot) : null,
            object: () => objectNode(ctx, repo, entry.sha, path),
          };
        },
        history: (args: { first?: number | null; path?: string | null }) => {
          if (!args.first || args.first < 1 || args.first > 100) {
            throw new GraphQLError("history needs `first` between 1 and 100");
          }
          const shas = historyOf(ctx, sha, (args.path ?? "").replace(/^\/+|\/+$/g, ""));
          return {
            totalCount: shas.length,
            nodes: shas.slice(0, args.first).map((h) => objectNode(ctx, repo, h)),
          };
        },
      };
    }
    case "tag":
      return {
        __typename: "Tag",
        ...base,
        name: obj.tag.tag,
        message: obj.tag.message,
        target: () => objectNode(ctx, repo, obj.tag.object),
      };
  }
}

/**
 * `git log -- path` from `sha`, newest first by committer time: the commits whose entry at
 * `path` differs from each parent's (a merge that keeps one side's entry is left out, as git's
 * history simplification does); every commit when `path` is empty.
 */
function historyOf(ctx: Ctx, sha: string, path: string): string[] {
  const store = ctx.state.store;
  const entry = (commit: string) =>
    path === "" ? commit : store.lookup(ctx.state.treeOf(commit), path)?.sha;
  const out: string[] = [];
  const seen = new Set<string>();
  const frontier = [sha];
  while (frontier.length > 0) {
    frontier.sort(
      (x, y) => (store.commit(y)?.committer.time ?? 0) - (store.commit(x)?.committer.time ?? 0),
    );
    const cur = frontier.shift() as string;
    if (seen.has(cur)) continue;
    seen.add(cur);
    const c = store.commit(cur);
    if (!c) continue;
    const mine = entry(cur);
    const parents = c.parents.map(entry);
    if (parents.length === 0 ? mine !== undefined : parents.every((p) => p !== mine)) out.push(cur);
    frontier.push(...c.parents);
  }
  return out;
}

function refNode(ctx: Ctx, repo: Repository, qualified: string): Record<string, unknown> | null {
  const sha = repo.refs.get(qualified);
  if (!sha) return null;
  const prefix =
    ["refs/heads/", "refs/tags/"].find((p) => qualified.startsWith(p)) ??
    qualified.slice(0, qualified.lastIndexOf("/") + 1);
  return {
    id: nodeId("Ref", `${repo.id}:${qualified}`),
    name: qualified.slice(prefix.length),
    prefix,
    target: () => objectNode(ctx, repo, sha),
  };
}

/** Resolves GitHub's `object(expression:)` syntax: `<rev>` or `<rev>:<path>` (empty path = root tree). */
function resolveExpression(
  ctx: Ctx,
  repo: Repository,
  expression: string,
): Record<string, unknown> | null {
  const colon = expression.indexOf(":");
  const rev = colon < 0 ? expression : expression.slice(0, colon) || "HEAD";
  const path = colon < 0 ? undefined : expression.slice(colon + 1).replace(/^\/+|\/+$/g, "");
  if (path === undefined) {
    const sha = ctx.state.resolveObject(repo, rev);
    return sha ? objectNode(ctx, repo, sha) : null;
  }
  const commit = ctx.state.resolveCommit(repo, rev);
  if (!commit) return null;
  const entry = ctx.state.store.lookup(ctx.state.treeOf(commit), path);
  return entry ? objectNode(ctx, repo, entry.sha, path) : null;
}

function repositoryNode(ctx: Ctx, repo: Repository): Record<string, unknown> {
  return {
    id: nodeId("Repository", repo.id),
    databaseId: repo.id,
    name: repo.name,
    nameWithOwner: `${repo.owner.login}/${repo.name}`,
    owner: ownerNode(ctx, repo.owner),
    isPrivate: repo.private,
    isFork: repo.parent !== undefined,
    url: ctx.urls.html(`/${repo.owner.login}/${repo.name}`),
    defaultBranchRef: () => refNode(ctx, repo, `refs/heads/${repo.defaultBranch}`),
    ref: (args: { qualifiedName: string }) => {
      const q = args.qualifiedName;
      return (
        refNode(ctx, repo, q.startsWith("refs/") ? q : `refs/heads/${q}`) ??
        refNode(ctx, repo, `refs/tags/${q}`)
      );
    },
    object: (args: { expression?: string | null; oid?: string | null }) => {
      if (args.oid) {
        if (!isSha(args.oid)) throw new GraphQLError(`Invalid oid: ${args.oid}`);
        return objectNode(ctx, repo, args.oid);
      }
      if (args.expression === undefined || args.expression === null)
        throw new GraphQLError("Either expression or oid is required");
      return resolveExpression(ctx, repo, args.expression);
    },
    deployments: (args: Parameters<typeof deploymentsConnection>[2]) =>
      deploymentsConnection(ctx, repo, args),
  };
}

/** GitHub's Deployment node: the payload as the JSON text it was given, the newest status as `latestStatus`. */
function deploymentNode(ctx: Ctx, repo: Repository, d: Deployment): Record<string, unknown> {
  const latest = d.statuses[d.statuses.length - 1];
  return {
    id: nodeId("Deployment", d.id),
    databaseId: d.id,
    environment: d.environment,
    originalEnvironment: d.originalEnvironment,
    task: d.task,
    payload: typeof d.payload === "string" ? d.payload : JSON.stringify(d.payload),
    description: d.description,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    commitOid: d.sha,
    ref: () => refNode(ctx, repo, `refs/heads/${d.ref}`),
    latestStatus: latest
      ? {
          id: nodeId("DeploymentStatus", latest.id),
          state: latest.state.toUpperCase(),
          description: latest.description || null,
          logUrl: latest.logUrl || null,
          environmentUrl: latest.environmentUrl || null,
          createdAt: latest.createdAt,
        }
      : null,
  };
}

/** `Repository.deployments`: filtered by environment, ordered by creation (then id), paged from either end. */
function deploymentsConnection(
  ctx: Ctx,
  repo: Repository,
  args: {
    environments?: readonly string[] | null;
    first?: number | null;
    last?: number | null;
    orderBy?: { direction: "ASC" | "DESC" } | null;
  },
): Record<string, unknown> {
  for (const n of [args.first, args.last]) {
    if (n !== undefined && n !== null && (n < 0 || n > 100))
      throw new GraphQLError("Requesting more than 100 records on the connection is not allowed.");
  }
  const wanted = args.environments ? new Set(args.environments) : undefined;
  const all = repo.deployments
    .filter((d) => !wanted || wanted.has(d.environment))
    .sort((a, b) =>
      a.createdAt === b.createdAt ? a.id - b.id : a.createdAt < b.createdAt ? -1 : 1,
    );
  if (args.orderBy?.direction === "DESC") all.reverse();
  let page = all;
  if (typeof args.first === "number") page = page.slice(0, args.first);
  if (typeof args.last === "number") page = page.slice(Math.max(0, page.length - args.last));
  return { totalCount: all.length, nodes: page.map((d) => deploymentNode(ctx, repo, d)) };
}

let queriesServed = 0;

const ZERO_OID = "0".repeat(40);

interface RefUpdateInput {
  name: string;
  afterOid: string;
  beforeOid?: string | null;
  force?: boolean | null;
}

/**
 * GitHub's `updateRefs`: every update checked first (the ref at `beforeOid`, a fast forward unless
 * `force`), then all applied, or none. Only what monobot uses: moves and creations of branches.
 */
function updateRefs(
  ctx: Ctx,
  input: { clientMutationId?: string | null; repositoryId: string; refUpdates: RefUpdateInput[] },
): Record<string, unknown> {
  const repo = [...ctx.state.repos.values()].find(
    (r) => nodeId("Repository", r.id) === input.repositoryId,
  );
  const writable =
    repo &&
    ctx.auth.kind === "installation" &&
    repo.installationId === ctx.auth.installation.id &&
    ["write", "admin"].includes(ctx.auth.token.permissions.contents ?? "");
  if (!repo || !writable)
    throw new TypedError(
      `Could not resolve to a node with the global id of '${input.repositoryId}'`,
      "NOT_FOUND",
    );
  for (const u of input.refUpdates) {
    const current = repo.refs.get(u.name);
    if (!u.name.startsWith("refs/heads/")) throw new GraphQLError(`${u.name} is not a branch`);
    if (!ctx.state.store.has(u.afterOid)) throw new GraphQLError(`${u.afterOid} does not exist`);
    if (u.beforeOid && (current ?? ZERO_OID) !== u.beforeOid)
      throw new TypedError(`${u.name} is not at ${u.beforeOid}`, "UNPROCESSABLE");
    if (current && !u.force && !ctx.state.store.isAncestor(current, u.afterOid))
      throw new TypedError(`${u.name}: update is not a fast forward`, "UNPROCESSABLE");
  }
  for (const u of input.refUpdates) ctx.state.setRef(repo, u.name, u.afterOid, { force: true });
  return { clientMutationId: input.clientMutationId ?? null };
}

function rootValue(ctx: Ctx): Record<string, unknown> {
  return {
    updateRefs: (args: { input: Parameters<typeof updateRefs>[1] }) => updateRefs(ctx, args.input),
    repository: (args: { owner: string; name: string }) => {
      const repo = ctx.state.repo(args.owner, args.name);
      const visible =
        repo &&
        (ctx.auth.kind === "installation"
          ? repo.installationId === ctx.auth.installation.id &&
            (!ctx.auth.token.repositoryIds || ctx.auth.token.repositoryIds.includes(repo.id))
          : ctx.auth.kind === "user" && ctx.state.roleOf(repo, ctx.auth.user.login) !== "none");
      if (!repo || !visible)
        throw new TypedError(
          `Could not resolve to a Repository with the name '${args.owner}/${args.name}'.`,
          "NOT_FOUND",
        );
      return repositoryNode(ctx, repo);
    },
    rateLimit: () => ({
      cost: 1,
      limit: 5000,
      nodeCount: 1,
      remaining: Math.max(0, 5000 - queriesServed),
      used: queriesServed,
      resetAt: new Date(Math.ceil(ctx.state.now().getTime() / 3_600_000) * 3_600_000).toISOString(),
    }),
  };
}

export interface GraphqlResult {
  status: number;
  body: Record<string, unknown>;
}

/** Runs one GraphQL request body (`{query, variables, operationName}`) and shapes the answer like GitHub's. */
export async function executeGraphql(ctx: Ctx, body: unknown): Promise<GraphqlResult> {
  if (!body || typeof body !== "object" || Array.isArray(body))
    return {
      status: 400,
      body: {
        message: "Problems parsing JSON",
        documentation_url: "https://docs.github.com/graphql",
      },
    };
  const b = body as Record<string, unknown>;
  if (typeof b.query !== "string")
    return {
      status: 200,
      body: { errors: [{ message: "A query attribute must be specified and must be a string." }] },
    };
  queriesServed++;
  const variables =
    b.variables && typeof b.variables === "object" && !Array.isArray(b.variables)
      ? (b.variables as Record<string, unknown>)
      : undefined;
  const result = await graphql({
    schema: getSchema(),
    source: b.query,
    rootValue: rootValue(ctx),
    variableValues: variables,
    operationName: typeof b.operationName === "string" ? b.operationName : undefined,
  });
  const out: Record<string, unknown> = {};
  if (result.data !== undefined) out.data = result.data;
  if (result.errors && result.errors.length > 0) {
    out.errors = result.errors.map((e) => {
      const err: Record<string, unknown> = { message: e.message };
      if (e.originalError instanceof TypedError) err.type = e.originalError.ghType;
      if (e.path) err.path = e.path;
      if (e.locations) err.locations = e.locations;
      if (!e.path && !(e.originalError instanceof TypedError))
        err.extensions = { code: "graphqlParseError" };
      return err;
    });
  }
  return { status: 200, body: out };
}
