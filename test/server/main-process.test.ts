import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { signBody, testPrivateKey } from "../helpers/keys.js";

const main = new URL("../../dist/main.js", import.meta.url).pathname;

function startServer(env: Record<string, string>) {
  const child = spawn("node", [main], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

function listeningPort(server: ReturnType<typeof startServer>): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /"port":(\d+)/.exec(server.out());
      if (m) {
        clearInterval(timer);
        resolve(Number(m[1]));
      }
    }, 20);
    void server.exited.then(() => {
      clearInterval(timer);
      reject(new Error(`exited early: ${server.err()}`));
    });
  });
}

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});
function folder(): string {
  const f = mkdtempSync(join(tmpdir(), "monobot-main-"));
  folders.push(f);
  return f;
}

// `npm test` builds dist/ before running the tests; the real process is what production runs.
describe.runIf(existsSync(main))("npm start (the real server process)", () => {
  it("stops at start-up with one clear line when a variable is missing", async () => {
    const server = startServer({ APP_ID: "1", WEBHOOK_SECRET: "x" });
    expect(await server.exited).toBe(1);
    expect(server.err().trim().split("\n")).toEqual([
      "monobot: PRIVATE_KEY or PRIVATE_KEY_PATH must be set to the GitHub App's private key (PEM).",
    ]);
  });

  it("serves /healthz, then drains and exits 0 on SIGTERM", async () => {
    const server = startServer({
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: "x",
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      // GitHub is not reachable here: the scheduler would try to list installations.
      MONOBOT_SCHEDULER: "off",
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /"port":(\d+)/.exec(server.out());
        if (m) {
          clearInterval(timer);
          resolve(Number(m[1]));
        }
      }, 20);
      void server.exited.then(() => reject(new Error(`exited early: ${server.err()}`)));
    });
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.out()).toContain("all work finished");
    expect(server.out()).not.toContain("BEGIN RSA PRIVATE KEY");
  });

  it("stops with one line, not a stack trace, when its port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    try {
      const { port } = taken.address() as AddressInfo;
      const server = startServer({
        APP_ID: "1",
        PRIVATE_KEY: testPrivateKey(),
        WEBHOOK_SECRET: "x",
        PORT: String(port),
        HOST: "127.0.0.1",
        MONOBOT_SCHEDULER: "off",
        MONOBOT_REDELIVERY_SWEEP: "off",
        MONOBOT_STATE_DIR: folder(),
      });
      expect(await server.exited).toBe(1);
      expect(server.err().trim().split("\n")).toEqual([
        `monobot: 127.0.0.1 port ${port} is already in use by another process: stop it, or set PORT (or HOST) to a free one`,
      ]);
    } finally {
      taken.close();
    }
  });

  it("keeps answering with its stdout pipe closed, and exits on SIGTERM within the drain", async () => {
    const drainSeconds = 2;
    const server = startServer({
      APP_ID: "1",
      PRIVATE_KEY: testPrivateKey(),
      WEBHOOK_SECRET: "x",
      PORT: "0",
      HOST: "127.0.0.1",
      // Every delivery logs: the closed pipe is written to again and again.
      LOG_LEVEL: "debug",
      MONOBOT_SCHEDULER: "off",
      MONOBOT_REDELIVERY_SWEEP: "off",
      MONOBOT_DRAIN_SECONDS: String(drainSeconds),
      MONOBOT_STATE_DIR: folder(),
    });
    const port = await listeningPort(server);
    // The log reader goes away, as `npm start | head -c 100` or a log shipper that stops.
    server.child.stdout.destroy();
    // A payload no handler can use: each is answered 400 and logged ("delivery rejected").
    const body = JSON.stringify({ action: "opened", repository: null, padding: "x".repeat(2000) });
    const headers = {
      "content-type": "application/json",
      "x-github-event": "pull_request",
      "x-hub-signature-256": signBody("x", body),
    };
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/api/github/webhooks`, {
        method: "POST",
        body,
        headers: { ...headers, "x-github-delivery": `closed-${i}` },
        signal: AbortSignal.timeout(5000),
      });
      expect(res.status).toBe(400);
    }
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const signalled = Date.now();
    server.child.kill("SIGTERM");
    const code = await Promise.race([
      server.exited,
      new Promise<string>((r) => setTimeout(() => r("still running"), (drainSeconds + 3) * 1000)),
    ]);
    if (code === "still running") server.child.kill("SIGKILL");
    expect(code).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(drainSeconds * 1000);
    // The lines it could not write were dropped, and counted.
    const dropped = /^monobot_log_lines_dropped_total (\d+)$/m.exec(metrics);
    expect(Number(dropped?.[1])).toBeGreaterThan(0);
  }, 30_000);
});
