// The forge port: the narrow interfaces through which workflows read a change and report on it.
import type { DeploymentRecord, DeploymentState } from "../core/env-record.js";
import type { ChangedFile, CommitInfo, Conclusion, Annotation } from "../core/types.js";

/** A file at a commit: the unit of a batched content read. */
export interface FileAt {
  sha: string;
  path: string;
}

export function fileAtKey(f: FileAt): string {
  return `${f.sha}:${f.path}`;
}

/** Reads a change: implemented over GitHub's API (the bot) and over a local git checkout (the CLI). */
export interface ChangeReader {
  /** Changed files between base and head, patches included; GitHub's listing stops at 3,000. */
  changedFiles(): Promise<{ files: ChangedFile[]; truncated: boolean }>;
  /** Commits of the change, oldest first. */
  commits(): Promise<CommitInfo[]>;
  /** Every file path at a commit. */
  paths(sha: string): Promise<string[]>;
  /** Many files at several commits in one batch; `null` for a file that does not exist. */
  readFiles(files: readonly FileAt[]): Promise<Map<string, string | null>>;
  /** Tag names starting with `prefix` (one listing). */
  tags(prefix: string): Promise<string[]>;
}

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
  annotations?: Annotation[];
}

export interface CheckRunRecord {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  externalId?: string | null;
}

export interface CommentRecord {
  id: number;
  body: string;
  author: string;
}

/** What the PR workflows write back to the code host. */
export interface ReportWriter {
  createCheckRun(input: {
    name: string;
    headSha: string;
    status: "queued" | "in_progress" | "completed";
    conclusion?: Conclusion;
    output?: CheckRunOutput;
    externalId?: string;
    detailsUrl?: string;
  }): Promise<number>;
  updateCheckRun(
    id: number,
    input: {
      status?: "queued" | "in_progress" | "completed";
      conclusion?: Conclusion;
      output?: CheckRunOutput;
    },
  ): Promise<void>;
  listCheckRuns(headSha: string): Promise<CheckRunRecord[]>;
  /** Comments of an issue or PR, oldest first. */
  listComments(issue: number): Promise<CommentRecord[]>;
  createComment(issue: number, body: string): Promise<number>;
  updateComment(id: number, body: string): Promise<void>;
  deleteComment(id: number): Promise<void>;
  /** The user's permission on the repository, or null when they are not a collaborator. */
  permission(user: string): Promise<string | null>;
}

export type StatusState = "success" | "failure" | "error" | "pending";

export interface CommitStatus {
  context: string;
  state: StatusState;
  targetUrl?: string | null;
  description?: string | null;
}

/** Commit statuses: where CI jobs report as `ci/{component}/{job}`. */
export interface StatusPort {
  /** The latest status of each context on a commit. */
  statuses(sha: string): Promise<CommitStatus[]>;
  setStatus(sha: string, status: CommitStatus): Promise<void>;
}

// The deployment record is plain data the core's rules read, so its type lives in the core.
export type { DeploymentRecord, DeploymentState } from "../core/env-record.js";

/** GitHub Deployments of one repository (the config repo): records, holds and verdicts. */
export interface DeploymentPort {
  /** Newest first, each with its latest status; at most `limit` (default 20, capped at 100). */
  listDeployments(q: {
    environment?: string;
    task?: string;
    sha?: string;
    limit?: number;
  }): Promise<DeploymentRecord[]>;
  /** Creates a deployment with `auto_merge: false` and `required_contexts: []`. */
  createDeployment(d: {
    ref: string;
    environment: string;
    task?: string;
    payload: Record<string, unknown>;
    description?: string;
    productionEnvironment?: boolean;
    transientEnvironment?: boolean;
  }): Promise<DeploymentRecord>;
  setDeploymentStatus(
    id: number,
    s: { state: DeploymentState; description?: string; logUrl?: string; environmentUrl?: string },
  ): Promise<void>;
}
