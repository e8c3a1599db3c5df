// Jobs a job asks for: at once (a deploy after a publish) or at a time (a gate that opens at
// 08:00), kept in the durable store so a restart forgets none.
import type { Log } from "../log.js";
import type { EnqueueResult, JobQueue, QueuedJob } from "./job.js";
import type { TimerStore } from "./stores.js";

export class FollowUps {
  #queue: JobQueue | undefined;

  constructor(
    private readonly later: TimerStore,
    private readonly log: Log,
  ) {}

  /** Connects the queue once it exists (it needs the handlers, which need these services). */
  bind(queue: JobQueue): void {
    this.#queue = queue;
    this.later.start(async (key, data) => {
      const outcome = await this.submit(data as unknown as QueuedJob);
      this.log.info({ followUp: key, outcome }, "timed follow-up job queued");
    });
  }

  /** Queues a job now; its delivery id must name the cause, so a repeat is a duplicate. */
  submit(job: QueuedJob): Promise<EnqueueResult> {
    if (!this.#queue)
      return Promise.reject(new Error("follow-up jobs: the queue is not bound yet"));
    return this.#queue.enqueue(job);
  }

  /** Queues a job at `dueAtMs` (replacing an earlier one under the same key). */
  at(key: string, dueAtMs: number, job: QueuedJob): Promise<void> {
    return this.later.set(key, dueAtMs, job as unknown as Parameters<TimerStore["set"]>[2]);
  }

  cancel(key: string): Promise<void> {
    return this.later.clear(key);
  }

  stop(): Promise<void> {
    return this.later.stop();
  }
}
