// GitHub Actions backends: workflow_dispatch of a workflow file, and repository_dispatch events.
//
// A dispatched workflow reports back through the `workflow_run` event; it needs the run id as its
// run name. For workflow_dispatch:
//
//   on:
//     workflow_dispatch:
//       inputs:
//         monobot_run_id: { type: string, required: false }
//         component: { type: string }          # ...and the template's other inputs
//   run-name: ${{ inputs.monobot_run_id }}
//
// For repository_dispatch: `run-name: ${{ github.event.client_payload.monobot_run_id }}`; the
// template's inputs arrive as `github.event.client_payload.inputs`.
import type { PlannedRun, ResolvedBackend } from "../core/jobs.js";
import {
  CiDispatchError,
  runLabel,
  statusDescription,
  type BackendDeps,
  type CiBackend,
  type DispatchResult,
} from "./backend.js";

type WorkflowSpec = Extract<ResolvedBackend, { type: "github-actions" }>;
type RepositoryDispatchSpec = Extract<ResolvedBackend, { type: "repository-dispatch" }>;

/** GitHub's limit on a repository_dispatch payload. */
const MAX_CLIENT_PAYLOAD_BYTES = 64 * 1024;

interface Answer {
  status: number;
  data: unknown;
}

/** Octokit throws on 4xx/5xx with `status` and `response.data`; a plain requester may return them. */
async function call(
  deps: BackendDeps,
  run: PlannedRun,
  route: string,
  params: Record<string, unknown>,
): Promise<Answer> {
  try {
    return await deps.github.request(route, params);
  } catch (e) {
    const status = (e as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400) {
      return { status, data: (e as { response?: { data?: unknown } }).response?.data };
    }
    // Not an HTTP answer: the message may come from anywhere, so only its kind is shown.
    throw new CiDispatchError(
      `${runLabel(run)}: could not reach the GitHub API (${(e as Error).name})`,
      {
        retryable: true,
      },
    );
  }
}

/** GitHub's own error text (`message`, and validation `errors`), bounded; it never holds secrets. */
function gitHubMessage(data: unknown): string {
  if (typeof data !== "object" || data === null) return "";
  const d = data as { message?: unknown; errors?: unknown };
  const parts: string[] = [];
  if (typeof d.message === "string") parts.push(d.message);
  if (Array.isArray(d.errors)) {
    for (const e of d.errors.slice(0, 3)) {
      if (typeof e === "string") parts.push(e);
      else if (
        typeof e === "object" &&
        e !== null &&
        typeof (e as { message?: unknown }).message === "string"
      ) {
        parts.push((e as { message: string }).message);
      }
    }
  }
  return parts.join("; ").slice(0, 300);
}

function retryableStatus(status: number, message: string): boolean {
  return status >= 500 || status === 429 || (status === 403 && /rate limit/i.test(message));
}

function commonFailure(run: PlannedRun, answer: Answer, what: string, permission: string): never {
  const message = gitHubMessage(answer.data);
  const said = message ? `: ${message}` : "";
  if (retryableStatus(answer.status, message)) {
    throw new CiDispatchError(
      `${runLabel(run)}: GitHub could not ${what} right now (${answer.status}${said}); try again with /retest`,
      { retryable: true, status: answer.status },
    );
  }
  if (answer.status === 403 || answer.status === 401) {
    throw new CiDispatchError(
      `${runLabel(run)}: GitHub did not let monobot ${what} (${answer.status}${said}); the GitHub App needs the ${permission} permission on this repository`,
      { status: answer.status },
    );
  }
  throw new CiDispatchError(
    `${runLabel(run)}: GitHub refused to ${what} (${answer.status}${said})`,
    {
      status: answer.status,
    },
  );
}

export class GitHubActionsBackend implements CiBackend {
  constructor(
    private readonly spec: WorkflowSpec,
    private readonly deps: BackendDeps,
  ) {}

  async dispatch(run: PlannedRun): Promise<DispatchResult> {
    const { spec, deps } = this;
    const key = `jobs.templates.${run.job}.backend`;
    const what = `start workflow ${spec.workflow} on ${spec.ref}`;
    const answer = await call(
      deps,
      run,
      "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      {
        owner: deps.owner,
        repo: deps.repo,
        workflow_id: spec.workflow,
        ref: spec.ref,
        inputs: run.inputs,
        ...(spec.return_run_details ? { return_run_details: true } : {}),
      },
    );
    const server = (deps.serverUrl ?? "https://github.com").replace(/\/+$/, "");
    if (answer.status === 204 || answer.status === 200) {
      const html = (answer.data as { html_url?: unknown } | undefined)?.html_url;
      const url =
        typeof html === "string" && /^https?:\/\//.test(html)
          ? html
          : /^[1-9][0-9]*$/.test(spec.workflow)
            ? `${server}/${deps.owner}/${deps.repo}/actions`
            : `${server}/${deps.owner}/${deps.repo}/actions/workflows/${encodeURIComponent(spec.workflow)}`;
      return {
        url,
        description: statusDescription(
          `started in GitHub Actions (${spec.workflow} on ${spec.ref})`,
        ),
      };
    }
    const message = gitHubMessage(answer.data);
    if (answer.status === 404) {
      throw new CiDispatchError(
        `${runLabel(run)}: GitHub found no workflow ${spec.workflow} in ${deps.owner}/${deps.repo} (404); ` +
          `add .github/workflows/${spec.workflow} on ${spec.ref} or correct ${key}.workflow`,
        { status: 404 },
      );
    }
    if (answer.status === 422) {
      let fix: string;
      if (/workflow_dispatch/i.test(message)) {
        fix = "add `on: workflow_dispatch` (with its inputs) to the workflow";
      } else if (/unexpected inputs/i.test(message)) {
        fix = `declare every input under on.workflow_dispatch.inputs, including monobot_run_id, and set run-name: \${{ inputs.monobot_run_id }}`;
      } else if (/ref/i.test(message)) {
        fix = `set ${key}.ref to a branch or tag that has the workflow`;
      } else {
        fix = `check the workflow's on.workflow_dispatch.inputs against ${`jobs.templates.${run.job}.inputs`}`;
      }
      throw new CiDispatchError(
        `${runLabel(run)}: GitHub refused to ${what} (422${message ? `: ${message}` : ""}); ${fix}`,
        { status: 422 },
      );
    }
    return commonFailure(run, answer, what, "Actions: write");
  }
}

export class RepositoryDispatchBackend implements CiBackend {
  constructor(
    private readonly spec: RepositoryDispatchSpec,
    private readonly deps: BackendDeps,
  ) {}

  async dispatch(run: PlannedRun): Promise<DispatchResult> {
    const { spec, deps } = this;
    const what = `send repository_dispatch event ${spec.event_type}`;
    if (spec.event_type.length > 100) {
      throw new CiDispatchError(
        `${runLabel(run)}: the event type is ${spec.event_type.length} characters after expansion; GitHub accepts at most 100 (jobs.templates.${run.job}.backend.event_type)`,
      );
    }
    // At most 10 top-level keys (GitHub's limit): the template's inputs travel as one of them.
    const clientPayload: Record<string, unknown> = {
      monobot_run_id: run.runId,
      job: run.job,
      component: run.component,
      sha: run.sha,
      ref: run.ref,
      inputs: run.inputs,
    };
    if (run.pr !== undefined) clientPayload.pr = run.pr;
    if (run.version !== undefined) clientPayload.version = run.version;
    if (Buffer.byteLength(JSON.stringify(clientPayload)) >= MAX_CLIENT_PAYLOAD_BYTES) {
      throw new CiDispatchError(
        `${runLabel(run)}: the inputs make a repository_dispatch payload over GitHub's 64 KB limit; shorten jobs.templates.${run.job}.inputs`,
      );
    }
    const answer = await call(deps, run, "POST /repos/{owner}/{repo}/dispatches", {
      owner: deps.owner,
      repo: deps.repo,
      event_type: spec.event_type,
      client_payload: clientPayload,
    });
    if (answer.status === 204 || answer.status === 200) {
      const server = (deps.serverUrl ?? "https://github.com").replace(/\/+$/, "");
      return {
        url: `${server}/${deps.owner}/${deps.repo}/actions`,
        description: statusDescription(
          `sent to GitHub Actions (repository_dispatch ${spec.event_type})`,
        ),
      };
    }
    if (answer.status === 404) {
      throw new CiDispatchError(
        `${runLabel(run)}: GitHub answered 404 to repository_dispatch on ${deps.owner}/${deps.repo}; the GitHub App needs the Contents: write permission on it`,
        { status: 404 },
      );
    }
    return commonFailure(run, answer, what, "Contents: write");
  }
}
