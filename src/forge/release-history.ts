// A monorepo's release history over GitHub's REST API: release tags, the commits between two, their pull requests.
import type { HistoryCommit } from "../core/release-notes.js";
import type { Octokit } from "./octokit.js";

/** A tag and the object it points at (a commit, or an annotated tag's object). */
export interface TagRef {
  name: string;
  sha: string;
  annotated: boolean;
}

/** What gathering release notes reads; small, so tests can fake it. */
export interface ReleaseHistoryPort {
  readonly owner: string;
  readonly name: string;
  /** Tags whose name starts with `prefix`, in ONE request. */
  tags(prefix: string): Promise<TagRef[]>;
  /** The commit an annotated tag points at. */
  tagCommit(tag: string): Promise<string | null>;
  /**
   * Commits reachable from `head` and not from `base`, oldest first, in ONE request (GitHub
   * lists at most 250 of them), with their total, the compare page's web address and the paths
   * that differ (at most 300).
   */
  compare(
    base: string,
    head: string,
  ): Promise<{ commits: HistoryCommit[]; total: number; url?: string; files?: string[] }>;
  /** Merged pull requests that brought `sha` in. */
  pullsOfCommit(sha: string): Promise<{ number: number; title: string }[]>;
  /**
   * The newest `first` (at most 100) commits reachable from `rev` that touched each of `paths`
   * (`git log -- path`), all paths in ONE request; their ids, all paths together.
   */
  touching(rev: string, paths: readonly string[], first: number): Promise<Set<string>>;
}

/** Commits GitHub lists per `history` connection and query. */
export const HISTORY_PAGE = 100;

export class GitHubReleaseHistory implements ReleaseHistoryPort {
  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly name: string,
  ) {}

  async tags(prefix: string): Promise<TagRef[]> {
    // GitHub answers every matching ref in one response; the operation takes no paging parameters.
    const { data } = await this.octokit.rest.git.listMatchingRefs({
      owner: this.owner,
      repo: this.name,
      ref: `tags/${prefix}`,
    });
    return data.map((r) => ({
      name: r.ref.replace(/^refs\/tags\//, ""),
      sha: r.object.sha,
      annotated: r.object.type === "tag",
    }));
  }

  async tagCommit(tag: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.git.getRef({
        owner: this.owner,
        repo: this.name,
        ref: `tags/${tag}`,
      });
      if (data.object.type === "commit") return data.object.sha;
      const tagObject = await this.octokit.rest.git.getTag({
        owner: this.owner,
        repo: this.name,
        tag_sha: data.object.sha,
      });
      return tagObject.data.object.sha;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  async compare(
    base: string,
    head: string,
  ): Promise<{ commits: HistoryCommit[]; total: number; url?: string; files?: string[] }> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
      owner: this.owner,
      repo: this.name,
      // No paging parameters: GitHub then lists up to 250 commits in the one response.
      basehead: `${base}...${head}`,
    });
    const commits = data.commits.map((c) => {
      const commit: HistoryCommit = { sha: c.sha, message: c.commit.message };
      const author = c.author?.login ?? c.commit.author?.name;
      if (author) commit.author = author;
      return commit;
    });
    return {
      commits,
      total: data.total_commits,
      ...(data.html_url ? { url: data.html_url } : {}),
      // The paths the two tags differ in (GitHub lists at most 300).
      ...(data.files ? { files: data.files.map((f) => f.filename) } : {}),
    };
  }

  async touching(rev: string, paths: readonly string[], first: number): Promise<Set<string>> {
    const out = new Set<string>();
    if (paths.length === 0) return out;
    const vars: Record<string, string | number> = {
      owner: this.owner,
      name: this.name,
      rev,
      first: Math.max(1, Math.min(HISTORY_PAGE, first)),
    };
    const decls = ["$owner: String!", "$name: String!", "$rev: String!", "$first: Int!"];
    const fields = paths.map((path, i) => {
      vars[`p${i}`] = path;
      decls.push(`$p${i}: String!`);
      return `p${i}: history(first: $first, path: $p${i}) { nodes { oid } }`;
    });
    // An annotated tag is a Tag object: its target is the commit.
    const query = `query(${decls.join(", ")}) { repository(owner: $owner, name: $name) { object(expression: $rev) { ...H ... on Tag { target { ...H } } } } } fragment H on Commit { ${fields.join(" ")} }`;
    type Histories = Record<string, { nodes: ({ oid: string } | null)[] | null } | undefined>;
    const data = await this.octokit.graphql<{
      repository: { object: (Histories & { target?: Histories }) | null } | null;
    }>(query, vars);
    const object = data.repository?.object;
    const commit = object?.target ?? object;
    if (!commit) throw Object.assign(new Error(`${rev} names no commit`), { status: 404 });
    paths.forEach((_, i) => {
      for (const n of commit[`p${i}`]?.nodes ?? []) if (n) out.add(n.oid);
    });
    return out;
  }

  async pullsOfCommit(sha: string): Promise<{ number: number; title: string }[]> {
    const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: this.owner,
      repo: this.name,
      commit_sha: sha,
    });
    return data.filter((p) => p.merged_at).map((p) => ({ number: p.number, title: p.title }));
  }
}
