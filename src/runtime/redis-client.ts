// How the Redis runtime connects: one input (`REDIS_URL` or ioredis options), and Lua run by SHA.
import { createHash } from "node:crypto";
import { Redis, type RedisOptions } from "ioredis";
import type { ConnectionOptions } from "bullmq";

/** What `REDIS_URL` holds (`redis://[user:pass@]host:port[/db]`, `rediss://` for TLS), or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** A client of our own (Lua scripts, claims); BullMQ's workers open their own connections. */
export function createRedisClient(connection: RedisConnection, name: string): Redis {
  const options: RedisOptions = {
    connectionName: name,
    // A write that cannot reach Redis fails after a few reconnects instead of waiting forever,
    // so intake answers an error and GitHub's delivery can be retried.
    maxRetriesPerRequest: 3,
  };
  if (typeof connection === "string") {
    if (!/^rediss?:\/\//.test(connection)) {
      throw new Error(
        "REDIS_URL must start with redis:// or rediss:// (e.g. redis://redis:6379/0); fix the variable",
      );
    }
    return new Redis(connection, options);
  }
  return new Redis({ ...connection, ...options });
}

/** The same connection as BullMQ takes it (BullMQ opens, and closes, its own clients from it). */
export function bullConnection(connection: RedisConnection): ConnectionOptions {
  // BullMQ declares its own copy of ioredis's options (only a few callback types differ in form).
  return typeof connection === "string"
    ? { url: connection }
    : ({ ...connection } as ConnectionOptions);
}

/** A Lua script sent once and then called by its SHA (the server may forget it: resent then). */
export class LuaScript {
  readonly #sha: string;
  constructor(private readonly source: string) {
    this.#sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith("NOSCRIPT")) throw e;
      return await redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
