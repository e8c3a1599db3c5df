// GitHub's spacing of writes (about one second apart per installation), shared by every replica
// through Redis: each write takes the next free slot of its installation, on Redis's clock.
//
// Probot's own clustering (Bottleneck over Redis) holds a write's reservation while the write
// waits for its turn; a replica killed meanwhile leaves it held until it expires, 60 s later, and
// every replica's writes to that installation wait for it. A slot here is only a time: a dead
// replica leaves nothing to wait for beyond the one slot it took.
import type { Octokit } from "@octokit/core";
import type { OctokitOptions } from "@octokit/core/types";
import type { Redis } from "ioredis";
import type { Log } from "../log.js";
import { createRedisClient, LuaScript, type RedisConnection } from "./redis-client.js";

// KEYS: the installation's next slot. ARGV: gap ms, key ttl ms. Milliseconds to wait.
const TAKE_SLOT = new LuaScript(`
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local next = tonumber(redis.call("GET", KEYS[1]) or "0")
local at = math.max(now, next)
redis.call("SET", KEYS[1], at + tonumber(ARGV[1]), "PX", ARGV[2])
return at - now
`);

export interface RedisWriteSpacingOptions {
  /** Prefix of the keys (default `monobot`). */
  prefix?: string;
  /** Time between two writes of one installation, across replicas (default 1000 ms). */
  gapMs?: number;
  /** Longest wait for a slot before the write goes anyway (default 60 s). */
  maxWaitMs?: number;
  log?: Log;
}

/** Whether a request is a write GitHub asks to space: not a read, a token, nor GraphQL (read here). */
export function isSpacedWrite(method: string, url: string): boolean {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") return false;
  return !/\/graphql$|\/access_tokens$|\/token(\/scoped)?$/.test(url.split("?")[0] ?? url);
}

export class RedisWriteSpacing {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #gapMs: number;
  readonly #maxWaitMs: number;
  readonly #log: Log | undefined;
  #warned = false;

  constructor(connection: RedisConnection, options: RedisWriteSpacingOptions = {}) {
    this.#prefix = options.prefix ?? "monobot";
    this.#gapMs = options.gapMs ?? 1000;
    this.#maxWaitMs = options.maxWaitMs ?? 60_000;
    this.#log = options.log;
    if (!Number.isInteger(this.#gapMs) || this.#gapMs < 0) {
      throw new Error(`write spacing: gapMs must be a whole number of ms (got ${this.#gapMs})`);
    }
    this.#redis = createRedisClient(connection, "monobot-write-spacing");
    this.#redis.on("error", () => undefined);
  }

  /**
   * Takes the installation's next write slot; resolves with how long to wait for it. When Redis
   * does not answer, 0: the write goes with this replica's own spacing only (said once).
   */
  async take(installation: string): Promise<number> {
    try {
      const wait = (await TAKE_SLOT.run(
        this.#redis,
        [`${this.#prefix}:writes:${installation}`],
        [this.#gapMs, Math.max(60_000, this.#maxWaitMs * 2)],
      )) as number;
      this.#warned = false;
      return Math.min(wait, this.#maxWaitMs);
    } catch (e) {
      if (!this.#warned) {
        this.#warned = true;
        this.#log?.warn(
          { err: e instanceof Error ? e.message : String(e) },
          "write spacing: Redis does not answer; writes are spaced by this replica alone",
        );
      }
      return 0;
    }
  }

  /**
   * An Octokit plugin: an installation's client (Probot gives it the installation id as its
   * throttle id) waits for its slot before each write. Other clients are left alone.
   */
  plugin() {
    return (octokit: Octokit, options: OctokitOptions): void => {
      // The throttling plugin's option, which Octokit's own options type does not name.
      const id = (options as { throttle?: { id?: unknown } }).throttle?.id;
      if (typeof id !== "string" || id === "" || id === "no-id") return;
      octokit.hook.before("request", async (request) => {
        if (!isSpacedWrite(request.method, request.url)) return;
        const wait = await this.take(id);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      });
    };
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
