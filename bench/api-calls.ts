// Benchmark: GitHub API requests per `pull_request` event against the monorepo's component count (sandbox log).
import { pathToFileURL } from "node:url";
import { startMonobot, waitUntil, type MonobotProcess } from "../src/demo.js";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";

interface Scenario {
  components: number;
  touched: number;
}

const SCENARIOS: Scenario[] = [
  { components: 10, touched: 1 },
  { components: 10, touched: 10 },
  { components: 100, touched: 1 },
  { components: 100, touched: 50 },
  { components: 1_000, touched: 1 },
  { components: 1_000, touched: 50 },
];

const SIGN_OFF = "Signed-off-by: Alice Liddell <alice@example.com>";

function folderOf(i: number): string {
  const group = `group-${String(i % 20).padStart(2, "0")}`;
  // Every tenth component is a plugin nested inside the previous service, as in real monorepos.
  if (i % 10 === 9) return `services/${group}/svc-${i - 1}/plugins/plugin-${i}`;
  return `services/${group}/svc-${i}`;
}

function source(i: number, extra = ""): string {
  return `// SPDX-License-Identifier: Apache-2.0\npackage svc${i}\n\n// Name is the component's name.\nconst Name = "svc-${i}"\n${extra}`;
}

/** A monorepo of `components` components (VERSION, code, README each), the app installed. */
function seedMonorepo(sandbox: Sandbox, name: string, components: number): string {
  const files: Record<string, string> = {
    LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
    "README.md": "# Monorepo\n",
  };
  for (let i = 0; i < components; i++) {
    const folder = folderOf(i);
    files[`${folder}/VERSION`] = "1.0.0\n";
    files[`${folder}/main.go`] = source(i);
    files[`${folder}/README.md`] = `# svc-${i}\n`;
  }
  const repo = sandbox.createRepo({ owner: "acme", name, installation: true, files }).fullName;
  return repo;
}

/** A PR changing the code of `touched` components and bumping their VERSION, signed off: all checks pass. */
function openChange(sandbox: Sandbox, repo: string, scenario: Scenario) {
  const files: Record<string, string> = {};
  const step = Math.max(1, Math.floor(scenario.components / scenario.touched));
  for (let k = 0; k < scenario.touched; k++) {
    const i = k * step;
    files[`${folderOf(i)}/main.go`] = source(
      i,
      `\n// Version is served on /version.\nconst Version = "1.1.0"\n`,
    );
    files[`${folderOf(i)}/VERSION`] = "1.1.0\n";
  }
  sandbox.pushCommit(repo, {
    branch: "change",
    author: "alice",
    message: `Touch ${scenario.touched} components\n\n${SIGN_OFF}`,
    files,
  });
  return {
    pr: sandbox.openPullRequest(repo, { head: "change", user: "alice" }),
    changed: Object.keys(files).length,
  };
}

async function handledTotal(server: MonobotProcess): Promise<number> {
  const h = await server.handled();
  return h.success + h.error;
}

/** Delivers `opened` and counts the sandbox requests until monobot finished the job. */
async function measureEvent(
  sandbox: Sandbox,
  server: MonobotProcess,
  repo: string,
  number: number,
) {
  const before = await handledTotal(server);
  const errors = (await server.handled()).error;
  const mark = sandbox.mark();
  const started = performance.now();
  const delivery = await sandbox.deliver(
    sandbox.events.pullRequest({ repo, number, action: "opened" }),
  );
  if (delivery.status !== 202) throw new Error(`delivery answered ${delivery.status}`);
  await waitUntil(async () => (await handledTotal(server)) > before, {
    timeoutMs: 120_000,
    what: "monobot to finish the event",
  });
  if ((await server.handled()).error > errors) throw new Error("the event's job failed in monobot");
  const seconds = (performance.now() - started) / 1000;
  const byOperation = new Map<string, number>();
  for (const r of sandbox.requests({ since: mark })) {
    const op = r.operationId ?? `${r.method} ${r.path}`;
    byOperation.set(op, (byOperation.get(op) ?? 0) + 1);
  }
  return { byOperation, seconds };
}

/**
 * One row per operation, one column per scenario (components / components touched): the counts must
 * stay flat along a row as the component count grows. Measured after a warm-up event, so the cached
 * installation token and app identity are not counted.
 */
export async function benchApiCalls(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox = await startSandbox();
  let server: MonobotProcess | undefined;
  try {
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    sandbox.createOrg("acme", { members: ["alice"] });
    // The scheduler off: its start-up listing and minute ticks are not caused by the events counted here.
    server = await startMonobot({ env: { ...sandbox.env(), MONOBOT_SCHEDULER: "off" } });
    sandbox.webhookUrl = server.webhookUrl;

    const warmup = seedMonorepo(sandbox, "warmup", 3);
    const warm = openChange(sandbox, warmup, { components: 3, touched: 1 });
    await measureEvent(sandbox, server, warmup, warm.pr.number);

    const columns: Array<{
      label: string;
      files: number;
      changed: number;
      byOperation: Map<string, number>;
      seconds: number;
    }> = [];
    for (const scenario of SCENARIOS) {
      const repo = seedMonorepo(
        sandbox,
        `mono-${scenario.components}-${scenario.touched}`,
        scenario.components,
      );
      const { pr, changed } = openChange(sandbox, repo, scenario);
      const measured = await measureEvent(sandbox, server, repo, pr.number);
      columns.push({
        label: `${scenario.components} comp. / ${scenario.touched} touched`,
        files: 2 + 3 * scenario.components,
        changed,
        ...measured,
      });
    }
    sandbox.assertNoViolations();

    const operations = [...new Set(columns.flatMap((c) => [...c.byOperation.keys()]))].sort();
    const row = (name: string, value: (c: (typeof columns)[number]) => string | number) => {
      const out: Record<string, string | number> = { "": name };
      for (const c of columns) out[c.label] = value(c);
      return out;
    };
    const rows = [
      row("files in the repository", (c) => c.files),
      row("files changed by the PR", (c) => c.changed),
      ...operations.map((op) => row(op, (c) => c.byOperation.get(op) ?? 0)),
      row("API requests in all", (c) => [...c.byOperation.values()].reduce((a, b) => a + b, 0)),
      row("event handled in (s)", (c) => Math.round(c.seconds * 10) / 10),
    ];
    return { rows };
  } finally {
    if (server) await server.stop();
    await sandbox.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchApiCalls();
  console.table(rows);
}
