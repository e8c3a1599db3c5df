// The job queue shared by several replicas: jobs kept in Redis, one key drained at a time, by BullMQ.
//
// Open-source BullMQ has no per-key groups, so each key gets an inbox (a Redis list of its jobs, in
// the order they were accepted) and at most one BullMQ "drain" job that runs them one after the
// other. BullMQ deduplication with `keepLastIfActive` keeps a key to one active drain job plus one
// waiting, which closes the race of a job arriving while its key's drainer is finishing; BullMQ's
// locks and stalled-job checks hand a dead replica's drainer to another replica. We chose this
// over a per-key lock (a job that finds its key busy must wait somewhere, and re-queuing it loses
// the order) and over deduplication alone (`keepLastIfActive` keeps only the newest job of an id:
// right for superseding, wrong for a PR's comment and CI result, which must both run).
//
// Everything that must be atomic across replicas is one Lua script: the delivery-id claim, the
// supersede, the capacity check and the append (enqueue); taking the next job of a key, fenced by
// the BullMQ lock of the drain job (take); forgetting a finished job (finish).
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Log } from "../log.js";
import type { EnqueueResult, JobQueue, JobRunner, QueuedJob } from "./job.js";
import {
  bullConnection,
  createRedisClient,
  LuaScript,
  type RedisConnection,
} from "./redis-client.js";

export interface RedisQueueOptions {
  /** Prefix of every key, BullMQ's and ours (`{monobot}` keeps them in one Redis Cluster slot). */
  prefix?: string;
  /** The BullMQ queue's name; replicas that share work use the same. */
  name?: string;
  /** False: this replica only accepts jobs (an intake tier) and the others run them (default true). */
  work?: boolean;
  /** Keys this replica drains at once (default 4). */
  concurrency?: number;
  /** Jobs waiting at once across all replicas; more are refused with "full" (default 10,000). */
  maxPending?: number;
  /** How long a delivery id is remembered across replicas (default 3 days, GitHub's redelivery window). */
  rememberDeliveriesMs?: number;
  /** BullMQ's lock on a running drain job: a replica silent this long is taken over (default 5 s). */
  lockDurationMs?: number;
  /** How often this replica looks for drain jobs whose replica died (default 1.25 s). */
  stalledIntervalMs?: number;
  /** Jobs of one key run back to back before the key goes to the back of the line (default 20). */
  batch?: number;
  /** A job whose run was cut off (replica died) this many times is given up (default 3). */
  maxCrashes?: number;
  /** How often keys with waiting jobs are offered again: repairs a crash inside enqueue (default 30 s). */
  sweepIntervalMs?: number;
  /** How often this replica checks which of its jobs finished on other replicas (default 250 ms). */
  pollIntervalMs?: number;
  onError?: (job: QueuedJob, error: unknown) => void;
  /** Called (on the replica that accepted the newer job) when a queued job is replaced. */
  onSuperseded?: (job: QueuedJob) => void;
  /** Where Redis and BullMQ errors go (never the job's spec). */
  log?: Log;
}

interface DrainData {
  key: string;
}

// KEYS: seen, items, inbox, supersede, pending, keys, waiting since. ARGV: id, job, key,
// supersedeKey, ttl, max, inbox prefix, now (epoch ms).
const ENQUEUE = new LuaScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then return {"duplicate"} end
local older, olderInbox, olderJob = false, false, false
if ARGV[4] ~= "" then
  local id = redis.call("HGET", KEYS[4], ARGV[4])
  if id then
    local job = redis.call("HGET", KEYS[2], id)
    if job then
      local inbox = ARGV[7] .. cjson.decode(job)["key"]
      if redis.call("LPOS", inbox, id) then older, olderInbox, olderJob = id, inbox, job end
    end
  end
end
local pending = tonumber(redis.call("GET", KEYS[5]) or "0")
if older then pending = pending - 1 end
if pending >= tonumber(ARGV[6]) then return {"full"} end
if older then
  redis.call("LREM", olderInbox, 1, older)
  redis.call("HDEL", KEYS[2], older)
  redis.call("ZREM", KEYS[7], older)
  redis.call("DECR", KEYS[5])
end
redis.call("SET", KEYS[1], "1", "PX", ARGV[5])
redis.call("HSET", KEYS[2], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[7], ARGV[8], ARGV[1])
redis.call("RPUSH", KEYS[3], ARGV[1])
redis.call("SADD", KEYS[6], ARGV[3])
redis.call("INCR", KEYS[5])
if ARGV[4] ~= "" then redis.call("HSET", KEYS[4], ARGV[4], ARGV[1]) end
return {"queued", olderJob or ""}
`);

// KEYS: inbox, inflight, items, supersede, pending, keys, drain job lock, crashes, waiting since.
// ARGV: token, key.
const TAKE = new LuaScript(`
if redis.call("GET", KEYS[7]) ~= ARGV[1] then return {"lost"} end
local current = redis.call("GET", KEYS[2])
if current then
  local job = redis.call("HGET", KEYS[3], current)
  if job then return {"resume", current, job, redis.call("HINCRBY", KEYS[8], current, 1)} end
  redis.call("DEL", KEYS[2])
end
while true do
  local id = redis.call("LPOP", KEYS[1])
  if not id then
    redis.call("SREM", KEYS[6], ARGV[2])
    return {"empty"}
  end
  redis.call("DECR", KEYS[5])
  redis.call("ZREM", KEYS[9], id)
  local job = redis.call("HGET", KEYS[3], id)
  if job then
    redis.call("SET", KEYS[2], id)
    local sk = cjson.decode(job)["supersedeKey"]
    if type(sk) == "string" and redis.call("HGET", KEYS[4], sk) == id then redis.call("HDEL", KEYS[4], sk) end
    return {"start", id, job}
  end
end
`);

// KEYS: inflight, items, crashes. ARGV: id.
const FINISH = new LuaScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then redis.call("DEL", KEYS[1]) end
redis.call("HDEL", KEYS[2], ARGV[1])
redis.call("HDEL", KEYS[3], ARGV[1])
return 1
`);

type Taken =
  | { kind: "lost" }
  | { kind: "empty" }
  | { kind: "start"; id: string; job: string }
  | { kind: "resume"; id: string; job: string; crashes: number };

function validate(job: QueuedJob): void {
  for (const field of ["handler", "deliveryId", "key"] as const) {
    if (typeof job[field] !== "string" || job[field] === "") {
      throw new TypeError(`RedisQueue.enqueue: the job's ${field} must be a non-empty string`);
    }
  }
  if (job.supersedeKey !== undefined && typeof job.supersedeKey !== "string") {
    throw new TypeError("RedisQueue.enqueue: the job's supersedeKey must be a string when set");
  }
}

export class RedisQueue implements JobQueue {
  readonly #redis: Redis;
  readonly #queue: Queue<DrainData>;
  readonly #worker: Worker<DrainData> | undefined;
  readonly #runner: JobRunner;
  readonly #options: RedisQueueOptions;
  readonly #base: string;
  readonly #batch: number;
  readonly #maxCrashes: number;
  /** Delivery ids this replica accepted that are not finished yet (wherever they run). */
  readonly #mine = new Set<string>();
  /** Delivery ids running in this replica. */
  readonly #running = new Set<string>();
  /** Drain jobs in hand in this replica. */
  readonly #drains = new Set<Promise<void>>();
  #idle: (() => void)[] = [];
  #closed = false;
  #ended = false;
  readonly #timers: NodeJS.Timeout[] = [];
  #polling = false;
  #oldestAcceptedAt: number | null = null;

  constructor(connection: RedisConnection, runner: JobRunner, options: RedisQueueOptions = {}) {
    this.#runner = runner;
    this.#options = options;
    const prefix = options.prefix ?? "monobot";
    const name = options.name ?? "jobs";
    this.#base = `${prefix}:${name}:q:`;
    this.#batch = options.batch ?? 20;
    this.#maxCrashes = options.maxCrashes ?? 3;
    this.#redis = createRedisClient(connection, `monobot-queue-${name}`);
    this.#redis.on("error", (e: Error) => this.#log("redis connection error", e));
    this.#queue = new Queue<DrainData>(name, { connection: this.#redis, prefix });
    this.#queue.on("error", (e: Error) => this.#log("BullMQ queue error", e));
    this.#worker = options.work === false ? undefined : this.#startWorker(connection, prefix, name);
    const sweep = setInterval(() => void this.#sweep(), options.sweepIntervalMs ?? 30_000);
    const poll = setInterval(() => void this.#poll(), options.pollIntervalMs ?? 250);
    const oldest = setInterval(() => void this.#readOldest(), 1000);
    sweep.unref();
    poll.unref();
    oldest.unref();
    this.#timers.push(sweep, poll, oldest);
    void this.#sweep();
  }

  #startWorker(connection: RedisConnection, prefix: string, name: string): Worker<DrainData> {
    const options = this.#options;
    const worker = new Worker<DrainData>(
      name,
      (job, token) => this.#track(this.#drainKey(job, token)),
      {
        connection: bullConnection(connection),
        prefix,
        concurrency: options.concurrency ?? 4,
        lockDuration: options.lockDurationMs ?? 5_000,
        stalledInterval: options.stalledIntervalMs ?? 1_250,
        // The drain job only carries its key; a job cut off is resumed from Redis by the next
        // drain job, which counts the cut-offs itself (maxCrashes), so BullMQ may retry freely.
        maxStalledCount: 1000,
      },
    );
    worker.on("error", (e: Error) => this.#log("BullMQ worker error", e));
    worker.on("failed", (job, e: Error) =>
      this.#log(`drain job for ${job?.data.key ?? "?"} failed`, e),
    );
    return worker;
  }

  async enqueue(job: QueuedJob): Promise<EnqueueResult> {
    if (this.#closed) return "closed";
    validate(job);
    const k = this.#keys(job.key);
    const reply = (await ENQUEUE.run(
      this.#redis,
      [
        `${this.#base}seen:${job.deliveryId}`,
        k.items,
        k.inbox,
        k.supersede,
        k.pending,
        k.keys,
        k.waitingSince,
      ],
      [
        job.deliveryId,
        JSON.stringify(job),
        job.key,
        job.supersedeKey ?? "",
        this.#options.rememberDeliveriesMs ?? 3 * 24 * 3600_000,
        this.#options.maxPending ?? 10_000,
        `${this.#base}inbox:`,
        Date.now(),
      ],
    )) as [string, string?];
    const [result, superseded] = reply;
    if (result !== "queued") return result === "duplicate" ? "duplicate" : "full";
    this.#mine.add(job.deliveryId);
    if (superseded) {
      const older = JSON.parse(superseded) as QueuedJob;
      this.#forget(older.deliveryId);
      this.#options.onSuperseded?.(older);
    }
    try {
      await this.#offer(job.key);
    } catch (e) {
      // The job is in Redis already; the sweep offers its key again.
      this.#log(`could not offer key ${job.key} to the workers (the sweep retries)`, e);
    }
    return "queued";
  }

  /**
   * How long the oldest job waiting in Redis has waited, whichever replica accepted it (refreshed
   * about every second while this replica runs); null when none waits.
   */
  oldestWaitingMs(): number | null {
    return this.#oldestAcceptedAt === null
      ? null
      : Math.max(0, Date.now() - this.#oldestAcceptedAt);
  }

  size(): number {
    let size = this.#mine.size;
    for (const id of this.#running) if (!this.#mine.has(id)) size++;
    return size;
  }

  /**
   * Stops this replica taking jobs, and waits for the jobs running here. Jobs still waiting stay
   * in Redis for the other replicas (or this one's successor), so nothing is handed back: a
   * redelivery of theirs would only be dropped as a duplicate. After `timeoutMs` the jobs running
   * here go on until the process exits; then their locks lapse and another replica reruns them.
   */
  async drain(timeoutMs: number): Promise<{ finished: boolean; handedBack: string[] }> {
    this.#closed = true;
    await this.#worker?.pause(true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const finished = await Promise.race([
      Promise.allSettled([...this.#drains]).then(() => true as const),
      timeout,
    ]);
    clearTimeout(timer);
    if (finished) await this.#worker?.close();
    return { finished, handedBack: [] };
  }

  /** Resolves when no job this replica accepted is waiting or running anywhere, and none runs here. */
  idle(): Promise<void> {
    if (this.size() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** True when Redis answers within `timeoutMs` (for `/readyz`: no Redis, no intake). */
  async ping(timeoutMs = 1000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.#redis.ping().then((r) => r === "PONG"), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Drains (if not yet) and closes every connection; what was not finished is left in Redis. */
  async close(timeoutMs = 0): Promise<void> {
    if (this.#ended) return;
    if (!this.#closed) await this.drain(timeoutMs);
    this.#ended = true;
    for (const t of this.#timers) clearInterval(t);
    await this.#worker?.close(true);
    await this.#queue.close();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
    for (const resolve of this.#idle.splice(0)) resolve();
  }

  #keys(key: string) {
    const b = this.#base;
    return {
      items: `${b}items`,
      /** Waiting jobs by the time they were accepted (the oldest one's age, for metrics). */
      waitingSince: `${b}waiting-since`,
      supersede: `${b}supersede`,
      pending: `${b}pending`,
      keys: `${b}keys`,
      crashes: `${b}crashes`,
      inbox: `${b}inbox:${key}`,
      inflight: `${b}inflight:${key}`,
    };
  }

  /** Makes sure a drain job exists for the key (one waiting at most, thanks to deduplication). */
  async #offer(key: string): Promise<void> {
    await this.#queue.add(
      "drain",
      { key },
      {
        deduplication: { id: key, keepLastIfActive: true },
        removeOnComplete: true,
        removeOnFail: true,
        attempts: 5,
        backoff: { type: "exponential", delay: 500 },
      },
    );
  }

  #track(work: Promise<void>): Promise<void> {
    this.#drains.add(work);
    void work.finally(() => this.#drains.delete(work)).catch(() => undefined);
    return work;
  }

  async #drainKey(job: Job<DrainData>, token: string | undefined): Promise<void> {
    const key = job.data.key;
    if (!token || !job.id) throw new Error("BullMQ gave a drain job without a lock token");
    const lock = `${this.#queue.toKey(job.id)}:lock`;
    for (let n = 0; n < this.#batch; n++) {
      if (this.#closed) break;
      const taken = await this.#take(key, lock, token);
      if (taken.kind === "lost" || taken.kind === "empty") return;
      const queued = JSON.parse(taken.job) as QueuedJob;
      if (taken.kind === "resume" && taken.crashes >= this.#maxCrashes) {
        this.#options.onError?.(
          queued,
          new Error(
            `given up: its run was cut off ${taken.crashes} time${taken.crashes === 1 ? "" : "s"} (a replica died mid-job)`,
          ),
        );
      } else {
        await this.#run(queued);
      }
      const k = this.#keys(key);
      await FINISH.run(this.#redis, [k.inflight, k.items, k.crashes], [taken.id]);
      this.#forget(taken.id);
    }
    // This replica is stopping, or the key had its turn: its next drain job starts once this one
    // ends (deduplication stores it as the next), on whichever replica is free.
    await this.#offer(key);
  }

  async #take(key: string, lock: string, token: string): Promise<Taken> {
    const k = this.#keys(key);
    const reply = (await TAKE.run(
      this.#redis,
      [
        k.inbox,
        k.inflight,
        k.items,
        k.supersede,
        k.pending,
        k.keys,
        lock,
        k.crashes,
        k.waitingSince,
      ],
      [token, key],
    )) as [string, string?, string?, number?];
    const [kind, id = "", job = "", crashes = 0] = reply;
    if (kind === "start") return { kind, id, job };
    if (kind === "resume") return { kind, id, job, crashes };
    return kind === "lost" ? { kind: "lost" } : { kind: "empty" };
  }

  async #run(job: QueuedJob): Promise<void> {
    this.#running.add(job.deliveryId);
    try {
      await this.#runner(job);
    } catch (e) {
      this.#options.onError?.(job, e);
    } finally {
      this.#running.delete(job.deliveryId);
    }
  }

  #forget(deliveryId: string): void {
    this.#mine.delete(deliveryId);
    if (this.size() === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  /** Which of this replica's jobs other replicas finished (their record is gone from Redis). */
  async #poll(): Promise<void> {
    if (this.#polling || this.#mine.size === 0 || this.#ended) return;
    this.#polling = true;
    try {
      const ids = [...this.#mine].slice(0, 1000);
      const found = await this.#redis.hmget(this.#keys("").items, ...ids);
      ids.forEach((id, i) => {
        if (found[i] === null && !this.#running.has(id)) this.#forget(id);
      });
    } catch (e) {
      this.#log("could not check which jobs finished", e);
    } finally {
      this.#polling = false;
    }
  }

  async #readOldest(): Promise<void> {
    if (this.#ended) return;
    try {
      const [, score] = await this.#redis.zrange(this.#keys("").waitingSince, 0, 0, "WITHSCORES");
      this.#oldestAcceptedAt = score === undefined ? null : Number(score);
    } catch {
      // Redis away: the last figure stands; /readyz tells.
    }
  }

  /** Offers every key with waiting work again (a drain job lost to a crash is made anew). */
  async #sweep(): Promise<void> {
    if (this.#closed) return;
    try {
      let cursor = "0";
      do {
        const [next, keys] = await this.#redis.sscan(this.#keys("").keys, cursor, "COUNT", 200);
        cursor = next;
        for (const key of keys) await this.#offer(key);
      } while (cursor !== "0" && !this.#closed);
    } catch (e) {
      this.#log("sweep of waiting keys failed", e);
    }
  }

  #log(msg: string, e: unknown): void {
    if (this.#ended) return;
    this.#options.log?.warn({ err: e instanceof Error ? e.message : String(e) }, msg);
  }
}
