// The runtime's end-to-end world: small monorepos in their own installations, server processes
// started on a chosen state folder or Redis, and a stable webhook address in front of them.
import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMonobot, waitUntil, type MonobotProcess } from "../../src/demo.js";
import type { Sandbox } from "../../src/sandbox/driver.js";
import type { Delivery } from "../../src/sandbox/webhooks.js";
import { CHECK_NAMES, MAIN_PATH, SUMMARY_MARKER } from "./harness.js";

const SIGN_OFF = "Signed-off-by: Alice Liddell <alice@example.com>";

/** A pull request opened on a small monorepo of its own organisation (so its own installation). */
export interface OpenPr {
  org: string;
  repo: string;
  number: number;
  headSha: string;
}

/** Creates alice, who opens every pull request (call once per sandbox). */
export function createAlice(sandbox: Sandbox): void {
  sandbox.createUser("alice", { name: "Alice Liddell", email: "alice@example.com" });
}

/**
 * An organisation with the app installed, a monorepo of three components and a clean pull request
 * changing one of them (every check passes on it).
 */
export function seedInstallation(sandbox: Sandbox, org: string): OpenPr {
  sandbox.createOrg(org, { members: ["alice"] });
  const files: Record<string, string> = {
    LICENSE: "SPDX-License-Identifier: Apache-2.0\n",
    "README.md": "# Monorepo\n",
  };
  for (let i = 0; i < 3; i++) {
    files[`services/svc-${i}/VERSION`] = "1.0.0\n";
    files[`services/svc-${i}/main.go`] =
      `// SPDX-License-Identifier: Apache-2.0\npackage svc${i}\n`;
  }
  const repo = sandbox.createRepo({ owner: org, name: "mono", installation: true, files }).fullName;
  sandbox.pushCommit(repo, {
    branch: "change",
    author: "alice",
    message: `svc-0: 1.1.0\n\n${SIGN_OFF}`,
    files: {
      "services/svc-0/main.go":
        "// SPDX-License-Identifier: Apache-2.0\npackage svc0\n\n// V is the version.\nconst V = 1\n",
      "services/svc-0/VERSION": "1.1.0\n",
    },
  });
  const pr = sandbox.openPullRequest(repo, { head: "change", user: "alice", title: "svc-0: 1.1" });
  return { org, repo, number: pr.number, headSha: pr.headSha };
}

/** `n` installations named `{prefix}-0`... each with its pull request. */
export function seedInstallations(sandbox: Sandbox, prefix: string, n: number): OpenPr[] {
  return Array.from({ length: n }, (_, i) => seedInstallation(sandbox, `${prefix}-${i}`));
}

export function opened(sandbox: Sandbox, pr: OpenPr) {
  return sandbox.events.pullRequest({ repo: pr.repo, number: pr.number, action: "opened" });
}

/** What monobot left on a pull request: check runs by name on its head, and its summary comments. */
export interface Verification {
  runsByName: Record<string, number>;
  summaries: number;
  /** Every expected check run and the summary are there. */
  complete: boolean;
  /** Check run names posted more than once on the head, and a second summary comment. */
  duplicates: string[];
}

export function verificationOf(sandbox: Sandbox, pr: OpenPr): Verification {
  const runs = sandbox.checkRuns(pr.repo, pr.headSha) as unknown as { name: string }[];
  const runsByName: Record<string, number> = {};
  for (const r of runs) runsByName[r.name] = (runsByName[r.name] ?? 0) + 1;
  const comments = sandbox.comments(pr.repo, pr.number) as unknown as {
    body: string;
    user: { login: string };
  }[];
  const summaries = comments.filter(
    (c) => c.user.login === sandbox.botLogin && c.body.startsWith(SUMMARY_MARKER),
  ).length;
  const duplicates = Object.entries(runsByName)
    .filter(([, n]) => n > 1)
    .map(([name, n]) => `${pr.repo}#${pr.number} ${name} ×${n}`);
  if (summaries > 1) duplicates.push(`${pr.repo}#${pr.number} summary comment ×${summaries}`);
  const complete = CHECK_NAMES.every((n) => (runsByName[n] ?? 0) >= 1) && summaries >= 1;
  return { runsByName, summaries, complete, duplicates };
}

/** Every duplicate over the pull requests (the suite expects none). */
export function duplicatesOf(sandbox: Sandbox, prs: readonly OpenPr[]): string[] {
  return prs.flatMap((pr) => verificationOf(sandbox, pr).duplicates);
}

/** Waits until every pull request has its check runs and its summary comment. */
export async function waitVerified(
  sandbox: Sandbox,
  prs: readonly OpenPr[],
  options: { timeoutMs: number; seen?: () => string },
): Promise<void> {
  await waitUntil(() => prs.every((pr) => verificationOf(sandbox, pr).complete), {
    timeoutMs: options.timeoutMs,
    intervalMs: 100,
    what: "every pull request to have its check runs and summary comment",
    seen: () => {
      const missing = prs
        .filter((pr) => !verificationOf(sandbox, pr).complete)
        .map((pr) => `${pr.repo}#${pr.number}: ${JSON.stringify(verificationOf(sandbox, pr))}`);
      return `${missing.join("; ")}${options.seen ? `; ${options.seen()}` : ""}`;
    },
  });
}

/** Delivers `opened` for every pull request at once; throws unless each was answered 202. */
export async function deliverAll(
  sandbox: Sandbox,
  prs: readonly OpenPr[],
  url?: (i: number) => string,
): Promise<Delivery[]> {
  const answers = await Promise.all(
    prs.map((pr, i) => sandbox.deliver(opened(sandbox, pr), url ? { url: url(i) } : {})),
  );
  const refused = answers.filter((a) => a.status !== 202);
  if (refused.length > 0) {
    throw new Error(
      `deliveries not accepted: ${refused.map((a) => `${a.status} ${a.response}`).join("; ")}`,
    );
  }
  return answers;
}

/** A fresh folder for MONOBOT_STATE_DIR that outlives the server processes using it. */
export function stateFolder(): string {
  return mkdtempSync(join(tmpdir(), "monobot-e2e-state-"));
}

/** `node dist/main.js` with the sandbox's environment and `env` on top. */
export function startServer(sandbox: Sandbox, env: Record<string, string>) {
  return startMonobot({ env: { ...sandbox.env(), ...env }, mainPath: MAIN_PATH });
}

/** SIGKILL, and wait until the process is gone. */
export async function killHard(server: MonobotProcess): Promise<void> {
  server.kill();
  await server.exited;
}

/** The value of an unlabelled counter or gauge in the server's `/metrics` (0 when absent). */
export async function metric(server: MonobotProcess, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(await server.metrics());
  return m ? Number(m[1]) : 0;
}

/** Warnings and errors the servers logged, for failure messages. */
export function problems(...servers: (MonobotProcess | undefined)[]): string {
  const lines = servers.flatMap((s) =>
    (s?.logs() ?? []).filter((l) => (l.level ?? 0) >= 40).map((l) => JSON.stringify(l)),
  );
  return lines.length ? lines.slice(-8).join("\n") : "no warnings";
}

/**
 * The App's webhook URL as GitHub knows it: one address that stays while server processes come
 * and go behind it (as a Kubernetes Service does). `down` answers 502 (no server behind it, or
 * one that does not listen yet), `hold` keeps requests until `point` names the next server.
 */
export class StableAddress {
  readonly #server = createServer((req, res) => this.#handle(req, res));
  #target: string | undefined;
  #holding = false;
  readonly #held: (() => void)[] = [];
  #port = 0;

  static async start(): Promise<StableAddress> {
    const address = new StableAddress();
    await new Promise<void>((resolve) => address.#server.listen(0, "127.0.0.1", resolve));
    const a = address.#server.address();
    address.#port = typeof a === "object" && a ? a.port : 0;
    return address;
  }

  get webhookUrl(): string {
    return `http://127.0.0.1:${this.#port}/api/github/webhooks`;
  }

  /** Forwards to this server (`http://127.0.0.1:PORT`), releasing the requests held. */
  point(url: string): void {
    this.#target = url;
    this.#holding = false;
    for (const go of this.#held.splice(0)) go();
  }

  /** Requests wait until `point` (a server is starting). */
  hold(): void {
    this.#holding = true;
  }

  /** Requests get 502 at once (no server). */
  down(): void {
    this.#target = undefined;
    this.#holding = false;
  }

  async stop(): Promise<void> {
    for (const go of this.#held.splice(0)) go();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.#holding) {
      this.#held.push(() => this.#handle(req, res));
      return;
    }
    const target = this.#target;
    const badGateway = () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("no server behind this address\n");
    };
    if (!target) {
      req.resume();
      req.on("end", badGateway);
      return;
    }
    const upstream = request(
      `${target}${req.url ?? "/"}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", badGateway);
    req.pipe(upstream);
  }
}
