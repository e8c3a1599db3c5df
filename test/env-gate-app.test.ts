// monobot/promotion and the per-environment deployment gate through the app: a config repo with
// staging and production (the Fleet example), pull requests that move their pins, deployments
// read from GitHub, and /deploy-anyway.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import comment from "../src/handlers/comment.js";
import deployGate from "../src/handlers/deploy-gate.js";
import { API, BASE, CONFIG, HEAD, REPO, prComment } from "./helpers/github-nock.js";
import { ManualTimers } from "./helpers/manual-timers.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const ROOT = fileURLToPath(new URL("../examples/config-repo-fleet/", import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, "utf8");
const FLEET = "fleet/aether/fleet.yaml";
const POLICY = read(".github/monobot.yml");

interface CheckRunBody {
  name: string;
  conclusion: string;
  output: { title: string; summary: string; annotations?: { path: string; start_line: number }[] };
}

interface Deployment {
  environment: string;
  task: string;
  payload: Record<string, unknown>;
  createdAt: string;
  state: string | null;
}

/** The config repo's API for pull request #2: files at base and head, deployments, check runs. */
class FakeConfigRepo {
  base = new Map<string, string>([
    ["charts/roc-api/Chart.yaml", read("charts/roc-api/Chart.yaml")],
    ["charts/web/Chart.yaml", read("charts/web/Chart.yaml")],
    [FLEET, read(FLEET)],
  ]);
  head = new Map(this.base);
  deployments: Deployment[] = [];
  permissions: Record<string, string> = {};
  comments: { id: number; body: string; user: { login: string } }[] = [];
  readonly checkRuns: CheckRunBody[] = [];
  readonly checkRunUpdates: { output: { text?: string } }[] = [];
  readonly requests: string[] = [];
  /** The pull request's head branch and author (monobot's own: a promotion branch, the bot). */
  own = { headRef: "changes", author: "Codertocat" };
  #id = 100;

  constructor() {
    const files = () =>
      [...this.head].flatMap(([path, text]) =>
        this.base.get(path) === text
          ? []
          : [{ filename: path, status: "modified", additions: 1, deletions: 1, changes: 2 }],
      );
    nock(API)
      .persist()
      .post("/app/installations/1/access_tokens")
      .reply(201, { token: "ghs_test", permissions: {} })
      .get((p) => p.startsWith(REPO) && CONFIG.test(p))
      .reply(200, POLICY, { "content-type": "application/vnd.github.v3.raw; charset=utf-8" })
      .get(`${REPO}/pulls/2/files`)
      .query(true)
      .reply(() => [200, files()])
      .get(new RegExp(`^${REPO}/git/trees/[0-9a-f]{40}`))
      .query(true)
      .reply(() => [
        200,
        {
          sha: HEAD,
          truncated: false,
          tree: [...this.head.keys()].map((path) => ({
            path,
            type: "blob",
            mode: "100644",
            sha: HEAD,
          })),
        },
      ])
      .get(`${REPO}/issues/2/comments`)
      .query(true)
      .reply(() => [200, this.comments])
      .post(`${REPO}/issues/2/comments`)
      .reply((_uri, body) => {
        const id = this.#id++;
        this.comments.push({
          id,
          body: (body as { body: string }).body,
          user: { login: "monobot[bot]" },
        });
        return [201, { id }];
      })
      .patch(/\/issues\/comments\/\d+$/)
      .reply((uri, body) => {
        const c = this.comments.find((x) => x.id === Number(uri.split("/").pop()));
        if (c) c.body = (body as { body: string }).body;
        return [200, {}];
      })
      .get(/\/collaborators\/[^/]+\/permission$/)
      .reply((uri) => {
        const login = decodeURIComponent(uri.split("/").at(-2) ?? "");
        const role = this.permissions[login];
        return role ? [200, { permission: role, role_name: role, user: { login } }] : [404, {}];
      })
      .get(`${REPO}/pulls/2`)
      .reply(() => [200, this.payload().pull_request])
      .post(`${REPO}/check-runs`)
      .reply((_uri, body) => {
        this.checkRuns.push(body as CheckRunBody);
        return [201, { id: this.#id++ }];
      })
      .patch(/\/check-runs\/\d+$/)
      .reply((_uri, body) => {
        this.checkRunUpdates.push(body as { output: { text?: string } });
        return [200, {}];
      })
      .get(`${REPO}/pulls`)
      .query(true)
      .reply(() => [200, [this.payload().pull_request]])
      .post("/graphql")
      .reply((_uri, body) => {
        const { query, variables } = body as { query: string; variables: Record<string, unknown> };
        if (query.includes("enablePullRequestAutoMerge")) {
          this.requests.push("auto-merge");
          return [200, { data: { enablePullRequestAutoMerge: { clientMutationId: null } } }];
        }
        if (query.includes("deployments(")) {
          this.requests.push(`deployments ${JSON.stringify(variables.environments)}`);
          return [200, { data: { repository: { deployments: { nodes: this.nodes(variables) } } } }];
        }
        const repository: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(variables)) {
          if (!/^e\d+$/.test(key)) continue;
          const [sha, path] = String(value).split(/:(.*)/s) as [string, string];
          const text = (sha === BASE ? this.base : this.head).get(path);
          repository[`f${key.slice(1)}`] = text === undefined ? null : { text, isBinary: false };
        }
        return [200, { data: { repository } }];
      });
  }

  nodes(variables: Record<string, unknown>) {
    const wanted = variables.environments as string[] | null;
    return this.deployments
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => !wanted || wanted.includes(d.environment))
      .sort((a, b) => (a.d.createdAt < b.d.createdAt ? 1 : -1))
      .map(({ d, i }) => ({
        databaseId: i + 1,
        environment: d.environment,
        task: d.task,
        payload: JSON.stringify(d.payload),
        createdAt: d.createdAt,
        commitOid: HEAD,
        ref: { name: "main" },
        description: null,
        latestStatus: d.state
          ? { state: d.state, createdAt: d.createdAt, description: null, logUrl: null }
          : null,
      }));
  }

  payload() {
    const payload = examplePayload<{
      action: string;
      pull_request: Record<string, unknown> & {
        head: { sha: string; ref: string };
        base: { sha: string };
        user: { login: string };
      };
    }>("pull_request", "opened");
    payload.pull_request.head.sha = HEAD;
    payload.pull_request.head.ref = this.own.headRef;
    payload.pull_request.user.login = this.own.author;
    payload.pull_request.node_id = "PR_kwDOtest2";
    payload.pull_request.base.sha = BASE;
    return payload;
  }

  editFleet(from: string, to: string) {
    this.head.set(FLEET, (this.base.get(FLEET) ?? "").replace(from, to));
  }

  run(name: string): CheckRunBody {
    const run = this.checkRuns.filter((r) => r.name === name).at(-1);
    if (!run) throw new Error(`no ${name} check run`);
    return run;
  }
}

let github: FakeConfigRepo;

beforeEach(() => {
  nock.disableNetConnect();
  github = new FakeConfigRepo();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function app(now: string) {
  const made = await makeProbot({
    handlers: [deployGate, comment],
    later: new ManualTimers(),
    checks: [],
  });
  made.services.now = () => new Date(now);
  let n = 0;
  return async (name: string, payload: unknown) => {
    await made.probot.receive({ id: `d-${++n}`, name, payload } as Parameters<
      typeof made.probot.receive
    >[0]);
    await made.queue.idle();
  };
}

const TUESDAY = "2026-12-01T10:00:00Z";
// Friday 2026-12-04 16:00 in Berlin: inside production's own freeze window.
const FRIDAY = "2026-12-04T15:00:00Z";
const STAGED = {
  environment: "staging",
  task: "deploy",
  payload: { component: "roc-api", version: "1.3.0" },
  createdAt: "2026-11-30T10:00:00Z",
  state: "SUCCESS",
};

describe("monobot/promotion on the config repo", () => {
  it("a hand-edited production pin to an unverified version fails, on the pin's line", async () => {
    github.deployments = [STAGED];
    github.editFleet('tag: "1.2.3"', 'tag: "9.9.9"');
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    const run = github.run("monobot/promotion");
    expect(run.conclusion).toBe("failure");
    expect(run.output.title).toBe("roc-api 9.9.9 is not verified in staging");
    expect(run.output.annotations).toEqual([
      expect.objectContaining({ path: FLEET, start_line: 27 }),
    ]);
    // Only staging's deployments are read: production takes its versions from there.
    expect(github.requests).toEqual(['deployments ["staging"]']);
  });

  it("the version staging verified passes", async () => {
    github.deployments = [STAGED];
    github.editFleet('tag: "1.2.3"', 'tag: "1.3.0"');
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    expect(github.run("monobot/promotion").conclusion).toBe("success");
    expect(github.run("monobot/deploy-gate").conclusion).toBe("success");
  });

  it("a staging pin needs no earlier environment and reads no deployments", async () => {
    github.editFleet('tag: "1.3.0"', 'tag: "1.4.0"');
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    expect(github.run("monobot/promotion").conclusion).toBe("success");
    expect(github.requests).toEqual([]);
  });

  it("/deploy-anyway by an admin overrides it for this head", async () => {
    github.editFleet('tag: "1.2.3"', 'tag: "9.9.9"');
    github.permissions = { alice: "admin" };
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    expect(github.run("monobot/promotion").conclusion).toBe("failure");
    await receive(
      "issue_comment",
      prComment("/deploy-anyway hotfix for the outage", "MEMBER", "alice"),
    );
    const run = github.run("monobot/promotion");
    expect(run.conclusion).toBe("neutral");
    expect(run.output.summary).toContain("hotfix for the outage");
    expect(github.comments.at(-1)?.body).toContain("`monobot/promotion` is overridden");
  });
});

describe("the deployment gate per environment", () => {
  it("production's own freeze holds a pull request moving a production pin", async () => {
    github.deployments = [STAGED];
    github.editFleet('tag: "1.2.3"', 'tag: "1.3.0"');
    const receive = await app(FRIDAY);
    await receive("pull_request", github.payload());
    const gate = github.run("monobot/deploy-gate");
    expect(gate.conclusion).toBe("failure");
    expect(gate.output.title).toContain("no production deploys into the weekend (production)");
  });

  it("and lets a staging pin through at the same time", async () => {
    github.editFleet('tag: "1.3.0"', 'tag: "1.4.0"');
    const receive = await app(FRIDAY);
    await receive("pull_request", github.payload());
    expect(github.run("monobot/deploy-gate").conclusion).toBe("success");
  });
});

describe("auto-merge per environment", () => {
  const own = (headRef: string) => {
    github.own = { headRef, author: "monobot[bot]" };
  };

  it("staging allows it: monobot's promotion pull request into staging gets auto-merge", async () => {
    own("monobot/deploy-roc-api");
    github.editFleet('tag: "1.3.0"', 'tag: "1.4.0"');
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    expect(github.requests).toContain("auto-merge");
    expect(github.checkRunUpdates.at(-1)?.output.text).toContain("Auto-merge (squash) is on");
  });

  it("production does not (default off): its promotion pull request is left for a human", async () => {
    own("monobot/promote-roc-api-production");
    github.deployments = [STAGED];
    github.editFleet('tag: "1.2.3"', 'tag: "1.3.0"');
    const receive = await app(TUESDAY);
    await receive("pull_request", github.payload());
    expect(github.run("monobot/promotion").conclusion).toBe("success");
    expect(github.requests).not.toContain("auto-merge");
  });
});
