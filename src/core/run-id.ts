// Correlation ids of CI runs: everything monobot needs to post a run's result, carried by the run itself.
//
// monobot keeps no state between events, so the id it passes to a CI job (the `monobot_run_id`
// input, Jenkins parameter or webhook field) holds the repository, commit, component, job and pull
// request the result belongs to. A GitHub Actions workflow puts it in its run name with one line,
//
//   run-name: ${{ inputs.monobot_run_id }}
//
// (for repository_dispatch: `${{ github.event.client_payload.monobot_run_id }}`), and the
// `workflow_run` event then brings it back in `display_title`.

/** What a run id carries. */
export interface RunIdFields {
  owner: string;
  repo: string;
  /** Full commit SHA the job's status is posted on (40 hex digits, or 64 in SHA-256 repositories). */
  sha: string;
  component: string;
  job: string;
  pr?: number;
  /** The environment a `deployed` job verifies (its result settles that environment's Deployment). */
  environment?: string;
}

/** The marker that starts the machine-readable part of a run id. */
export const RUN_ID_MARKER = "monobot:";

const VERSION = 1;
/** Longest run-id text looked at; anything longer is not one of ours. */
const MAX_TEXT_LENGTH = 2048;
/** Longest encoded token (the fields' own limits keep real ids well below this). */
const MAX_TOKEN_LENGTH = 720;
const TOKEN = /(?:^|\s)monobot:([A-Za-z0-9_-]+)(?=\s|$)/g;

const OWNER = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const REPO = /^[A-Za-z0-9_.-]{1,100}$/;
const SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
/** Job names as the policy schema allows them. */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const PR = /^[1-9][0-9]{0,9}$/;
const ENVIRONMENT = /^[A-Za-z0-9._-]{1,100}$/;
// Component names come from folder names: anything printable, bounded.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function validFields(f: RunIdFields): boolean {
  return (
    OWNER.test(f.owner) &&
    REPO.test(f.repo) &&
    SHA.test(f.sha) &&
    f.component.length > 0 &&
    f.component.length <= 200 &&
    !CONTROL.test(f.component) &&
    JOB_NAME.test(f.job) &&
    (f.pr === undefined || (Number.isSafeInteger(f.pr) && f.pr > 0 && f.pr < 1e10)) &&
    (f.environment === undefined || ENVIRONMENT.test(f.environment))
  );
}

/** The machine-readable token: version, raw SHA bytes, then the text fields NUL-separated. */
function encodeToken(f: RunIdFields): string {
  const sha = Buffer.from(f.sha, "hex");
  const text = Buffer.from(
    // An environment is a sixth field, only when set, so the ids of other runs stay as they were.
    [
      f.owner,
      f.repo,
      f.component,
      f.job,
      f.pr === undefined ? "" : String(f.pr),
      ...(f.environment === undefined ? [] : [f.environment]),
    ].join("\0"),
    "utf8",
  );
  return Buffer.concat([Buffer.from([VERSION, sha.length]), sha, text]).toString("base64url");
}

/** A readable prefix for people looking at the run list; never parsed back. */
function label(f: RunIdFields): string {
  const name = `${f.component}/${f.job}`.replace(/[^A-Za-z0-9._/-]/g, "-").slice(0, 80);
  return `${name} ${f.sha.slice(0, 7)}${f.pr === undefined ? "" : ` #${f.pr}`}`;
}

/**
 * The run id for a job run: a short readable label, then `monobot:<token>`. It is printable ASCII
 * without quotes or `$`, so it survives a GitHub Actions `run-name`, a Jenkins parameter and JSON.
 * Throws on fields no run id can carry (they come from a validated policy and GitHub, so this is a bug).
 */
export function encodeRunId(fields: RunIdFields): string {
  const f: RunIdFields = { ...fields, sha: fields.sha.toLowerCase() };
  if (!validFields(f)) {
    throw new Error(
      `cannot make a run id for job "${fields.job}" of component "${fields.component}": a field is empty, too long or malformed`,
    );
  }
  return `${label(f)} ${RUN_ID_MARKER}${encodeToken(f)}`;
}

function decodeToken(token: string): RunIdFields | null {
  if (token.length > MAX_TOKEN_LENGTH) return null;
  const bytes = Buffer.from(token, "base64url");
  if (bytes.length < 2 || bytes[0] !== VERSION) return null;
  const shaLength = bytes[1];
  if (shaLength !== 20 && shaLength !== 32) return null;
  if (bytes.length < 2 + shaLength) return null;
  const sha = bytes.subarray(2, 2 + shaLength).toString("hex");
  const text = bytes.subarray(2 + shaLength);
  const decoded = new TextDecoder("utf-8", { fatal: true });
  let parts: string[];
  try {
    parts = decoded.decode(text).split("\0");
  } catch {
    return null;
  }
  if (parts.length !== 5 && parts.length !== 6) return null;
  const [owner, repo, component, job, pr, environment] = parts as [
    string,
    string,
    string,
    string,
    string,
    string | undefined,
  ];
  if (pr !== "" && !PR.test(pr)) return null;
  const fields: RunIdFields = { owner, repo, sha, component, job };
  if (pr !== "") fields.pr = Number(pr);
  if (environment !== undefined) fields.environment = environment;
  if (!validFields(fields)) return null;
  // Only the canonical encoding is accepted, so one run has exactly one id.
  if (encodeToken(fields) !== token) return null;
  return fields;
}

/**
 * The fields of the one run id in `text` (a run id, a workflow run's title, a Jenkins parameter),
 * or null when there is none, more than one, or it is malformed.
 */
export function decodeRunId(text: string | null | undefined): RunIdFields | null {
  if (typeof text !== "string" || text.length > MAX_TEXT_LENGTH) return null;
  const tokens = new Set<string>();
  for (const m of text.matchAll(TOKEN)) tokens.add(m[1] as string);
  if (tokens.size !== 1) return null;
  return decodeToken([...tokens][0] as string);
}

/** The parts of a `workflow_run` webhook payload the correlation reads. */
export interface WorkflowRunLike {
  display_title?: string | null;
  event?: string;
  status?: string | null;
  conclusion?: string | null;
  html_url?: string;
  repository?: { full_name?: string };
  head_repository?: { full_name?: string } | null;
}

/** Events whose runs only people with write access (or monobot) can start. */
const DISPATCH_EVENTS = new Set(["workflow_dispatch", "repository_dispatch"]);

/**
 * The run id a workflow run carries in its title (`run-name`), or null. Only runs started by
 * `workflow_dispatch` or `repository_dispatch` in the repository itself count: a pull request's own
 * workflow could otherwise set a forged id as its title and report success for another job.
 */
export function runIdFromWorkflowRun(run: WorkflowRunLike): RunIdFields | null {
  if (!run.event || !DISPATCH_EVENTS.has(run.event)) return null;
  const fields = decodeRunId(run.display_title);
  if (!fields) return null;
  const full = `${fields.owner}/${fields.repo}`.toLowerCase();
  if (run.repository?.full_name?.toLowerCase() !== full) return null;
  const head = run.head_repository?.full_name;
  if (head !== undefined && head.toLowerCase() !== full) return null;
  return fields;
}

export type StatusState = "success" | "failure" | "error" | "pending";

/** A commit status for a run: state, the one-line description, and the link. */
export interface RunStatus {
  state: StatusState;
  description: string;
  targetUrl?: string;
}

/** The commit status a workflow run's conclusion maps to. */
export function workflowRunStatus(run: WorkflowRunLike): RunStatus {
  const [state, description] = conclusionStatus(run.status ?? null, run.conclusion ?? null);
  const status: RunStatus = { state, description };
  if (run.html_url) status.targetUrl = run.html_url;
  return status;
}

function conclusionStatus(status: string | null, conclusion: string | null): [StatusState, string] {
  if (status !== "completed" || conclusion === null) {
    return ["pending", "GitHub Actions run in progress"];
  }
  switch (conclusion) {
    case "success":
      return ["success", "GitHub Actions run succeeded"];
    case "neutral":
      return ["success", "GitHub Actions run finished neutral"];
    case "failure":
      return ["failure", "GitHub Actions run failed"];
    case "timed_out":
      return ["failure", "GitHub Actions run timed out"];
    case "startup_failure":
      return ["failure", "GitHub Actions run could not start: check the workflow file"];
    case "cancelled":
      return ["error", "GitHub Actions run was cancelled: comment /retest to run it again"];
    case "skipped":
      return ["error", "GitHub Actions run was skipped: its jobs' conditions did not match"];
    case "stale":
      return ["error", "GitHub Actions run went stale: comment /retest to run it again"];
    case "action_required":
      return ["error", "GitHub Actions run needs approval in the Actions tab"];
    default:
      return ["error", `GitHub Actions run ended "${conclusion.slice(0, 40)}"`];
  }
}

/** The fields and the status of a completed (or requested) `workflow_run` event, or null when it is not monobot's. */
export function correlateWorkflowRun(
  run: WorkflowRunLike,
): { run: RunIdFields; status: RunStatus } | null {
  const fields = runIdFromWorkflowRun(run);
  if (!fields) return null;
  return { run: fields, status: workflowRunStatus(run) };
}
