// App authentication in the sandbox: RS256 JWTs for app endpoints, installation tokens everywhere else.
import { generateKeyPairSync, sign } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, probotInstallationOctokit, standardSandbox } from "./helpers.js";

function jwt(privateKeyPem: string, claims: Record<string, unknown>, alg = "RS256"): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${enc({ alg, typ: "JWT" })}.${enc(claims)}`;
  const sig = sign("RSA-SHA256", Buffer.from(head), privateKeyPem).toString("base64url");
  return `${head}.${sig}`;
}

describe("authentication", () => {
  let sandbox: Sandbox;
  let installationId: number;
  const now = (): number => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    ({ sandbox, installationId } = await standardSandbox());
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  async function tokenRequest(
    authorization?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(
      `${sandbox.apiBaseUrl}/app/installations/${installationId}/access_tokens`,
      {
        method: "POST",
        headers: authorization ? { authorization } : {},
      },
    );
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it("issues an installation token for a valid app JWT", async () => {
    const token = jwt(sandbox.privateKeyPem, {
      iat: now() - 30,
      exp: now() + 540,
      iss: sandbox.appId,
    });
    const res = await tokenRequest(`Bearer ${token}`);
    expect(res.status).toBe(201);
    expect(res.body.token).toMatch(/^ghs_/);
    expect(Date.parse(String(res.body.expires_at))).toBeGreaterThan(Date.now());
    expect(res.body.permissions).toMatchObject({ checks: "write", contents: "write" });
  });

  it.each([
    ["no credentials", undefined],
    ["an installation-style token", "token ghs_notarealtoken"],
    [
      "a JWT signed by another key",
      `Bearer ${jwt(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString(), { iat: Math.floor(Date.now() / 1000) - 30, exp: Math.floor(Date.now() / 1000) + 500, iss: 4242 })}`,
    ],
  ])("refuses the access token request with %s (401)", async (_name, header) => {
    const res = await tokenRequest(header);
    expect(res.status).toBe(401);
  });

  it("refuses expired, too long-lived, future-dated and wrong-issuer JWTs", async () => {
    const key = sandbox.privateKeyPem;
    const expired = await tokenRequest(
      `Bearer ${jwt(key, { iat: now() - 900, exp: now() - 300, iss: sandbox.appId })}`,
    );
    expect(expired.status).toBe(401);
    expect(String(expired.body.message)).toMatch(/exp/);
    const tooLong = await tokenRequest(
      `Bearer ${jwt(key, { iat: now(), exp: now() + 3600, iss: sandbox.appId })}`,
    );
    expect(tooLong.status).toBe(401);
    const future = await tokenRequest(
      `Bearer ${jwt(key, { iat: now() + 300, exp: now() + 600, iss: sandbox.appId })}`,
    );
    expect(future.status).toBe(401);
    const wrongIss = await tokenRequest(
      `Bearer ${jwt(key, { iat: now() - 30, exp: now() + 500, iss: 999 })}`,
    );
    expect(wrongIss.status).toBe(401);
  });

  it("requires a token on repository endpoints, and refuses the app JWT there", async () => {
    const anonymous = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`);
    expect(anonymous.status).toBe(401);
    const token = jwt(sandbox.privateKeyPem, {
      iat: now() - 30,
      exp: now() + 540,
      iss: sandbox.appId,
    });
    const withJwt = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(withJwt.status).toBe(403);
    const bad = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono`, {
      headers: { authorization: "token nope" },
    });
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { message: string }).message).toBe("Bad credentials");
  });

  it("serves Probot's own flow: JWT -> installation token -> API calls as the bot", async () => {
    const octokit = await probotInstallationOctokit(sandbox, installationId);
    const { data } = await octokit.rest.repos.get({ owner: "acme", repo: "mono" });
    expect(data.full_name).toBe("acme/mono");
    const tokenCalls = sandbox.requests({ operationId: "apps/create-installation-access-token" });
    expect(tokenCalls.at(-1)?.status).toBe(201);
    expect(tokenCalls.at(-1)?.auth).toBe("app");
  });

  it("answers the installation lookups Probot may make with the app JWT", async () => {
    const token = jwt(sandbox.privateKeyPem, {
      iat: now() - 30,
      exp: now() + 540,
      iss: sandbox.appId,
    });
    const headers = { authorization: `Bearer ${token}` };
    const byRepo = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono/installation`, { headers });
    expect(byRepo.status).toBe(200);
    expect(((await byRepo.json()) as { id: number }).id).toBe(installationId);
    const byId = await fetch(`${sandbox.apiBaseUrl}/app/installations/${installationId}`, {
      headers,
    });
    expect(((await byId.json()) as { account: { login: string } }).account.login).toBe("acme");
  });

  it("hides private repositories outside the token's installation (404)", async () => {
    sandbox.createUser("other");
    sandbox.createRepo({ owner: "other", name: "private-stuff", private: true, files: { a: "b" } });
    const octokit = await installationOctokit(sandbox, installationId);
    await expect(
      octokit.rest.repos.get({ owner: "other", repo: "private-stuff" }),
    ).rejects.toMatchObject({ status: 404 });
  });

  it("shows a public repository outside the installation to repos/get, as GitHub does", async () => {
    sandbox.createUser("neighbour");
    sandbox.createRepo({ owner: "neighbour", name: "open-stuff", files: { a: "b" } });
    const octokit = await installationOctokit(sandbox, installationId);
    const { data } = await octokit.rest.repos.get({ owner: "neighbour", repo: "open-stuff" });
    expect(data.full_name).toBe("neighbour/open-stuff");
  });

  it("enforces the app's permissions: a token without checks:write cannot create check runs", async () => {
    const token = jwt(sandbox.privateKeyPem, {
      iat: now() - 30,
      exp: now() + 540,
      iss: sandbox.appId,
    });
    const res = await fetch(
      `${sandbox.apiBaseUrl}/app/installations/${installationId}/access_tokens`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ permissions: { checks: "read", contents: "read" } }),
      },
    );
    const limited = ((await res.json()) as { token: string }).token;
    const head = sandbox.branchSha("acme/mono", "main");
    const create = await fetch(`${sandbox.apiBaseUrl}/repos/acme/mono/check-runs`, {
      method: "POST",
      headers: { authorization: `token ${limited}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "x", head_sha: head }),
    });
    expect(create.status).toBe(403);
    expect(((await create.json()) as { message: string }).message).toBe(
      "Resource not accessible by integration",
    );
  });
});
