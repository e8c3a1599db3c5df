// The control API under /_sandbox/: another process seeds, acts, injects faults and reads state over HTTP.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { tempDir } from "./helpers.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- control answers are JSON read field by field in assertions
type Json = any;

describe("control API", () => {
  let sandbox: Sandbox;
  const tmp = tempDir("sandbox-control-");

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
    tmp.cleanup();
  });

  async function control(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; data: Json }> {
    const res = await fetch(`${sandbox.url}/_sandbox${path}`, {
      method,
      headers: { "content-type": "application/json" },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, data: await res.json() };
  }

  it("tells a client where everything is, including the key monobot needs", async () => {
    const { data } = await control("GET", "/info");
    expect(data).toMatchObject({
      url: sandbox.url,
      apiBaseUrl: sandbox.apiBaseUrl,
      appId: sandbox.appId,
    });
    expect(data.privateKeyPem).toContain("PRIVATE KEY");
    expect(data.env).toMatchObject({
      APP_ID: String(sandbox.appId),
      GHE_HOST: sandbox.host,
      GHE_PROTOCOL: "http",
    });
    const index = await control("GET", "/");
    expect(index.data.endpoints).toContain("POST /pulls");
  });

  it("seeds a repository from a folder, pushes, opens a PR, comments, and reads it back", async () => {
    mkdirSync(join(tmp.dir, "svc"), { recursive: true });
    writeFileSync(join(tmp.dir, "svc", "VERSION"), "1.0.0\n");
    await control("POST", "/users", { login: "dora" });
    await control("POST", "/orgs", { login: "corp", members: ["dora"] });
    const created = await control("POST", "/repos", {
      owner: "corp",
      name: "app",
      installation: true,
      directory: tmp.dir,
    });
    expect(created.status).toBe(200);
    expect(created.data).toMatchObject({ fullName: "corp/app", defaultBranch: "main" });
    expect(created.data.headSha).toMatch(/^[0-9a-f]{40}$/);
    const pushed = await control("POST", "/commits", {
      repo: "corp/app",
      branch: "bump",
      files: { "svc/VERSION": "1.1.0\n", "bin/tool": { content: "#!/bin/sh\n", mode: "100755" } },
      message: "Bump",
      author: "dora",
    });
    expect(pushed.data.before).toBe("0000000000000000000000000000000000000000");
    const pr = await control("POST", "/pulls", {
      repo: "corp/app",
      head: "bump",
      user: "dora",
      title: "Bump svc",
    });
    expect(pr.data).toMatchObject({
      number: 1,
      headSha: pushed.data.sha,
      baseSha: created.data.headSha,
    });
    const comment = await control("POST", "/comments", {
      repo: "corp/app",
      number: 1,
      user: "dora",
      body: "recheck",
    });
    expect(comment.data.id).toEqual(expect.any(Number));
    const comments = await control("GET", "/comments?repo=corp/app&number=1");
    expect(
      comments.data.map((c: { body: string; author_association: string }) => [
        c.body,
        c.author_association,
      ]),
    ).toEqual([["recheck", "MEMBER"]]);
    const read = await control("GET", "/pulls?repo=corp/app&number=1");
    expect(read.data.title).toBe("Bump svc");
    expect(sandbox.readFile("corp/app", "bump", "svc/VERSION")).toBe("1.1.0\n");
  });

  it("injects faults and shows them in the log", async () => {
    const token = (await control("POST", "/tokens", {})).data.token as string;
    await control("DELETE", "/log");
    const fault = await control("POST", "/faults", {
      pathPattern: "^/repos/corp/app$",
      regex: true,
      times: 1,
      kind: { status: 500 },
    });
    expect(fault.data.remaining).toBe(1);
    const headers = { authorization: `token ${token}` };
    expect((await fetch(`${sandbox.apiBaseUrl}/repos/corp/app`, { headers })).status).toBe(500);
    expect((await fetch(`${sandbox.apiBaseUrl}/repos/corp/app`, { headers })).status).toBe(200);
    const log = await control("GET", "/log?operationId=repos/get");
    expect(log.data.map((e: { status: number }) => e.status)).toEqual([500, 200]);
    const faults = await control("GET", "/faults");
    expect(faults.data[0]).toMatchObject({ hits: 1, remaining: 0 });
    const violations = await control("GET", "/violations");
    expect(violations.data).toEqual([]);
  });

  it("delivers a webhook built from state", async () => {
    const got: string[] = [];
    const { createServer } = await import("node:http");
    const server = createServer((req, res) => {
      got.push(String(req.headers["x-github-event"]));
      req.resume();
      req.on("end", () => {
        res.writeHead(200);
        res.end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const d = await control("POST", "/deliveries", {
      event: "pull_request",
      action: "opened",
      repo: "corp/app",
      number: 1,
      url: `http://127.0.0.1:${port}/hook`,
    });
    await new Promise<void>((r) => server.close(() => r()));
    expect(d.data).toMatchObject({ event: "pull_request", status: 200, response: "ok" });
    expect(got).toEqual(["pull_request"]);
  });

  it("answers a clear 4xx for an unknown endpoint or a bad body", async () => {
    expect((await control("POST", "/nope", {})).status).toBe(404);
    const bad = await control("POST", "/pulls", { repo: "corp/app" });
    expect(bad.status).toBe(400);
    expect(bad.data.message).toMatch(/"head"/);
  });

  it("runs as its own process and prints where it listens", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "src/sandbox/main.ts", "--port", "0"],
      {
        cwd: process.cwd(),
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
        rl.once("line", resolve);
        child.once("exit", (code) => reject(new Error(`sandbox exited with ${code}`)));
      });
      const info = JSON.parse(line) as { url: string; control: string; appId: number };
      const res = await fetch(`${info.control}info`);
      expect(((await res.json()) as { appId: number }).appId).toBe(info.appId);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
