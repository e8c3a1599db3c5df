// The config repo port of the deploy workflow: heads, files, monobot's deploy branches and their pull requests.
import { GitHubGitData, type GitDataPort } from "./git-data.js";
import { GitHubRepo, type Octokit } from "./github.js";

/** A branch's tip commit: enough to tell whether monobot wrote it and on which base. */
export interface BranchTip {
  sha: string;
  message: string;
  parents: string[];
}

export interface ConfigRepoHeads {
  defaultBranch: { name: string; sha: string; treeSha: string };
  /** The tip of each branch asked for; null when it does not exist. */
  branches: Map<string, BranchTip | null>;
  /** The files asked for, at the default branch's head (missing and binary ones left out). */
  files?: Map<string, string>;
}

/** A pull request of the config repo, as the deploy workflow needs it. */
export interface DeployPull {
  number: number;
  nodeId?: string;
  state: "open" | "closed";
  merged: boolean;
  title: string;
  body: string;
  headRef: string;
  headSha: string;
  baseRef: string;
  url: string;
}

export type MergeMethod = "merge" | "squash" | "rebase";

/** What the deploy workflow reads from and writes to the config repo; small, so tests can fake it. */
export interface ConfigRepoPort {
  readonly owner: string;
  readonly name: string;
  /**
   * Trees and commits (the blobs are created with the tree), and branch moves that never
   * overwrite a commit monobot did not read: a fast forward, or a compare-and-swap.
   */
  readonly git: Pick<GitDataPort, "createTree" | "createCommit" | "updateBranch" | "replaceBranch">;
  /** The default branch head, the tips of `branches` and `files` at that head, in ONE request. */
  heads(branches: readonly string[], files?: readonly string[]): Promise<ConfigRepoHeads>;
  /** Every file path at a commit (one recursive tree listing). */
  paths(sha: string): Promise<string[]>;
  /** Files at a commit, by path, in as few requests as possible; missing files are left out. */
  readFiles(sha: string, paths: readonly string[]): Promise<Map<string, string>>;
  /** Pull requests (open or closed) whose head is `branch` of this repository, newest first. */
  pullsForBranch(branch: string): Promise<DeployPull[]>;
  /** Open pull requests whose head branch of this repository starts with `prefix`, oldest first. */
  openPulls(prefix: string): Promise<DeployPull[]>;
  /** Creates a branch; `exists` when it was created meanwhile (HTTP 422: a concurrent run). */
  createBranch(branch: string, sha: string): Promise<"created" | "exists">;
  /** Opens a pull request; `exists` when one is open for that head already (HTTP 422). */
  createPull(input: {
    head: string;
    base: string;
    title: string;
    body: string;
  }): Promise<DeployPull | "exists">;
  updatePull(number: number, input: { title?: string; body?: string }): Promise<void>;
  /** Turns on GitHub's auto-merge; the reason when GitHub refuses (e.g. not allowed in the repo). */
  enableAutoMerge(
    pull: DeployPull,
    method: MergeMethod,
  ): Promise<{ ok: true } | { ok: false; reason: string }>;
}

interface RestPull {
  number: number;
  node_id?: string;
  state: string;
  merged_at?: string | null;
  title: string;
  body?: string | null;
  head: { ref: string; sha: string; repo?: { full_name?: string } | null };
  base: { ref: string };
  html_url: string;
}

function toPull(p: RestPull): DeployPull {
  const pull: DeployPull = {
    number: p.number,
    state: p.state === "open" ? "open" : "closed",
    merged: Boolean(p.merged_at),
    title: p.title,
    body: p.body ?? "",
    headRef: p.head.ref,
    headSha: p.head.sha,
    baseRef: p.base.ref,
    url: p.html_url,
  };
  if (p.node_id) pull.nodeId = p.node_id;
  return pull;
}

function status(e: unknown): number | undefined {
  return (e as { status?: number }).status;
}

interface GraphCommit {
  oid: string;
  message?: string;
  tree?: { oid: string };
  parents?: { nodes: ({ oid: string } | null)[] | null };
}

/** The config repo over GitHub's REST and GraphQL APIs. */
export class GitHubConfigRepo implements ConfigRepoPort {
  readonly git: GitHubGitData;
  private readonly repo: GitHubRepo;

  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly name: string,
  ) {
    this.git = new GitHubGitData(octokit, owner, name);
    this.repo = new GitHubRepo(octokit, owner, name);
  }

  async heads(
    branches: readonly string[],
    files: readonly string[] = [],
  ): Promise<ConfigRepoHeads> {
    const vars: Record<string, string> = { owner: this.owner, name: this.name };
    const decls = ["$owner: String!", "$name: String!"];
    const commit = "oid ... on Commit { message tree { oid } parents(first: 2) { nodes { oid } } }";
    // Files read from the very commit the head names: the same snapshot, whatever moves meanwhile.
    const read = files.map((path, i) => {
      vars[`f${i}`] = path;
      decls.push(`$f${i}: String!`);
      return `f${i}: file(path: $f${i}) { object { ... on Blob { text isBinary } } }`;
    });
    const head = read.length > 0 ? `${commit} ... on Commit { ${read.join(" ")} }` : commit;
    const fields = ["id", `defaultBranchRef { name target { ${head} } }`];
    branches.forEach((b, i) => {
      vars[`b${i}`] = `refs/heads/${b}`;
      decls.push(`$b${i}: String!`);
      fields.push(`b${i}: ref(qualifiedName: $b${i}) { target { ${commit} } }`);
    });
    const query = `query(${decls.join(", ")}) { repository(owner: $owner, name: $name) { ${fields.join(" ")} } }`;
    const data = await this.octokit.graphql<{
      repository:
        | (Record<string, { name?: string; target: GraphCommit | null } | null> & { id?: string })
        | null;
    }>(query, vars);
    const repository = data.repository;
    // The id a compare-and-swap of a branch needs, read here for free.
    if (typeof repository?.id === "string") this.git.repositoryId = repository.id;
    const def = repository?.defaultBranchRef;
    if (!repository || !def?.target?.tree || def.name === undefined) {
      throw new Error(
        `${this.owner}/${this.name} has no default branch monobot can read; check deploy.config_repo and that the app is installed there`,
      );
    }
    const tip = (c: GraphCommit | null | undefined): BranchTip | null =>
      c
        ? {
            sha: c.oid,
            message: c.message ?? "",
            parents: (c.parents?.nodes ?? []).flatMap((n) => (n ? [n.oid] : [])),
          }
        : null;
    const target = def.target as GraphCommit & Record<string, unknown>;
    const texts = new Map<string, string>();
    files.forEach((path, i) => {
      const blob = (
        target[`f${i}`] as { object?: { text?: string | null; isBinary?: boolean | null } } | null
      )?.object;
      if (blob && !blob.isBinary && typeof blob.text === "string") texts.set(path, blob.text);
    });
    return {
      defaultBranch: { name: def.name, sha: def.target.oid, treeSha: def.target.tree.oid },
      branches: new Map(branches.map((b, i) => [b, tip(repository[`b${i}`]?.target)])),
      files: texts,
    };
  }

  paths(sha: string): Promise<string[]> {
    return this.repo.paths(sha);
  }

  async readFiles(sha: string, paths: readonly string[]): Promise<Map<string, string>> {
    const read = await this.repo.readFiles(paths.map((path) => ({ sha, path })));
    const out = new Map<string, string>();
    for (const path of paths) {
      const text = read.get(`${sha}:${path}`);
      if (typeof text === "string") out.set(path, text);
    }
    return out;
  }

  async pullsForBranch(branch: string): Promise<DeployPull[]> {
    const { data } = await this.octokit.rest.pulls.list({
      owner: this.owner,
      repo: this.name,
      head: `${this.owner}:${branch}`,
      state: "all",
      sort: "created",
      direction: "desc",
      per_page: 100,
    });
    return (data as RestPull[]).map(toPull);
  }

  async openPulls(prefix: string): Promise<DeployPull[]> {
    const raw = (await this.octokit.paginate(this.octokit.rest.pulls.list, {
      owner: this.owner,
      repo: this.name,
      state: "open",
      sort: "created",
      direction: "asc",
      per_page: 100,
    })) as RestPull[];
    const full = `${this.owner}/${this.name}`.toLowerCase();
    return raw
      .filter(
        (p) => p.head.ref.startsWith(prefix) && p.head.repo?.full_name?.toLowerCase() === full,
      )
      .map(toPull);
  }

  /** Branches whose name starts with `prefix`, in ONE request (a cheap look before listing pull requests). */
  async branchesWithPrefix(prefix: string): Promise<string[]> {
    // GitHub answers every matching ref in one response; the operation takes no paging parameters.
    const { data } = await this.octokit.rest.git.listMatchingRefs({
      owner: this.owner,
      repo: this.name,
      ref: `heads/${prefix}`,
    });
    return data.map((r) => r.ref.replace(/^refs\/heads\//, ""));
  }

  createBranch(branch: string, sha: string): Promise<"created" | "exists"> {
    return this.git.createBranch(branch, sha);
  }

  async createPull(input: {
    head: string;
    base: string;
    title: string;
    body: string;
  }): Promise<DeployPull | "exists"> {
    try {
      const { data } = await this.octokit.rest.pulls.create({
        owner: this.owner,
        repo: this.name,
        head: input.head,
        base: input.base,
        title: input.title,
        body: input.body,
        maintainer_can_modify: false,
      });
      return toPull(data as RestPull);
    } catch (e) {
      if (status(e) === 422 && /already exists/i.test((e as Error).message)) return "exists";
      throw e;
    }
  }

  async updatePull(number: number, input: { title?: string; body?: string }): Promise<void> {
    await this.octokit.rest.pulls.update({
      owner: this.owner,
      repo: this.name,
      pull_number: number,
      ...input,
    });
  }

  async enableAutoMerge(
    pull: DeployPull,
    method: MergeMethod,
  ): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (!pull.nodeId) return { ok: false, reason: "the pull request's node id is unknown" };
    try {
      await this.octokit.graphql(
        "mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) { clientMutationId } }",
        { pullRequestId: pull.nodeId, mergeMethod: method.toUpperCase() },
      );
      return { ok: true };
    } catch (e) {
      // GitHub answers with GraphQL errors when auto-merge is off in the repository's settings.
      const errors = (e as { errors?: { message?: string }[] }).errors;
      const message =
        (errors?.[0]?.message ?? (e as Error).message ?? "").split("\n")[0]?.slice(0, 200) ?? "";
      return { ok: false, reason: message || "GitHub refused auto-merge" };
    }
  }

  /**
   * Merges a pull request at exactly `sha` (GitHub answers 409 when the head moved, so a newer,
   * unchecked push is never merged); the reason when GitHub refuses (405: not mergeable).
   */
  async mergePull(
    number: number,
    input: { sha: string; method: MergeMethod },
  ): Promise<{ ok: true; sha: string } | { ok: false; reason: string }> {
    try {
      const { data } = await this.octokit.rest.pulls.merge({
        owner: this.owner,
        repo: this.name,
        pull_number: number,
        sha: input.sha,
        merge_method: input.method,
      });
      return { ok: true, sha: data.sha };
    } catch (e) {
      const s = status(e);
      if (s !== 405 && s !== 409 && s !== 422) throw e;
      const message =
        String((e as Error).message ?? "")
          .split("\n")[0]
          ?.slice(0, 200) ?? "";
      return { ok: false, reason: message || `GitHub refused the merge (HTTP ${s})` };
    }
  }
}
