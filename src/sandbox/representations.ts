// The JSON shapes GitHub answers with (users, repositories, pulls, commits, checks...), shared by REST and webhooks.
import type { FileChange } from "./diff.js";
import { signatureDate, type CommitData } from "./git-objects.js";
import type {
  App,
  CheckRun,
  CheckSuite,
  CommitStatus,
  Installation,
  Issue,
  IssueComment,
  Label,
  PullRequest,
  Repository,
  SandboxState,
  User,
  WorkflowRun,
} from "./state.js";

/** Where the sandbox lives: `html` URLs hang off the root, API URLs off `/api/v3`, as on GitHub Enterprise. */
export class Urls {
  constructor(readonly base: string) {}

  get api(): string {
    return `${this.base}/api/v3`;
  }

  html(path: string): string {
    return `${this.base}${path}`;
  }

  apiUrl(path: string): string {
    return `${this.api}${path}`;
  }
}

/** GitHub's global node ids: base64 of `0<len>:<Type><id>`. */
export function nodeId(type: string, id: number | string): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString("base64");
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** Turns state objects into GitHub's JSON. */
export class Representer {
  constructor(
    readonly state: SandboxState,
    readonly urls: Urls,
  ) {}

  user(u: User): Record<string, unknown> {
    const api = this.urls.apiUrl(`/users/${encodeURIComponent(u.login)}`);
    return {
      login: u.login,
      id: u.id,
      node_id: nodeId(
        u.type === "Organization" ? "Organization" : u.type === "Bot" ? "Bot" : "User",
        u.id,
      ),
      avatar_url: this.urls.html(`/avatars/u/${u.id}`),
      gravatar_id: "",
      url: api,
      html_url: this.urls.html(
        u.type === "Bot" ? `/apps/${u.login.replace(/\[bot\]$/, "")}` : `/${u.login}`,
      ),
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: u.type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  /** A user with the name and email some payloads (push pusher, full user) carry. */
  fullUser(u: User): Record<string, unknown> {
    return {
      ...this.user(u),
      name: u.name,
      email: u.email,
      created_at: u.createdAt,
      updated_at: u.createdAt,
    };
  }

  app(app: App): Record<string, unknown> {
    return {
      id: app.id,
      slug: app.slug,
      node_id: nodeId("Integration", app.id),
      client_id: app.clientId,
      owner: this.user(app.owner),
      name: app.name,
      description: "monobot sandbox app",
      external_url: this.urls.base,
      html_url: this.urls.html(`/apps/${app.slug}`),
      created_at: app.createdAt,
      updated_at: app.createdAt,
      permissions: app.permissions,
      events: app.events,
    };
  }

  installation(inst: Installation): Record<string, unknown> {
    const app = this.state.app;
    return {
      id: inst.id,
      account: this.user(inst.account),
      repository_selection: "selected",
      access_tokens_url: this.urls.apiUrl(`/app/installations/${inst.id}/access_tokens`),
      repositories_url: this.urls.apiUrl("/installation/repositories"),
      html_url: this.urls.html(`/settings/installations/${inst.id}`),
      app_id: app.id,
      app_slug: app.slug,
      client_id: app.clientId,
      target_id: inst.account.id,
      target_type: inst.account.type === "Organization" ? "Organization" : "User",
      permissions: app.permissions,
      events: app.events,
      created_at: inst.createdAt,
      updated_at: inst.createdAt,
      single_file_name: null,
      has_multiple_single_files: false,
      single_file_paths: [],
      suspended_by: null,
      suspended_at: null,
    };
  }

  repo(r: Repository, options: { withParent?: boolean } = {}): Record<string, unknown> {
    const full = `${r.owner.login}/${r.name}`;
    const api = this.urls.apiUrl(`/repos/${full}`);
    const openIssues = [...r.issues.values()].filter((i) => i.state === "open").length;
    const out: Record<string, unknown> = {
      id: r.id,
      node_id: nodeId("Repository", r.id),
      name: r.name,
      full_name: full,
      private: r.private,
      owner: this.user(r.owner),
      html_url: this.urls.html(`/${full}`),
      description: r.description,
      fork: r.parent !== undefined,
      url: api,
      forks_url: `${api}/forks`,
      keys_url: `${api}/keys{/key_id}`,
      collaborators_url: `${api}/collaborators{/collaborator}`,
      teams_url: `${api}/teams`,
      hooks_url: `${api}/hooks`,
      issue_events_url: `${api}/issues/events{/number}`,
      events_url: `${api}/events`,
      assignees_url: `${api}/assignees{/user}`,
      branches_url: `${api}/branches{/branch}`,
      tags_url: `${api}/tags`,
      blobs_url: `${api}/git/blobs{/sha}`,
      git_tags_url: `${api}/git/tags{/sha}`,
      git_refs_url: `${api}/git/refs{/sha}`,
      trees_url: `${api}/git/trees{/sha}`,
      statuses_url: `${api}/statuses/{sha}`,
      languages_url: `${api}/languages`,
      stargazers_url: `${api}/stargazers`,
      contributors_url: `${api}/contributors`,
      subscribers_url: `${api}/subscribers`,
      subscription_url: `${api}/subscription`,
      commits_url: `${api}/commits{/sha}`,
      git_commits_url: `${api}/git/commits{/sha}`,
      comments_url: `${api}/comments{/number}`,
      issue_comment_url: `${api}/issues/comments{/number}`,
      contents_url: `${api}/contents/{+path}`,
      compare_url: `${api}/compare/{base}...{head}`,
      merges_url: `${api}/merges`,
      archive_url: `${api}/{archive_format}{/ref}`,
      downloads_url: `${api}/downloads`,
      issues_url: `${api}/issues{/number}`,
      pulls_url: `${api}/pulls{/number}`,
      milestones_url: `${api}/milestones{/number}`,
      notifications_url: `${api}/notifications{?since,all,participating}`,
      labels_url: `${api}/labels{/name}`,
      releases_url: `${api}/releases{/id}`,
      deployments_url: `${api}/deployments`,
      created_at: r.createdAt,
      updated_at: r.updatedAt,
      pushed_at: r.pushedAt,
      git_url: `${this.urls.base.replace(/^https?:/, "git:")}/${full}.git`,
      ssh_url: `git@sandbox:${full}.git`,
      clone_url: this.urls.html(`/${full}.git`),
      svn_url: this.urls.html(`/${full}`),
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: false,
      has_downloads: true,
      has_wiki: false,
      has_pages: false,
      has_discussions: false,
      forks_count: this.forksOf(r),
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: openIssues,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      visibility: r.private ? "private" : "public",
      forks: this.forksOf(r),
      open_issues: openIssues,
      watchers: 0,
      default_branch: r.defaultBranch,
    };
    if (options.withParent && r.parent) {
      out.parent = this.repo(r.parent);
      let source = r.parent;
      while (source.parent) source = source.parent;
      out.source = this.repo(source);
    }
    return out;
  }

  private forksOf(r: Repository): number {
    let n = 0;
    for (const other of this.state.repos.values()) if (other.parent === r) n++;
    return n;
  }

  label(repo: Repository, l: Label): Record<string, unknown> {
    return {
      id: l.id,
      node_id: nodeId("Label", l.id),
      url: this.urls.apiUrl(
        `/repos/${repo.owner.login}/${repo.name}/labels/${encodeURIComponent(l.name)}`,
      ),
      name: l.name,
      color: l.color,
      default: false,
      description: l.description,
    };
  }

  private issueLabels(issue: Issue): Record<string, unknown>[] {
    return issue.labels.flatMap((name) => {
      const l = issue.repo.labels.get(name.toLowerCase());
      return l ? [this.label(issue.repo, l)] : [];
    });
  }

  association(issue: Issue): string {
    return issue.association ?? this.state.associationOf(issue.repo, issue.user);
  }

  private branchSide(repo: Repository, ref: string, sha: string): Record<string, unknown> {
    return {
      label: `${repo.owner.login}:${ref}`,
      ref,
      sha,
      user: this.user(repo.owner),
      repo: this.repo(repo),
    };
  }

  pull(
    issue: Issue & { pull: PullRequest },
    options: { full?: boolean } = {},
  ): Record<string, unknown> {
    const r = issue.repo;
    const pr = issue.pull;
    const full = `${r.owner.login}/${r.name}`;
    const api = this.urls.apiUrl(`/repos/${full}/pulls/${issue.number}`);
    const issueApi = this.urls.apiUrl(`/repos/${full}/issues/${issue.number}`);
    const html = this.urls.html(`/${full}/pull/${issue.number}`);
    const out: Record<string, unknown> = {
      url: api,
      id: pr.id,
      node_id: nodeId("PullRequest", pr.id),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueApi,
      commits_url: `${api}/commits`,
      review_comments_url: `${api}/comments`,
      review_comment_url: this.urls.apiUrl(`/repos/${full}/pulls/comments{/number}`),
      comments_url: `${issueApi}/comments`,
      statuses_url: this.urls.apiUrl(`/repos/${full}/statuses/${pr.headSha}`),
      number: issue.number,
      state: issue.state,
      locked: false,
      title: issue.title,
      user: this.user(issue.user),
      body: issue.body,
      labels: this.issueLabels(issue),
      milestone: null,
      active_lock_reason: null,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      merged_at: pr.mergedAt,
      merge_commit_sha: pr.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: this.branchSide(pr.headRepo, pr.headRef, pr.headSha),
      base: this.branchSide(r, pr.baseRef, pr.baseSha),
      _links: {
        self: { href: api },
        html: { href: html },
        issue: { href: issueApi },
        comments: { href: `${issueApi}/comments` },
        review_comments: { href: `${api}/comments` },
        review_comment: { href: this.urls.apiUrl(`/repos/${full}/pulls/comments{/number}`) },
        commits: { href: `${api}/commits` },
        statuses: { href: this.urls.apiUrl(`/repos/${full}/statuses/${pr.headSha}`) },
      },
      author_association: this.association(issue),
      auto_merge: null,
      draft: pr.draft,
    };
    if (options.full) {
      const files = this.state.pullFiles(issue);
      const open = issue.state === "open";
      const mergeable = open ? this.state.mergeable(issue) : null;
      Object.assign(out, {
        merged: pr.merged,
        mergeable,
        rebaseable: mergeable,
        mergeable_state: !open ? "unknown" : pr.draft ? "draft" : mergeable ? "clean" : "dirty",
        merged_by: pr.mergedBy ? this.user(pr.mergedBy) : null,
        comments: this.state.commentsOn(r, issue.number).length,
        review_comments: 0,
        maintainer_can_modify: pr.maintainerCanModify,
        commits: this.state.pullCommits(issue).length,
        additions: files.reduce((n, f) => n + f.additions, 0),
        deletions: files.reduce((n, f) => n + f.deletions, 0),
        changed_files: files.length,
      });
    }
    return out;
  }

  issue(issue: Issue): Record<string, unknown> {
    const r = issue.repo;
    const full = `${r.owner.login}/${r.name}`;
    const api = this.urls.apiUrl(`/repos/${full}/issues/${issue.number}`);
    const out: Record<string, unknown> = {
      url: api,
      repository_url: this.urls.apiUrl(`/repos/${full}`),
      labels_url: `${api}/labels{/name}`,
      comments_url: `${api}/comments`,
      events_url: `${api}/events`,
      html_url: this.urls.html(`/${full}/${issue.pull ? "pull" : "issues"}/${issue.number}`),
      id: issue.id,
      node_id: nodeId("Issue", issue.id),
      number: issue.number,
      title: issue.title,
      user: this.user(issue.user),
      labels: this.issueLabels(issue),
      state: issue.state,
      locked: false,
      assignee: null,
      assignees: [],
      milestone: null,
      comments: this.state.commentsOn(r, issue.number).length,
      created_at: issue.createdAt,
      updated_at: issue.updatedAt,
      closed_at: issue.closedAt,
      author_association: this.association(issue),
      active_lock_reason: null,
      body: issue.body,
      state_reason: issue.state === "closed" ? "completed" : null,
    };
    if (issue.pull) {
      const html = this.urls.html(`/${full}/pull/${issue.number}`);
      out.draft = issue.pull.draft;
      out.pull_request = {
        url: this.urls.apiUrl(`/repos/${full}/pulls/${issue.number}`),
        html_url: html,
        diff_url: `${html}.diff`,
        patch_url: `${html}.patch`,
        merged_at: issue.pull.mergedAt,
      };
    }
    return out;
  }

  comment(c: IssueComment): Record<string, unknown> {
    const r = c.repo;
    const full = `${r.owner.login}/${r.name}`;
    const issue = r.issues.get(c.issueNumber);
    const kind = issue?.pull ? "pull" : "issues";
    return {
      id: c.id,
      node_id: nodeId("IssueComment", c.id),
      url: this.urls.apiUrl(`/repos/${full}/issues/comments/${c.id}`),
      html_url: this.urls.html(`/${full}/${kind}/${c.issueNumber}#issuecomment-${c.id}`),
      body: c.body,
      user: this.user(c.user),
      created_at: c.createdAt,
      updated_at: c.updatedAt,
      issue_url: this.urls.apiUrl(`/repos/${full}/issues/${c.issueNumber}`),
      author_association: c.association ?? this.state.associationOf(r, c.user),
      performed_via_github_app: c.viaApp ? this.app(c.viaApp) : null,
      reactions: {
        url: this.urls.apiUrl(`/repos/${full}/issues/comments/${c.id}/reactions`),
        total_count: 0,
        "+1": 0,
        "-1": 0,
        laugh: 0,
        hooray: 0,
        confused: 0,
        heart: 0,
        rocket: 0,
        eyes: 0,
      },
    };
  }

  private person(sig: CommitData["author"]): Record<string, unknown> {
    return { name: sig.name, email: sig.email, date: signatureDate(sig) };
  }

  /** GitHub hides the newline git ends messages with. */
  private message(c: CommitData): string {
    return c.message.replace(/\n$/, "");
  }

  /** The git data API's commit (`GET /git/commits/{sha}`). */
  gitCommit(repo: Repository, sha: string): Record<string, unknown> {
    const c = this.state.store.commit(sha);
    if (!c) throw new Error(`${sha} is not a commit`);
    const full = `${repo.owner.login}/${repo.name}`;
    return {
      sha,
      node_id: nodeId("Commit", sha),
      url: this.urls.apiUrl(`/repos/${full}/git/commits/${sha}`),
      html_url: this.urls.html(`/${full}/commit/${sha}`),
      author: this.person(c.author),
      committer: this.person(c.committer),
      tree: { sha: c.tree, url: this.urls.apiUrl(`/repos/${full}/git/trees/${c.tree}`) },
      message: this.message(c),
      parents: c.parents.map((p) => ({
        sha: p,
        url: this.urls.apiUrl(`/repos/${full}/git/commits/${p}`),
        html_url: this.urls.html(`/${full}/commit/${p}`),
      })),
      verification: {
        verified: false,
        reason: "unsigned",
        signature: null,
        payload: null,
        verified_at: null,
      },
    };
  }

  /** The REST commit (`GET /repos/.../commits/{ref}`, pulls' and compare's commit lists). */
  commit(repo: Repository, sha: string, files?: FileChange[]): Record<string, unknown> {
    const c = this.state.store.commit(sha);
    if (!c) throw new Error(`${sha} is not a commit`);
    const full = `${repo.owner.login}/${repo.name}`;
    const api = this.urls.apiUrl(`/repos/${full}/commits/${sha}`);
    const author = this.state.userByEmail(c.author.email);
    const committer = this.state.userByEmail(c.committer.email);
    const out: Record<string, unknown> = {
      sha,
      node_id: nodeId("Commit", sha),
      commit: {
        author: this.person(c.author),
        committer: this.person(c.committer),
        message: this.message(c),
        tree: { sha: c.tree, url: this.urls.apiUrl(`/repos/${full}/git/trees/${c.tree}`) },
        url: this.urls.apiUrl(`/repos/${full}/git/commits/${sha}`),
        comment_count: 0,
        verification: {
          verified: false,
          reason: "unsigned",
          signature: null,
          payload: null,
          verified_at: null,
        },
      },
      url: api,
      html_url: this.urls.html(`/${full}/commit/${sha}`),
      comments_url: `${api}/comments`,
      author: author ? this.user(author) : null,
      committer: committer ? this.user(committer) : null,
      parents: c.parents.map((p) => ({
        sha: p,
        url: this.urls.apiUrl(`/repos/${full}/commits/${p}`),
        html_url: this.urls.html(`/${full}/commit/${p}`),
      })),
    };
    if (files) {
      const additions = files.reduce((n, f) => n + f.additions, 0);
      const deletions = files.reduce((n, f) => n + f.deletions, 0);
      out.stats = { total: additions + deletions, additions, deletions };
      out.files = files.map((f) => this.file(repo, sha, f));
    }
    return out;
  }

  /** One entry of a pull request's, compare's or commit's file list. */
  file(repo: Repository, headSha: string, f: FileChange): Record<string, unknown> {
    const full = `${repo.owner.login}/${repo.name}`;
    const path = encodePath(f.path);
    const out: Record<string, unknown> = {
      sha: f.sha,
      filename: f.path,
      status: f.status,
      additions: f.additions,
      deletions: f.deletions,
      changes: f.additions + f.deletions,
      blob_url: this.urls.html(`/${full}/blob/${headSha}/${path}`),
      raw_url: this.urls.html(`/${full}/raw/${headSha}/${path}`),
      contents_url: this.urls.apiUrl(`/repos/${full}/contents/${path}?ref=${headSha}`),
    };
    if (f.patch !== undefined) out.patch = f.patch;
    if (f.previousPath !== undefined) out.previous_filename = f.previousPath;
    return out;
  }

  checkRun(run: CheckRun): Record<string, unknown> {
    const r = run.repo;
    const full = `${r.owner.login}/${r.name}`;
    const api = this.urls.apiUrl(`/repos/${full}/check-runs/${run.id}`);
    return {
      id: run.id,
      head_sha: run.headSha,
      node_id: nodeId("CheckRun", run.id),
      external_id: run.externalId ?? "",
      url: api,
      html_url: this.urls.html(`/${full}/runs/${run.id}`),
      details_url: run.detailsUrl ?? this.urls.html(`/${full}/runs/${run.id}`),
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.output.title,
        summary: run.output.summary,
        text: run.output.text,
        annotations_count: run.output.annotations.length,
        annotations_url: `${api}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.suiteId },
      app: this.app(run.app),
      pull_requests: this.state.pullsWithHead(r, run.headSha).map((i) => this.minimalPull(i)),
    };
  }

  /** The short pull request form check runs, suites and workflow runs carry. */
  minimalPull(issue: Issue & { pull: PullRequest }): Record<string, unknown> {
    const r = issue.repo;
    const side = (repo: Repository, ref: string, sha: string): Record<string, unknown> => ({
      ref,
      sha,
      repo: {
        id: repo.id,
        url: this.urls.apiUrl(`/repos/${repo.owner.login}/${repo.name}`),
        name: repo.name,
      },
    });
    return {
      url: this.urls.apiUrl(`/repos/${r.owner.login}/${r.name}/pulls/${issue.number}`),
      id: issue.pull.id,
      number: issue.number,
      head: side(issue.pull.headRepo, issue.pull.headRef, issue.pull.headSha),
      base: side(r, issue.pull.baseRef, issue.pull.baseSha),
    };
  }

  checkSuite(
    suite: CheckSuite,
    options: { withRepository?: boolean } = {},
  ): Record<string, unknown> {
    const r = suite.repo;
    const full = `${r.owner.login}/${r.name}`;
    const { status, conclusion } = this.state.suiteStatus(suite);
    const runs = [...this.state.checkRuns.values()].filter((x) => x.suiteId === suite.id);
    const commit = this.state.store.commit(suite.headSha);
    const out: Record<string, unknown> = {
      id: suite.id,
      node_id: nodeId("CheckSuite", suite.id),
      head_branch: suite.headBranch,
      head_sha: suite.headSha,
      status,
      conclusion,
      url: this.urls.apiUrl(`/repos/${full}/check-suites/${suite.id}`),
      before: commit?.parents[0] ?? "0000000000000000000000000000000000000000",
      after: suite.headSha,
      pull_requests: this.state.pullsWithHead(r, suite.headSha).map((i) => this.minimalPull(i)),
      app: this.app(suite.app),
      created_at: suite.createdAt,
      updated_at: suite.updatedAt,
      rerequestable: true,
      runs_rerequestable: true,
      latest_check_runs_count: runs.length,
      check_runs_url: this.urls.apiUrl(`/repos/${full}/check-suites/${suite.id}/check-runs`),
      head_commit: commit ? this.headCommit(suite.headSha, commit) : null,
    };
    if (options.withRepository !== false) out.repository = this.repo(r);
    return out;
  }

  /** The `head_commit` form of check suites and workflow runs. */
  headCommit(sha: string, c: CommitData): Record<string, unknown> {
    return {
      id: sha,
      tree_id: c.tree,
      message: this.message(c),
      timestamp: signatureDate(c.committer),
      author: { name: c.author.name, email: c.author.email },
      committer: { name: c.committer.name, email: c.committer.email },
    };
  }

  status(repo: Repository, s: CommitStatus): Record<string, unknown> {
    return {
      url: this.urls.apiUrl(`/repos/${repo.owner.login}/${repo.name}/statuses/${s.sha}`),
      avatar_url: this.urls.html(`/avatars/u/${s.creator.id}`),
      id: s.id,
      node_id: nodeId("StatusContext", s.id),
      state: s.state,
      description: s.description,
      target_url: s.targetUrl,
      context: s.context,
      created_at: s.createdAt,
      updated_at: s.updatedAt,
      creator: this.user(s.creator),
    };
  }

  workflowRun(run: WorkflowRun): Record<string, unknown> {
    const r = run.repo;
    const full = `${r.owner.login}/${r.name}`;
    const api = this.urls.apiUrl(`/repos/${full}/actions/runs/${run.id}`);
    const commit = this.state.store.commit(run.headSha);
    return {
      id: run.id,
      name: run.name,
      node_id: nodeId("WorkflowRun", run.id),
      head_branch: run.headBranch,
      head_sha: run.headSha,
      path: run.workflowPath,
      display_title: run.name,
      run_number: run.runNumber,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflowId,
      check_suite_id: run.id + 1,
      check_suite_node_id: nodeId("CheckSuite", run.id + 1),
      url: api,
      html_url: this.urls.html(`/${full}/actions/runs/${run.id}`),
      pull_requests: this.state.pullsWithHead(r, run.headSha).map((i) => this.minimalPull(i)),
      created_at: run.createdAt,
      updated_at: run.updatedAt,
      actor: this.user(run.actor),
      triggering_actor: this.user(run.actor),
      run_attempt: run.runAttempt,
      run_started_at: run.createdAt,
      jobs_url: `${api}/jobs`,
      logs_url: `${api}/logs`,
      check_suite_url: this.urls.apiUrl(`/repos/${full}/check-suites/${run.id + 1}`),
      artifacts_url: `${api}/artifacts`,
      cancel_url: `${api}/cancel`,
      rerun_url: `${api}/rerun`,
      workflow_url: this.urls.apiUrl(`/repos/${full}/actions/workflows/${run.workflowId}`),
      head_commit: commit ? this.headCommit(run.headSha, commit) : null,
      repository: this.repo(r),
      head_repository: this.repo(r),
    };
  }

  workflow(repo: Repository, id: number, path: string, name: string): Record<string, unknown> {
    const full = `${repo.owner.login}/${repo.name}`;
    return {
      id,
      node_id: nodeId("Workflow", id),
      name,
      path,
      state: "active",
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      url: this.urls.apiUrl(`/repos/${full}/actions/workflows/${id}`),
      html_url: this.urls.html(`/${full}/blob/${repo.defaultBranch}/${path}`),
      badge_url: this.urls.html(`/${full}/workflows/${encodeURIComponent(name)}/badge.svg`),
    };
  }
}
