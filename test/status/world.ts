// The status page's test world: a GitHub sandbox with users of different repositories and monobot's real routes.
import type { AddressInfo } from "node:net";
import { request } from "@octokit/request";
import type { Probot } from "probot";
import {
  defaultPolicyObject,
  mergePolicy,
  validatePolicyObject,
  type Policy,
} from "../../src/core/policy.js";
import type { ScheduledJob } from "../../src/core/jobs.js";
import { silentLog } from "../../src/log.js";
import { ActivityLog } from "../../src/runtime/activity.js";
import type { JobQueue } from "../../src/runtime/job.js";
import type { ScheduledRepo } from "../../src/runtime/scheduler.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { createMonobotServer, type MonobotServer } from "../../src/server/http-server.js";
import { Metrics } from "../../src/server/metrics.js";
import { statusPage } from "../../src/status/index.js";
import type { StatusSource } from "../../src/status/collect.js";
import { BoardStore, buildBoard } from "../helpers/env-boards.js";

export interface StatusWorld {
  sandbox: Sandbox;
  /** monobot's address, e.g. http://127.0.0.1:41234 */
  url: string;
  activity: ActivityLog;
  source: StatusSource;
  /** Waiting jobs the queue reports (the test sets it). */
  queued: { size: number; oldestMs: number | null };
  /** The environment boards: acme/config (alice, opal) and carol/notes (carol, opal). */
  boards: BoardStore;
  close(): Promise<void>;
}

function policy(over: Record<string, unknown>): Policy {
  const r = validatePolicyObject(mergePolicy(defaultPolicyObject(), over), () => ({
    file: "test",
    line: 1,
    column: 1,
  }));
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.policy;
}

/** YYYY-MM-DDTHH:MM in UTC, `days` from now. */
function localDate(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 16);
}

/**
 * carol owns carol/notes, dave owns dave/tools, alice is a member of acme (acme/mono and its config
 * repo acme/config, frozen for a month), opal is the operator (MONOBOT_ADMINS) with no repository.
 */
export async function startStatusWorld(options: { oauth?: boolean } = {}): Promise<StatusWorld> {
  const sandbox = await startSandbox();
  const carol = sandbox.createUserWithRepos("carol", ["notes"]);
  const dave = sandbox.createUserWithRepos("dave", ["tools"]);
  sandbox.createUser("alice");
  sandbox.createUser("opal");
  sandbox.createOrg("acme", { members: ["alice"], baseRole: "read" });
  const mono = sandbox.createRepo({
    owner: "acme",
    name: "mono",
    installation: true,
    private: true,
    files: { "README.md": "# mono\n" },
  });
  sandbox.createRepo({
    owner: "acme",
    name: "config",
    installation: true,
    private: true,
    files: { "README.md": "# config\n" },
  });
  const job = (name: string, component: string, cron: string): ScheduledJob => ({
    job: name,
    component,
    cron,
    timezone: "UTC",
    key: `${name}:${component}`,
  });
  const loaded: Array<ScheduledRepo & { jobs: readonly ScheduledJob[]; policy: Policy }> = [
    {
      owner: "acme",
      repo: "mono",
      defaultBranch: "main",
      installationId: mono.installationId ?? 0,
      jobs: [job("nightly", "web", "H 2 * * *")],
      policy: policy({
        deploy: {
          config_repo: "acme/config",
          freeze: [
            {
              from: localDate(-1),
              to: localDate(30),
              timezone: "UTC",
              reason: "holiday freeze",
            },
          ],
        },
      }),
    },
    {
      owner: "carol",
      repo: "notes",
      defaultBranch: "main",
      installationId: carol[0]?.installationId ?? 0,
      jobs: [job("backup", "notes", "0 3 * * *")],
      policy: policy({}),
    },
    {
      owner: "dave",
      repo: "tools",
      defaultBranch: "main",
      installationId: dave[0]?.installationId ?? 0,
      jobs: [job("lint-all", "tools", "30 4 * * 1")],
      policy: policy({}),
    },
  ];
  const activity = new ActivityLog();
  const boards = new BoardStore();
  boards.put(acmeBoard());
  boards.put(
    buildBoard({
      repository: "carol/notes",
      environments: ["staging", "production"],
      components: { notes: { staging: "0.9.0", production: "0.8.0" } },
    }),
  );
  const queued = { size: 0, oldestMs: null as number | null };
  const { routes, source } = statusPage({
    activity,
    queue: { size: () => queued.size, oldestWaitingMs: () => queued.oldestMs },
    scheduler: { loaded: () => loaded },
    boards,
    mode: "memory",
    installation: async (id) => ({
      request: request.defaults({
        baseUrl: sandbox.apiBaseUrl,
        headers: { authorization: `token ${sandbox.installationToken(id)}` },
      }),
    }),
    ...(options.oauth === false ? {} : { oauth: sandbox.oauthClient() }),
    baseUrl: sandbox.apiBaseUrl,
    admins: ["opal"],
    log: silentLog,
  });
  // The status routes need no webhook intake; the server's other parts are idle stand-ins.
  const queue: JobQueue = {
    enqueue: () => Promise.resolve("queued"),
    size: () => 0,
    drain: () => Promise.resolve({ finished: true, handedBack: [] }),
    idle: () => Promise.resolve(),
  };
  const server: MonobotServer = createMonobotServer({
    probot: {} as Probot,
    queue,
    metrics: new Metrics(),
    log: silentLog,
    webhookPath: "/api/github/webhooks",
    routes,
  });
  await new Promise<void>((r) => server.server.listen(0, "127.0.0.1", r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    sandbox,
    url: `http://127.0.0.1:${port}`,
    activity,
    source,
    queued,
    boards,
    close: async () => {
      await server.shutdown(1000);
      await sandbox.stop();
    },
  };
}

/** acme/config's board: web waits on the freeze, api failed in staging, search is held. */
export function acmeBoard() {
  return buildBoard({
    repository: "acme/config",
    components: {
      web: {
        dev: {
          version: "1.3.0",
          state: "soaking",
          soakUntil: "2026-12-05T14:00:00.000Z",
          deployment: { url: "https://github.com/acme/config/deployments/dev" },
          pull: { number: 41, url: "https://github.com/acme/config/pull/41" },
        },
        staging: "1.2.0",
        production: "1.2.0",
      },
      api: {
        dev: "2.0.1",
        staging: {
          version: "2.0.1",
          state: "failed",
          failedRun: { url: "https://github.com/acme/mono/actions/runs/77" },
        },
        production: "2.0.0",
      },
      search: {
        dev: { version: "0.4.0", state: "held", hold: { reason: "reindexing", by: "alice" } },
      },
    },
    waiting: [
      {
        component: "web",
        environment: "production",
        version: "1.2.0",
        reason: "freeze",
        detail: "frozen by holiday freeze until 2027-01-04 00:00 UTC",
        until: "2027-01-04T00:00:00.000Z",
        pull: { number: 42, url: "https://github.com/acme/config/pull/42" },
      },
      {
        component: "api",
        environment: "production",
        version: "2.0.1",
        reason: "verification",
        detail: "verification of api 2.0.1 failed in staging",
        run: { url: "https://github.com/acme/mono/actions/runs/77" },
      },
    ],
    releases: [
      {
        component: "web",
        version: "1.3.0",
        at: "2026-12-05T09:00:00.000Z",
        deployPull: { number: 40, url: "https://github.com/acme/config/pull/40", state: "merged" },
      },
    ],
  });
}

/** A cookie jar of one browser-less client: enough for the sign-in round trip. */
export class Client {
  readonly cookies = new Map<string, string>();

  constructor(readonly base: string) {}

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async get(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await fetch(path.startsWith("http") ? path : this.base + path, {
      redirect: "manual",
      ...init,
      headers: { cookie: this.header(), ...(init.headers as Record<string, string>) },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }

  /** Signs in through monobot's /status/login, the sandbox's authorize page and the callback. */
  async signIn(sandbox: Sandbox, login: string): Promise<void> {
    sandbox.signInAs(login);
    const start = await this.get("/status/login");
    if (start.status !== 302) throw new Error(`login answered ${start.status}`);
    const authorize = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    if (authorize.status !== 302) throw new Error(`authorize answered ${authorize.status}`);
    const back = await this.get(authorize.headers.get("location") ?? "");
    if (back.status !== 302)
      throw new Error(`callback answered ${back.status}: ${await back.text()}`);
  }
}

/** Opens a deploy PR on acme/config whose gate failed and whose CI is pending. */
export async function openDeployPull(w: StatusWorld): Promise<number> {
  const { sha } = w.sandbox.pushCommit("acme/config", {
    branch: "monobot/deploy-web",
    files: { "charts/web/values.yaml": "image:\n  tag: 1.2.0\n" },
    message: "web 1.2.0",
  });
  const pull = w.sandbox.openPullRequest("acme/config", {
    head: "monobot/deploy-web",
    title: "Deploy web 1.2.0",
    user: "alice",
  });
  const installation = w.sandbox.repo("acme/config").installationId ?? 0;
  const gh = request.defaults({
    baseUrl: w.sandbox.apiBaseUrl,
    headers: { authorization: `token ${w.sandbox.installationToken(installation)}` },
  });
  await gh("POST /repos/{owner}/{repo}/check-runs", {
    owner: "acme",
    repo: "config",
    name: "monobot/deploy-gate",
    head_sha: sha,
    status: "completed",
    conclusion: "failure",
    output: { title: "Frozen: holiday freeze", summary: "no deploys" },
  });
  await gh("POST /repos/{owner}/{repo}/statuses/{sha}", {
    owner: "acme",
    repo: "config",
    sha,
    state: "pending",
    context: "ci/web/verify",
    description: "running",
  });
  return pull.number;
}
