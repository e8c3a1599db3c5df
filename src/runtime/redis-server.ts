// A private, throwaway redis-server on 127.0.0.1 for the Redis tests and the Redis benchmark.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface RedisServer {
  /** `redis://127.0.0.1:PORT`, what `REDIS_URL` would hold. */
  url: string;
  port: number;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s) and removes its folder. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "install it with `apt-get update && apt-get install -y redis-server` (Debian's package); " +
  "the Redis tests never skip";

/** The redis-server on PATH, or null. */
export function findRedisServer(): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "redis-server");
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export type RedisServerPlan = { use: string } | { install: true } | { error: string };

/** What to do about the binary: use the one found, install Debian's package (root only), or fail. */
export function redisServerPlan(machine: {
  found: string | null;
  root: boolean;
  apt: boolean;
}): RedisServerPlan {
  if (machine.found) return { use: machine.found };
  if (machine.root && machine.apt) return { install: true };
  const why = machine.apt ? "and this process is not root" : "and apt-get is not available";
  return { error: `redis-server is not on PATH ${why}: ${INSTALL_HINT}` };
}

/**
 * The redis-server binary; when it is missing, installs Debian's package (as root only), without
 * starting the system's redis service. Throws a message saying what to install otherwise.
 */
export function ensureRedisServer(): string {
  const plan = redisServerPlan({
    found: findRedisServer(),
    root: process.getuid?.() === 0,
    apt: process.platform === "linux" && existsSync("/usr/bin/apt-get"),
  });
  if ("use" in plan) return plan.use;
  if ("error" in plan) throw new Error(plan.error);
  // A policy-rc.d that refuses keeps apt from starting the system service we do not want.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    // Test files start side by side: a second apt-get waits for the first one's lock.
    const lock = ["-o", "DPkg::Lock::Timeout=240"];
    execFileSync("apt-get", [...lock, "update", "-qq"], { stdio: "ignore", env, timeout: 300_000 });
    execFileSync("apt-get", [...lock, "install", "-y", "-qq", "redis-server"], {
      stdio: "ignore",
      env,
      timeout: 300_000,
    });
  } catch (e) {
    throw new Error(
      `redis-server is missing and apt-get could not install it (${String(e)}): ${INSTALL_HINT}`,
      { cause: e },
    );
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  const installed = findRedisServer();
  if (!installed)
    throw new Error(`apt-get ran but redis-server is still not on PATH: ${INSTALL_HINT}`);
  return installed;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One PING over plain RESP: true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function startOnce(binary: string, timeoutMs: number): Promise<RedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "monobot-redis-"));
  // No persistence and loopback only: this server holds test data for one run.
  const child = spawn(
    binary,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--protected-mode",
      "yes",
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  // A test process that exits without calling stop() must not leave the server behind.
  const onExit = () => child.kill("SIGKILL");
  process.once("exit", onExit);
  const stop = async () => {
    process.removeListener("exit", onExit);
    child.kill("SIGTERM");
    if (!(await waitForExit(child, 3000))) {
      child.kill("SIGKILL");
      await waitForExit(child, 3000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await ping(port)) {
      return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid ?? 0, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(
    `redis-server on 127.0.0.1:${port} did not answer PING within ${timeoutMs} ms: ${output.trim() || "no output"}`,
  );
}

/** Starts a private redis-server on a free loopback port and waits until it answers PING. */
export async function startRedisServer(options: { timeoutMs?: number } = {}): Promise<RedisServer> {
  const binary = ensureRedisServer();
  let last: unknown;
  // The free port can be taken between the probe and redis binding it: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, options.timeoutMs ?? 10_000);
    } catch (e) {
      last = e;
    }
  }
  throw last instanceof Error ? last : new Error(String(last));
}
