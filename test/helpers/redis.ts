// A private redis-server per test file: started in beforeAll, stopped in afterAll, never skipped.
import { afterAll, beforeAll } from "vitest";
import { startRedisServer, type RedisServer } from "../../src/runtime/redis-server.js";

export interface TestRedis {
  /** `redis://127.0.0.1:PORT` of this file's server (read it inside a test or hook). */
  readonly url: string;
  /** A key prefix no other test in the file uses, so tests share the server without flushing. */
  prefix(name: string): string;
}

/**
 * Registers the server's start and stop in the calling test file. Per file rather than a vitest
 * globalSetup: only Redis test files pay for it, and each file has a server of its own. When
 * redis-server is missing it is installed (as root) or the file fails with what to install.
 */
export function useRedisServer(): TestRedis {
  let server: RedisServer | undefined;
  let count = 0;
  beforeAll(async () => {
    server = await startRedisServer();
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get url() {
      if (!server)
        throw new Error("the test redis-server is not started: use it inside a test or hook");
      return server.url;
    },
    prefix(name: string) {
      count++;
      return `t${count}-${name}`;
    },
  };
}
