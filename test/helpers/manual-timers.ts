// A timer store whose time is the test's: timers fire when the test says the clock reached them.
import type { Json } from "../../src/runtime/job.js";
import type { TimerStore } from "../../src/runtime/stores.js";

export class ManualTimers implements TimerStore {
  readonly timers = new Map<string, { due: number; data: Json }>();
  #onDue: ((key: string, data: Json) => Promise<void>) | undefined;

  set(key: string, dueAtMs: number, data: Json): Promise<void> {
    this.timers.set(key, { due: dueAtMs, data });
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.timers.delete(key);
    return Promise.resolve();
  }

  start(onDue: (key: string, data: Json) => Promise<void>): void {
    this.#onDue = onDue;
  }

  pending(): Promise<number> {
    return Promise.resolve(this.timers.size);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** When `key` is due (epoch ms), or undefined when it is not set. */
  due(key: string): number | undefined {
    return this.timers.get(key)?.due;
  }

  /** Fires every timer due at `nowMs` or earlier, as the real store does when its time comes. */
  async fireDue(nowMs: number): Promise<string[]> {
    if (!this.#onDue) throw new Error("manual timers: not started (bind the follow-ups first)");
    const fired: string[] = [];
    for (const [key, t] of [...this.timers]) {
      if (t.due > nowMs) continue;
      this.timers.delete(key);
      fired.push(key);
      await this.#onDue(key, t.data);
    }
    return fired;
  }
}
