import { afterEach, describe, expect, it } from "vitest";
import { JournalFireStore } from "../../src/runtime/fire-store.js";
import { Journal } from "../../src/runtime/journal.js";
import { cleanup, stateDir } from "./helpers.js";

afterEach(cleanup);

const at = (iso: string) => new Date(iso);

describe("JournalFireStore", () => {
  it("claims a fire once: the same or an older one loses, a newer one wins", async () => {
    const journal = Journal.open(stateDir());
    const store = new JournalFireStore(journal);
    expect(await store.lastFire("o/r:nightly")).toBeNull();
    expect(await store.claim("o/r:nightly", at("2026-03-10T01:00:00Z"))).toBe(true);
    expect(await store.claim("o/r:nightly", at("2026-03-10T01:00:00Z"))).toBe(false);
    expect(await store.claim("o/r:nightly", at("2026-03-09T01:00:00Z"))).toBe(false);
    expect(await store.claim("o/r:nightly", at("2026-03-11T01:00:00Z"))).toBe(true);
    expect(await store.lastFire("o/r:nightly")).toEqual(at("2026-03-11T01:00:00Z"));
    expect(await store.lastFire("o/r:other")).toBeNull();
    await journal.close();
  });

  it("gives one of two concurrent claims of a fire", async () => {
    const journal = Journal.open(stateDir());
    const store = new JournalFireStore(journal);
    const fire = at("2026-03-10T01:00:00Z");
    const results = await Promise.all([store.claim("k", fire), store.claim("k", fire)]);
    expect(results.sort()).toEqual([false, true]);
    await journal.close();
  });

  it("remembers claims across a restart without a close, and through compactions", async () => {
    const dir = stateDir();
    const first = new JournalFireStore(Journal.open(dir, { compactBytes: 512 }));
    for (let day = 1; day <= 20; day++) {
      const fire = at(`2026-03-${String(day).padStart(2, "0")}T01:00:00Z`);
      expect(await first.claim("o/r:nightly", fire)).toBe(true);
    }
    const journal = Journal.open(dir);
    const second = new JournalFireStore(journal);
    expect(await second.lastFire("o/r:nightly")).toEqual(at("2026-03-20T01:00:00Z"));
    expect(await second.claim("o/r:nightly", at("2026-03-20T01:00:00Z"))).toBe(false);
    await journal.close();
  });

  it("refuses a date that is not one", async () => {
    const journal = Journal.open(stateDir());
    await expect(new JournalFireStore(journal).claim("k", new Date("nope"))).rejects.toThrow(
      "not a date",
    );
    await journal.close();
  });
});
