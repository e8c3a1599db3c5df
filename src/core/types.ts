// Plain data shared by the core, the workflows and the shells: no I/O lives here.

/** One file of a change, as GitHub's pull request files listing (or `git diff`) describes it. */
export interface ChangedFile {
  path: string;
  /** Set for renames: the path at the base. */
  previousPath?: string;
  status: "added" | "modified" | "removed" | "renamed" | "copied" | "changed" | "unchanged";
  additions: number;
  deletions: number;
  /** Unified diff hunks; absent when GitHub omits it (large or binary files). */
  patch?: string;
  /** True when the file is known to be binary (git numstat `-`, or no patch and no text). */
  binary?: boolean;
}

export interface CommitInfo {
  sha: string;
  message: string;
  author: { name: string; email: string; login?: string };
  committer?: { name: string; email: string; login?: string };
  parents: number;
}

export interface PullRequestInfo {
  number: number;
  title: string;
  body: string;
  author: string;
  authorAssociation: string;
  draft: boolean;
  fromFork: boolean;
  maintainerCanModify: boolean;
  headRef: string;
  baseRef: string;
}

/** Which side of a change a file is read at. */
export type Side = "base" | "head";

/** A file a check needs the content of, at the base or at the head of the change. */
export interface FileRequest {
  side: Side;
  path: string;
}

/** Everything the checks may look at: one snapshot serves every check of an event. */
export interface ChangeSnapshot {
  repo: { owner: string; name: string; defaultBranch: string };
  base: { ref: string; sha: string };
  head: { ref: string; sha: string };
  files: ChangedFile[];
  /** True when the change has more files than the listing returns (GitHub stops at 3,000). */
  truncated: boolean;
  commits: CommitInfo[];
  pr?: PullRequestInfo;
  /** Every file path at the head (one recursive tree listing), for discovery of components and charts. */
  headPaths: string[];
  /** Every file path at the base, when known. */
  basePaths?: string[];
  /**
   * File contents read in one batch for what the checks asked for; keys are `side:path`.
   * `null` means the file does not exist at that side.
   */
  contents: Map<string, string | null>;
  /**
   * Tag names matching the policy's release tag prefix (one listing per event), when the
   * versions check is enabled; absent when they were not read.
   */
  releaseTags?: readonly string[];
  /**
   * What the shell knows about the sealed secrets file's keys and targets (I/O the pure check
   * cannot do); absent parts are not checked. See src/core/secrets-file.ts.
   */
  sealedSecrets?: {
    /** Key ids monobot can open (its current and previous sealing keys). */
    keyIds?: readonly string[];
    /** Target key (`owner/repo[@environment]`, lower-case) -> what GitHub said about it. */
    targets?: ReadonlyMap<string, SecretTargetStatus>;
    /** Targets (as written) left unchecked because the lookups of one event are bounded. */
    notChecked?: readonly string[];
  };
}

/** Whether a sealed secret's target repository exists, has monobot installed, and has the environment. */
export interface SecretTargetStatus {
  exists: boolean;
  installed: boolean;
  /** For `owner/repo@environment` targets: whether the environment exists (absent: unknown). */
  environment?: boolean;
  /** Why the target does not take sealed secrets from this repository (absent: it does, or unknown). */
  refusal?: string;
}

export function contentKey(side: Side, path: string): string {
  return `${side}:${path}`;
}

export type Conclusion =
  "success" | "failure" | "neutral" | "skipped" | "action_required" | "cancelled" | "timed_out";

export type AnnotationLevel = "notice" | "warning" | "failure";

/** An annotation in the Checks API's shape (snake_case as GitHub wants it). */
export interface Annotation {
  path: string;
  start_line: number;
  end_line: number;
  level: AnnotationLevel;
  message: string;
  title?: string;
}

export interface CheckResult {
  /** Full check name, e.g. `monobot/versions`. */
  name: string;
  conclusion: Conclusion;
  /** One line shown next to the check's name. */
  title: string;
  /** Markdown summary shown on the check's page. */
  summary: string;
  annotations: Annotation[];
  /** Optional longer Markdown text. */
  text?: string;
}

/** A component of the monorepo: a folder with a VERSION file. */
export interface Component {
  name: string;
  /** Folder, relative to the repository root, without trailing slash ("" is the root). */
  path: string;
  /** Path of the VERSION file. */
  versionFile: string;
  image?: string;
  /** Chart folder(s) in the config repo (a list when several charts deploy the image). */
  chart?: string | string[];
  dependsOn: string[];
}

export interface AffectedComponent {
  component: Component;
  /** Changed paths that lie under this component (its own files, nested components excluded). */
  files: string[];
  /** Own files changed, excluding the policy's ignore globs. */
  ownChange: boolean;
  /** Affected only through `depends_on`: the chain of dependencies that made it so. */
  via?: string[];
}

export interface ComponentsReport {
  components: Component[];
  affected: AffectedComponent[];
  /** Changed paths outside every component. */
  outside: string[];
  /** Problems found while discovering components (duplicate names, cycles, unknown names). */
  errors: string[];
}
