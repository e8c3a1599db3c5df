// Shared setup for the sandbox tests: a running sandbox, Probot-authenticated Octokit clients, and real git.
import { execFileSync } from "node:child_process";
import { sign } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Probot, ProbotOctokit } from "probot";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";

export type Octokit = InstanceType<typeof ProbotOctokit>;

/**
 * An installation client made the way Probot makes it for monobot: app JWT -> installation token. Probot's
 * throttling paces writes one second apart (and does not retry secondary rate limits).
 */
export async function probotInstallationOctokit(
  sandbox: Sandbox,
  installationId: number,
): Promise<Octokit> {
  const probot = new Probot({
    appId: sandbox.appId,
    privateKey: sandbox.privateKeyPem,
    baseUrl: sandbox.apiBaseUrl,
    logLevel: "fatal",
  });
  return probot.auth(installationId);
}

/**
 * Probot's Octokit class with an installation token from the sandbox. Retries and throttling are off unless
 * asked for, so each test sees the sandbox's answers as they are and writes are not paced.
 */
export async function installationOctokit(
  sandbox: Sandbox,
  installationId: number,
  options: { retry?: boolean; throttle?: boolean } = {},
): Promise<Octokit> {
  const res = await fetch(
    `${sandbox.apiBaseUrl}/app/installations/${installationId}/access_tokens`,
    {
      method: "POST",
      headers: { authorization: `Bearer ${appJwt(sandbox)}` },
    },
  );
  const { token } = (await res.json()) as { token: string };
  return new ProbotOctokit({
    auth: { token },
    baseUrl: sandbox.apiBaseUrl,
    retry: options.retry ? { retryAfterBaseValue: 10 } : { enabled: false },
    throttle: options.throttle
      ? { onRateLimit: () => true, onSecondaryRateLimit: () => true }
      : { enabled: false, onRateLimit: () => false, onSecondaryRateLimit: () => false },
  });
}

/** An app JWT signed with the sandbox app's key, with the claims Probot's JWT library sets. */
export function appJwt(sandbox: Sandbox, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${enc({ alg: "RS256", typ: "JWT" })}.${enc({ iat: now - 30, exp: now + 570, iss: sandbox.appId, ...claims })}`;
  return `${head}.${sign("RSA-SHA256", Buffer.from(head), sandbox.privateKeyPem).toString("base64url")}`;
}

/** A sandbox with an org `acme` (member alice), an outsider `mallory`, and `acme/mono` with the app installed. */
export async function standardSandbox(files: Record<string, string> = defaultFiles()): Promise<{
  sandbox: Sandbox;
  repo: string;
  installationId: number;
}> {
  const sandbox = await startSandbox();
  sandbox.createUser("alice");
  sandbox.createUser("mallory");
  sandbox.createOrg("acme", { members: ["alice"] });
  const info = sandbox.createRepo({ owner: "acme", name: "mono", installation: true, files });
  return { sandbox, repo: info.fullName, installationId: info.installationId as number };
}

export function defaultFiles(): Record<string, string> {
  return {
    "README.md": "# mono\n",
    "services/api/VERSION": "1.2.3\n",
    "services/api/main.go": 'package main\n\nfunc main() {\n\tprintln("hi")\n}\n',
    "services/web/VERSION": "0.4.0-dev\n",
    ".github/monobot.yml": "components: {}\n",
    ".github/workflows/verify.yml":
      "name: verify\non:\n  workflow_dispatch:\n    inputs:\n      component:\n        required: true\n      sha:\n        required: false\njobs: {}\n",
    ".github/workflows/push-only.yml": "name: push only\non: push\njobs: {}\n",
  };
}

/** Runs git in a directory with a fixed identity and dates, returning trimmed stdout. */
export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync("git", args, {
    cwd,
    env: {
      ...process.env,
      GIT_CONFIG_NOSYSTEM: "1",
      HOME: cwd,
      GIT_AUTHOR_NAME: "Ada Lovelace",
      GIT_AUTHOR_EMAIL: "ada@example.com",
      GIT_COMMITTER_NAME: "Ada Lovelace",
      GIT_COMMITTER_EMAIL: "ada@example.com",
      ...env,
    },
    encoding: "utf8",
  }).replace(/\n$/, "");
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a {@link webhookReceiver} got: the guid (`X-GitHub-Delivery`), event and exact body. */
export interface ReceivedHook {
  guid: string;
  event: string;
  body: string;
}

/**
 * A webhook endpoint on 127.0.0.1 standing in for monobot: it answers each delivery with the
 * status `answer` gives for it (its guid, and how many times that guid came before).
 */
export async function webhookReceiver(
  answer: (guid: string, seenBefore: number) => number,
): Promise<{
  url: string;
  received: ReceivedHook[];
  close: () => Promise<void>;
}> {
  const received: ReceivedHook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const guid = String(req.headers["x-github-delivery"] ?? "");
      const seenBefore = received.filter((r) => r.guid === guid).length;
      received.push({
        guid,
        event: String(req.headers["x-github-event"] ?? ""),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      res.writeHead(answer(guid, seenBefore), { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** An Octokit authenticated as the sandbox's App (its JWT), as `probot.auth()` makes it. */
export async function appOctokit(sandbox: Sandbox): Promise<Octokit> {
  const probot = new Probot({
    appId: sandbox.appId,
    privateKey: sandbox.privateKeyPem,
    baseUrl: sandbox.apiBaseUrl,
    logLevel: "fatal",
  });
  return probot.auth();
}
