// Schedule fires kept in the state directory's journal, so a restart neither repeats nor loses one.
import type { Journal } from "./journal.js";
import type { FireStore } from "./stores.js";

export class JournalFireStore implements FireStore {
  readonly #fires: Map<string, number>;

  constructor(private readonly journal: Journal) {
    this.#fires = new Map(journal.state.fires);
  }

  async lastFire(key: string): Promise<Date | null> {
    const at = this.#fires.get(key);
    return at === undefined ? null : new Date(at);
  }

  /** True when `at` is later than the last fire claimed for `key`; written before it answers. */
  async claim(key: string, at: Date): Promise<boolean> {
    const ms = at.getTime();
    if (!Number.isFinite(ms)) throw new TypeError(`schedule ${key}: the fire time is not a date`);
    const last = this.#fires.get(key);
    if (last !== undefined && last >= ms) return false;
    // Taken before the write, so a concurrent claim of the same fire loses.
    this.#fires.set(key, ms);
    try {
      await this.journal.append({ t: "fire", key, at: ms });
    } catch (e) {
      if (this.#fires.get(key) === ms) {
        if (last === undefined) this.#fires.delete(key);
        else this.#fires.set(key, last);
      }
      throw e;
    }
    return true;
  }

  async prune(forget: (key: string) => boolean): Promise<number> {
    const keys = [...this.#fires.keys()].filter(forget);
    if (keys.length === 0) return 0;
    for (const key of keys) this.#fires.delete(key);
    // A crash before this is written only leaves the records for the next prune.
    await this.journal.append(...keys.map((key) => ({ t: "unfire" as const, key })));
    return keys.length;
  }
}
