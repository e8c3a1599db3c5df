// The private redis-server of the Redis tests and benchmark: found, installed or refused; started, stopped.
import { createConnection } from "node:net";
import { describe, expect, it } from "vitest";
import { redisServerPlan, startRedisServer } from "../../src/runtime/redis-server.js";

function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (d) => {
      socket.destroy();
      resolve(d.toString().trim());
    });
  });
}

describe("redisServerPlan", () => {
  it.each([
    [
      "found on PATH",
      { found: "/usr/bin/redis-server", root: false, apt: true },
      { use: "/usr/bin/redis-server" },
    ],
    ["missing, root with apt-get", { found: null, root: true, apt: true }, { install: true }],
  ])("%s", (_what, machine, plan) => {
    expect(redisServerPlan(machine)).toEqual(plan);
  });

  it.each([
    ["missing, not root", { found: null, root: false, apt: true }, "not root"],
    ["missing, no apt-get", { found: null, root: true, apt: false }, "apt-get is not available"],
  ])("%s: fails saying what to install, never skips", (_what, machine, why) => {
    const plan = redisServerPlan(machine);
    expect(plan).toHaveProperty("error");
    const error = (plan as { error: string }).error;
    expect(error).toContain(why);
    expect(error).toContain("apt-get install -y redis-server");
    expect(error).toContain("never skip");
  });
});

describe("startRedisServer", () => {
  it("answers PING on its loopback port until stopped", async () => {
    const server = await startRedisServer();
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(await ping(server.port)).toBe("+PONG");
    await server.stop();
    expect(await ping(server.port)).toBe("error ECONNREFUSED");
    expect(() => process.kill(server.pid, 0)).toThrow();
  });
});
