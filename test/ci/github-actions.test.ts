import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CiDispatchError, type BackendDeps } from "../../src/ci/backend.js";
import { createBackend, dispatchRun } from "../../src/ci/dispatch.js";
import { RUN_ID_INPUT } from "../../src/core/job-templates.js";
import type { PlannedRun, ResolvedBackend } from "../../src/core/jobs.js";
import { decodeRunId, encodeRunId } from "../../src/core/run-id.js";

const API = "https://api.github.com";
const SHA = "0123456789abcdef0123456789abcdef01234567";
const INSTALLATION_TOKEN = "ghs_installationTokenThatMustNotLeak000";

// Octokit as the app uses it, without retries or throttling (they would hide the answers).
const Octokit = ProbotOctokit.defaults((o: Record<string, unknown> | undefined) => ({
  ...o,
  throttle: { enabled: false },
  retry: { enabled: false },
}));

function deps(): BackendDeps {
  const octokit = new Octokit({ auth: { token: INSTALLATION_TOKEN } });
  return {
    github: { request: (route, params) => octokit.request(route, params) },
    owner: "acme",
    repo: "mono",
    env: {},
  };
}

function run(backend: ResolvedBackend, extra: Partial<PlannedRun> = {}): PlannedRun {
  const runId = encodeRunId({
    owner: "acme",
    repo: "mono",
    sha: SHA,
    component: "roc-api",
    job: "verify",
    pr: 7,
  });
  return {
    job: "verify",
    component: "roc-api",
    trigger: "pull_request",
    statusContext: "ci/roc-api/verify",
    backend,
    inputs: { component: "roc-api", sha: SHA, [RUN_ID_INPUT]: runId },
    runId,
    owner: "acme",
    repo: "mono",
    sha: SHA,
    ref: "feature/x",
    pr: 7,
    timeoutMinutes: 120,
    ...extra,
  };
}

const workflow: ResolvedBackend = {
  type: "github-actions",
  workflow: "ci.yml",
  ref: "main",
  return_run_details: false,
};
const dispatchPath = "/repos/acme/mono/actions/workflows/ci.yml/dispatches";

beforeEach(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** What `promise` rejects with, checked to be a CiDispatchError without the installation token. */
async function failure(promise: Promise<unknown>): Promise<CiDispatchError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the dispatch to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CiDispatchError);
  expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain(
    INSTALLATION_TOKEN,
  );
  return error as CiDispatchError;
}

describe("workflow_dispatch", () => {
  it("POSTs ref and string inputs with the run id, and links the workflow on 204", async () => {
    let sent: unknown;
    const scope = nock(API)
      .post(dispatchPath, (body: unknown) => {
        sent = body;
        return true;
      })
      .matchHeader("authorization", `token ${INSTALLATION_TOKEN}`)
      .reply(204);
    const r = run(workflow);
    const result = await dispatchRun(r, deps());
    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({ ref: "main", inputs: r.inputs });
    const inputs = (sent as { inputs: Record<string, unknown> }).inputs;
    expect(Object.values(inputs).every((v) => typeof v === "string")).toBe(true);
    expect(decodeRunId(inputs[RUN_ID_INPUT] as string)?.component).toBe("roc-api");
    expect(result).toEqual({
      url: "https://github.com/acme/mono/actions/workflows/ci.yml",
      description: "started in GitHub Actions (ci.yml on main)",
    });
  });

  it("asks for the run's details when configured and links the run itself (200)", async () => {
    const scope = nock(API)
      .post(
        dispatchPath,
        (body: { return_run_details?: boolean }) => body.return_run_details === true,
      )
      .reply(200, {
        workflow_run_id: 1,
        run_url: "https://api.github.com/repos/acme/mono/actions/runs/1",
        html_url: "https://github.com/acme/mono/actions/runs/1",
      });
    const result = await dispatchRun(run({ ...workflow, return_run_details: true }), deps());
    expect(scope.isDone()).toBe(true);
    expect(result.url).toBe("https://github.com/acme/mono/actions/runs/1");
  });

  it("links the Actions tab of a GHES host for a numeric workflow id", async () => {
    nock(API).post("/repos/acme/mono/actions/workflows/161335/dispatches").reply(204);
    const result = await createBackend(
      { ...workflow, workflow: "161335" },
      { ...deps(), serverUrl: "https://ghe.example.com/" },
    ).dispatch(run({ ...workflow, workflow: "161335" }));
    expect(result.url).toBe("https://ghe.example.com/acme/mono/actions");
  });

  it.each([
    {
      name: "404: the workflow does not exist",
      status: 404,
      body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
      message:
        /^CI job verify for roc-api: GitHub found no workflow ci\.yml in acme\/mono \(404\); add \.github\/workflows\/ci\.yml on main or correct jobs\.templates\.verify\.backend\.workflow$/,
      retryable: false,
    },
    {
      name: "422: inputs the workflow does not declare",
      status: 422,
      body: { message: 'Unexpected inputs provided: ["monobot_run_id"]' },
      message:
        /422: Unexpected inputs provided: \["monobot_run_id"\]\); declare every input under on\.workflow_dispatch\.inputs, including monobot_run_id, and set run-name: \$\{\{ inputs\.monobot_run_id \}\}/,
      retryable: false,
    },
    {
      name: "422: no workflow_dispatch trigger",
      status: 422,
      body: { message: "Workflow does not have 'workflow_dispatch' trigger" },
      message: /add `on: workflow_dispatch` \(with its inputs\) to the workflow/,
      retryable: false,
    },
    {
      name: "422: an unknown ref",
      status: 422,
      body: { message: "No ref found for: main" },
      message: /set jobs\.templates\.verify\.backend\.ref to a branch or tag that has the workflow/,
      retryable: false,
    },
    {
      name: "403: the app lacks the permission",
      status: 403,
      body: { message: "Resource not accessible by integration" },
      message:
        /did not let monobot start workflow ci\.yml on main \(403: Resource not accessible by integration\); the GitHub App needs the Actions: write permission/,
      retryable: false,
    },
    {
      name: "500: GitHub is down",
      status: 500,
      body: { message: "Server Error" },
      message:
        /GitHub could not start workflow ci\.yml on main right now \(500: Server Error\); try again with \/retest/,
      retryable: true,
    },
  ])("$name", async ({ status, body, message, retryable }) => {
    nock(API).post(dispatchPath).reply(status, body);
    const error = await failure(dispatchRun(run(workflow), deps()));
    expect(error.message).toMatch(message);
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(retryable);
  });

  it("a network failure is retryable and shows nothing of the underlying error", async () => {
    nock(API)
      .post(dispatchPath)
      .replyWithError({ code: "ECONNRESET", message: `socket hang up ${INSTALLATION_TOKEN}` });
    const error = await failure(dispatchRun(run(workflow), deps()));
    expect(error.retryable).toBe(true);
    // Octokit reports network failures as status 500.
    expect(error.message).toMatch(
      /GitHub could not start workflow ci\.yml on main right now .*try again/,
    );
    expect(error.message).not.toMatch(/socket hang up/);
  });

  it("works with a requester that returns error statuses instead of throwing", async () => {
    const error = await failure(
      createBackend(workflow, {
        ...deps(),
        github: { request: async () => ({ status: 404, data: {} }) },
      }).dispatch(run(workflow)),
    );
    expect(error.status).toBe(404);
  });
});

describe("repository_dispatch", () => {
  const event: ResolvedBackend = { type: "repository-dispatch", event_type: "verify-roc-api" };

  it("POSTs the event type and a client_payload with the run id, within GitHub's 10 top-level keys", async () => {
    let sent: { event_type?: string; client_payload?: Record<string, unknown> } = {};
    const scope = nock(API)
      .post("/repos/acme/mono/dispatches", (body: typeof sent) => {
        sent = body;
        return true;
      })
      .reply(204);
    const r = run(event, { version: "1.4.0" });
    const result = await dispatchRun(r, deps());
    expect(scope.isDone()).toBe(true);
    expect(sent).toEqual({
      event_type: "verify-roc-api",
      client_payload: {
        monobot_run_id: r.runId,
        job: "verify",
        component: "roc-api",
        sha: SHA,
        ref: "feature/x",
        pr: 7,
        version: "1.4.0",
        inputs: r.inputs,
      },
    });
    expect(Object.keys(sent.client_payload ?? {}).length).toBeLessThanOrEqual(10);
    expect(result).toEqual({
      url: "https://github.com/acme/mono/actions",
      description: "sent to GitHub Actions (repository_dispatch verify-roc-api)",
    });
  });

  it.each([
    { status: 404, message: /needs the Contents: write permission/ },
    {
      status: 422,
      message:
        /GitHub refused to send repository_dispatch event verify-roc-api \(422: Invalid request/,
    },
  ])("explains a $status", async ({ status, message }) => {
    nock(API).post("/repos/acme/mono/dispatches").reply(status, {
      message: "Invalid request.\n\nFor 'properties/client_payload', nil is not an object.",
    });
    const error = await failure(dispatchRun(run(event), deps()));
    expect(error.message).toMatch(message);
  });

  it("refuses an event type over 100 characters before calling GitHub", async () => {
    const error = await failure(
      dispatchRun(run({ type: "repository-dispatch", event_type: "e".repeat(101) }), deps()),
    );
    expect(error.message).toMatch(/GitHub accepts at most 100/);
  });
});
