import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { testPrivateKey } from "../helpers/keys.js";

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
});
