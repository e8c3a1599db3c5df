import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CiDispatchError, type BackendDeps } from "../../src/ci/backend.js";
import { dispatchRun } from "../../src/ci/dispatch.js";
import { parseCallback, SIGNATURE_HEADER, verifyCallback } from "../../src/ci/callback.js";
import { webhookBody } from "../../src/ci/webhook.js";
import { RUN_ID_INPUT } from "../../src/core/job-templates.js";
import type { PlannedRun, ResolvedBackend } from "../../src/core/jobs.js";
import { encodeRunId } from "../../src/core/run-id.js";

const HOOKS = "https://hooks.example.com";
const SECRET = "hook-secret-do-not-print-7f3a";
const SHA = "0123456789abcdef0123456789abcdef01234567";

const spec: ResolvedBackend = { type: "webhook", url: `${HOOKS}/ci/run`, secret: "HOOK" };
const env = { MONOBOT_CI_HOOK_SECRET: SECRET, MONOBOT_CI_HOOK_URL: `${HOOKS}/ci` };

function run(backend: ResolvedBackend = spec): PlannedRun {
  const runId = encodeRunId({
    owner: "acme",
    repo: "mono",
    sha: SHA,
    component: "roc-api",
    job: "nightly",
  });
  return {
    job: "nightly",
    component: "roc-api",
    trigger: "schedule",
    statusContext: "ci/roc-api/nightly",
    backend,
    inputs: { suite: "integration", [RUN_ID_INPUT]: runId },
    runId,
    owner: "acme",
    repo: "mono",
    sha: SHA,
    ref: "main",
    version: "1.4.0",
    timeoutMinutes: 120,
  };
}

function deps(extra: Partial<BackendDeps> = {}): BackendDeps {
  return {
    github: { request: () => Promise.reject(new Error("not used")) },
    owner: "acme",
    repo: "mono",
    env,
    callbackUrl: "https://monobot.example.com/api/ci/callback",
    ...extra,
  };
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function failure(promise: Promise<unknown>): Promise<CiDispatchError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the dispatch to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CiDispatchError);
  expect(
    JSON.stringify({
      ...(error as object),
      m: (error as Error).message,
      s: (error as Error).stack,
    }),
  ).not.toContain(SECRET);
  return error as CiDispatchError;
}

describe("webhook backend", () => {
  it("POSTs the run as JSON with a signature the receiver can verify", async () => {
    let raw = "";
    let signature: string | undefined;
    const scope = nock(HOOKS)
      .post("/ci/run")
      .matchHeader("content-type", "application/json")
      .reply(function () {
        // nock hands reply functions a parsed body; the bytes on the wire are kept here.
        const req = this.req as unknown as { requestBodyBuffers: Buffer[] };
        raw = Buffer.concat(req.requestBodyBuffers).toString("utf8");
        signature = this.req.headers[SIGNATURE_HEADER.toLowerCase()] as string | undefined;
        return [202, ""];
      });
    const r = run();
    const result = await dispatchRun(r, deps());
    expect(scope.isDone()).toBe(true);
    // The receiver verifies the bytes it got with the shared secret.
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyCallback(raw, signature, SECRET)).toBe(true);
    expect(verifyCallback(raw, signature, "another secret")).toBe(false);
    expect(verifyCallback(raw.replace("integration", "unit"), signature, SECRET)).toBe(false);
    expect(raw).toBe(webhookBody(r, "https://monobot.example.com/api/ci/callback"));
    expect(JSON.parse(raw)).toEqual({
      run_id: r.runId,
      job: "nightly",
      component: "roc-api",
      sha: SHA,
      ref: "main",
      version: "1.4.0",
      inputs: r.inputs,
      callback_url: "https://monobot.example.com/api/ci/callback",
    });
    expect(result).toEqual({ description: "sent to the nightly webhook" });
  });

  it("the receiver's callback with the same run id is accepted", () => {
    const r = run();
    const body = JSON.parse(webhookBody(r)) as { run_id: string };
    const result = parseCallback({ run_id: body.run_id, state: "success" });
    expect(result).toMatchObject({
      state: "success",
      run: { component: "roc-api", job: "nightly", sha: SHA },
    });
  });

  it("links the build when the receiver answers with a url", async () => {
    nock(HOOKS).post("/ci/run").reply(200, { url: "https://ci.example.com/builds/9" });
    expect(await dispatchRun(run(), deps())).toEqual({
      url: "https://ci.example.com/builds/9",
      description: "sent to the nightly webhook",
    });
  });

  it.each([
    {
      status: 401,
      message:
        /answered 401; it did not accept the signature: check that it verifies X-Monobot-Signature-256 with the secret in MONOBOT_CI_HOOK_SECRET/,
      retryable: false,
    },
    {
      status: 404,
      message: /answered 404; check jobs\.templates\.nightly\.backend\.url/,
      retryable: false,
    },
    { status: 500, message: /answered 500; try again with \/retest/, retryable: true },
    { status: 429, message: /answered 429/, retryable: true },
  ])("fails on $status", async ({ status, message, retryable }) => {
    nock(HOOKS).post("/ci/run").reply(status, { echo: SECRET });
    const error = await failure(dispatchRun(run(), deps()));
    expect(error.message).toMatch(message);
    expect(error.retryable).toBe(retryable);
  });

  it("does not follow a redirect", async () => {
    nock(HOOKS).post("/ci/run").reply(307, "", { Location: "https://elsewhere.example.com/run" });
    const elsewhere = nock("https://elsewhere.example.com").post(/.*/).reply(200);
    const error = await failure(dispatchRun(run(), deps()));
    expect(elsewhere.isDone()).toBe(false);
    expect(error.message).toMatch(
      /answered 307 \(a redirect to https:\/\/elsewhere\.example\.com\/run\)/,
    );
  });

  it("sends nothing outside MONOBOT_CI_HOOK_URL", async () => {
    const other = nock(HOOKS).post("/other").reply(200);
    const error = await failure(dispatchRun(run({ ...spec, url: `${HOOKS}/other` }), deps()));
    expect(other.isDone()).toBe(false);
    expect(error.message).toMatch(/is not under MONOBOT_CI_HOOK_URL/);
  });

  it("names the missing secret variable", async () => {
    const error = await failure(dispatchRun(run(), deps({ env: { MONOBOT_CI_HOOK_URL: HOOKS } })));
    expect(error.message).toMatch(/MONOBOT_CI_HOOK_SECRET is not set/);
  });

  it("a timeout is retryable", async () => {
    nock(HOOKS).post("/ci/run").delay(500).reply(200);
    const error = await failure(dispatchRun(run(), deps({ requestTimeoutMs: 50 })));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(
      /could not reach the webhook at https:\/\/hooks\.example\.com \(no answer in time\)/,
    );
  });
});
