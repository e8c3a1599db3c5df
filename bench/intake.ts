// Benchmark: signed `pull_request` deliveries per second and acknowledgement latency: monobot with
// its journal, monobot with its queue in memory, and a bare Probot app.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { Agent, request } from "node:http";
import { fileURLToPath, pathToFileURL } from "node:url";
import { startMonobot, type MonobotProcess } from "../src/demo.js";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";
import { signBody } from "../src/sandbox/webhooks.js";

const DELIVERIES = 2_000;
const CONCURRENCY = 20;
const WARMUP = 100;
/** The deliveries of each server are sent in this many rounds, the servers taking turns. */
const ROUNDS = 4;
/** No run takes longer than this, whatever the machine: the loop stops issuing deliveries. */
const RUN_LIMIT_MS = 60_000;

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The baseline: Probot's own node middleware in a node http server, with an empty `pull_request`
 * handler; run as a child process like monobot, so both servers have a process of their own.
 */
const BARE_PROBOT = `
import { createServer } from "node:http";
import { Probot, createNodeMiddleware } from "probot";
const probot = new Probot({
  appId: process.env.APP_ID,
  privateKey: process.env.PRIVATE_KEY,
  secret: process.env.WEBHOOK_SECRET,
  logLevel: process.env.LOG_LEVEL,
});
const middleware = await createNodeMiddleware((app) => {
  app.on("pull_request", async () => {});
}, { probot });
const server = createServer((req, res) => {
  middleware(req, res, () => { res.writeHead(404); res.end(); });
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\\n");
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

interface Target {
  name: string;
  url: string;
  stop(): Promise<unknown>;
}

async function startBareProbot(env: Record<string, string>): Promise<Target> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", BARE_PROBOT], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<unknown>((resolve) => child.on("exit", resolve));
  process.on("exit", () => child.kill("SIGKILL"));
  let out = "";
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`bare Probot exited: ${err}`)));
  });
  return {
    name: "bare Probot (createNodeMiddleware, empty handler)",
    url: `http://127.0.0.1:${port}/api/github/webhooks`,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

interface Measured {
  sent: number;
  statuses: Map<number, number>;
  latenciesMs: number[];
  seconds: number;
}

/** POSTs one signed body `count` times (a fresh delivery id each), `concurrency` at a time, over keep-alive. */
async function load(
  url: string,
  body: string,
  signature: string,
  count: number,
  concurrency: number,
): Promise<Measured> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const target = new URL(url);
  const payload = Buffer.from(body);
  const statuses = new Map<number, number>();
  const latenciesMs: number[] = [];
  let next = 0;
  const deadline = Date.now() + RUN_LIMIT_MS;
  const post = () =>
    new Promise<number>((resolve) => {
      const req = request(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "content-length": payload.length,
            "user-agent": "GitHub-Hookshot/bench",
            "x-github-event": "pull_request",
            "x-github-delivery": randomUUID(),
            "x-hub-signature-256": signature,
          },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", () => resolve(0));
      req.end(payload);
    });
  const started = performance.now();
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      next++;
      const t0 = performance.now();
      const status = await post();
      latenciesMs.push(performance.now() - t0);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { sent: latenciesMs.length, statuses, latenciesMs, seconds };
}

function combine(runs: Measured[]): Measured {
  const statuses = new Map<number, number>();
  for (const r of runs)
    for (const [s, n] of r.statuses) statuses.set(s, (statuses.get(s) ?? 0) + n);
  return {
    sent: runs.reduce((n, r) => n + r.sent, 0),
    statuses,
    latenciesMs: runs.flatMap((r) => r.latenciesMs),
    seconds: runs.reduce((n, r) => n + r.seconds, 0),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

type Summary = ReturnType<typeof summarize>;

function summarize(name: string, m: Measured) {
  const sorted = [...m.latenciesMs].sort((a, b) => a - b);
  return {
    name,
    perSecond: m.sent / m.seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    sent: m.sent,
    statuses: [...m.statuses].map(([s, n]) => `${s}×${n}`).join(" "),
  };
}

/**
 * Deliveries of one `pull_request.opened` payload for the same PR (so queued work for it is superseded and
 * the queue stays small) to the monobot server, whose GitHub is the sandbox, and to a bare Probot app.
 */
export async function benchIntake(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox: Sandbox = await startSandbox();
  const monobots: MonobotProcess[] = [];
  let bare: Target | undefined;
  try {
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    sandbox.createOrg("acme", { members: ["alice"] });
    const repo = sandbox.createRepo({ owner: "acme", name: "mono", installation: true }).fullName;
    sandbox.seedFromDirectory(
      repo,
      fileURLToPath(new URL("../examples/monorepo", import.meta.url)),
    );
    sandbox.pushCommit(repo, {
      branch: "change",
      author: "alice",
      message: "roc-api: 1.3.0\n\nSigned-off-by: Alice Liddell <alice@example.com>",
      files: { "services/roc-api/VERSION": "1.3.0\n" },
    });
    const pr = sandbox.openPullRequest(repo, { head: "change", user: "alice" });
    const event = sandbox.events.pullRequest({ repo, number: pr.number, action: "opened" });
    const body = JSON.stringify(event.payload);
    const signature = signBody(sandbox.webhookSecret, body);

    // Three servers up at once, loaded in turn, round after round: a machine whose load drifts
    // (other work on the same cores) weighs on each of them alike.
    bare = await startBareProbot(sandbox.env());
    const memory = await startMonobot({ env: { ...sandbox.env(), MONOBOT_JOURNAL: "off" } });
    monobots.push(memory);
    const journal = await startMonobot({ env: sandbox.env() });
    monobots.push(journal);
    sandbox.webhookUrl = journal.webhookUrl;
    const targets = [
      { name: bare.name, url: bare.url },
      { name: "monobot, MONOBOT_JOURNAL=off (queue in memory)", url: memory.webhookUrl },
      { name: "monobot, journal in MONOBOT_STATE_DIR (default)", url: journal.webhookUrl },
    ];
    for (const t of targets) await load(t.url, body, signature, WARMUP, CONCURRENCY);
    const measured = targets.map(() => [] as Measured[]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, t] of targets.entries()) {
        measured[i]?.push(await load(t.url, body, signature, DELIVERIES / ROUNDS, CONCURRENCY));
      }
    }
    const results = targets.map((t, i) => summarize(t.name, combine(measured[i] ?? [])));
    const [b, m, j] = results as [Summary, Summary, Summary];
    const rows: Array<Record<string, string | number>> = results.map((r) => ({
      server: r.name,
      deliveries: r.sent,
      concurrency: CONCURRENCY,
      "accepted / s": round(r.perSecond, 0),
      "p50 ack ms": round(r.p50, 2),
      "p99 ack ms": round(r.p99, 2),
      "max ms": round(r.max, 1),
      answers: r.statuses,
    }));
    const ratio = (name: string, x: Summary, y: Summary) => ({
      server: name,
      deliveries: "",
      concurrency: "",
      "accepted / s": round(x.perSecond / y.perSecond, 2),
      "p50 ack ms": round(x.p50 / y.p50, 2),
      "p99 ack ms": round(x.p99 / y.p99, 2),
      "max ms": "",
      answers: "",
    });
    rows.push(ratio("ratio journal / in memory (target >= 0.8 for / s)", j, m));
    rows.push(ratio("ratio journal / bare Probot", j, b));
    return { rows };
  } finally {
    await bare?.stop();
    // Drains the verification still running for the PR (Probot paces its writes a second apart).
    for (const m of monobots) await m.stop(60_000);
    await sandbox.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchIntake();
  console.table(rows);
}
