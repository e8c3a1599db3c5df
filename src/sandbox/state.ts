// The sandbox's in-memory GitHub: users, the app and its installations, repositories with real git data, and
// the pull requests, comments, checks, statuses, dispatches, workflow runs and secrets hung on them.
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { diffTrees, diffTreeEntries, type FileChange } from "./diff.js";
import { ApiError, notFound, unprocessable, validationFailed } from "./errors.js";
import {
  EMPTY_TREE_SHA,
  ObjectStore,
  isSha,
  type EntryMode,
  type PathChange,
  type Signature,
} from "./git-objects.js";
import { HookDeliveryLog } from "./hook-deliveries.js";
import { newSecretScope, type SecretScope } from "./secrets.js";

export type Role = "admin" | "maintain" | "write" | "triage" | "read";
export type PermissionLevel = "read" | "write" | "admin";
export type Association =
  | "OWNER"
  | "MEMBER"
  | "COLLABORATOR"
  | "CONTRIBUTOR"
  | "FIRST_TIME_CONTRIBUTOR"
  | "FIRST_TIMER"
  | "MANNEQUIN"
  | "NONE";

export interface User {
  id: number;
  login: string;
  type: "User" | "Organization" | "Bot";
  name: string;
  email: string;
  createdAt: string;
  /** For organizations: member login -> org role. */
  members: Map<string, "member" | "admin">;
  /** For organizations: the repository role every member has (GitHub's base permission). */
  baseRole: Role | "none";
}

export interface App {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  owner: User;
  /** The `<slug>[bot]` user that acts for the app's installations. */
  bot: User;
  permissions: Record<string, PermissionLevel>;
  events: string[];
  privateKeyPem: string;
  publicKeyPem: string;
  webhookSecret: string;
  createdAt: string;
}

export interface Installation {
  id: number;
  account: User;
  createdAt: string;
}

export interface InstallationToken {
  token: string;
  installationId: number;
  expiresAt: string;
  /** Set when the token was restricted to some repositories. */
  repositoryIds: number[] | undefined;
  permissions: Record<string, PermissionLevel>;
}

export interface Label {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

export interface CommitStatus {
  id: number;
  sha: string;
  state: "error" | "failure" | "pending" | "success";
  context: string;
  description: string | null;
  targetUrl: string | null;
  creator: User;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowDispatch {
  workflowId: number;
  workflowPath: string;
  ref: string;
  inputs: Record<string, unknown>;
  actor: string;
  at: string;
  runId: number;
}

export interface RepositoryDispatch {
  eventType: string;
  clientPayload: Record<string, unknown>;
  actor: string;
  at: string;
}

export interface WorkflowRun {
  id: number;
  repo: Repository;
  workflowId: number;
  workflowPath: string;
  name: string;
  headBranch: string;
  headSha: string;
  event: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  runNumber: number;
  runAttempt: number;
  inputs: Record<string, unknown>;
  actor: User;
  createdAt: string;
  updatedAt: string;
}

/** A deployment status as GitHub stores it. */
export interface DeploymentStatus {
  id: number;
  state: string;
  description: string;
  logUrl: string;
  environmentUrl: string;
  creator: User;
  createdAt: string;
}

/** A deployment of a repository, with its statuses oldest first. */
export interface Deployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  originalEnvironment: string;
  description: string | null;
  productionEnvironment: boolean;
  transientEnvironment: boolean;
  creator: User;
  createdAt: string;
  updatedAt: string;
  statuses: DeploymentStatus[];
}

export interface Repository {
  id: number;
  owner: User;
  name: string;
  private: boolean;
  description: string | null;
  defaultBranch: string;
  installationId: number | undefined;
  /** The repository this one is a fork of. */
  parent: Repository | undefined;
  createdAt: string;
  updatedAt: string;
  pushedAt: string;
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`) -> object id. */
  refs: Map<string, string>;
  collaborators: Map<string, Role>;
  nextNumber: number;
  issues: Map<number, Issue>;
  labels: Map<string, Label>;
  statuses: CommitStatus[];
  secrets: SecretScope;
  environments: Map<string, SecretScope>;
  workflowIds: Map<string, number>;
  workflowDispatches: WorkflowDispatch[];
  repositoryDispatches: RepositoryDispatch[];
  deployments: Deployment[];
}

export interface PullRequest {
  id: number;
  headRepo: Repository;
  headRef: string;
  baseRef: string;
  headSha: string;
  baseSha: string;
  /** The head before the latest update of the head branch (a `synchronize` event's `before`). */
  previousHeadSha: string | undefined;
  draft: boolean;
  maintainerCanModify: boolean;
  merged: boolean;
  mergedAt: string | null;
  mergeCommitSha: string | null;
  mergedBy: User | null;
}

export interface Issue {
  id: number;
  repo: Repository;
  number: number;
  title: string;
  body: string | null;
  user: User;
  state: "open" | "closed";
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  labels: string[];
  /** Set when the author association is fixed by the test rather than computed. */
  association: Association | undefined;
  pull: PullRequest | undefined;
}

export interface IssueComment {
  id: number;
  repo: Repository;
  issueNumber: number;
  user: User;
  body: string;
  createdAt: string;
  updatedAt: string;
  association: Association | undefined;
  viaApp: App | undefined;
}

export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: "notice" | "warning" | "failure";
  message: string;
  title?: string;
  raw_details?: string;
}

export interface CheckSuite {
  id: number;
  repo: Repository;
  headSha: string;
  headBranch: string | null;
  app: App;
  createdAt: string;
  updatedAt: string;
  rerequested: number;
}

export interface CheckRun {
  id: number;
  repo: Repository;
  suiteId: number;
  headSha: string;
  name: string;
  status: string;
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: {
    title: string | null;
    summary: string | null;
    text: string | null;
    annotations: Annotation[];
  };
  actions: unknown[];
  app: App;
  createdAt: string;
  rerequested: number;
}

export type FileContent = string | Buffer | { content: string | Buffer; mode?: EntryMode };

export interface CommitOptions {
  branch: string;
  /** path -> new content, or null to delete the file. */
  files: Record<string, FileContent | null>;
  message?: string;
  author?: { name: string; email: string };
  committer?: { name: string; email: string };
  /** Commit time; defaults to the sandbox clock. */
  date?: Date;
  /** Start the branch from this revision when it does not exist yet (default: the default branch). */
  from?: string;
  /** Discard the branch's history: the commit has no parent. */
  orphan?: boolean;
}

export interface SandboxStateOptions {
  appId?: number;
  appSlug?: string;
  appName?: string;
  /** PEM of an RSA private key to use instead of a freshly generated one (PKCS#1 or PKCS#8). */
  privateKeyPem?: string;
  webhookSecret?: string;
  /** The app's permissions; defaults to what monobot needs, all granted. */
  permissions?: Record<string, PermissionLevel>;
  /** The clock for created_at fields and commit times (default: real time). */
  now?: () => Date;
}

export const DEFAULT_APP_PERMISSIONS: Record<string, PermissionLevel> = {
  actions: "write",
  checks: "write",
  contents: "write",
  deployments: "write",
  environments: "write",
  issues: "write",
  members: "read",
  metadata: "read",
  pull_requests: "write",
  secrets: "write",
  statuses: "write",
  workflows: "write",
};

const ROLE_RANK: Record<Role | "none", number> = {
  none: 0,
  read: 1,
  triage: 2,
  write: 3,
  maintain: 4,
  admin: 5,
};

export function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function normalizeBranch(ref: string): string {
  return ref.replace(/^refs\/heads\//, "");
}

/** The whole in-memory world of one sandbox. */
export class SandboxState {
  readonly store = new ObjectStore();
  readonly users = new Map<string, User>();
  readonly app: App;
  readonly installations = new Map<number, Installation>();
  readonly tokens = new Map<string, InstallationToken>();
  /** Personal tokens (for tests acting as a user over HTTP): token -> login. */
  readonly userTokens = new Map<string, string>();
  readonly repos = new Map<string, Repository>();
  readonly comments = new Map<number, IssueComment>();
  readonly checkSuites = new Map<number, CheckSuite>();
  readonly checkRuns = new Map<number, CheckRun>();
  readonly workflowRuns = new Map<number, WorkflowRun>();
  /** The App webhook's deliveries (`GET /app/hook/deliveries`), every attempt. */
  readonly hookDeliveries = new HookDeliveryLog();
  readonly now: () => Date;
  private nextId = 1000;
  private readonly diffCache = new Map<string, FileChange[]>();

  constructor(options: SandboxStateOptions = {}) {
    this.now = options.now ?? (() => new Date());
    const slug = options.appSlug ?? "monobot";
    let privateKeyPem = options.privateKeyPem;
    let publicKeyPem: string;
    if (privateKeyPem) {
      publicKeyPem = publicKeyFromPrivate(privateKeyPem);
    } else {
      const pair = generateKeyPairSync("rsa", {
        modulusLength: 2048,
        // GitHub hands out PKCS#1 keys ("BEGIN RSA PRIVATE KEY"); Probot converts them.
        privateKeyEncoding: { type: "pkcs1", format: "pem" },
        publicKeyEncoding: { type: "spki", format: "pem" },
      });
      privateKeyPem = pair.privateKey;
      publicKeyPem = pair.publicKey;
    }
    const owner = this.createUser({ login: "sandbox-apps", type: "Organization" });
    const bot = this.createUser({ login: `${slug}[bot]`, type: "Bot", name: `${slug}[bot]` });
    const appId = options.appId ?? 4242;
    bot.email = `${bot.id}+${bot.login}@users.noreply.github.com`;
    this.app = {
      id: appId,
      slug,
      name: options.appName ?? slug,
      clientId: `Iv1.${randomBytes(8).toString("hex")}`,
      owner,
      bot,
      permissions: { ...(options.permissions ?? DEFAULT_APP_PERMISSIONS) },
      events: [
        "check_run",
        "check_suite",
        "issue_comment",
        "pull_request",
        "push",
        "repository_dispatch",
        "workflow_run",
      ],
      privateKeyPem,
      publicKeyPem,
      webhookSecret: options.webhookSecret ?? randomBytes(20).toString("hex"),
      createdAt: this.isoNow(),
    };
  }

  newId(): number {
    return ++this.nextId;
  }

  isoNow(): string {
    return iso(this.now());
  }

  // ---- users and installations

  createUser(input: { login: string; type?: User["type"]; name?: string; email?: string }): User {
    if (this.users.has(input.login.toLowerCase()))
      throw new Error(`user ${input.login} already exists`);
    const id = this.newId();
    const user: User = {
      id,
      login: input.login,
      type: input.type ?? "User",
      name: input.name ?? input.login,
      email: input.email ?? `${id}+${input.login}@users.noreply.github.com`,
      createdAt: this.isoNow(),
      members: new Map(),
      baseRole: "read",
    };
    this.users.set(input.login.toLowerCase(), user);
    return user;
  }

  user(login: string): User | undefined {
    return this.users.get(login.toLowerCase());
  }

  requireUser(login: string): User {
    const u = this.user(login);
    if (!u) throw new Error(`no user ${login} in the sandbox (create it first)`);
    return u;
  }

  /** The user a commit signature belongs to, found by email as GitHub does. */
  userByEmail(email: string): User | undefined {
    for (const u of this.users.values())
      if (u.email.toLowerCase() === email.toLowerCase()) return u;
    return undefined;
  }

  addOrgMember(orgLogin: string, login: string, role: "member" | "admin" = "member"): void {
    const org = this.requireUser(orgLogin);
    if (org.type !== "Organization") throw new Error(`${orgLogin} is not an organization`);
    this.requireUser(login);
    org.members.set(login.toLowerCase(), role);
  }

  installationFor(account: User): Installation {
    for (const inst of this.installations.values()) if (inst.account === account) return inst;
    const inst: Installation = { id: this.newId(), account, createdAt: this.isoNow() };
    this.installations.set(inst.id, inst);
    return inst;
  }

  issueToken(
    installationId: number,
    options: { repositoryIds?: number[]; permissions?: Record<string, PermissionLevel> } = {},
  ): InstallationToken {
    const token: InstallationToken = {
      token: `ghs_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`,
      installationId,
      expiresAt: iso(new Date(this.now().getTime() + 3600_000)),
      repositoryIds: options.repositoryIds,
      permissions: options.permissions ?? { ...this.app.permissions },
    };
    this.tokens.set(token.token, token);
    return token;
  }

  issueUserToken(login: string): string {
    this.requireUser(login);
    const token = `ghp_${randomBytes(18).toString("base64url").replace(/[-_]/g, "x").slice(0, 36)}`;
    this.userTokens.set(token, login);
    return token;
  }

  // ---- repositories

  createRepo(input: {
    owner: string;
    name: string;
    private?: boolean;
    defaultBranch?: string;
    description?: string;
    /** true: install the app on the owner's account (created if needed); a number: that installation. */
    installation?: boolean | number;
    /** Make this repository a fork of another: it starts with the parent's branches and shares its objects. */
    forkOf?: Repository;
  }): Repository {
    const owner = this.requireUser(input.owner);
    const key = `${owner.login}/${input.name}`.toLowerCase();
    if (this.repos.has(key))
      throw new Error(`repository ${owner.login}/${input.name} already exists`);
    let installationId: number | undefined;
    if (input.installation === true) installationId = this.installationFor(owner).id;
    else if (typeof input.installation === "number") {
      if (!this.installations.has(input.installation))
        throw new Error(`no installation ${input.installation}`);
      installationId = input.installation;
    }
    const now = this.isoNow();
    const repo: Repository = {
      id: this.newId(),
      owner,
      name: input.name,
      private: input.private ?? false,
      description: input.description ?? null,
      defaultBranch: input.defaultBranch ?? input.forkOf?.defaultBranch ?? "main",
      installationId,
      parent: input.forkOf,
      createdAt: now,
      updatedAt: now,
      pushedAt: now,
      refs: new Map(),
      collaborators: new Map(),
      nextNumber: 1,
      issues: new Map(),
      labels: new Map(),
      statuses: [],
      secrets: newSecretScope(),
      environments: new Map(),
      workflowIds: new Map(),
      workflowDispatches: [],
      repositoryDispatches: [],
      deployments: [],
    };
    if (input.forkOf) {
      for (const [ref, sha] of input.forkOf.refs)
        if (ref.startsWith("refs/heads/")) repo.refs.set(ref, sha);
    }
    this.repos.set(key, repo);
    return repo;
  }

  repo(owner: string, name: string): Repository | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  /** A repository by `owner/name`, or throws (for the driver). */
  requireRepo(fullName: string): Repository {
    const [owner, name] = fullName.split("/");
    const repo = owner && name ? this.repo(owner, name) : undefined;
    if (!repo) throw new Error(`no repository ${fullName} in the sandbox`);
    return repo;
  }

  fullName(repo: Repository): string {
    return `${repo.owner.login}/${repo.name}`;
  }

  /** A repository's role for a user, as the permission API reports it ("none" when it has none). */
  roleOf(repo: Repository, login: string): Role | "none" {
    const key = login.toLowerCase();
    if (repo.owner.login.toLowerCase() === key) return "admin";
    let role: Role | "none" = repo.private ? "none" : "read";
    const explicit = repo.collaborators.get(key);
    if (explicit && ROLE_RANK[explicit] > ROLE_RANK[role]) role = explicit;
    if (repo.owner.type === "Organization") {
      const m = repo.owner.members.get(key);
      if (m === "admin") role = "admin";
      else if (m === "member" && ROLE_RANK[repo.owner.baseRole] > ROLE_RANK[role])
        role = repo.owner.baseRole;
    }
    return role;
  }

  /** How GitHub would label a user's relation to a repository on an issue, PR or comment. */
  associationOf(repo: Repository, user: User): Association {
    const key = user.login.toLowerCase();
    if (user.type === "Bot") return "NONE";
    if (repo.owner.login.toLowerCase() === key) return "OWNER";
    if (repo.owner.type === "Organization" && repo.owner.members.has(key)) return "MEMBER";
    if (repo.collaborators.has(key)) return "COLLABORATOR";
    for (const issue of repo.issues.values())
      if (issue.pull?.merged && issue.user === user) return "CONTRIBUTOR";
    return "NONE";
  }

  // ---- refs and revisions

  branchSha(repo: Repository, branch: string): string | undefined {
    return repo.refs.get(`refs/heads/${normalizeBranch(branch)}`);
  }

  /**
   * Points a ref at an object; every open pull request whose head or base is that branch follows it,
   * as on GitHub. Refuses a non-fast-forward branch update unless forced.
   */
  setRef(repo: Repository, ref: string, sha: string, options: { force?: boolean } = {}): void {
    if (!ref.startsWith("refs/")) throw new Error(`ref ${ref} must be fully qualified`);
    if (!this.store.has(sha)) throw unprocessable("Object does not exist");
    const old = repo.refs.get(ref);
    if (old && !options.force && ref.startsWith("refs/heads/") && !this.store.isAncestor(old, sha))
      throw unprocessable("Update is not a fast forward");
    repo.refs.set(ref, sha);
    repo.pushedAt = this.isoNow();
    if (!ref.startsWith("refs/heads/")) return;
    const branch = ref.slice("refs/heads/".length);
    for (const r of this.repos.values()) {
      for (const issue of r.issues.values()) {
        const pr = issue.pull;
        if (!pr || issue.state !== "open") continue;
        if (pr.headRepo === repo && pr.headRef === branch && pr.headSha !== sha) {
          pr.previousHeadSha = pr.headSha;
          pr.headSha = sha;
          issue.updatedAt = this.isoNow();
        }
        if (r === repo && pr.baseRef === branch) pr.baseSha = sha;
      }
    }
  }

  deleteRef(repo: Repository, ref: string): void {
    if (!repo.refs.delete(ref)) throw unprocessable("Reference does not exist");
  }

  /**
   * The commit a revision names: a full or abbreviated SHA, `refs/...`, `heads/x`, `tags/x`, a branch, a tag,
   * or `HEAD` (the default branch). Annotated tags are peeled.
   */
  resolveCommit(repo: Repository, rev: string): string | undefined {
    const sha = this.resolveObject(repo, rev);
    if (!sha) return undefined;
    const peeled = this.store.peel(sha);
    return this.store.commit(peeled) ? peeled : undefined;
  }

  resolveObject(repo: Repository, rev: string): string | undefined {
    if (rev === "HEAD") return this.branchSha(repo, repo.defaultBranch);
    if (isSha(rev) && this.store.has(rev)) return rev;
    const candidates = rev.startsWith("refs/")
      ? [rev]
      : [`refs/heads/${rev}`, `refs/tags/${rev}`, `refs/${rev}`];
    for (const c of candidates) {
      const sha = repo.refs.get(c);
      if (sha) return sha;
    }
    if (/^[0-9a-f]{4,39}$/.test(rev)) {
      let found: string | undefined;
      for (const sha of this.reachableCommits(repo)) {
        if (sha.startsWith(rev)) {
          if (found && found !== sha) return undefined;
          found = sha;
        }
      }
      return found;
    }
    return undefined;
  }

  private reachableCommits(repo: Repository): Set<string> {
    const all = new Set<string>();
    for (const sha of repo.refs.values()) {
      const c = this.store.peel(sha);
      for (const a of this.store.ancestors(c)) all.add(a);
    }
    return all;
  }

  treeOf(commitSha: string): string {
    const c = this.store.commit(commitSha);
    if (!c) throw new Error(`${commitSha} is not a commit`);
    return c.tree;
  }

  /** A file's bytes at a revision, or undefined when the revision or the file does not exist. */
  readFile(repo: Repository, rev: string, path: string): Buffer | undefined {
    const sha = this.resolveCommit(repo, rev);
    if (!sha) return undefined;
    const entry = this.store.lookup(this.treeOf(sha), path);
    return entry?.type === "blob" ? this.store.blob(entry.sha) : undefined;
  }

  signature(person: { name: string; email: string }, date: Date): Signature {
    return {
      name: person.name,
      email: person.email,
      time: Math.floor(date.getTime() / 1000),
      tz: "+0000",
    };
  }

  /** Writes one commit on a branch (created if missing) with the given file changes; returns its SHA. */
  commitFiles(repo: Repository, options: CommitOptions): string {
    const branch = normalizeBranch(options.branch);
    let parent = this.branchSha(repo, branch);
    if (!parent && !options.orphan) {
      const from = options.from ?? repo.defaultBranch;
      parent = this.resolveCommit(repo, from);
      if (!parent && options.from)
        throw new Error(`cannot start ${branch} from ${from}: no such revision`);
    }
    if (options.orphan) parent = undefined;
    const changes = new Map<string, PathChange>();
    for (const [path, value] of Object.entries(options.files)) {
      if (value === null) {
        changes.set(path, null);
        continue;
      }
      const isWrapped = typeof value === "object" && !Buffer.isBuffer(value);
      const content = isWrapped ? value.content : value;
      const mode: EntryMode = (isWrapped ? value.mode : undefined) ?? "100644";
      changes.set(path, { mode, type: "blob", sha: this.store.putBlob(content) });
    }
    const baseTree = parent ? this.treeOf(parent) : null;
    const tree = this.store.applyChanges(baseTree, changes);
    const date = options.date ?? this.now();
    const author = options.author ?? { name: "Sandbox", email: "sandbox@example.com" };
    let message = options.message ?? "Update files";
    // git ends commit messages with a newline; so do commits made here, like the seeds of a real repo.
    if (!message.endsWith("\n")) message += "\n";
    const sha = this.store.putCommit({
      tree,
      parents: parent ? [parent] : [],
      author: this.signature(author, date),
      committer: this.signature(options.committer ?? author, date),
      message,
    });
    this.setRef(repo, `refs/heads/${branch}`, sha, { force: true });
    return sha;
  }

  // ---- pull requests and issues

  private newIssue(repo: Repository, user: User, title: string, body: string | null): Issue {
    const now = this.isoNow();
    const issue: Issue = {
      id: this.newId(),
      repo,
      number: repo.nextNumber++,
      title,
      body,
      user,
      state: "open",
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      labels: [],
      association: undefined,
      pull: undefined,
    };
    repo.issues.set(issue.number, issue);
    return issue;
  }

  createIssue(repo: Repository, user: User, title: string, body: string | null = null): Issue {
    return this.newIssue(repo, user, title, body);
  }

  issue(repo: Repository, number: number): Issue | undefined {
    return repo.issues.get(number);
  }

  pull(repo: Repository, number: number): Issue | undefined {
    const issue = repo.issues.get(number);
    return issue?.pull ? issue : undefined;
  }

  requirePull(repo: Repository, number: number): Issue & { pull: PullRequest } {
    const issue = this.pull(repo, number);
    if (!issue) throw notFound();
    return issue as Issue & { pull: PullRequest };
  }

  /**
   * Opens a pull request from `head` (a branch of `headRepo`, default the same repository; `owner:branch`
   * also accepted) into `base`. Refuses like GitHub: unknown branches, no commits between them, or an open
   * pull request for the same head and base.
   */
  openPullRequest(
    repo: Repository,
    input: {
      head: string;
      base?: string;
      title: string;
      body?: string | null;
      user: User;
      draft?: boolean;
      headRepo?: Repository;
      maintainerCanModify?: boolean;
      association?: Association;
    },
  ): Issue & { pull: PullRequest } {
    let headRepo = input.headRepo ?? repo;
    let headRef = input.head;
    const colon = headRef.indexOf(":");
    if (colon >= 0) {
      const owner = headRef.slice(0, colon);
      headRef = headRef.slice(colon + 1);
      if (owner.toLowerCase() !== headRepo.owner.login.toLowerCase()) {
        const fork = [...this.repos.values()].find(
          (r) =>
            r.owner.login.toLowerCase() === owner.toLowerCase() &&
            (r === repo || r.parent === repo),
        );
        if (!fork)
          throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
        headRepo = fork;
      }
    }
    const baseRef = normalizeBranch(input.base ?? repo.defaultBranch);
    const headSha = this.branchSha(headRepo, headRef);
    const baseSha = this.branchSha(repo, baseRef);
    if (!headSha)
      throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
    if (!baseSha)
      throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
    for (const other of repo.issues.values()) {
      const p = other.pull;
      if (
        p &&
        other.state === "open" &&
        p.headRepo === headRepo &&
        p.headRef === headRef &&
        p.baseRef === baseRef
      )
        throw validationFailed([
          {
            resource: "PullRequest",
            code: "custom",
            message: `A pull request already exists for ${headRepo.owner.login}:${headRef}.`,
          },
        ]);
    }
    if (this.store.isAncestor(headSha, baseSha))
      throw validationFailed([
        {
          resource: "PullRequest",
          code: "custom",
          message: `No commits between ${baseRef} and ${headRef}`,
        },
      ]);
    const issue = this.newIssue(repo, input.user, input.title, input.body ?? null);
    issue.association = input.association;
    issue.pull = {
      id: this.newId(),
      headRepo,
      headRef,
      baseRef,
      headSha,
      baseSha,
      previousHeadSha: undefined,
      draft: input.draft ?? false,
      maintainerCanModify: input.maintainerCanModify ?? headRepo !== repo,
      merged: false,
      mergedAt: null,
      mergeCommitSha: null,
      mergedBy: null,
    };
    return issue as Issue & { pull: PullRequest };
  }

  /** The merge base the pull request's diff is taken from (GitHub's three-dot diff). */
  pullMergeBase(issue: Issue & { pull: PullRequest }): string {
    const pr = issue.pull;
    return this.store.mergeBase(pr.baseSha, pr.headSha) ?? pr.baseSha;
  }

  /** Changed files between two commits' trees (cached by the pair). */
  changedFiles(baseSha: string | undefined, headSha: string): FileChange[] {
    const key = `${baseSha ?? "-"}..${headSha}`;
    let files = this.diffCache.get(key);
    if (!files) {
      const baseTree = baseSha ? this.treeOf(baseSha) : null;
      files = diffTrees(this.store, baseTree, this.treeOf(headSha));
      if (this.diffCache.size > 500) this.diffCache.clear();
      this.diffCache.set(key, files);
    }
    return files;
  }

  pullFiles(issue: Issue & { pull: PullRequest }): FileChange[] {
    return this.changedFiles(this.pullMergeBase(issue), issue.pull.headSha);
  }

  pullCommits(issue: Issue & { pull: PullRequest }): string[] {
    return this.store.commitsBetween(issue.pull.baseSha, issue.pull.headSha);
  }

  /** File-level three-way merge of `head` into `base`; undefined on a conflict. */
  mergeTrees(baseSha: string, headSha: string): string | undefined {
    const mb = this.store.mergeBase(baseSha, headSha);
    const mbTree = mb ? this.treeOf(mb) : EMPTY_TREE_SHA;
    const baseTree = this.treeOf(baseSha);
    if (mb === baseSha) return this.treeOf(headSha);
    const changes = new Map<string, PathChange>();
    for (const ch of diffTreeEntries(this.store, mb ? mbTree : null, this.treeOf(headSha))) {
      const onBase = this.store.lookup(baseTree, ch.path);
      const atMb = mb ? this.store.lookup(mbTree, ch.path) : undefined;
      const theirs = ch.new;
      const sameAsMb = (onBase?.sha ?? null) === (atMb?.sha ?? null);
      const sameAsTheirs = (onBase?.sha ?? null) === (theirs?.sha ?? null);
      if (!sameAsMb && !sameAsTheirs) return undefined;
      changes.set(
        ch.path,
        theirs ? { mode: theirs.mode, type: theirs.type, sha: theirs.sha } : null,
      );
    }
    return this.store.applyChanges(baseTree, changes);
  }

  mergeable(issue: Issue & { pull: PullRequest }): boolean {
    return this.mergeTrees(issue.pull.baseSha, issue.pull.headSha) !== undefined;
  }

  /** Merges a pull request into its base branch (merge commit or squash) and closes it; returns the new SHA. */
  mergePull(
    issue: Issue & { pull: PullRequest },
    input: { user: User; method?: "merge" | "squash"; title?: string; message?: string },
  ): string {
    const pr = issue.pull;
    if (issue.state !== "open" || pr.merged)
      throw new ApiError(405, "Pull Request is not mergeable");
    const repo = issue.repo;
    const baseTip = this.branchSha(repo, pr.baseRef);
    if (!baseTip) throw new ApiError(405, "Base branch was deleted");
    const tree = this.mergeTrees(baseTip, pr.headSha);
    if (!tree) throw new ApiError(405, "Pull Request is not mergeable");
    const date = this.now();
    const who = this.signature({ name: input.user.name, email: input.user.email }, date);
    const method = input.method ?? "merge";
    const title =
      input.title ??
      (method === "squash"
        ? `${issue.title} (#${issue.number})`
        : `Merge pull request #${issue.number} from ${pr.headRepo.owner.login}/${pr.headRef}`);
    const message = input.message ?? (method === "squash" ? "" : issue.title);
    const sha = this.store.putCommit({
      tree,
      parents: method === "squash" ? [baseTip] : [baseTip, pr.headSha],
      author: who,
      committer: { ...who, name: "GitHub", email: "noreply@github.com" },
      message: message ? `${title}\n\n${message}` : title,
    });
    this.setRef(repo, `refs/heads/${pr.baseRef}`, sha);
    const now = this.isoNow();
    pr.merged = true;
    pr.mergedAt = now;
    pr.mergedBy = input.user;
    pr.mergeCommitSha = sha;
    pr.baseSha = baseTip;
    issue.state = "closed";
    issue.closedAt = now;
    issue.updatedAt = now;
    return sha;
  }

  setIssueState(issue: Issue, state: "open" | "closed"): void {
    if (issue.state === state) return;
    if (state === "open" && issue.pull) {
      if (issue.pull.merged) throw unprocessable("Cannot reopen a merged pull request");
      const head = this.branchSha(issue.pull.headRepo, issue.pull.headRef);
      if (!head) throw unprocessable("Cannot reopen: the head branch was deleted");
      if (head !== issue.pull.headSha) {
        issue.pull.previousHeadSha = issue.pull.headSha;
        issue.pull.headSha = head;
      }
      const base = this.branchSha(issue.repo, issue.pull.baseRef);
      if (base) issue.pull.baseSha = base;
    }
    issue.state = state;
    issue.closedAt = state === "closed" ? this.isoNow() : null;
    issue.updatedAt = this.isoNow();
  }

  // ---- comments

  addComment(
    repo: Repository,
    issueNumber: number,
    user: User,
    body: string,
    options: { association?: Association; viaApp?: App } = {},
  ): IssueComment {
    const issue = repo.issues.get(issueNumber);
    if (!issue) throw notFound();
    const now = this.isoNow();
    const comment: IssueComment = {
      id: this.newId(),
      repo,
      issueNumber,
      user,
      body,
      createdAt: now,
      updatedAt: now,
      association: options.association,
      viaApp: options.viaApp,
    };
    this.comments.set(comment.id, comment);
    issue.updatedAt = now;
    return comment;
  }

  commentsOn(repo: Repository, issueNumber: number): IssueComment[] {
    return [...this.comments.values()].filter(
      (c) => c.repo === repo && c.issueNumber === issueNumber,
    );
  }

  // ---- checks

  suiteFor(repo: Repository, headSha: string, app: App): CheckSuite {
    for (const s of this.checkSuites.values())
      if (s.repo === repo && s.headSha === headSha && s.app === app) return s;
    let headBranch: string | null = null;
    for (const [ref, sha] of repo.refs)
      if (sha === headSha && ref.startsWith("refs/heads/"))
        headBranch = ref.slice("refs/heads/".length);
    const now = this.isoNow();
    const suite: CheckSuite = {
      id: this.newId(),
      repo,
      headSha,
      headBranch,
      app,
      createdAt: now,
      updatedAt: now,
      rerequested: 0,
    };
    this.checkSuites.set(suite.id, suite);
    return suite;
  }

  /** Open pull requests of the same repository whose head is `sha` (what a check run's `pull_requests` lists). */
  pullsWithHead(repo: Repository, sha: string): Array<Issue & { pull: PullRequest }> {
    const out: Array<Issue & { pull: PullRequest }> = [];
    for (const issue of repo.issues.values())
      if (
        issue.pull &&
        issue.state === "open" &&
        issue.pull.headSha === sha &&
        issue.pull.headRepo === repo
      )
        out.push(issue as Issue & { pull: PullRequest });
    return out;
  }

  /** Applies a create/update body (already schema-checked) to a check run, with GitHub's own rules. */
  applyCheckRunBody(run: CheckRun, body: Record<string, unknown>): void {
    if (typeof body.name === "string") run.name = body.name;
    if (typeof body.details_url === "string") run.detailsUrl = body.details_url;
    if (typeof body.external_id === "string") run.externalId = body.external_id;
    if (typeof body.started_at === "string") run.startedAt = body.started_at;
    if (typeof body.status === "string") run.status = body.status;
    if (typeof body.conclusion === "string") {
      run.conclusion = body.conclusion;
      run.status = "completed";
    }
    if (typeof body.completed_at === "string") run.completedAt = body.completed_at;
    if (run.status === "completed") {
      if (!run.conclusion)
        throw validationFailed([
          { resource: "CheckRun", field: "conclusion", code: "missing_field" },
        ]);
      run.completedAt ??= this.isoNow();
    } else if (typeof body.status === "string") {
      run.conclusion = null;
      run.completedAt = null;
    }
    const output = body.output;
    if (output && typeof output === "object") {
      const o = output as Record<string, unknown>;
      if (typeof o.title === "string") run.output.title = o.title;
      if (typeof o.summary === "string") run.output.summary = o.summary;
      if (typeof o.text === "string") run.output.text = o.text;
      if (Array.isArray(o.annotations)) {
        if (o.annotations.length > 50)
          throw validationFailed([
            {
              resource: "CheckRun",
              field: "annotations",
              code: "custom",
              message: "Only 50 annotations per request",
            },
          ]);
        // Annotations accumulate across updates, as GitHub documents.
        run.output.annotations.push(...(o.annotations as Annotation[]));
      }
    }
    if (Array.isArray(body.actions)) run.actions = body.actions;
  }

  createCheckRun(repo: Repository, app: App, body: Record<string, unknown>): CheckRun {
    const headSha = String(body.head_sha ?? "");
    if (!isSha(headSha) || !this.store.commit(headSha))
      throw validationFailed([{ resource: "CheckRun", field: "head_sha", code: "invalid" }]);
    const suite = this.suiteFor(repo, headSha, app);
    const now = this.isoNow();
    const run: CheckRun = {
      id: this.newId(),
      repo,
      suiteId: suite.id,
      headSha,
      name: String(body.name ?? ""),
      status: "queued",
      conclusion: null,
      startedAt: now,
      completedAt: null,
      detailsUrl: null,
      externalId: null,
      output: { title: null, summary: null, text: null, annotations: [] },
      actions: [],
      app,
      createdAt: now,
      rerequested: 0,
    };
    this.applyCheckRunBody(run, body);
    this.checkRuns.set(run.id, run);
    suite.updatedAt = now;
    return run;
  }

  checkRunsFor(repo: Repository, sha: string): CheckRun[] {
    return [...this.checkRuns.values()].filter((r) => r.repo === repo && r.headSha === sha);
  }

  suiteStatus(suite: CheckSuite): { status: string; conclusion: string | null } {
    const runs = [...this.checkRuns.values()].filter((r) => r.suiteId === suite.id);
    if (runs.length === 0) return { status: "queued", conclusion: null };
    if (runs.some((r) => r.status !== "completed"))
      return { status: "in_progress", conclusion: null };
    const order = [
      "action_required",
      "cancelled",
      "timed_out",
      "failure",
      "neutral",
      "skipped",
      "success",
    ];
    let best = "success";
    for (const r of runs) {
      const c = r.conclusion ?? "success";
      if (order.indexOf(c) >= 0 && order.indexOf(c) < order.indexOf(best)) best = c;
    }
    if (best === "skipped" || best === "neutral")
      best = runs.every((r) => r.conclusion === best) ? best : "success";
    return { status: "completed", conclusion: best };
  }

  // ---- statuses

  addStatus(
    repo: Repository,
    sha: string,
    creator: User,
    body: {
      state: CommitStatus["state"];
      context?: string;
      description?: string | null;
      target_url?: string | null;
    },
  ): CommitStatus {
    if (!this.store.commit(sha)) throw unprocessable(`No commit found for SHA: ${sha}`);
    const now = this.isoNow();
    const status: CommitStatus = {
      id: this.newId(),
      sha,
      state: body.state,
      context: body.context ?? "default",
      description: body.description ?? null,
      targetUrl: body.target_url ?? null,
      creator,
      createdAt: now,
      updatedAt: now,
    };
    repo.statuses.push(status);
    return status;
  }

  /** The latest status per context for a commit, newest first, and GitHub's combined state. */
  combinedStatus(repo: Repository, sha: string): { state: string; statuses: CommitStatus[] } {
    const latest = new Map<string, CommitStatus>();
    for (const s of repo.statuses) if (s.sha === sha) latest.set(s.context, s);
    const statuses = [...latest.values()].reverse();
    let state = "success";
    if (statuses.length === 0) state = "pending";
    else if (statuses.some((s) => s.state === "error" || s.state === "failure")) state = "failure";
    else if (statuses.some((s) => s.state === "pending")) state = "pending";
    return { state, statuses };
  }

  // ---- Actions

  workflowId(repo: Repository, path: string): number {
    let id = repo.workflowIds.get(path);
    if (id === undefined) repo.workflowIds.set(path, (id = this.newId()));
    return id;
  }

  /**
   * Records a `workflow_dispatch` as GitHub would accept it: the workflow file must exist at the ref under
   * `.github/workflows/`, declare a `workflow_dispatch` trigger, and the inputs must match its declaration.
   */
  dispatchWorkflow(
    repo: Repository,
    workflow: string,
    input: { ref: string; inputs?: Record<string, unknown>; actor: User },
  ): WorkflowRun {
    let path: string | undefined;
    if (/^\d+$/.test(workflow)) {
      for (const [p, id] of repo.workflowIds) if (String(id) === workflow) path = p;
      if (!path) throw notFound();
    } else {
      path = workflow.startsWith(".github/workflows/") ? workflow : `.github/workflows/${workflow}`;
    }
    const sha = this.resolveCommit(repo, input.ref);
    if (!sha) throw unprocessable(`No ref found for: ${input.ref}`);
    const content = this.readFile(repo, sha, path);
    if (!content) throw unprocessable(`Workflow does not exist at ref ${input.ref}: ${path}`);
    let doc: unknown;
    try {
      doc = parseYaml(content.toString("utf8"));
    } catch {
      throw unprocessable(`Invalid workflow file: ${path}`);
    }
    const on = doc && typeof doc === "object" ? (doc as Record<string, unknown>).on : undefined;
    let declared: Record<string, unknown> | undefined;
    let hasTrigger = false;
    if (on === "workflow_dispatch") hasTrigger = true;
    else if (Array.isArray(on)) hasTrigger = on.includes("workflow_dispatch");
    else if (on && typeof on === "object" && "workflow_dispatch" in on) {
      hasTrigger = true;
      const wd = (on as Record<string, unknown>).workflow_dispatch;
      const inputs =
        wd && typeof wd === "object" ? (wd as Record<string, unknown>).inputs : undefined;
      if (inputs && typeof inputs === "object") declared = inputs as Record<string, unknown>;
    }
    if (!hasTrigger) throw unprocessable("Workflow does not have 'workflow_dispatch' trigger");
    const given = input.inputs ?? {};
    const unexpected = Object.keys(given).filter((k) => !declared || !(k in declared));
    if (unexpected.length > 0)
      throw unprocessable(`Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
    for (const [name, spec] of Object.entries(declared ?? {})) {
      const s = spec && typeof spec === "object" ? (spec as Record<string, unknown>) : {};
      if (s.required === true && s.default === undefined && given[name] === undefined)
        throw unprocessable(`Required input '${name}' not provided`);
    }
    const workflowId = this.workflowId(repo, path);
    const name =
      doc && typeof doc === "object" && typeof (doc as Record<string, unknown>).name === "string"
        ? ((doc as Record<string, unknown>).name as string)
        : path;
    const now = this.isoNow();
    const run: WorkflowRun = {
      id: this.newId(),
      repo,
      workflowId,
      workflowPath: path,
      name,
      headBranch: normalizeBranch(input.ref),
      headSha: sha,
      event: "workflow_dispatch",
      status: "queued",
      conclusion: null,
      runNumber:
        [...this.workflowRuns.values()].filter(
          (r) => r.repo === repo && r.workflowId === workflowId,
        ).length + 1,
      runAttempt: 1,
      inputs: given,
      actor: input.actor,
      createdAt: now,
      updatedAt: now,
    };
    this.workflowRuns.set(run.id, run);
    repo.workflowDispatches.push({
      workflowId,
      workflowPath: path,
      ref: input.ref,
      inputs: given,
      actor: input.actor.login,
      at: now,
      runId: run.id,
    });
    return run;
  }

  completeWorkflowRun(run: WorkflowRun, conclusion: string): void {
    run.status = "completed";
    run.conclusion = conclusion;
    run.updatedAt = this.isoNow();
  }

  environmentScope(repo: Repository, name: string): SecretScope {
    let scope = repo.environments.get(name);
    if (!scope) repo.environments.set(name, (scope = newSecretScope()));
    return scope;
  }
}

function publicKeyFromPrivate(pem: string): string {
  return createPublicKey(pem).export({ type: "spki", format: "pem" }).toString();
}
