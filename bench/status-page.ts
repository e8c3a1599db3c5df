// Benchmark: the status page's HTML and JSON latency for an operator, with 10,000 jobs and a 1,000 x 3 board.
import type { AddressInfo } from "node:net";
import { createServer } from "node:http";
import { silentLog } from "../src/log.js";
import { ActivityLog } from "../src/runtime/activity.js";
import { startSandbox } from "../src/sandbox/driver.js";
import { statusPage } from "../src/status/index.js";
import { defaultPolicyObject, validatePolicyObject, type Policy } from "../src/core/policy.js";
import { BoardStore, largeBoard } from "../test/helpers/env-boards.js";

const JOBS = 10_000;
const REPOS = 200;
/** One config repo's board: this many components in dev, staging and production. */
const COMPONENTS = 1000;
const CONFIG_REPO = "org/config";
const REQUESTS = Number(process.env.BENCH_STATUS_REQUESTS ?? 400);
const WARMUP = 40;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/** Follows the sign-in round trip by hand and returns the session cookie. */
async function signIn(base: string): Promise<string> {
  const start = await fetch(`${base}/status/login`, { redirect: "manual" });
  const state = start.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  const authorize = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
  const back = await fetch(authorize.headers.get("location") ?? "", {
    redirect: "manual",
    headers: { cookie: state },
  });
  const session = back.headers.getSetCookie().find((c) => c.startsWith("monobot_session="));
  if (!session) throw new Error(`sign-in failed: ${back.status} ${await back.text()}`);
  return session.split(";")[0] ?? "";
}

export async function benchStatusPage(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox = await startSandbox();
  sandbox.createUser("opal");
  const activity = new ActivityLog(JOBS);
  for (let i = 0; i < JOBS; i++) {
    activity.record(
      {
        handler: i % 3 ? "pull-request" : "push",
        deliveryId: `d${i}`,
        key: `org/repo-${i % REPOS}#${i}`,
      },
      i % 17 ? "success" : "error",
      50 + (i % 900),
      i % 17 ? undefined : new Error("GitHub answered 502 Bad Gateway"),
    );
  }
  const r = validatePolicyObject(defaultPolicyObject(), () => ({ file: "", line: 1, column: 1 }));
  if (!r.ok) throw new Error("default policy is invalid");
  const policy: Policy = r.policy;
  const loaded = Array.from({ length: REPOS }, (_, i) => ({
    owner: "org",
    repo: `repo-${i}`,
    defaultBranch: "main",
    installationId: 1,
    jobs: [
      {
        job: "nightly",
        component: `c${i}`,
        cron: "H H * * *",
        timezone: "UTC",
        key: `nightly:c${i}`,
      },
    ],
    policy,
  }));
  const boards = new BoardStore();
  boards.put(largeBoard(CONFIG_REPO, COMPONENTS));
  const { routes } = statusPage({
    activity,
    boards,
    queue: { size: () => 12, oldestWaitingMs: () => 900 },
    scheduler: { loaded: () => loaded },
    mode: "journal",
    oauth: sandbox.oauthClient(),
    baseUrl: sandbox.apiBaseUrl,
    admins: ["opal"],
    log: silentLog,
  });
  // The routes alone, as http-server.ts dispatches them (exact path, then prefix).
  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes.find(
      (x) => x.path === url || (x.prefix === true && url.startsWith(x.path)),
    );
    if (!route) {
      res.writeHead(404);
      res.end();
      return;
    }
    void route.handle(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox.signInAs("opal");
  const cookie = await signIn(base);
  const rows: Array<Record<string, string | number>> = [];
  let changes = 0;
  try {
    /** [row, path, what happens before each request, send the last ETag back]. */
    const requests: Array<[string, string, (() => void)?, boolean?]> = [
      ["HTML page (all views)", "/"],
      ["HTML views (refresh poll)", "/status/views"],
      ["HTML views, unchanged since the last poll (304)", "/status/views", undefined, true],
      ["HTML views, filtered (state=failed)", "/status/views?state=failed"],
      // Every request after a merge: the board's index and matrix are built again.
      [
        "HTML views, board changed before each",
        "/status/views",
        () => boards.update(CONFIG_REPO, "svc-0001", "dev", `9.${changes++}.0`),
      ],
      ["JSON environments", "/api/monobot/status/environments"],
      [
        "JSON environments, filtered",
        "/api/monobot/status/environments?environment=production&component=svc-09",
      ],
      ["JSON activity", "/api/monobot/status/activity"],
      ["JSON schedule", "/api/monobot/status/schedule"],
      ["JSON health (signed out)", "/api/monobot/status/health"],
    ];
    for (const [what, path, before, revalidate] of requests) {
      const times: number[] = [];
      let bytes = 0;
      let etag: string | null = null;
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        before?.();
        const t0 = performance.now();
        const res = await fetch(base + path, {
          headers: path.endsWith("health")
            ? {}
            : { cookie, ...(revalidate && etag ? { "if-none-match": etag } : {}) },
        });
        const body = await res.text();
        const ms = performance.now() - t0;
        if (res.status !== 200 && !(revalidate && res.status === 304))
          throw new Error(`${path} answered ${res.status}`);
        etag = res.headers.get("etag") ?? etag;
        if (i >= WARMUP) times.push(ms);
        bytes = body.length;
      }
      times.sort((a, b) => a - b);
      rows.push({
        request: what,
        "jobs recorded": JOBS,
        "board cells": COMPONENTS * 3,
        requests: REQUESTS,
        "p50 ms": Number(percentile(times, 50).toFixed(2)),
        "p99 ms": Number(percentile(times, 99).toFixed(2)),
        bytes: bytes,
      });
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sandbox.stop();
  }
  return { rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void benchStatusPage().then(({ rows }) => console.table(rows));
}
