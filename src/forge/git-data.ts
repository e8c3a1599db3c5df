// Git Data API writes for one repository (a branch head, a tree, a commit, a ref move) and the release-tag listing.
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
  /** Tag names starting with `prefix` ("" for all), from ONE matching-refs listing (one response). */
  matchingTags(prefix: string): Promise<string[]>;
}

export class GitHubGitData implements GitDataPort {
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

  matchingTags(prefix: string): Promise<string[]> {
    return listTagNames(this.octokit, this.owner, this.repo, prefix);
  }
}
