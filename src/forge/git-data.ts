// Git Data API writes for one repository (a branch head, a tree, a commit, a ref create or move) and the release-tag listing.
import { listTagNames, type Octokit } from "./octokit.js";

export interface BranchHead {
  sha: string;
  treeSha: string;
}

export interface TreeFile {
  path: string;
  content: string;
  /** Git file mode; regular files by default. */
  mode?: "100644" | "100755";
}

/** What `/bump` (and the release-tag listing) needs from a code host, beyond reading a change. */
export interface GitDataPort {
  /** The commit a branch points at and its tree, or null when the branch does not exist. */
  branchHead(branch: string): Promise<BranchHead | null>;
  /** A tree of `files` over `baseTree` (blobs created from their content in the same request). */
  createTree(baseTree: string, files: readonly TreeFile[]): Promise<string>;
  createCommit(input: { message: string; tree: string; parents: string[] }): Promise<string>;
  /**
   * Moves a branch to `sha` without force. `rejected` when GitHub refuses it as not a fast
   * forward (HTTP 422): someone pushed to the branch since it was read.
   */
  updateBranch(branch: string, sha: string): Promise<"updated" | "rejected">;
  /** Creates a branch; `exists` when it was created meanwhile (HTTP 422: a concurrent run). */
  createBranch(branch: string, sha: string): Promise<"created" | "exists">;
  /**
   * Moves a branch to `sha`, which need not be a fast forward, only if it still points at
   * `expected` (a compare-and-swap: GitHub's `updateRefs` with `beforeOid`). `rejected` when the
   * branch moved since it was read, or the host cannot compare-and-swap; never a blind write.
   */
  replaceBranch(branch: string, expected: string, sha: string): Promise<"updated" | "rejected">;
  /** Tag names starting with `prefix` ("" for all), from ONE matching-refs listing (one response). */
  matchingTags(prefix: string): Promise<string[]>;
}

/** The GraphQL mutation that moves a ref only from the commit it is expected at. */
const UPDATE_REFS =
  "mutation($repositoryId: ID!, $refUpdates: [RefUpdate!]!) { updateRefs(input: {repositoryId: $repositoryId, refUpdates: $refUpdates}) { clientMutationId } }";

export class GitHubGitData implements GitDataPort {
  /** The repository's GraphQL node id, when a read has seen it (saves one request per move). */
  repositoryId: string | undefined;

  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly repo: string,
  ) {}

  async branchHead(branch: string): Promise<BranchHead | null> {
    try {
      const { data } = await this.octokit.rest.repos.getBranch({
        owner: this.owner,
        repo: this.repo,
        branch,
      });
      return { sha: data.commit.sha, treeSha: data.commit.commit.tree.sha };
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  async createTree(baseTree: string, files: readonly TreeFile[]): Promise<string> {
    const { data } = await this.octokit.rest.git.createTree({
      owner: this.owner,
      repo: this.repo,
      base_tree: baseTree,
      tree: files.map((f) => ({
        path: f.path,
        mode: f.mode ?? "100644",
        type: "blob" as const,
        content: f.content,
      })),
    });
    return data.sha;
  }

  async createCommit(input: { message: string; tree: string; parents: string[] }): Promise<string> {
    const { data } = await this.octokit.rest.git.createCommit({
      owner: this.owner,
      repo: this.repo,
      message: input.message,
      tree: input.tree,
      parents: input.parents,
    });
    return data.sha;
  }

  async updateBranch(branch: string, sha: string): Promise<"updated" | "rejected"> {
    try {
      await this.octokit.rest.git.updateRef({
        owner: this.owner,
        repo: this.repo,
        ref: `heads/${branch}`,
        sha,
        force: false,
      });
      return "updated";
    } catch (e) {
      if ((e as { status?: number }).status === 422) return "rejected";
      throw e;
    }
  }

  async createBranch(branch: string, sha: string): Promise<"created" | "exists"> {
    try {
      await this.octokit.rest.git.createRef({
        owner: this.owner,
        repo: this.repo,
        ref: `refs/heads/${branch}`,
        sha,
      });
      return "created";
    } catch (e) {
      if ((e as { status?: number }).status === 422) return "exists";
      throw e;
    }
  }

  async replaceBranch(
    branch: string,
    expected: string,
    sha: string,
  ): Promise<"updated" | "rejected"> {
    this.repositoryId ??= (
      await this.octokit.graphql<{ repository: { id: string } | null }>(
        "query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }",
        { owner: this.owner, name: this.repo },
      )
    ).repository?.id;
    if (!this.repositoryId) return "rejected";
    try {
      // `force` only lets the move be something other than a fast forward; `beforeOid` makes
      // GitHub refuse it unless the branch is still where monobot read it.
      await this.octokit.graphql(UPDATE_REFS, {
        repositoryId: this.repositoryId,
        refUpdates: [
          { name: `refs/heads/${branch}`, beforeOid: expected, afterOid: sha, force: true },
        ],
      });
      return "updated";
    } catch (e) {
      // GitHub answers a moved ref (and a host without updateRefs) with GraphQL errors.
      if ((e as { errors?: unknown }).errors !== undefined) return "rejected";
      throw e;
    }
  }

  matchingTags(prefix: string): Promise<string[]> {
    return listTagNames(this.octokit, this.owner, this.repo, prefix);
  }
}
