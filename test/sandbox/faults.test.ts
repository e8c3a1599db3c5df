// Fault injection: chosen requests answer 5xx, hang, or hit rate limits, exactly as many times as asked.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox } from "./helpers.js";

describe("fault injection", () => {
  let sandbox: Sandbox;
  let installationId: number;
  const owner = "acme";
  const repo = "mono";

  beforeAll(async () => {
    ({ sandbox, installationId } = await standardSandbox());
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.clearFaults();
    sandbox.resetRequests();
  });

  it("answers 502 twice, then serves: a retrying client still succeeds and the log shows all three", async () => {
    const fault = sandbox.injectFault({
      pathPattern: "/repos/{owner}/{repo}",
      times: 2,
      kind: { status: 502 },
    });
    const octokit = await installationOctokit(sandbox, installationId, { retry: true });
    sandbox.resetRequests();
    const { data } = await octokit.rest.repos.get({ owner, repo });
    expect(data.full_name).toBe("acme/mono");
    expect(fault.hits()).toBe(2);
    expect(fault.remaining()).toBe(0);
    expect(sandbox.requests({ operationId: "repos/get" }).map((r) => [r.status, r.fault])).toEqual([
      [502, "status 502"],
      [502, "status 502"],
      [200, undefined],
    ]);
  });

  it("counts only matching requests (method and path), and a client without retries sees the 5xx", async () => {
    const fault = sandbox.injectFault({
      method: "POST",
      pathPattern: /\/check-runs$/,
      times: 1,
      kind: { status: 503 },
    });
    const octokit = await installationOctokit(sandbox, installationId);
    await octokit.rest.repos.get({ owner, repo });
    await octokit.rest.checks.listForRef({ owner, repo, ref: "main" });
    expect(fault.remaining()).toBe(1);
    const head = sandbox.branchSha("acme/mono", "main") as string;
    await expect(
      octokit.rest.checks.create({ owner, repo, name: "x", head_sha: head }),
    ).rejects.toMatchObject({ status: 503 });
    const ok = await octokit.rest.checks.create({ owner, repo, name: "x", head_sha: head });
    expect(ok.status).toBe(201);
    expect(fault.hits()).toBe(1);
  });

  it("answers a secondary rate limit with 403, retry-after and GitHub's message", async () => {
    sandbox.injectFault({
      pathPattern: "/repos/acme/mono",
      kind: { secondaryRateLimit: { retryAfter: 7 } },
    });
    const res = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
      headers: { authorization: `token ${sandbox.installationToken()}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(((await res.json()) as { message: string }).message).toMatch(/secondary rate limit/);
  });

  it("makes a throttling client wait retry-after seconds and then complete", async () => {
    sandbox.injectFault({
      pathPattern: "/repos/{owner}/{repo}/pulls",
      kind: { secondaryRateLimit: { retryAfter: 1 } },
    });
    const octokit = await installationOctokit(sandbox, installationId, { throttle: true });
    const started = Date.now();
    const { data } = await octokit.rest.pulls.list({ owner, repo });
    expect(data).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sandbox.requests({ operationId: "pulls/list" }).map((r) => r.status)).toEqual([
      403, 200,
    ]);
  });

  it("answers a primary rate limit with x-ratelimit-remaining 0 and a reset time", async () => {
    sandbox.injectFault({
      pathPattern: "/repos/acme/mono",
      kind: { primaryRateLimit: { resetInSeconds: 60 } },
    });
    const res = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
      headers: { authorization: `token ${sandbox.installationToken()}` },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
  });

  it("times out: holds the request, then drops the connection without an answer", async () => {
    sandbox.injectFault({ pathPattern: "/repos/acme/mono", kind: { timeoutMs: 200 } });
    const started = Date.now();
    await expect(
      fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
        headers: { authorization: `token ${sandbox.installationToken()}` },
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(180);
    const next = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
      headers: { authorization: `token ${sandbox.installationToken()}` },
    });
    expect(next.status).toBe(200);
    expect(sandbox.requests({ operationId: "repos/get" }).map((r) => r.fault)).toEqual([
      "timeout 200ms",
      undefined,
    ]);
  });

  it("delays an answer without changing it", async () => {
    sandbox.injectFault({ pathPattern: "/graphql", kind: { delayMs: 150 } });
    const started = Date.now();
    const res = await fetch(sandbox.graphqlUrl, {
      method: "POST",
      headers: { authorization: `token ${sandbox.installationToken()}` },
      body: JSON.stringify({ query: "{ rateLimit { cost } }" }),
    });
    expect(((await res.json()) as { data: unknown }).data).toEqual({ rateLimit: { cost: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });
});
