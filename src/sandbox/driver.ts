// The sandbox's driver: start a fake GitHub in-process, seed it, act as users, inject faults, deliver webhooks.
import {
  addDeploymentStatus,
  createDeployment,
  deploymentJson,
  deploymentStatusJson,
  type NewDeployment,
} from "./deployments.js";
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { createControlHandler } from "./control.js";
import { pullKey, reviewsAndTeams, type ReviewState } from "./rest/reviews.js";
import type { FaultSpec } from "./faults.js";
import type { HookDelivery } from "./hook-deliveries.js";
import type { EntryMode } from "./git-objects.js";
import type { Representer } from "./representations.js";
import { openSealed, rotateKey, secretsReady, type SecretScope } from "./secrets.js";
import { SandboxServer, type RequestLogEntry, type Violation } from "./server.js";
import {
  SandboxState,
  type Association,
  type FileContent,
  type Issue,
  type PullRequest,
  type Repository,
  type Role,
  type SandboxStateOptions,
  type WorkflowDispatch,
  type RepositoryDispatch,
} from "./state.js";
import {
  deliverEvent,
  EventBuilder,
  type Delivery,
  type DeliveryOptions,
  type WebhookEvent,
} from "./webhooks.js";

export type { Delivery, DeliveryOptions, WebhookEvent } from "./webhooks.js";
export type { HookDelivery } from "./hook-deliveries.js";
export type { FaultKind, FaultSpec } from "./faults.js";
export type { RequestLogEntry, Violation, ViolationKind } from "./server.js";
export type { Association, FileContent, Role } from "./state.js";

export interface SandboxOptions extends SandboxStateOptions {
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /** Where `deliver` POSTs webhooks, e.g. `http://127.0.0.1:3000/api/github/webhooks`. */
  webhookUrl?: string;
}

/** What `createRepo` and friends return: enough to address the repository in tests. */
export interface RepoInfo {
  fullName: string;
  owner: string;
  name: string;
  id: number;
  defaultBranch: string;
  installationId: number | undefined;
}

export interface PullInfo {
  number: number;
  id: number;
  headSha: string;
  baseSha: string;
  headRef: string;
  baseRef: string;
  /** `owner/name` of the head repository (a fork's for fork PRs). */
  headRepo: string;
}

export interface CommitInput {
  branch: string;
  /** path -> content (string, Buffer, or {content, mode: "100755" | "120000"}), or null to delete. */
  files: Record<string, FileContent | null>;
  message?: string;
  /** Author; a login of a sandbox user, or a name and email. Defaults to a "Sandbox" identity. */
  author?: string | { name: string; email: string };
  date?: Date;
  /** Where a new branch starts (default: the default branch). */
  from?: string;
}

export interface FaultHandle {
  id: number;
  /** Matching requests that will still get the fault. */
  remaining: () => number;
  /** Requests answered with the fault so far. */
  hits: () => number;
  remove: () => void;
}

export type RequestFilter = {
  method?: string;
  operationId?: string;
  path?: string | RegExp;
  since?: number;
};

/** A running sandbox. Create one with {@link startSandbox}; `stop()` it when done. */
export class Sandbox {
  readonly state: SandboxState;
  readonly server: SandboxServer;
  /** Webhook payload builders; pass their result to {@link Sandbox.deliver}. */
  readonly events: EventBuilder;
  /** Default target of {@link Sandbox.deliver}. */
  webhookUrl: string | undefined;
  private readonly deliveryLog: Delivery[] = [];

  constructor(state: SandboxState, server: SandboxServer, webhookUrl?: string) {
    this.state = state;
    this.server = server;
    this.webhookUrl = webhookUrl;
    this.events = new EventBuilder(state, () => this.server.view);
    server.control = createControlHandler(this);
    // `POST /app/hook/deliveries/{id}/attempts`: the same bytes and guid, to the current webhook URL.
    state.hookDeliveries.resend = async (attempt) => {
      let payload: Record<string, unknown> = {};
      try {
        const parsed: unknown = JSON.parse(attempt.body);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
          payload = parsed as Record<string, unknown>;
      } catch {
        // A malformed body is sent again as it was; it has no fields to record.
      }
      await this.deliver(
        { name: attempt.event, payload },
        { deliveryId: attempt.guid, rawBody: attempt.body, redelivery: true },
      );
    };
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string {
    return this.server.urls.base;
  }

  /** `http://127.0.0.1:PORT/api/v3`: Octokit's `baseUrl`. */
  get apiBaseUrl(): string {
    return this.server.urls.api;
  }

  /** `http://127.0.0.1:PORT/api/graphql` */
  get graphqlUrl(): string {
    return `${this.url}/api/graphql`;
  }

  /** `127.0.0.1:PORT`: monobot's (and Probot's) `GHE_HOST`, with `GHE_PROTOCOL=http`. */
  get host(): string {
    return new URL(this.url).host;
  }

  get appId(): number {
    return this.state.app.id;
  }

  get appSlug(): string {
    return this.state.app.slug;
  }

  /** The app's private key (PKCS#1 PEM, as GitHub hands them out): monobot's `PRIVATE_KEY`. */
  get privateKeyPem(): string {
    return this.state.app.privateKeyPem;
  }

  get webhookSecret(): string {
    return this.state.app.webhookSecret;
  }

  /** `<slug>[bot]`: the login on comments and commits the app makes. */
  get botLogin(): string {
    return this.state.app.bot.login;
  }

  get view(): Representer {
    return this.server.view;
  }

  /** Environment for a monobot server process talking to this sandbox like production talks to GitHub. */
  env(): Record<string, string> {
    return {
      APP_ID: String(this.appId),
      PRIVATE_KEY: this.privateKeyPem,
      WEBHOOK_SECRET: this.webhookSecret,
      GHE_HOST: this.host,
      GHE_PROTOCOL: "http",
    };
  }

  async stop(): Promise<void> {
    await this.server.close();
  }

  // ---- users

  createUser(
    login: string,
    options: { name?: string; email?: string } = {},
  ): { login: string; id: number } {
    const u = this.state.createUser({ login, ...options });
    return { login: u.login, id: u.id };
  }

  /** An organization; `members` become members (role `member`, or `admin` with `{login, role}`). */
  createOrg(
    login: string,
    options: {
      members?: Array<string | { login: string; role: "member" | "admin" }>;
      baseRole?: Role | "none";
    } = {},
  ): { login: string; id: number } {
    const org = this.state.createUser({ login, type: "Organization" });
    if (options.baseRole) org.baseRole = options.baseRole;
    for (const m of options.members ?? []) {
      if (typeof m === "string") this.state.addOrgMember(login, m);
      else this.state.addOrgMember(login, m.login, m.role);
    }
    return { login: org.login, id: org.id };
  }

  /** A team of an organisation (members must exist); replaces the team's members if it exists. */
  createTeam(org: string, slug: string, members: string[] = []): void {
    const owner = this.state.requireUser(org);
    if (owner.type !== "Organization") throw new Error(`${org} is not an organization`);
    for (const m of members) this.state.requireUser(m);
    reviewsAndTeams(this.state).teams.set(`${org}/${slug}`.toLowerCase(), {
      org: owner,
      slug,
      members: new Set(members.map((m) => m.toLowerCase())),
    });
  }

  /**
   * A review of a pull request by `user`, on its current head unless `commit` is given;
   * `dismissReview` turns it into DISMISSED, as GitHub's dismissal does. Returns its id.
   */
  review(
    repo: string,
    number: number,
    input: { user: string; state: ReviewState; commit?: string; body?: string },
  ): { id: number } {
    const r = this.repo(repo);
    const issue = this.state.pull(r, number);
    if (!issue?.pull) throw new Error(`no pull request #${number} in ${repo}`);
    const id = this.state.newId();
    const key = pullKey(r, number);
    const store = reviewsAndTeams(this.state).reviews;
    const list = store.get(key) ?? [];
    list.push({
      id,
      user: this.state.requireUser(input.user),
      state: input.state,
      commitId: input.commit ?? issue.pull.headSha,
      body: input.body ?? "",
      submittedAt: this.state.isoNow(),
    });
    store.set(key, list);
    return { id };
  }

  dismissReview(repo: string, number: number, reviewId: number): void {
    const list = reviewsAndTeams(this.state).reviews.get(pullKey(this.repo(repo), number)) ?? [];
    const found = list.find((x) => x.id === reviewId);
    if (!found) throw new Error(`no review ${reviewId} on ${repo}#${number}`);
    found.state = "DISMISSED";
  }

  /** The app's OAuth client, for a server's GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET. */
  oauthClient(): { clientId: string; clientSecret: string } {
    return { clientId: this.state.app.clientId, clientSecret: this.server.oauth.clientSecret };
  }

  /** The user the OAuth web flow approves next (GitHub's authorize page, clicked at once). */
  signInAs(login: string): void {
    this.state.requireUser(login);
    this.server.oauth.signInAs = login;
  }

  /** A user with their own repositories, each with the app installed on the user's account. */
  createUserWithRepos(login: string, repos: readonly string[]): RepoInfo[] {
    if (!this.state.user(login)) this.state.createUser({ login });
    return repos.map((name) =>
      this.createRepo({
        owner: login,
        name,
        installation: true,
        files: { "README.md": `# ${name}\n` },
      }),
    );
  }

  addOrgMember(org: string, login: string, role: "member" | "admin" = "member"): void {
    this.state.addOrgMember(org, login, role);
  }

  // ---- repositories

  private repoInfo(r: Repository): RepoInfo {
    return {
      fullName: this.state.fullName(r),
      owner: r.owner.login,
      name: r.name,
      id: r.id,
      defaultBranch: r.defaultBranch,
      installationId: r.installationId,
    };
  }

  repo(fullName: string): Repository {
    return this.state.requireRepo(fullName);
  }

  /**
   * Creates a repository. `installation: true` installs the app on the owner's account (one installation per
   * account); `files` seeds the default branch with one commit.
   */
  createRepo(input: {
    owner: string;
    name: string;
    installation?: boolean | number;
    private?: boolean;
    defaultBranch?: string;
    description?: string;
    files?: Record<string, FileContent>;
    message?: string;
    date?: Date;
  }): RepoInfo {
    if (!this.state.user(input.owner)) this.state.createUser({ login: input.owner });
    const repo = this.state.createRepo({
      owner: input.owner,
      name: input.name,
      ...(input.installation !== undefined ? { installation: input.installation } : {}),
      ...(input.private !== undefined ? { private: input.private } : {}),
      ...(input.defaultBranch ? { defaultBranch: input.defaultBranch } : {}),
      ...(input.description ? { description: input.description } : {}),
    });
    if (input.files)
      this.state.commitFiles(repo, {
        branch: repo.defaultBranch,
        files: input.files,
        message: input.message ?? "Initial commit",
        ...(input.date ? { date: input.date } : {}),
      });
    return this.repoInfo(repo);
  }

  /** Forks `repo` into `owner`'s account (same branches, shared objects), as a contributor does for fork PRs. */
  fork(repo: string, owner: string, name?: string): RepoInfo {
    const parent = this.repo(repo);
    if (!this.state.user(owner)) this.state.createUser({ login: owner });
    const fork = this.state.createRepo({ owner, name: name ?? parent.name, forkOf: parent });
    return this.repoInfo(fork);
  }

  /**
   * Commits every file under `dir` (recursively; `.git` skipped; executable bits and symlinks kept) to a
   * branch (default: the default branch) as one commit. Returns the commit SHA.
   */
  seedFromDirectory(
    repo: string,
    dir: string,
    options: {
      branch?: string;
      message?: string;
      author?: string | { name: string; email: string };
      date?: Date;
      prefix?: string;
    } = {},
  ): string {
    const r = this.repo(repo);
    const files: Record<string, FileContent> = {};
    const walk = (d: string): void => {
      for (const name of readdirSync(d).sort()) {
        if (name === ".git") continue;
        const p = join(d, name);
        const st = lstatSync(p);
        const rel = relative(dir, p).split(sep).join("/");
        const path = options.prefix ? `${options.prefix.replace(/\/+$/, "")}/${rel}` : rel;
        if (st.isDirectory()) walk(p);
        else if (st.isSymbolicLink())
          files[path] = { content: readlinkSync(p), mode: "120000" as EntryMode };
        else if (st.isFile())
          files[path] = {
            content: readFileSync(p),
            mode: (st.mode & 0o111 ? "100755" : "100644") as EntryMode,
          };
      }
    };
    walk(dir);
    return this.state.commitFiles(r, {
      branch: options.branch ?? r.defaultBranch,
      files,
      message: options.message ?? `Import ${relative(process.cwd(), dir) || dir}`,
      ...(options.author ? { author: this.person(options.author) } : {}),
      ...(options.date ? { date: options.date } : {}),
    });
  }

  private person(p: string | { name: string; email: string }): { name: string; email: string } {
    if (typeof p !== "string") return p;
    const u = this.state.requireUser(p);
    return { name: u.name, email: u.email };
  }

  /**
   * Pushes one commit to a branch (creating it from `from` or the default branch). Open pull requests on
   * that branch follow, as on GitHub. Returns the new SHA and the branch's previous one (`before`).
   */
  pushCommit(repo: string, input: CommitInput): { sha: string; before: string } {
    const r = this.repo(repo);
    const before =
      this.state.branchSha(r, input.branch) ?? "0000000000000000000000000000000000000000";
    const sha = this.state.commitFiles(r, {
      branch: input.branch,
      files: input.files,
      ...(input.message !== undefined ? { message: input.message } : {}),
      ...(input.author ? { author: this.person(input.author) } : {}),
      ...(input.date ? { date: input.date } : {}),
      ...(input.from ? { from: input.from } : {}),
    });
    return { sha, before };
  }

  /** Points a branch at a revision (force), e.g. to simulate a rebase or a force-push. */
  setBranch(repo: string, branch: string, rev: string): string {
    const r = this.repo(repo);
    const sha = this.state.resolveCommit(r, rev);
    if (!sha) throw new Error(`no revision ${rev} in ${repo}`);
    this.state.setRef(r, `refs/heads/${branch}`, sha, { force: true });
    return sha;
  }

  createBranch(repo: string, branch: string, from?: string): string {
    const r = this.repo(repo);
    return this.setBranch(repo, branch, from ?? r.defaultBranch);
  }

  /** A lightweight tag, or an annotated one when `message` is given. Returns the tag ref's target. */
  createTag(
    repo: string,
    tag: string,
    rev: string,
    options: { message?: string; tagger?: string } = {},
  ): string {
    const r = this.repo(repo);
    const sha = this.state.resolveCommit(r, rev);
    if (!sha) throw new Error(`no revision ${rev} in ${repo}`);
    let target = sha;
    if (options.message !== undefined) {
      const who = this.person(options.tagger ?? { name: "Sandbox", email: "sandbox@example.com" });
      target = this.state.store.putTag({
        object: sha,
        type: "commit",
        tag,
        tagger: this.state.signature(who, this.state.now()),
        message: options.message.endsWith("\n") ? options.message : `${options.message}\n`,
      });
    }
    this.state.setRef(r, `refs/tags/${tag}`, target, { force: true });
    return target;
  }

  /** A file's text at a revision (branch, tag or SHA), or undefined. */
  readFile(repo: string, rev: string, path: string): string | undefined {
    return this.state.readFile(this.repo(repo), rev, path)?.toString("utf8");
  }

  branchSha(repo: string, branch: string): string | undefined {
    return this.state.branchSha(this.repo(repo), branch);
  }

  /** Every ref of a repository: full ref name -> SHA. */
  refs(repo: string): Record<string, string> {
    return Object.fromEntries(this.repo(repo).refs);
  }

  /** Sets a user's role on a repository (a collaborator with that permission). */
  setPermission(repo: string, login: string, role: Role): void {
    this.state.requireUser(login);
    this.repo(repo).collaborators.set(login.toLowerCase(), role);
  }

  removeCollaborator(repo: string, login: string): void {
    this.repo(repo).collaborators.delete(login.toLowerCase());
  }

  // ---- pull requests and comments

  private pullInfo(issue: Issue & { pull: PullRequest }): PullInfo {
    const pr = issue.pull;
    return {
      number: issue.number,
      id: pr.id,
      headSha: pr.headSha,
      baseSha: pr.baseSha,
      headRef: pr.headRef,
      baseRef: pr.baseRef,
      headRepo: this.state.fullName(pr.headRepo),
    };
  }

  /**
   * Opens a pull request as `user`. `head` is a branch of the repository, or of `fromFork` (`owner/name` of a
   * fork made with {@link Sandbox.fork}). `association` fixes author_association instead of computing it.
   */
  openPullRequest(
    repo: string,
    input: {
      head: string;
      base?: string;
      title?: string;
      body?: string;
      user: string;
      draft?: boolean;
      association?: Association;
      fromFork?: string;
      maintainerCanModify?: boolean;
    },
  ): PullInfo {
    const r = this.repo(repo);
    const issue = this.state.openPullRequest(r, {
      head: input.head,
      ...(input.base ? { base: input.base } : {}),
      title: input.title ?? `Change ${input.head}`,
      body: input.body ?? null,
      user: this.state.requireUser(input.user),
      ...(input.draft !== undefined ? { draft: input.draft } : {}),
      ...(input.association ? { association: input.association } : {}),
      ...(input.fromFork ? { headRepo: this.repo(input.fromFork) } : {}),
      ...(input.maintainerCanModify !== undefined
        ? { maintainerCanModify: input.maintainerCanModify }
        : {}),
    });
    return this.pullInfo(issue);
  }

  /** The pull request as the REST API returns it (`GET /repos/{o}/{r}/pulls/{n}`). */
  pullRequest(repo: string, number: number): Record<string, unknown> {
    const issue = this.state.requirePull(this.repo(repo), number);
    return this.view.pull(issue, { full: true });
  }

  /** Every pull request of a repository, oldest first. */
  pullInfos(repo: string): PullInfo[] {
    return [...this.repo(repo).issues.values()]
      .filter((i): i is Issue & { pull: PullRequest } => i.pull !== undefined)
      .sort((a, b) => a.number - b.number)
      .map((i) => this.pullInfo(i));
  }

  /** A pull request's changed files with their patches, as its files listing shows them. */
  pullFiles(repo: string, number: number): { filename: string; status: string; patch?: string }[] {
    const issue = this.state.requirePull(this.repo(repo), number);
    return this.state.pullFiles(issue).map((f) => ({
      filename: f.path,
      status: f.status,
      ...(f.patch !== undefined ? { patch: f.patch } : {}),
    }));
  }

  pullInfoOf(repo: string, number: number): PullInfo {
    return this.pullInfo(this.state.requirePull(this.repo(repo), number));
  }

  /** Edits a pull request: title, body, draft (false = ready for review), state (closing or reopening). */
  updatePullRequest(
    repo: string,
    number: number,
    input: { title?: string; body?: string; draft?: boolean; state?: "open" | "closed" },
  ): PullInfo {
    const issue = this.state.requirePull(this.repo(repo), number);
    if (input.title !== undefined) issue.title = input.title;
    if (input.body !== undefined) issue.body = input.body;
    if (input.draft !== undefined) issue.pull.draft = input.draft;
    if (input.state) this.state.setIssueState(issue, input.state);
    issue.updatedAt = this.state.isoNow();
    return this.pullInfo(issue);
  }

  /** Merges a pull request into its base (merge commit or squash) as `user` (default: the repo owner). */
  mergePullRequest(
    repo: string,
    number: number,
    options: { user?: string; method?: "merge" | "squash"; title?: string; message?: string } = {},
  ): string {
    const r = this.repo(repo);
    const issue = this.state.requirePull(r, number);
    return this.state.mergePull(issue, {
      user: options.user ? this.state.requireUser(options.user) : r.owner,
      ...(options.method ? { method: options.method } : {}),
      ...(options.title ? { title: options.title } : {}),
      ...(options.message ? { message: options.message } : {}),
    });
  }

  /** An issue (not a pull request), for comment commands on issues. */
  createIssue(repo: string, input: { user: string; title: string; body?: string }): number {
    return this.state.createIssue(
      this.repo(repo),
      this.state.requireUser(input.user),
      input.title,
      input.body ?? null,
    ).number;
  }

  /** An issue as the REST API returns it (`GET /repos/{o}/{r}/issues/{n}`). */
  issue(repo: string, number: number): Record<string, unknown> & { body: string | null } {
    const issue = this.repo(repo).issues.get(number);
    if (!issue) throw new Error(`no issue #${number} in ${repo}`);
    return this.view.issue(issue) as Record<string, unknown> & { body: string | null };
  }

  /** Issues (not pull requests) of a repository, oldest first, as the REST API returns them. */
  issues(repo: string): Array<Record<string, unknown> & { number: number; body: string | null }> {
    return [...this.repo(repo).issues.values()]
      .filter((i) => i.pull === undefined)
      .sort((a, b) => a.number - b.number)
      .map(
        (i) =>
          this.view.issue(i) as Record<string, unknown> & { number: number; body: string | null },
      );
  }

  /**
   * Edits an issue's body as `user` (a person ticking a checkbox) and builds `issues.edited` with
   * `changes.body.from`, as GitHub sends it; delivers it when a webhook URL is set (the
   * in-process tests hand the event to the app themselves).
   */
  async editIssue(
    repo: string,
    number: number,
    body: string,
    user: string,
    options: DeliveryOptions = {},
  ): Promise<{ event: WebhookEvent; delivery?: Delivery }> {
    const issue = this.repo(repo).issues.get(number);
    if (!issue || issue.pull) throw new Error(`no issue #${number} in ${repo}`);
    this.state.requireUser(user);
    const from = issue.body ?? "";
    issue.body = body;
    issue.updatedAt = this.state.isoNow();
    const event = this.events.issues({
      repo,
      number,
      action: "edited",
      sender: user,
      changes: { body: { from } },
    });
    if (!(options.url ?? this.webhookUrl)) return { event };
    return { event, delivery: await this.deliver(event, options) };
  }

  /** Posts a comment on an issue or pull request as `user`; returns its id (for the issue_comment event). */
  comment(
    repo: string,
    number: number,
    input: { user: string; body: string; association?: Association },
  ): { id: number } {
    const c = this.state.addComment(
      this.repo(repo),
      number,
      this.state.requireUser(input.user),
      input.body,
      {
        ...(input.association ? { association: input.association } : {}),
      },
    );
    return { id: c.id };
  }

  /** Comments on an issue or pull request, as the REST API lists them. */
  comments(repo: string, number: number): Array<Record<string, unknown>> {
    return this.state.commentsOn(this.repo(repo), number).map((c) => this.view.comment(c));
  }

  // ---- checks, statuses, Actions

  /**
   * Check runs on a commit (a SHA, branch or tag; every commit when absent), newest first, in the REST
   * shape plus their `annotations`.
   */
  checkRuns(
    repo: string,
    rev?: string,
  ): Array<Record<string, unknown> & { annotations: unknown[] }> {
    const r = this.repo(repo);
    const sha = rev ? this.state.resolveCommit(r, rev) : undefined;
    if (rev && !sha) throw new Error(`no revision ${rev} in ${repo}`);
    return [...this.state.checkRuns.values()]
      .filter((run) => run.repo === r && (!sha || run.headSha === sha))
      .sort((a, b) => b.id - a.id)
      .map((run) => ({ ...this.view.checkRun(run), annotations: [...run.output.annotations] }));
  }

  checkSuites(repo: string, rev?: string): Array<Record<string, unknown>> {
    const r = this.repo(repo);
    const sha = rev ? this.state.resolveCommit(r, rev) : undefined;
    return [...this.state.checkSuites.values()]
      .filter((s) => s.repo === r && (!sha || s.headSha === sha))
      .map((s) => this.view.checkSuite(s));
  }

  /** Commit statuses on a commit, newest first (REST shape). */
  statuses(repo: string, rev: string): Array<Record<string, unknown>> {
    const r = this.repo(repo);
    const sha = this.state.resolveCommit(r, rev);
    if (!sha) throw new Error(`no revision ${rev} in ${repo}`);
    return r.statuses
      .filter((s) => s.sha === sha)
      .reverse()
      .map((s) => this.view.status(r, s));
  }

  combinedStatus(repo: string, rev: string): { state: string; contexts: Record<string, string> } {
    const r = this.repo(repo);
    const sha = this.state.resolveCommit(r, rev);
    if (!sha) throw new Error(`no revision ${rev} in ${repo}`);
    const c = this.state.combinedStatus(r, sha);
    return {
      state: c.state,
      contexts: Object.fromEntries(c.statuses.map((s) => [s.context, s.state])),
    };
  }

  /** `workflow_dispatch` requests received, oldest first (each made a workflow run, see `runId`). */
  workflowDispatches(repo: string): WorkflowDispatch[] {
    return [...this.repo(repo).workflowDispatches];
  }

  /** `repository_dispatch` requests received, oldest first. */
  repositoryDispatches(repo: string): RepositoryDispatch[] {
    return [...this.repo(repo).repositoryDispatches];
  }

  /** Workflow runs (from dispatches) of a repository, in the REST shape. */
  workflowRuns(repo: string): Array<Record<string, unknown>> {
    const r = this.repo(repo);
    return [...this.state.workflowRuns.values()]
      .filter((w) => w.repo === r)
      .map((w) => this.view.workflowRun(w));
  }

  /** Completes a workflow run (then deliver `events.workflowRun(...)` to tell the app). */
  completeWorkflowRun(
    runId: number,
    conclusion: "success" | "failure" | "cancelled" | "skipped" = "success",
  ): void {
    const run = this.state.workflowRuns.get(runId);
    if (!run) throw new Error(`no workflow run ${runId}`);
    this.state.completeWorkflowRun(run, conclusion);
  }

  /** Deployments of a repository in the REST shape, newest first, each with its statuses newest first. */
  deployments(
    repo: string,
  ): Array<Record<string, unknown> & { statuses: Array<Record<string, unknown>> }> {
    const r = this.repo(repo);
    return [...r.deployments].reverse().map((d) => ({
      ...deploymentJson(this.view, r, d),
      statuses: [...d.statuses].reverse().map((s) => deploymentStatusJson(this.view, r, d, s)),
    }));
  }

  /** Creates a deployment as a user (a hold someone records, a deploy made by hand); returns its id. */
  createDeployment(repo: string, input: NewDeployment & { user: string }): number {
    const r = this.repo(repo);
    return createDeployment(this.state, r, this.state.requireUser(input.user), input).id;
  }

  /** Posts a deployment status as a user (Argo CD's notifications, a person): the outside verdict. */
  setDeploymentStatus(
    repo: string,
    deploymentId: number,
    input: { state: string; user: string; description?: string; logUrl?: string },
  ): void {
    const r = this.repo(repo);
    const d = r.deployments.find((x) => x.id === deploymentId);
    if (!d) throw new Error(`no deployment ${deploymentId} in ${repo}`);
    addDeploymentStatus(this.state, r, d, this.state.requireUser(input.user), input);
  }

  createEnvironment(repo: string, name: string): void {
    this.state.environmentScope(this.repo(repo), name);
  }

  private scope(repo: string, environment?: string): SecretScope {
    const r = this.repo(repo);
    if (!environment) return r.secrets;
    const scope = r.environments.get(environment);
    if (!scope) throw new Error(`no environment ${environment} in ${repo}`);
    return scope;
  }

  /** Actions secrets of a repository (or environment), decrypted with the sandbox's private key. */
  secrets(
    repo: string,
    options: { environment?: string } = {},
  ): Record<string, string | undefined> {
    const scope = this.scope(repo, options.environment);
    const out: Record<string, string | undefined> = {};
    for (const s of scope.secrets.values())
      out[s.name] = openSealed(scope, s.encryptedValue, s.keyId);
    return out;
  }

  /** Replaces the public key: clients holding the old key_id then get 422 until they fetch the new key. */
  rotateSecretsKey(repo: string, options: { environment?: string } = {}): string {
    const scope = this.scope(repo, options.environment);
    rotateKey(scope);
    return scope.keyId;
  }

  // ---- tokens

  /** An installation token, to call the sandbox as the app from a test. */
  installationToken(installationId?: number): string {
    const id = installationId ?? [...this.state.installations.keys()][0];
    if (id === undefined)
      throw new Error("no installation yet: create a repository with installation: true");
    return this.state.issueToken(id).token;
  }

  /** A personal token, to call the sandbox as a user from a test. */
  userToken(login: string): string {
    return this.state.issueUserToken(login);
  }

  // ---- request log, violations, faults

  /** Requests received on the API (control requests excluded), oldest first, optionally filtered. */
  requests(filter: RequestFilter = {}): RequestLogEntry[] {
    return this.server.log.filter(
      (e) =>
        (!filter.method || e.method === filter.method.toUpperCase()) &&
        (!filter.operationId || e.operationId === filter.operationId) &&
        (!filter.since || e.seq > filter.since) &&
        (!filter.path ||
          (filter.path instanceof RegExp ? filter.path.test(e.path) : e.path === filter.path)),
    );
  }

  /** The sequence number of the latest request, to count what happens after a point (`requests({since})`). */
  mark(): number {
    return this.server.log.at(-1)?.seq ?? 0;
  }

  resetRequests(): void {
    this.server.log.length = 0;
  }

  /** Requests that did not conform to GitHub's OpenAPI description (or that the sandbox could not serve). */
  violations(): Violation[] {
    return [...this.server.violations];
  }

  resetViolations(): void {
    this.server.violations.length = 0;
  }

  /** Throws, listing them, when any violation was recorded: the end-to-end suite's guard. */
  assertNoViolations(): void {
    const v = this.server.violations;
    if (v.length > 0)
      throw new Error(
        `${v.length} GitHub API violation(s):\n${v.map((x) => `  ${x.method} ${x.path}: [${x.kind}] ${x.problem}`).join("\n")}`,
      );
  }

  /** Answers the next `times` matching requests with a fault (see {@link FaultSpec}). */
  injectFault(spec: FaultSpec): FaultHandle {
    const fault = this.server.faults.add(spec);
    return {
      id: fault.id,
      remaining: () => fault.remaining,
      hits: () => fault.hits,
      remove: () => this.server.faults.remove(fault.id),
    };
  }

  clearFaults(): void {
    this.server.faults.clear();
  }

  // ---- webhooks

  /** Signs and POSTs an event (from {@link Sandbox.events}) to the app; resolves with the app's answer. */
  async deliver(event: WebhookEvent, options: DeliveryOptions = {}): Promise<Delivery> {
    const url = options.url ?? this.webhookUrl;
    if (!url) throw new Error("no webhook URL: pass {url} or set sandbox.webhookUrl");
    const log = this.state.hookDeliveries;
    const deliveredAt = options.deliveredAt ?? this.state.now();
    const redelivery =
      options.redelivery ?? (options.deliveryId !== undefined && log.hasGuid(options.deliveryId));
    const delivery = await deliverEvent(event, {
      ...options,
      url,
      secret: options.secret ?? this.webhookSecret,
      appId: this.appId,
      deliveredAt,
      redelivery,
    });
    // A delivery signed with another secret (or a given signature) stands for a forgery: GitHub's
    // log of the App's webhook would not have it.
    if (options.secret === undefined && options.signature === undefined) {
      const installation = event.payload.installation as { id?: unknown } | undefined;
      const repository = event.payload.repository as { id?: unknown } | undefined;
      const attempt = log.record({
        guid: delivery.id,
        event: event.name,
        action: delivery.action ?? null,
        installationId: typeof installation?.id === "number" ? installation.id : null,
        repositoryId: typeof repository?.id === "number" ? repository.id : null,
        statusCode: delivery.status,
        durationSeconds: delivery.durationMs / 1000,
        deliveredAt,
        redelivery,
        body: delivery.body,
        ...(delivery.error !== undefined ? { error: delivery.error } : {}),
      });
      delivery.hookDeliveryId = attempt.id;
    }
    this.deliveryLog.push(delivery);
    return delivery;
  }

  /** Deliveries made so far, oldest first (redeliveries included). */
  deliveries(): Delivery[] {
    return [...this.deliveryLog];
  }

  /** The App webhook's delivery log as `GET /app/hook/deliveries` serves it, oldest first. */
  hookDeliveries(): HookDelivery[] {
    return this.state.hookDeliveries.all();
  }

  /**
   * Waits until every redelivery requested through `POST /app/hook/deliveries/{id}/attempts`
   * has been answered (GitHub answers that request at once and delivers afterwards).
   */
  async settleRedeliveries(): Promise<void> {
    await this.state.hookDeliveries.settle();
    const failures = this.state.hookDeliveries.failures.splice(0);
    if (failures.length > 0) throw new Error(`redeliveries failed: ${failures.join("; ")}`);
  }

  /** How long loading GitHub's OpenAPI description took in this process, and what was compiled. */
  openApiStats(): SandboxServer["openApiStats"] {
    return this.server.openApiStats;
  }
}

/** Starts a sandbox on 127.0.0.1 (a free port unless `port` is given). */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  await secretsReady();
  const state = new SandboxState(options);
  const server = new SandboxServer(state);
  await server.listen(options.port ?? 0);
  return new Sandbox(state, server, options.webhookUrl);
}
