// Benchmark: N pull requests in N installations at once, time until every one has its checks,
// next to one pull request alone (the real server against the sandbox).
import { pathToFileURL } from "node:url";
import { startMonobot, waitUntil, type MonobotProcess } from "../src/demo.js";
import { startSandbox, type Sandbox } from "../src/sandbox/driver.js";

const SIGN_OFF = "Signed-off-by: Alice Liddell <alice@example.com>";

/** A small monorepo in its own organisation (so its own installation), with a PR open on it. */
function seedInstallation(sandbox: Sandbox, org: string): { repo: string; number: number } {
  sandbox.createOrg(org, { members: ["alice"] });
  const files: Record<string, string> = {
    LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
    "README.md": "# Monorepo\n",
  };
  for (let i = 0; i < 5; i++) {
    files[`services/svc-${i}/VERSION`] = "1.0.0\n";
    files[`services/svc-${i}/main.go`] =
      `// SPDX-License-Identifier: Apache-2.0\npackage svc${i}\n`;
  }
  const repo = sandbox.createRepo({ owner: org, name: "mono", installation: true, files }).fullName;
  sandbox.pushCommit(repo, {
    branch: "change",
    author: "alice",
    message: `Change svc-0\n\n${SIGN_OFF}`,
    files: {
      "services/svc-0/main.go":
        "// SPDX-License-Identifier: Apache-2.0\npackage svc0\n\n// V is 1.1.\nconst V = 1\n",
      "services/svc-0/VERSION": "1.1.0\n",
    },
  });
  return { repo, number: sandbox.openPullRequest(repo, { head: "change", user: "alice" }).number };
}

async function finished(server: MonobotProcess): Promise<number> {
  const h = await server.handled();
  return h.success + h.error;
}

/** Delivers `opened` for every PR at once; seconds until monobot finished them all. */
async function burst(
  sandbox: Sandbox,
  server: MonobotProcess,
  prs: { repo: string; number: number }[],
): Promise<number> {
  const before = await finished(server);
  const errors = (await server.handled()).error;
  const started = performance.now();
  const answers = await Promise.all(
    prs.map((p) =>
      sandbox.deliver(
        sandbox.events.pullRequest({ repo: p.repo, number: p.number, action: "opened" }),
      ),
    ),
  );
  if (answers.some((a) => a.status !== 202)) throw new Error("a delivery was not accepted");
  await waitUntil(async () => (await finished(server)) >= before + prs.length, {
    timeoutMs: 300_000,
    intervalMs: 50,
    what: "monobot to finish every pull request",
  });
  if ((await server.handled()).error > errors) throw new Error("a job failed in monobot");
  const seconds = (performance.now() - started) / 1000;
  for (const p of prs) {
    const pr = sandbox.pullRequest(p.repo, p.number) as { head: { sha: string } };
    const runs = sandbox.checkRuns(p.repo, pr.head.sha);
    if (runs.length < 6) throw new Error(`${p.repo}#${p.number} has ${runs.length} check runs`);
  }
  return seconds;
}

export async function benchBurst(): Promise<{ rows: Array<Record<string, string | number>> }> {
  const sandbox = await startSandbox();
  let server: MonobotProcess | undefined;
  try {
    sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
    server = await startMonobot({ env: { ...sandbox.env(), MONOBOT_SCHEDULER: "off" } });
    sandbox.webhookUrl = server.webhookUrl;
    // Warm-up: app identity and the first token are not what is measured.
    await burst(sandbox, server, [seedInstallation(sandbox, "warmup")]);
    const one = await burst(sandbox, server, [seedInstallation(sandbox, "solo")]);
    const n = 12;
    const many = Array.from({ length: n }, (_, i) => seedInstallation(sandbox, `team-${i}`));
    const all = await burst(sandbox, server, many);
    sandbox.assertNoViolations();
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      rows: [
        { scenario: "1 pull request, 1 installation", "seconds until all checks": round(one) },
        {
          scenario: `${n} pull requests in ${n} installations at once`,
          "seconds until all checks": round(all),
          "ratio to one": round(all / one),
        },
      ],
    };
  } finally {
    if (server) await server.stop();
    await sandbox.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { rows } = await benchBurst();
  console.table(rows);
}
