// The forge port over GitHub's REST and GraphQL APIs, for one repository (and one PR).
import type { ReviewRecord } from "../core/access-approvals.js";
import type { TeamMembers } from "../core/access.js";
import type { ChangedFile, CommitInfo, PullRequestInfo } from "../core/types.js";
import { GitHubGitData } from "./git-data.js";
import { loadPolicy, type LoadedPolicy } from "./policy-loader.js";
import {
  fileAtKey,
  type ChangeReader,
  type CheckRunOutput,
  type CheckRunRecord,
  type CommentRecord,
  type CommitStatus,
  type DeploymentPort,
  type DeploymentRecord,
  type DeploymentState,
  type FileAt,
  type ReportWriter,
  type StatusPort,
} from "./port.js";

import { listTagNames, type Octokit } from "./octokit.js";

export type { Octokit } from "./octokit.js";

/** The pull request fields the workflows need, from a webhook's or the REST API's PR object. */
export interface RestPullRequest {
  number: number;
  title: string;
  body?: string | null;
  draft?: boolean;
  state: string;
  user: { login: string } | null;
  author_association: string;
  maintainer_can_modify?: boolean;
  head: {
    sha: string;
    ref: string;
    repo: { full_name: string; name: string; owner: { login: string } } | null;
  };
  base: { sha: string; ref: string; repo: { full_name: string } };
}

/** A pull request as the workflows see it: plain data, JSON-serialisable. */
export type PullRequestData = PullRequestInfo & { headSha: string; baseSha: string };

export function pullRequestInfo(pr: RestPullRequest): PullRequestData {
  return {
    number: pr.number,
    title: pr.title,
    body: pr.body ?? "",
    author: pr.user?.login ?? "",
    authorAssociation: pr.author_association,
    draft: pr.draft === true,
    fromFork: pr.head.repo?.full_name !== pr.base.repo.full_name,
    maintainerCanModify: pr.maintainer_can_modify === true,
    headRef: pr.head.ref,
    baseRef: pr.base.ref,
    headSha: pr.head.sha,
    baseSha: pr.base.sha,
  };
}

/** A pull request read fresh from GitHub: its data, whether it is open, where its head lives. */
export interface FreshPullRequest {
  pr: PullRequestData;
  open: boolean;
  /** The repository holding the head branch; null when the fork was deleted. */
  headRepo: { owner: string; name: string } | null;
}

/** GitHub lists at most this many files of a pull request. */
export const GITHUB_PR_FILE_LIMIT = 3000;
/** Files read per GraphQL query; one query usually serves a whole event. */
const FILES_PER_QUERY = 200;
/** The repository roles GitHub defines, from least to most; custom roles build on one of them. */
const BASE_ROLES = new Set(["read", "triage", "write", "maintain", "admin"]);

type FileStatus = ChangedFile["status"];

interface RestFile {
  filename: string;
  previous_filename?: string;
  status: string;
  additions: number;
  deletions: number;
  patch?: string;
}

interface RestCommit {
  sha: string;
  parents: unknown[];
  author: { login?: string } | null;
  committer: { login?: string } | null;
  commit: {
    message: string;
    author: { name?: string; email?: string } | null;
    committer: { name?: string; email?: string } | null;
  };
}

export function toChangedFile(f: RestFile): ChangedFile {
  const file: ChangedFile = {
    path: f.filename,
    status: f.status as FileStatus,
    additions: f.additions,
    deletions: f.deletions,
  };
  if (f.previous_filename) file.previousPath = f.previous_filename;
  // GitHub omits the patch of binary, empty and very large files alike, so a missing patch does not
  // say "binary": checks that need such a file read it (GraphQL reports isBinary).
  if (typeof f.patch === "string") file.patch = f.patch;
  return file;
}

export function toCommitInfo(c: RestCommit): CommitInfo {
  const info: CommitInfo = {
    sha: c.sha,
    message: c.commit.message,
    author: {
      name: c.commit.author?.name ?? "",
      email: c.commit.author?.email ?? "",
    },
    committer: {
      name: c.commit.committer?.name ?? "",
      email: c.commit.committer?.email ?? "",
    },
    parents: c.parents.length,
  };
  if (c.author?.login) info.author.login = c.author.login;
  if (c.committer?.login && info.committer) info.committer.login = c.committer.login;
  return info;
}

interface RestDeployment {
  id: number;
  environment: string;
  sha: string;
  ref: string;
  task: string;
  payload: unknown;
  created_at: string;
}

interface RestDeploymentStatus {
  state: string;
  url?: string;
  log_url?: string;
  description?: string | null;
  created_at: string;
}

export function toDeploymentRecord(
  d: RestDeployment,
  latest: RestDeploymentStatus | undefined,
): DeploymentRecord {
  // GitHub returns the payload as it was given: an object, or a JSON string for older clients.
  let payload: unknown = d.payload;
  if (typeof payload === "string") {
    try {
      payload = JSON.parse(payload) as unknown;
    } catch {
      payload = {};
    }
  }
  const record: DeploymentRecord = {
    id: d.id,
    environment: d.environment,
    sha: d.sha,
    ref: d.ref,
    task: d.task,
    payload:
      payload && typeof payload === "object" && !Array.isArray(payload)
        ? (payload as Record<string, unknown>)
        : {},
    createdAt: d.created_at,
    state: latest ? (latest.state as DeploymentState) : "none",
  };
  if (latest?.url) record.statusUrl = latest.url;
  if (latest?.log_url) record.logUrl = latest.log_url;
  if (latest?.description) record.description = latest.description;
  if (latest) record.statusAt = latest.created_at;
  return record;
}

/** The Checks API names an annotation's level `annotation_level`. */
function toRestOutput(output: CheckRunOutput) {
  return {
    title: output.title,
    summary: output.summary,
    ...(output.text ? { text: output.text } : {}),
    ...(output.annotations
      ? {
          annotations: output.annotations.map((a) => ({
            path: a.path,
            start_line: a.start_line,
            end_line: a.end_line,
            annotation_level: a.level,
            message: a.message,
            ...(a.title ? { title: a.title } : {}),
          })),
        }
      : {}),
  };
}

export class GitHubRepo implements ReportWriter, StatusPort, DeploymentPort {
  constructor(
    readonly octokit: Octokit,
    readonly owner: string,
    readonly repo: string,
  ) {}

  /** The repository's policy at `ref` (defaults, `_extends`, its own file), with located errors. */
  loadPolicy(ref?: string): Promise<LoadedPolicy> {
    return loadPolicy(this.octokit, this.owner, this.repo, ref);
  }

  /** The pull request as it is now. */
  async pullRequest(pull: number): Promise<FreshPullRequest> {
    const { data } = await this.octokit.rest.pulls.get({
      owner: this.owner,
      repo: this.repo,
      pull_number: pull,
    });
    const rest = data as RestPullRequest;
    const head = rest.head.repo;
    return {
      pr: pullRequestInfo(rest),
      open: rest.state === "open",
      headRepo: head ? { owner: head.owner.login, name: head.name } : null,
    };
  }

  /** The commit a branch points at. */
  async branchSha(branch: string): Promise<string> {
    const { data } = await this.octokit.rest.repos.getBranch({
      owner: this.owner,
      repo: this.repo,
      branch,
    });
    return data.commit.sha;
  }

  /** Git Data writes (blobs, trees, commits, refs) on this repository or on another one (a fork). */
  gitData(target: { owner: string; name: string } = { owner: this.owner, name: this.repo }) {
    return new GitHubGitData(this.octokit, target.owner, target.name);
  }

  /** A reader of one pull request's change. */
  pullRequestReader(pull: number): ChangeReader {
    return {
      changedFiles: () => this.pullRequestFiles(pull),
      commits: () => this.pullRequestCommits(pull),
      paths: (sha) => this.paths(sha),
      readFiles: (files) => this.readFiles(files),
      tags: (prefix) => this.tags(prefix),
    };
  }

  async pullRequestFiles(pull: number): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    const raw = (await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
      owner: this.owner,
      repo: this.repo,
      pull_number: pull,
      per_page: 100,
    })) as RestFile[];
    return { files: raw.map(toChangedFile), truncated: raw.length >= GITHUB_PR_FILE_LIMIT };
  }

  async pullRequestCommits(pull: number): Promise<CommitInfo[]> {
    const raw = (await this.octokit.paginate(this.octokit.rest.pulls.listCommits, {
      owner: this.owner,
      repo: this.repo,
      pull_number: pull,
      per_page: 100,
    })) as RestCommit[];
    return raw.map(toCommitInfo);
  }

  tags(prefix: string): Promise<string[]> {
    return listTagNames(this.octokit, this.owner, this.repo, prefix);
  }

  async paths(sha: string): Promise<string[]> {
    const { data } = await this.octokit.rest.git.getTree({
      owner: this.owner,
      repo: this.repo,
      tree_sha: sha,
      recursive: "1",
    });
    return data.tree.filter((e) => e.type === "blob" && e.path).map((e) => e.path as string);
  }

  /** Reads files at several commits with GraphQL, many per query (aliases and variables). */
  async readFiles(files: readonly FileAt[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    const unique = [...new Map(files.map((f) => [fileAtKey(f), f])).values()];
    for (let i = 0; i < unique.length; i += FILES_PER_QUERY) {
      const chunk = unique.slice(i, i + FILES_PER_QUERY);
      const vars: Record<string, string> = { owner: this.owner, name: this.repo };
      const decls = ["$owner: String!", "$name: String!"];
      const fields: string[] = [];
      chunk.forEach((f, j) => {
        vars[`e${j}`] = `${f.sha}:${f.path}`;
        decls.push(`$e${j}: String!`);
        fields.push(`f${j}: object(expression: $e${j}) { ... on Blob { text isBinary } }`);
      });
      const query = `query(${decls.join(", ")}) { repository(owner: $owner, name: $name) { ${fields.join(" ")} } }`;
      const data = await this.octokit.graphql<{
        repository: Record<string, { text: string | null; isBinary: boolean | null } | null>;
      }>(query, vars);
      chunk.forEach((f, j) => {
        const blob = data.repository[`f${j}`];
        out.set(fileAtKey(f), blob && !blob.isBinary ? (blob.text ?? null) : null);
      });
    }
    return out;
  }

  async createCheckRun(input: Parameters<ReportWriter["createCheckRun"]>[0]): Promise<number> {
    const { data } = await this.octokit.rest.checks.create({
      owner: this.owner,
      repo: this.repo,
      name: input.name,
      head_sha: input.headSha,
      status: input.status,
      ...(input.conclusion ? { conclusion: input.conclusion } : {}),
      ...(input.output ? { output: toRestOutput(input.output) } : {}),
      ...(input.externalId ? { external_id: input.externalId } : {}),
      ...(input.detailsUrl ? { details_url: input.detailsUrl } : {}),
    });
    return data.id;
  }

  async updateCheckRun(id: number, input: Parameters<ReportWriter["updateCheckRun"]>[1]) {
    await this.octokit.rest.checks.update({
      owner: this.owner,
      repo: this.repo,
      check_run_id: id,
      ...(input.conclusion
        ? { status: "completed" as const, conclusion: input.conclusion }
        : input.status && input.status !== "completed"
          ? { status: input.status }
          : {}),
      ...(input.output ? { output: toRestOutput(input.output) } : {}),
    });
  }

  async listCheckRuns(headSha: string): Promise<CheckRunRecord[]> {
    const runs = await this.octokit.paginate(this.octokit.rest.checks.listForRef, {
      owner: this.owner,
      repo: this.repo,
      ref: headSha,
      per_page: 100,
    });
    return runs.map((r) => ({
      id: r.id,
      name: r.name,
      headSha: r.head_sha,
      status: r.status,
      conclusion: r.conclusion,
      externalId: r.external_id,
    }));
  }

  async listComments(issue: number): Promise<CommentRecord[]> {
    const comments = await this.octokit.paginate(this.octokit.rest.issues.listComments, {
      owner: this.owner,
      repo: this.repo,
      issue_number: issue,
      per_page: 100,
    });
    return comments.map((c) => ({ id: c.id, body: c.body ?? "", author: c.user?.login ?? "" }));
  }

  async createComment(issue: number, body: string): Promise<number> {
    const { data } = await this.octokit.rest.issues.createComment({
      owner: this.owner,
      repo: this.repo,
      issue_number: issue,
      body,
    });
    return data.id;
  }

  async updateComment(id: number, body: string): Promise<void> {
    await this.octokit.rest.issues.updateComment({
      owner: this.owner,
      repo: this.repo,
      comment_id: id,
      body,
    });
  }

  async deleteComment(id: number): Promise<void> {
    await this.octokit.rest.issues.deleteComment({
      owner: this.owner,
      repo: this.repo,
      comment_id: id,
    });
  }

  async permission(user: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.repos.getCollaboratorPermissionLevel({
        owner: this.owner,
        repo: this.repo,
        username: user,
      });
      // `permission` folds triage into read and maintain into write; `role_name` keeps them, but
      // holds a custom role's own name, whose base role only `permission` gives.
      return BASE_ROLES.has(data.role_name) ? data.role_name : data.permission;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  /** A pull request's reviews, oldest first (access rules count the approvals among them). */
  async pullRequestReviews(pull: number): Promise<ReviewRecord[]> {
    const reviews = await this.octokit.paginate(this.octokit.rest.pulls.listReviews, {
      owner: this.owner,
      repo: this.repo,
      pull_number: pull,
      per_page: 100,
    });
    return reviews.map((r) => ({
      id: r.id,
      user: r.user?.login ?? "",
      ...(r.user?.type ? { userType: r.user.type } : {}),
      state: r.state,
      commitId: r.commit_id ?? null,
      submittedAt: r.submitted_at ?? null,
    }));
  }

  /**
   * A team's members (one paginated listing; child teams' members included, as GitHub lists them).
   * A team that does not exist or that the App may not read (it needs `members: read`) is not an
   * error here: it counts no approvers, and the check says why.
   */
  async teamMembers(org: string, slug: string): Promise<TeamMembers> {
    try {
      const members = await this.octokit.paginate(this.octokit.rest.teams.listMembersInOrg, {
        org,
        team_slug: slug,
        per_page: 100,
      });
      return { ok: true, members: new Set(members.map((m) => m.login.toLowerCase())) };
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 404) {
        return {
          ok: false,
          reason: `GitHub answered 404: there is no such team in ${org}, or monobot cannot see it (the App needs \`members: read\` and must be installed on the organisation)`,
        };
      }
      if (status === 403) {
        return {
          ok: false,
          reason:
            "GitHub answered 403: monobot may not read its members (the App needs `members: read`)",
        };
      }
      throw e;
    }
  }

  async statuses(sha: string): Promise<CommitStatus[]> {
    const { data } = await this.octokit.rest.repos.getCombinedStatusForRef({
      owner: this.owner,
      repo: this.repo,
      ref: sha,
      per_page: 100,
    });
    return data.statuses.map((s) => ({
      context: s.context,
      state: s.state as CommitStatus["state"],
      targetUrl: s.target_url,
      description: s.description,
    }));
  }

  async setStatus(sha: string, status: CommitStatus): Promise<void> {
    await this.octokit.rest.repos.createCommitStatus({
      owner: this.owner,
      repo: this.repo,
      sha,
      context: status.context,
      state: status.state,
      ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      ...(status.description ? { description: status.description.slice(0, 140) } : {}),
    });
  }

  /** Files changed between two commits (GitHub's compare lists at most 300 files). */
  async compareFiles(base: string, head: string): Promise<ChangedFile[]> {
    const { data } = await this.octokit.rest.repos.compareCommitsWithBasehead({
      owner: this.owner,
      repo: this.repo,
      basehead: `${base}...${head}`,
      per_page: 100,
    });
    return (data.files ?? []).map((f) => toChangedFile(f as RestFile));
  }

  /** The commit a tag points at, or null when the tag does not exist. */
  async tagCommit(tag: string): Promise<string | null> {
    try {
      const { data } = await this.octokit.rest.git.getRef({
        owner: this.owner,
        repo: this.repo,
        ref: `tags/${tag}`,
      });
      if (data.object.type === "commit") return data.object.sha;
      // An annotated tag points at a tag object, which points at the commit.
      const tagObject = await this.octokit.rest.git.getTag({
        owner: this.owner,
        repo: this.repo,
        tag_sha: data.object.sha,
      });
      return tagObject.data.object.sha;
    } catch (e) {
      if ((e as { status?: number }).status === 404) return null;
      throw e;
    }
  }

  /** Creates a lightweight tag; false when it exists already (a race with another delivery). */
  async createTag(tag: string, sha: string): Promise<boolean> {
    try {
      await this.octokit.rest.git.createRef({
        owner: this.owner,
        repo: this.repo,
        ref: `refs/tags/${tag}`,
        sha,
      });
      return true;
    } catch (e) {
      if ((e as { status?: number }).status === 422) return false;
      throw e;
    }
  }

  /** Numbers of the merged pull requests that brought a commit in. */
  async pullRequestsOfCommit(sha: string): Promise<number[]> {
    const { data } = await this.octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: this.owner,
      repo: this.repo,
      commit_sha: sha,
    });
    return data.filter((p) => p.merged_at).map((p) => p.number);
  }

  async listDeployments(q: {
    environment?: string;
    task?: string;
    sha?: string;
    limit?: number;
  }): Promise<DeploymentRecord[]> {
    const limit = Math.min(100, Math.max(1, q.limit ?? 20));
    const { data } = await this.octokit.rest.repos.listDeployments({
      owner: this.owner,
      repo: this.repo,
      per_page: limit,
      ...(q.environment ? { environment: q.environment } : {}),
      ...(q.task ? { task: q.task } : {}),
      ...(q.sha ? { sha: q.sha } : {}),
    });
    // GitHub lists a deployment without its state: one status read each, bounded by `limit`.
    return Promise.all(data.slice(0, limit).map((d) => this.withLatestStatus(d)));
  }

  private async withLatestStatus(d: RestDeployment): Promise<DeploymentRecord> {
    const { data } = await this.octokit.rest.repos.listDeploymentStatuses({
      owner: this.owner,
      repo: this.repo,
      deployment_id: d.id,
      per_page: 1,
    });
    return toDeploymentRecord(d, data[0]);
  }

  async createDeployment(d: Parameters<DeploymentPort["createDeployment"]>[0]) {
    const res = await this.octokit.rest.repos.createDeployment({
      owner: this.owner,
      repo: this.repo,
      ref: d.ref,
      environment: d.environment,
      task: d.task ?? "deploy",
      payload: d.payload as { [key: string]: unknown },
      auto_merge: false,
      required_contexts: [],
      ...(d.description ? { description: d.description.slice(0, 140) } : {}),
      ...(d.productionEnvironment !== undefined
        ? { production_environment: d.productionEnvironment }
        : {}),
      ...(d.transientEnvironment !== undefined
        ? { transient_environment: d.transientEnvironment }
        : {}),
    });
    if (res.status !== 201) throw new Error(`GitHub did not create the deployment: ${res.status}`);
    return toDeploymentRecord(res.data as RestDeployment, undefined);
  }

  async setDeploymentStatus(
    id: number,
    s: { state: DeploymentState; description?: string; logUrl?: string; environmentUrl?: string },
  ): Promise<void> {
    await this.octokit.rest.repos.createDeploymentStatus({
      owner: this.owner,
      repo: this.repo,
      deployment_id: id,
      state: s.state,
      ...(s.description ? { description: s.description.slice(0, 140) } : {}),
      ...(s.logUrl ? { log_url: s.logUrl } : {}),
      ...(s.environmentUrl ? { environment_url: s.environmentUrl } : {}),
    });
  }

  /** The narrow request function CI backends use to call GitHub Actions. */
  requester() {
    return {
      request: async (route: string, params: Record<string, unknown>) => {
        const res = await this.octokit.request(route, params);
        return { status: res.status, data: res.data as unknown };
      },
    };
  }
}
