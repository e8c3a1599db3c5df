// Benchmark: the dashboard issue's GitHub writes for a burst of relevant events, and its render time on a large board.
import { pathToFileURL } from "node:url";
import { renderDashboard } from "../src/core/dashboard.js";
import { buildEnvBoard } from "../src/core/env-board.js";
import type { EnvCell } from "../src/core/env-matrix.js";
import type { DeploymentRecord } from "../src/core/env-record.js";
import { resolvePolicy } from "../src/core/policy.js";
import { waitUntil } from "../src/demo.js";
import { startSandbox } from "../src/sandbox/driver.js";
import { exampleFiles } from "../test/helpers/env-config.js";
import { sandboxApp } from "../test/helpers/sandbox-app.js";
import { DASHBOARD_GAP_MS } from "../src/workflows/dashboard.js";

const CONFIG = "acme/aether-config";

/**
 * 100 `deployment_status` events on one config repo, each after a hold or release that changes the
 * board, delivered at once or spread over `spreadMs`; counts the writes to the issue.
 */
async function burst(events: number, spreadMs: number): Promise<Record<string, string | number>> {
  const sandbox = await startSandbox();
  try {
    sandbox.createUser("alice");
    sandbox.createOrg("acme", { members: ["alice"] });
    sandbox.createRepo({
      owner: "acme",
      name: "aether-config",
      installation: true,
      files: exampleFiles(undefined),
    });
    const app = await sandboxApp(sandbox);
    const mark = sandbox.mark();
    const started = performance.now();
    const deliveries: Promise<string>[] = [];
    let last = "";
    for (let i = 0; i < events; i++) {
      const held = i % 2 === 0;
      last = `bench ${i}`;
      const id = sandbox.createDeployment(CONFIG, {
        ref: "main",
        environment: "production",
        task: "monobot:hold",
        payload: { component: "web", hold: held, reason: last, by: "alice" },
        user: "alice",
      });
      sandbox.setDeploymentStatus(CONFIG, id, { state: "success", user: "alice" });
      deliveries.push(
        app.receive(sandbox.events.deploymentStatus({ repo: CONFIG, deploymentId: id })),
      );
      if (spreadMs > 0) await new Promise((r) => setTimeout(r, spreadMs / events));
    }
    await Promise.all(deliveries);
    // The last state shows once the spacing's follow-up has run.
    const finalHeld = (events - 1) % 2 === 0;
    await waitUntil(
      () => {
        const body = sandbox.issues(CONFIG)[0]?.body ?? "";
        return finalHeld ? body.includes(last) : !body.includes("**on hold**") && body.length > 0;
      },
      { timeoutMs: DASHBOARD_GAP_MS * 4, what: "the dashboard's last state" },
    );
    const elapsed = performance.now() - started;
    const writes = sandbox
      .requests({ since: mark })
      .filter((r) => r.method !== "GET" && /\/issues(\/\d+)?$/.test(r.path)).length;
    return {
      scenario:
        spreadMs === 0 ? `${events} events at once` : `${events} events over ${spreadMs / 1000} s`,
      "issue writes": writes,
      "dashboard jobs queued": app.jobs.filter((j) => j.handler === "dashboard").length,
      "until the last state shows (s)": Math.round(elapsed / 100) / 10,
      failures: app.failures.length,
    };
  } finally {
    await sandbox.stop();
  }
}

/** A board of `components` x 3 environments, every cell recorded, and its render. */
function renderTime(components: number): Record<string, string | number> {
  const envs = ["dev", "staging", "production"];
  const names = Array.from({ length: components }, (_, i) => `component-${i}`);
  const cells: EnvCell[] = names.flatMap((component) =>
    envs.map((environment, e) => ({
      environment,
      component,
      kind: "image" as const,
      mixed: false,
      pins: [],
      version: `1.${e === 2 ? 0 : 1}.0`,
    })),
  );
  let id = 1;
  const records: DeploymentRecord[] = names.flatMap((component) =>
    envs.map((environment, e) => ({
      id: id++,
      environment,
      sha: "a".repeat(40),
      ref: "main",
      task: "deploy",
      payload: { component, version: `1.${e === 2 ? 0 : 1}.0` },
      createdAt: "2026-12-01T10:00:00Z",
      state: "success" as const,
    })),
  );
  const policy = resolvePolicy([{ file: ".github/monobot.yml", text: "" }]);
  if (!policy.ok) throw new Error("default policy");
  const input = {
    repository: CONFIG,
    installationId: 1,
    matrix: {
      environments: envs.map((name) => ({ name, production: name === "production" })),
      components: names.map((name) => ({ name, chart: `charts/${name}` })) as never,
      cells,
    },
    deploy: policy.policy.deploy,
    records,
    pulls: [],
    promotions: [],
    now: new Date("2026-12-02T12:00:00Z"),
  };
  const times: { build: number; render: number }[] = [];
  let length = 0;
  for (let i = 0; i < 11; i++) {
    const t0 = performance.now();
    const board = buildEnvBoard(input);
    const t1 = performance.now();
    length = renderDashboard(board).length;
    times.push({ build: t1 - t0, render: performance.now() - t1 });
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return {
    scenario: `${components} components x 3 environments (${components * 3} deployments)`,
    "buildEnvBoard p50 (ms)": Math.round(median(times.map((t) => t.build)) * 10) / 10,
    "renderDashboard p50 (ms)": Math.round(median(times.map((t) => t.render)) * 10) / 10,
    "body (characters)": length,
  };
}

export async function benchDashboard(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows: Array<Record<string, string | number>> = [];
  rows.push(await burst(100, 0));
  rows.push(await burst(100, 10_000));
  rows.push(renderTime(1000));
  return { rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { rows } = await benchDashboard();
  console.table(rows);
}
