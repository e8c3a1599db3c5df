import nock from "nock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CiDispatchError, type BackendDeps } from "../../src/ci/backend.js";
import { dispatchRun } from "../../src/ci/dispatch.js";
import { jenkinsJobPath } from "../../src/ci/jenkins.js";
import { RUN_ID_INPUT } from "../../src/core/job-templates.js";
import type { PlannedRun, ResolvedBackend } from "../../src/core/jobs.js";
import { encodeRunId } from "../../src/core/run-id.js";

const JENKINS = "https://jenkins.example.com";
const USER = "monobot-bot";
const TOKEN = "11e4b5c2d9a8f7e6d5c4b3a2f1e0d9c8b7";
const BASIC = `Basic ${Buffer.from(`${USER}:${TOKEN}`).toString("base64")}`;
const SHA = "0123456789abcdef0123456789abcdef01234567";
const JOB_PATH = "/job/tools/job/proto%20lint";

const env = {
  MONOBOT_CI_JENKINS_USER: USER,
  MONOBOT_CI_JENKINS_TOKEN: TOKEN,
  MONOBOT_CI_JENKINS_URL: JENKINS,
};

const spec: ResolvedBackend = {
  type: "jenkins",
  url: JENKINS,
  job: "tools/job/proto lint",
  credentials: "JENKINS",
  crumb: false,
};

function run(backend: ResolvedBackend = spec): PlannedRun {
  const runId = encodeRunId({
    owner: "acme",
    repo: "mono",
    sha: SHA,
    component: "proto",
    job: "lint",
  });
  return {
    job: "lint",
    component: "proto",
    trigger: "postmerge",
    statusContext: "ci/proto/lint",
    backend,
    inputs: { component: "proto", sha: SHA, [RUN_ID_INPUT]: runId },
    runId,
    owner: "acme",
    repo: "mono",
    sha: SHA,
    ref: "main",
    timeoutMinutes: 120,
  };
}

let sleep: ReturnType<typeof vi.fn<(ms: number) => Promise<void>>>;
function deps(extra: Partial<BackendDeps> = {}): BackendDeps {
  return {
    github: { request: () => Promise.reject(new Error("GitHub is not used by Jenkins")) },
    owner: "acme",
    repo: "mono",
    env,
    sleep,
    callbackUrl: "https://monobot.example.com/api/ci/callback",
    jenkinsQueue: { attempts: 3, intervalMs: 1500 },
    ...extra,
  };
}

beforeEach(() => {
  nock.disableNetConnect();
  sleep = vi.fn<(ms: number) => Promise<void>>(() => Promise.resolve());
});
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

/** What `promise` rejects with; never a message or field holding the token or the basic auth. */
async function failure(promise: Promise<unknown>): Promise<CiDispatchError> {
  const error = await promise.then(
    () => {
      throw new Error("expected the dispatch to fail");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CiDispatchError);
  const everything = JSON.stringify({
    ...(error as object),
    message: (error as Error).message,
    stack: (error as Error).stack,
  });
  expect(everything).not.toContain(TOKEN);
  expect(everything).not.toContain(BASIC.slice(6));
  return error as CiDispatchError;
}

describe("jenkinsJobPath", () => {
  it.each([
    { job: "verify", path: "/job/verify" },
    { job: "folder/job/name", path: "/job/folder/job/name" },
    { job: "folder/name", path: "/job/folder/job/name" },
    { job: "a/job/b/job/c", path: "/job/a/job/b/job/c" },
    { job: "/job/a/job/b/", path: "/job/a/job/b" },
    { job: "x/job", path: "/job/x/job/job" },
    { job: "team/roc api", path: "/job/team/job/roc%20api" },
    { job: "team/roc%20api", path: "/job/team/job/roc%20api" },
  ])("$job -> $path", ({ job, path }) => {
    expect(jenkinsJobPath(job)).toBe(path);
  });
});

describe("buildWithParameters", () => {
  it("POSTs the parameters with basic auth, follows the queue Location to the build URL", async () => {
    let form: URLSearchParams | undefined;
    const scope = nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`, (body: string) => {
        form = new URLSearchParams(body);
        return true;
      })
      .matchHeader("authorization", BASIC)
      .matchHeader("content-type", "application/x-www-form-urlencoded")
      .reply(201, "", { Location: `${JENKINS}/queue/item/42/` })
      .get("/queue/item/42/api/json")
      .matchHeader("authorization", BASIC)
      .reply(200, { id: 42, why: "In the quiet period. Expires in 4.9 sec", executable: null })
      .get("/queue/item/42/api/json")
      .reply(200, { id: 42, executable: { number: 17, url: `${JENKINS}${JOB_PATH}/17/` } });
    const r = run();
    const result = await dispatchRun(r, deps());
    expect(scope.isDone()).toBe(true);
    expect(Object.fromEntries(form ?? [])).toEqual({
      ...r.inputs,
      monobot_callback_url: "https://monobot.example.com/api/ci/callback",
    });
    expect(result).toEqual({
      url: `${JENKINS}${JOB_PATH}/17/`,
      description: "Jenkins build started (tools/job/proto lint)",
    });
    expect(sleep).toHaveBeenCalledTimes(1);
    expect(sleep).toHaveBeenCalledWith(1500);
  });

  it("stops polling after the configured attempts and reports the build as queued", async () => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201, "", { Location: `${JENKINS}/queue/item/43/` })
      .get("/queue/item/43/api/json")
      .times(3)
      .reply(200, { id: 43, why: "Waiting for next available executor", executable: null });
    const result = await dispatchRun(run(), deps());
    expect(result).toEqual({
      url: `${JENKINS}${JOB_PATH}/`,
      description: "queued in Jenkins (tools/job/proto lint): Waiting for next available executor",
    });
    expect(sleep).toHaveBeenCalledTimes(2);
  });

  it("keeps the pending description within GitHub's 140 characters", async () => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201, "", { Location: `${JENKINS}/queue/item/47/` })
      .get("/queue/item/47/api/json")
      .times(3)
      .reply(200, { why: `Waiting for ${"a very busy executor ".repeat(20)}`, executable: null });
    const result = await dispatchRun(run(), deps());
    expect(result.description.length).toBeLessThanOrEqual(140);
    expect(result.description).toMatch(
      /^queued in Jenkins \(tools\/job\/proto lint\): Waiting for a very busy/,
    );
  });

  it("accepts a relative Location and a queue item that expired", async () => {
    const scope = nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201, "", { Location: "/queue/item/44/" })
      .get("/queue/item/44/api/json")
      .reply(404);
    const result = await dispatchRun(run(), deps());
    expect(scope.isDone()).toBe(true);
    expect(result.url).toBe(`${JENKINS}${JOB_PATH}/`);
  });

  it("never sends the token to a Location on another host", async () => {
    const scope = nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201, "", { Location: "https://attacker.example.com/queue/item/1/" });
    const other = nock("https://attacker.example.com").get(/.*/).reply(200, {});
    const result = await dispatchRun(run(), deps());
    expect(scope.isDone()).toBe(true);
    expect(other.isDone()).toBe(false);
    expect(result.url).toBe(`${JENKINS}${JOB_PATH}/`);
  });

  it("fails when the queue item was cancelled", async () => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201, "", { Location: `${JENKINS}/queue/item/45/` })
      .get("/queue/item/45/api/json")
      .reply(200, { id: 45, cancelled: true, executable: null });
    const error = await failure(dispatchRun(run(), deps()));
    expect(error.message).toMatch(/cancelled in the Jenkins queue/);
  });
});

describe("CSRF crumbs", () => {
  it("fetches a crumb when Jenkins asks for one, keeps its session cookie, and retries", async () => {
    const scope = nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(
        403,
        "<html><body>Error 403 No valid crumb was included in the request</body></html>",
        {
          "Content-Type": "text/html",
        },
      )
      .get("/crumbIssuer/api/json")
      .matchHeader("authorization", BASIC)
      .reply(
        200,
        {
          _class: "hudson.security.csrf.DefaultCrumbIssuer",
          crumb: "f00dcafe",
          crumbRequestField: "Jenkins-Crumb",
        },
        { "Set-Cookie": ["JSESSIONID.2f1c=node0abc.node0; Path=/; Secure; HttpOnly"] },
      )
      .post(`${JOB_PATH}/buildWithParameters`)
      .matchHeader("Jenkins-Crumb", "f00dcafe")
      .matchHeader("cookie", "JSESSIONID.2f1c=node0abc.node0")
      .matchHeader("authorization", BASIC)
      .reply(201, "", { Location: `${JENKINS}/queue/item/46/` })
      .get("/queue/item/46/api/json")
      .reply(200, { executable: { number: 3, url: `${JENKINS}${JOB_PATH}/3/` } });
    const result = await dispatchRun(run(), deps());
    expect(scope.isDone()).toBe(true);
    expect(result.url).toBe(`${JENKINS}${JOB_PATH}/3/`);
  });

  it("always fetches a crumb first when configured", async () => {
    const scope = nock(JENKINS)
      .get("/crumbIssuer/api/json")
      .reply(200, { crumb: "c1", crumbRequestField: "Jenkins-Crumb" })
      .post(`${JOB_PATH}/buildWithParameters`)
      .matchHeader("Jenkins-Crumb", "c1")
      .reply(201);
    const result = await dispatchRun(run({ ...spec, crumb: true }), deps());
    expect(scope.isDone()).toBe(true);
    expect(result).toEqual({
      url: `${JENKINS}${JOB_PATH}/`,
      description: "queued in Jenkins (tools/job/proto lint)",
    });
  });

  it("goes on without a crumb when configured but Jenkins has no crumb issuer", async () => {
    const scope = nock(JENKINS)
      .get("/crumbIssuer/api/json")
      .reply(404)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(201);
    await dispatchRun(run({ ...spec, crumb: true }), deps());
    expect(scope.isDone()).toBe(true);
  });

  it("fails clearly when Jenkins asks for a crumb but cannot issue one", async () => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(403, "No valid crumb was included in the request")
      .get("/crumbIssuer/api/json")
      .reply(404);
    const error = await failure(dispatchRun(run(), deps()));
    expect(error.message).toMatch(
      /Jenkins asked for a CSRF crumb but its crumb issuer answered 404/,
    );
  });
});

describe("Jenkins' answers", () => {
  it.each([
    {
      status: 401,
      message:
        /^CI job lint for proto: Jenkins rejected the credentials in MONOBOT_CI_JENKINS_USER and MONOBOT_CI_JENKINS_TOKEN \(401\); check the user and create a new API token$/,
      retryable: false,
    },
    {
      status: 404,
      message:
        /Jenkins has no job tools\/job\/proto lint at https:\/\/jenkins\.example\.com \(404\); correct jobs\.templates\.lint\.backend\.job \(folder\/job\/name\) or jobs\.templates\.lint\.backend\.url/,
      retryable: false,
    },
    {
      status: 403,
      message:
        /the Jenkins user in MONOBOT_CI_JENKINS_USER may not build tools\/job\/proto lint \(403\); grant it Job\/Build permission/,
      retryable: false,
    },
    {
      status: 400,
      message:
        /Jenkins refused the parameters \(400\); make tools\/job\/proto lint a parameterized job declaring component, sha, monobot_run_id/,
      retryable: false,
    },
    { status: 503, message: /Jenkins answered 503 to buildWithParameters/, retryable: true },
  ])("$status", async ({ status, message, retryable }) => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(status, `<html>${status} for ${USER}</html>`);
    const error = await failure(dispatchRun(run(), deps()));
    expect(error.message).toMatch(message);
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(retryable);
  });

  it("a redirect is not followed with the credentials", async () => {
    const scope = nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .reply(302, "", { Location: "https://login.example.com/sso?return=/job" });
    const sso = nock("https://login.example.com").post(/.*/).reply(200).get(/.*/).reply(200);
    const error = await failure(dispatchRun(run(), deps()));
    expect(scope.isDone()).toBe(true);
    expect(sso.isDone()).toBe(false);
    expect(error.message).toMatch(
      /Jenkins answered 302 \(a redirect to https:\/\/login\.example\.com\/sso\); set jobs\.templates\.lint\.backend\.url/,
    );
  });

  it("a network failure is retryable and names only the origin", async () => {
    nock(JENKINS)
      .post(`${JOB_PATH}/buildWithParameters`)
      .replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" });
    const error = await failure(dispatchRun(run(), deps()));
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/could not reach Jenkins at https:\/\/jenkins\.example\.com \(/);
  });
});

describe("credentials", () => {
  it("sends nothing to a URL outside MONOBOT_CI_JENKINS_URL", async () => {
    const evil = nock("https://evil.example.com").post(/.*/).reply(201).get(/.*/).reply(200, {});
    const error = await failure(
      dispatchRun(run({ ...spec, url: "https://evil.example.com" }), deps()),
    );
    expect(evil.isDone()).toBe(false);
    expect(error.message).toMatch(
      /jobs\.templates\.lint\.backend\.url .* is not under MONOBOT_CI_JENKINS_URL/,
    );
  });

  it("names the missing variable, never a value", async () => {
    const error = await failure(
      dispatchRun(
        run(),
        deps({ env: { MONOBOT_CI_JENKINS_USER: USER, MONOBOT_CI_JENKINS_URL: JENKINS } }),
      ),
    );
    expect(error.message).toMatch(/^CI job lint for proto: MONOBOT_CI_JENKINS_TOKEN is not set/);
    expect(error.message).not.toContain(USER);
  });
});
