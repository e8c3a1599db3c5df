// The redelivery sweep: its rule (table), its memory, its timer, and a run against the sandbox.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BoundedGuidSet,
  failedDeliveries,
  GitHubHookDeliveries,
  nextCursor,
  RedeliverySweep,
  type HookDeliveriesPort,
  type HookDeliveryAttempt,
} from "../../src/runtime/redelivery-sweep.js";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { appOctokit, standardSandbox, webhookReceiver } from "../sandbox/helpers.js";

const NOW = new Date("2024-05-10T12:00:00Z");
const HOUR = 3600_000;

function attempt(
  id: number,
  guid: string,
  statusCode: number,
  hoursAgo: number,
  redelivery = false,
): HookDeliveryAttempt {
  return {
    id,
    guid,
    statusCode,
    redelivery,
    event: "pull_request",
    deliveredAt: new Date(NOW.getTime() - hoursAgo * HOUR).toISOString(),
  };
}

describe("failedDeliveries", () => {
  const cases: {
    name: string;
    attempts: HookDeliveryAttempt[];
    skip?: string[];
    want: { guid: string; id: number }[];
  }[] = [
    { name: "nothing listed", attempts: [], want: [] },
    { name: "a 2xx is delivered", attempts: [attempt(1, "a", 202, 1)], want: [] },
    { name: "a 200 is delivered", attempts: [attempt(1, "a", 200, 1)], want: [] },
    { name: "a 5xx failed", attempts: [attempt(1, "a", 503, 1)], want: [{ guid: "a", id: 1 }] },
    { name: "a 4xx failed", attempts: [attempt(1, "a", 401, 1)], want: [{ guid: "a", id: 1 }] },
    { name: "no answer failed", attempts: [attempt(1, "a", 0, 1)], want: [{ guid: "a", id: 1 }] },
    { name: "a 3xx failed", attempts: [attempt(1, "a", 302, 1)], want: [{ guid: "a", id: 1 }] },
    {
      name: "failed, then a redelivery succeeded",
      attempts: [attempt(2, "a", 200, 1, true), attempt(1, "a", 503, 2)],
      want: [],
    },
    {
      name: "failed twice: the newest attempt is named",
      attempts: [attempt(2, "a", 502, 1, true), attempt(1, "a", 503, 2)],
      want: [{ guid: "a", id: 2 }],
    },
    {
      name: "older than 3 days: out of the window",
      attempts: [attempt(1, "a", 503, 73)],
      want: [],
    },
    {
      name: "just inside the window",
      attempts: [attempt(1, "a", 503, 71)],
      want: [{ guid: "a", id: 1 }],
    },
    {
      name: "a success outside the window still counts",
      attempts: [attempt(2, "a", 503, 1, true), attempt(1, "a", 200, 80)],
      want: [],
    },
    {
      name: "already requested",
      attempts: [attempt(1, "a", 503, 1), attempt(2, "b", 503, 2)],
      skip: ["a"],
      want: [{ guid: "b", id: 2 }],
    },
    {
      name: "oldest first",
      attempts: [attempt(3, "c", 500, 1), attempt(2, "b", 500, 5), attempt(1, "a", 500, 3)],
      want: [
        { guid: "b", id: 2 },
        { guid: "a", id: 1 },
        { guid: "c", id: 3 },
      ],
    },
    {
      name: "an unreadable time is skipped",
      attempts: [{ ...attempt(1, "a", 500, 1), deliveredAt: "yesterday" }],
      want: [],
    },
  ];
  it.each(cases)("$name", ({ attempts, skip, want }) => {
    const got = failedDeliveries(attempts, {
      now: NOW,
      skip: (g) => (skip ?? []).includes(g),
    });
    expect(got.map(({ guid, id }) => ({ guid, id }))).toEqual(want);
  });
});

describe("BoundedGuidSet", () => {
  it("forgets the oldest guid past its capacity; adding again refreshes", async () => {
    const set = new BoundedGuidSet(2);
    await set.add("a");
    await set.add("b");
    await set.add("a");
    await set.add("c");
    expect([await set.has("a"), await set.has("b"), await set.has("c")]).toEqual([
      true,
      false,
      true,
    ]);
    expect(set.size).toBe(2);
  });

  it.each([0, -1, 1.5])("refuses capacity %s", (capacity) => {
    expect(() => new BoundedGuidSet(capacity)).toThrow(/capacity must be a positive integer/);
  });
});

describe("nextCursor", () => {
  it.each([
    {
      link: '<https://api.github.com/app/hook/deliveries?per_page=2&cursor=v1_12077215967>; rel="next"',
      want: "v1_12077215967",
    },
    {
      link: '<https://x/app/hook/deliveries?cursor=v1_1>; rel="prev", <https://x/app/hook/deliveries?cursor=v1_9&per_page=100>; rel="next"',
      want: "v1_9",
    },
    { link: '<https://x/app/hook/deliveries?cursor=v1_1>; rel="prev"', want: undefined },
    { link: undefined, want: undefined },
    { link: "garbage", want: undefined },
  ])("$link -> $want", ({ link, want }) => {
    expect(nextCursor(link)).toBe(want);
  });
});

/** A port over fixed pages, recording what the sweep asked for. */
function fakePort(pages: HookDeliveryAttempt[][], redeliver?: (id: number) => Promise<void>) {
  const calls = { list: [] as (string | undefined)[], redeliver: [] as number[] };
  const port: HookDeliveriesPort = {
    list: (cursor) => {
      calls.list.push(cursor);
      const index = cursor === undefined ? 0 : Number(cursor);
      const deliveries = pages[index] ?? [];
      return Promise.resolve(
        index + 1 < pages.length ? { deliveries, next: String(index + 1) } : { deliveries },
      );
    },
    redeliver: (id) => {
      calls.redeliver.push(id);
      return redeliver ? redeliver(id) : Promise.resolve();
    },
  };
  return { port, calls };
}

describe("RedeliverySweep (over a fake port)", () => {
  it("follows the cursor and stops at the first page that reaches past the window", async () => {
    const { port, calls } = fakePort([
      [attempt(6, "f", 200, 1), attempt(5, "e", 503, 2)],
      [attempt(4, "d", 503, 70), attempt(3, "c", 503, 74)],
      [attempt(2, "b", 503, 75), attempt(1, "a", 503, 76)],
    ]);
    const sweep = new RedeliverySweep({ port, now: () => NOW });
    const report = await sweep.sweep();
    expect(calls.list).toEqual([undefined, "1"]);
    expect(report).toMatchObject({ pages: 2, attempts: 4, truncated: false });
    expect(calls.redeliver).toEqual([4, 5]);
  });

  it("reads at most maxPages pages and says so", async () => {
    const pages = Array.from({ length: 30 }, (_, i) => [attempt(100 - i, `g${i}`, 200, 0.01 * i)]);
    const { port, calls } = fakePort(pages);
    const report = await new RedeliverySweep({ port, now: () => NOW, maxPages: 3 }).sweep();
    expect(calls.list).toHaveLength(3);
    expect(report.truncated).toBe(true);
  });

  it("asks at most maxRedeliveries a sweep; the rest come next sweep", async () => {
    const { port, calls } = fakePort([
      [attempt(3, "c", 500, 1), attempt(2, "b", 500, 2), attempt(1, "a", 500, 3)],
    ]);
    const counted: number[] = [];
    const sweep = new RedeliverySweep({
      port,
      now: () => NOW,
      maxRedeliveries: 2,
      redeliveriesRequested: (n) => counted.push(n),
    });
    expect((await sweep.sweep()).requested).toEqual(["a", "b"]);
    expect((await sweep.sweep()).requested).toEqual(["c"]);
    expect((await sweep.sweep()).requested).toEqual([]);
    expect(calls.redeliver).toEqual([1, 2, 3]);
    expect(counted).toEqual([2, 1]);
  });

  it("tries a redelivery that failed on GitHub's side again next sweep, not one GitHub refused", async () => {
    const answers: Record<number, number> = { 1: 502, 2: 422 };
    const { port, calls } = fakePort([[attempt(2, "b", 500, 1), attempt(1, "a", 500, 2)]], (id) =>
      answers[id]
        ? Promise.reject(Object.assign(new Error("no"), { status: answers[id] }))
        : Promise.resolve(),
    );
    const sweep = new RedeliverySweep({ port, now: () => NOW });
    const first = await sweep.sweep();
    expect(first.requested).toEqual([]);
    expect(first.failed).toEqual([
      { guid: "a", id: 1, status: 502 },
      { guid: "b", id: 2, status: 422 },
    ]);
    delete answers[1];
    const second = await sweep.sweep();
    expect(second.requested).toEqual(["a"]);
    expect(calls.redeliver).toEqual([1, 2, 1]);
  });

  it("refuses options that are not positive integers", () => {
    const { port } = fakePort([]);
    expect(() => new RedeliverySweep({ port, maxPages: 0 })).toThrow(/maxPages must be a positive/);
    expect(() => new RedeliverySweep({ port }).start(-5)).toThrow(/intervalMs must be a positive/);
  });

  it("start() sweeps at once and then every interval, survives a failing sweep; stop() ends it", async () => {
    let lists = 0;
    const port: HookDeliveriesPort = {
      list: () => {
        lists++;
        return lists === 2
          ? Promise.reject(new Error("GitHub is down"))
          : Promise.resolve({ deliveries: [] });
      },
      redeliver: () => Promise.resolve(),
    };
    const warnings: string[] = [];
    const log = {
      debug: () => undefined,
      info: () => undefined,
      warn: (_o: object | string, msg?: string) => void warnings.push(msg ?? ""),
      error: () => undefined,
      child: () => log,
    };
    const sweep = new RedeliverySweep({ port, log });
    sweep.start(20);
    expect(lists).toBe(1);
    expect(() => sweep.start(20)).toThrow(/already started/);
    for (let i = 0; i < 200 && lists < 4; i++) await new Promise((r) => setTimeout(r, 10));
    await sweep.stop();
    expect(lists).toBeGreaterThanOrEqual(4);
    expect(warnings).toContain("redelivery sweep failed");
    const after = lists;
    await new Promise((r) => setTimeout(r, 80));
    expect(lists).toBe(after);
  });
});

describe("RedeliverySweep against the sandbox", () => {
  let sandbox: Sandbox;
  let repo: string;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  /** monobot's answer to each guid: a list, one status per attempt (the last one repeats). */
  const answers = new Map<string, number[]>();

  beforeAll(async () => {
    ({ sandbox, repo } = await standardSandbox());
    receiver = await webhookReceiver((guid, seenBefore) => {
      const list = answers.get(guid) ?? [202];
      return list[Math.min(seenBefore, list.length - 1)] ?? 202;
    });
    sandbox.webhookUrl = receiver.url;
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.close();
  });

  async function deliver(guid: string, statuses: number[], options: { daysAgo?: number } = {}) {
    answers.set(guid, statuses);
    return sandbox.deliver(sandbox.events.push({ repo, ref: "main" }), {
      deliveryId: guid,
      ...(options.daysAgo !== undefined
        ? { deliveredAt: new Date(Date.now() - options.daysAgo * 24 * HOUR) }
        : {}),
    });
  }

  it("redelivers exactly the failed guids, once; skips later successes and the 3-day window", async () => {
    const g = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    await deliver(g(1), [503, 503]); // fails, and its redelivery fails too: asked once only
    await deliver(g(2), [202]); // delivered
    await deliver(g(3), [500, 200]); // failed, then someone redelivered it with success
    await sandbox.deliver(sandbox.events.push({ repo, ref: "main" }), {
      deliveryId: g(3),
    });
    await deliver(g(4), [503], { daysAgo: 4 }); // failed, but too old to redeliver
    // monobot was down: nothing answered at all.
    answers.set(g(5), [200]);
    await sandbox.deliver(sandbox.events.push({ repo, ref: "main" }), {
      deliveryId: g(5),
      url: "http://127.0.0.1:9/api/github/webhooks",
    });
    for (let n = 6; n < 11; n++) await deliver(g(n), [200]); // fill a few pages

    const counted: number[] = [];
    const port = new GitHubHookDeliveries(await appOctokit(sandbox), 3);
    const sweep = new RedeliverySweep({ port, redeliveriesRequested: (n) => counted.push(n) });
    const mark = sandbox.mark();
    const first = await sweep.sweep();
    await sandbox.settleRedeliveries();
    expect(first.requested).toEqual([g(1), g(5)]);
    expect(first.truncated).toBe(false);
    expect(counted).toEqual([2]);
    const posted = sandbox.requests({
      since: mark,
      operationId: "apps/redeliver-webhook-delivery",
    });
    expect(posted).toHaveLength(2);
    // The listing was read in pages of 3 until the page that reached the 4-day-old delivery.
    const lists = sandbox.requests({ since: mark, operationId: "apps/list-webhook-deliveries" });
    expect(lists.length).toBeGreaterThan(1);
    expect(lists.slice(1).every((r) => /cursor=v1_\d+/.test(r.url))).toBe(true);

    // The redeliveries reached the webhook with the same guid and body.
    const redelivered = sandbox.deliveries().filter((d) => d.redelivery && d.id !== g(3));
    expect(redelivered.map((d) => [d.id, d.status])).toEqual([
      [g(1), 503],
      [g(5), 200],
    ]);
    const original5 = sandbox.deliveries().find((d) => d.id === g(5));
    expect(receiver.received.find((r) => r.guid === g(5))?.body).toBe(original5?.body);

    // g(1) failed again, but the sweep asked once: the next sweeps ask nothing.
    const second = await sweep.sweep();
    expect(second.requested).toEqual([]);
    expect(counted).toEqual([2]);
    expect(
      sandbox.requests({ since: mark, operationId: "apps/redeliver-webhook-delivery" }),
    ).toHaveLength(2);
    sandbox.assertNoViolations();
  });
});
