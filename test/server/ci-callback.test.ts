import type { AddressInfo } from "node:net";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { signatureFor } from "../../src/ci/callback.js";
import { encodeRunId } from "../../src/core/run-id.js";
import { silentLog } from "../../src/log.js";
import { CALLBACK_PATH, ciCallbackRoute } from "../../src/server/ci-callback.js";
import { createMonobotServer, type MonobotServer } from "../../src/server/http-server.js";
import { makeProbot } from "../helpers/probot.js";

const SECRET = "callback-secret";
const SHA = "b".repeat(40);
let server: MonobotServer | undefined;

beforeEach(() => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
});

afterEach(async () => {
  await server?.shutdown(100);
  server = undefined;
  nock.cleanAll();
  nock.enableNetConnect();
});

async function start(env: NodeJS.ProcessEnv = { MONOBOT_CI_CALLBACK_SECRET: SECRET }) {
  const { probot, queue, metrics } = await makeProbot();
  server = createMonobotServer({
    probot,
    queue,
    metrics,
    log: silentLog,
    webhookPath: "/api/github/webhooks",
    routes: [ciCallbackRoute({ queue, env, log: silentLog })],
  });
  await new Promise<void>((r) => server?.server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${CALLBACK_PATH}`, queue };
}

const body = JSON.stringify({
  run_id: encodeRunId({ owner: "acme", repo: "mono", sha: SHA, component: "api", job: "verify" }),
  result: "SUCCESS",
  url: "https://jenkins.example.com/job/verify/12/",
});

describe("the CI callback route", () => {
  it("posts a signed Jenkins result as the job's commit status", async () => {
    const posted: Record<string, string>[] = [];
    nock("https://api.github.com")
      .get("/repos/acme/mono/installation")
      .reply(200, { id: 7 })
      .post("/app/installations/7/access_tokens")
      .reply(201, { token: "ghs_x" })
      .post(`/repos/acme/mono/statuses/${SHA}`)
      .reply(201, (_uri, b) => {
        posted.push(b as Record<string, string>);
        return {};
      });
    const s = await start();
    const res = await fetch(s.url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        "x-monobot-signature-256": signatureFor(body, SECRET),
      },
    });
    expect(res.status).toBe(202);
    await s.queue.idle();
    expect(posted).toEqual([
      expect.objectContaining({
        context: "ci/api/verify",
        state: "success",
        target_url: "https://jenkins.example.com/job/verify/12/",
      }),
    ]);
  });

  it.each([
    { name: "a wrong signature", sig: () => signatureFor(body, "other"), status: 401 },
    { name: "no signature", sig: () => "", status: 401 },
  ])("rejects $name and posts nothing", async ({ sig, status }) => {
    const s = await start();
    const signature = sig();
    const res = await fetch(s.url, {
      method: "POST",
      body,
      headers: {
        "content-type": "application/json",
        ...(signature ? { "x-monobot-signature-256": signature } : {}),
      },
    });
    expect(res.status).toBe(status);
    expect(s.queue.size()).toBe(0);
  });

  it("rejects a signed body that is not a result", async () => {
    const s = await start();
    const bad = JSON.stringify({ run_id: "nonsense", result: "SUCCESS" });
    const res = await fetch(s.url, {
      method: "POST",
      body: bad,
      headers: { "x-monobot-signature-256": signatureFor(bad, SECRET) },
    });
    expect(res.status).toBe(400);
  });

  it("answers 404 when no callback secret is configured", async () => {
    const s = await start({});
    const res = await fetch(s.url, { method: "POST", body });
    expect(res.status).toBe(404);
  });
});
