// Run timeouts and schedule fires shared by replicas: BullMQ delayed jobs, a fire claim in Redis,
// and the repositories every replica schedules.
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Log } from "../log.js";
import type { Json } from "./job.js";
import {
  bullConnection,
  createRedisClient,
  LuaScript,
  type RedisConnection,
} from "./redis-client.js";
import type { FireStore, TimerStore } from "./stores.js";
import {
  parseScheduledRepo,
  Scheduler,
  type ScheduledRepo,
  type SharedRepositories,
} from "./scheduler.js";

export interface RedisTimerStoreOptions {
  /** Prefix of every key (the same as the queue's, so one `{prefix}` keeps a cluster slot). */
  prefix?: string;
  /** BullMQ queue name of the timers (default "timers"). */
  name?: string;
  /** BullMQ's lock on a firing timer: a replica silent this long is taken over (default 5 s). */
  lockDurationMs?: number;
  /** How often this replica looks for timers whose replica died while firing (default 1.25 s). */
  stalledIntervalMs?: number;
  log?: Log;
}

interface TimerData {
  key: string;
  gen: number;
}

// The hash of timers is the truth; a delayed job only wakes a replica at the due time, and fires
// only if its generation is still the timer's (a replaced or cleared timer's job does nothing).
// KEYS: timers, generation counter. ARGV: key, due, data. Returns the new and the old generation.
const SET_TIMER = new LuaScript(`
local old = redis.call("HGET", KEYS[1], ARGV[1])
local gen = redis.call("INCR", KEYS[2])
redis.call("HSET", KEYS[1], ARGV[1], cjson.encode({gen = gen, due = tonumber(ARGV[2]), data = ARGV[3]}))
if old then return {gen, cjson.decode(old)["gen"]} end
return {gen, 0}
`);

// KEYS: timers. ARGV: key. Returns the cleared generation (0: none).
const CLEAR_TIMER = new LuaScript(`
local old = redis.call("HGET", KEYS[1], ARGV[1])
if not old then return 0 end
redis.call("HDEL", KEYS[1], ARGV[1])
return cjson.decode(old)["gen"]
`);

// KEYS: timers, the firing job's lock. ARGV: key, gen, lock token. The data when this job may fire.
const DUE_TIMER = new LuaScript(`
if redis.call("GET", KEYS[2]) ~= ARGV[3] then return false end
local entry = redis.call("HGET", KEYS[1], ARGV[1])
if not entry then return false end
local timer = cjson.decode(entry)
if tostring(timer["gen"]) ~= ARGV[2] then return false end
return timer["data"]
`);

// KEYS: timers. ARGV: key, gen. Forgets the timer if it is still this generation.
const FIRED_TIMER = new LuaScript(`
local entry = redis.call("HGET", KEYS[1], ARGV[1])
if entry and tostring(cjson.decode(entry)["gen"]) == ARGV[2] then redis.call("HDEL", KEYS[1], ARGV[1]) end
return 1
`);

/** BullMQ job ids may not hold ":" nor be integers: the key in base64url, then the generation. */
function timerJobId(key: string, gen: number): string {
  return `${Buffer.from(key, "utf8").toString("base64url")}.${gen}`;
}

/**
 * Run timeouts as BullMQ delayed jobs: a due timer fires on one replica, once (a replica that dies
 * while firing is taken over after `lockDurationMs`, and its timer fires again there).
 */
export class RedisTimerStore implements TimerStore {
  readonly #connection: RedisConnection;
  readonly #options: RedisTimerStoreOptions;
  readonly #redis: Redis;
  readonly #queue: Queue<TimerData>;
  readonly #prefix: string;
  readonly #name: string;
  readonly #timers: string;
  readonly #gen: string;
  #worker: Worker<TimerData> | undefined;
  #stopped = false;

  constructor(connection: RedisConnection, options: RedisTimerStoreOptions = {}) {
    this.#connection = connection;
    this.#options = options;
    this.#prefix = options.prefix ?? "monobot";
    this.#name = options.name ?? "timers";
    this.#timers = `${this.#prefix}:${this.#name}:t:timers`;
    this.#gen = `${this.#prefix}:${this.#name}:t:gen`;
    this.#redis = createRedisClient(connection, `monobot-${this.#name}`);
    this.#redis.on("error", (e: Error) => this.#log("redis connection error", e));
    this.#queue = new Queue<TimerData>(this.#name, {
      connection: this.#redis,
      prefix: this.#prefix,
    });
    this.#queue.on("error", (e: Error) => this.#log("BullMQ timer queue error", e));
  }

  async set(key: string, dueAtMs: number, data: Json): Promise<void> {
    if (typeof key !== "string" || key === "") {
      throw new TypeError("RedisTimerStore.set: the timer key must be a non-empty string");
    }
    if (!Number.isFinite(dueAtMs)) {
      throw new TypeError(`RedisTimerStore.set: the due time of ${key} must be epoch milliseconds`);
    }
    const [gen, old] = (await SET_TIMER.run(
      this.#redis,
      [this.#timers, this.#gen],
      [key, dueAtMs, JSON.stringify(data)],
    )) as [number, number];
    await this.#schedule(key, gen, dueAtMs);
    if (old) await this.#unschedule(key, old);
  }

  async clear(key: string): Promise<void> {
    const old = (await CLEAR_TIMER.run(this.#redis, [this.#timers], [key])) as number;
    if (old) await this.#unschedule(key, old);
  }

  start(onDue: (key: string, data: Json) => Promise<void>): void {
    if (this.#worker || this.#stopped) return;
    this.#worker = new Worker<TimerData>(
      this.#name,
      (job, token) => this.#fire(job, token, onDue),
      {
        connection: bullConnection(this.#connection),
        prefix: this.#prefix,
        concurrency: 4,
        lockDuration: this.#options.lockDurationMs ?? 5_000,
        stalledInterval: this.#options.stalledIntervalMs ?? 1_250,
        maxStalledCount: 5,
      },
    );
    this.#worker.on("error", (e: Error) => this.#log("BullMQ timer worker error", e));
    // A crash between the hash write and the job's add would leave a timer without a job.
    void this.#reschedule().catch((e: unknown) => this.#log("could not reschedule timers", e));
  }

  async pending(): Promise<number> {
    return await this.#redis.hlen(this.#timers);
  }

  /** Stops firing on this replica and closes its connections; the timers stay in Redis. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#worker?.close();
    await this.#queue.close();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #fire(
    job: Job<TimerData>,
    token: string | undefined,
    onDue: (key: string, data: Json) => Promise<void>,
  ): Promise<void> {
    const { key, gen } = job.data;
    if (!token || !job.id) throw new Error("BullMQ gave a timer job without a lock token");
    const lock = `${this.#queue.toKey(job.id)}:lock`;
    const data = (await DUE_TIMER.run(this.#redis, [this.#timers, lock], [key, gen, token])) as
      string | null;
    if (data === null) return;
    try {
      await onDue(key, JSON.parse(data) as Json);
    } catch (e) {
      // Like a job's runner: a failing callback is logged and the timer counts as fired.
      this.#log(`timer ${key} callback failed`, e);
    }
    await FIRED_TIMER.run(this.#redis, [this.#timers], [key, gen]);
  }

  async #schedule(key: string, gen: number, dueAtMs: number): Promise<void> {
    await this.#queue.add(
      "timer",
      { key, gen },
      {
        jobId: timerJobId(key, gen),
        delay: Math.max(0, dueAtMs - Date.now()),
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 5,
        backoff: { type: "exponential", delay: 500 },
      },
    );
  }

  async #unschedule(key: string, gen: number): Promise<void> {
    // Tidiness only: a stale job that fires finds another generation and does nothing.
    await this.#queue.remove(timerJobId(key, gen)).catch(() => 0);
  }

  async #reschedule(): Promise<void> {
    let cursor = "0";
    do {
      const [next, flat] = await this.#redis.hscan(this.#timers, cursor, "COUNT", 200);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const timer = JSON.parse(flat[i + 1] ?? "{}") as { gen: number; due: number };
        // Same job id as set() used: adding a job that exists already does nothing.
        await this.#schedule(flat[i] ?? "", timer.gen, timer.due);
      }
    } while (cursor !== "0" && !this.#stopped);
  }

  #log(msg: string, e: unknown): void {
    if (this.#stopped) return;
    this.#options.log?.warn({ err: e instanceof Error ? e.message : String(e) }, msg);
  }
}

// KEYS: fires. ARGV: key, at (epoch ms). 1 when this call recorded the fire, 0 when one at or
// after it is recorded already.
const CLAIM_FIRE = new LuaScript(`
local last = redis.call("HGET", KEYS[1], ARGV[1])
if last and tonumber(last) >= tonumber(ARGV[2]) then return 0 end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
return 1
`);

/**
 * The schedule's fires across replicas: every replica's scheduler ticks, and `claim` lets one of
 * them dispatch each slot. The claim is a compare-and-set on the schedule's last fire, which is
 * stronger than a SET NX per slot: a lagging replica cannot claim a slot older than one fired.
 */
export class RedisFireStore implements FireStore {
  readonly #redis: Redis;
  readonly #fires: string;

  constructor(connection: RedisConnection, options: { prefix?: string } = {}) {
    this.#fires = `${options.prefix ?? "monobot"}:schedule:fires`;
    this.#redis = createRedisClient(connection, "monobot-fires");
  }

  async lastFire(key: string): Promise<Date | null> {
    const at = await this.#redis.hget(this.#fires, key);
    return at === null ? null : new Date(Number(at));
  }

  async claim(key: string, at: Date): Promise<boolean> {
    if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
      throw new TypeError(`RedisFireStore.claim: the fire time of ${key} must be a valid Date`);
    }
    return (await CLAIM_FIRE.run(this.#redis, [this.#fires], [key, at.getTime()])) === 1;
  }

  async prune(forget: (key: string) => boolean): Promise<number> {
    let cursor = "0";
    let forgotten = 0;
    do {
      const [next, flat] = await this.#redis.hscan(this.#fires, cursor, "COUNT", 500);
      cursor = next;
      const keys = flat.filter((_, i) => i % 2 === 0).filter(forget);
      if (keys.length > 0) forgotten += await this.#redis.hdel(this.#fires, ...keys);
    } while (cursor !== "0");
    return forgotten;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/**
 * The repositories every replica schedules, shared: one replica learns a repository (an event,
 * an installation, its start-up listing) and every replica ticks it from its next tick on.
 */
export class RedisScheduledRepos implements SharedRepositories {
  readonly #redis: Redis;
  readonly #repos: string;

  constructor(connection: RedisConnection, options: { prefix?: string } = {}) {
    this.#repos = `${options.prefix ?? "monobot"}:schedule:repos`;
    this.#redis = createRedisClient(connection, "monobot-scheduled-repos");
  }

  async add(target: ScheduledRepo): Promise<void> {
    await this.#redis.hset(this.#repos, Scheduler.repoKey(target), JSON.stringify(target));
  }

  async remove(repoKey: string): Promise<void> {
    await this.#redis.hdel(this.#repos, repoKey);
  }

  async all(): Promise<ScheduledRepo[]> {
    const out: ScheduledRepo[] = [];
    for (const value of Object.values(await this.#redis.hgetall(this.#repos))) {
      const target = parseScheduledRepo(value);
      if (target) out.push(target);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
