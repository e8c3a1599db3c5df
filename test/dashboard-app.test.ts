// The dashboard through Probot with GitHub's own `issues.edited` payload: a tick by someone the
// rules refuse is answered and cleared; the bot's own edit of the dashboard runs nothing.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderDashboard } from "../src/core/dashboard.js";
import dashboard from "../src/handlers/dashboard.js";
import type { EnvBoard } from "../src/core/env-board.js";
import { API, CONFIG, REPO } from "./helpers/github-nock.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const ROOT = fileURLToPath(new URL("../examples/config-repo-fleet/", import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, "utf8");
const FILES: Record<string, string> = {
  "charts/roc-api/Chart.yaml": read("charts/roc-api/Chart.yaml"),
  "charts/web/Chart.yaml": read("charts/web/Chart.yaml"),
  "fleet/aether/fleet.yaml": read("fleet/aether/fleet.yaml"),
};
const MAIN = "c".repeat(40);
const PROMOTE = "promote roc-api 1.3.0 to production";

/** The board as the dashboard showed it: roc-api 1.3.0 verified in staging, offered to production. */
function shown(): string {
  const cell = (environment: string, version: string) => ({
    component: "roc-api",
    environment,
    version,
    mixed: false,
    state: "verified" as const,
  });
  const board: EnvBoard = {
    repository: "Codertocat/Hello-World",
    installationId: 1,
    environments: [
      { name: "staging", production: false },
      { name: "production", production: true },
    ],
    components: ["roc-api"],
    cells: [cell("staging", "1.3.0"), cell("production", "1.2.3")],
    waiting: [],
    releases: [],
    updatedAt: "2026-12-01T00:00:00Z",
  };
  return renderDashboard(board);
}

interface GraphqlBody {
  query: string;
  variables: Record<string, string>;
}

/** The config repo's reads: policy, branch, tree, files, deployments, pull requests, comments. */
function configRepo(state: { comments: string[]; edits: string[]; permission: string }) {
  const deployment = {
    databaseId: 11,
    environment: "staging",
    task: "deploy",
    payload: JSON.stringify({ component: "roc-api", version: "1.3.0", chart: "charts/roc-api" }),
    createdAt: "2026-12-01T10:00:00Z",
    commitOid: MAIN,
    ref: { name: "master" },
    description: null,
    latestStatus: {
      state: "SUCCESS",
      createdAt: "2026-12-01T10:05:00Z",
      description: "verified",
      logUrl: null,
    },
  };
  nock(API)
    .persist()
    .post("/app/installations/1/access_tokens")
    .reply(201, { token: "ghs_test", permissions: {} })
    .get((p) => p.startsWith(REPO) && CONFIG.test(p))
    .reply(200, read(".github/monobot.yml"), {
      "content-type": "application/vnd.github.v3.raw; charset=utf-8",
    })
    .get(`${REPO}/branches/master`)
    .reply(200, { name: "master", commit: { sha: MAIN, commit: { tree: { sha: MAIN } } } })
    .get(new RegExp(`^${REPO}/git/trees/`))
    .query(true)
    .reply(200, {
      sha: MAIN,
      truncated: false,
      tree: Object.keys(FILES).map((path) => ({ path, type: "blob", mode: "100644", sha: MAIN })),
    })
    .post("/graphql")
    .reply((_uri, body) => {
      const { query, variables } = body as GraphqlBody;
      if (query.includes("deployments(")) {
        const nodes = variables.environments?.includes("staging") ? [deployment] : [];
        return [200, { data: { repository: { deployments: { nodes } } } }];
      }
      const repository: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(variables)) {
        if (!/^e\d+$/.test(k)) continue;
        const text = FILES[v.slice(v.indexOf(":") + 1)];
        repository[`f${k.slice(1)}`] = text === undefined ? null : { text, isBinary: false };
      }
      return [200, { data: { repository } }];
    })
    .get(`${REPO}/pulls`)
    .query(true)
    .reply(200, [])
    .get(`${REPO}/issues/1/comments`)
    .query(true)
    .reply(200, () =>
      state.comments.map((body, i) => ({ id: i + 1, body, user: { login: "monobot[bot]" } })),
    )
    .post(`${REPO}/issues/1/comments`)
    .reply((_uri, body) => {
      state.comments.push((body as { body: string }).body);
      return [201, { id: state.comments.length }];
    })
    .get(/\/collaborators\/Codertocat\/permission$/)
    .reply(() => [
      200,
      { permission: state.permission, role_name: state.permission, user: { login: "Codertocat" } },
    ])
    .get(`${REPO}/issues/1`)
    .reply(() => [
      200,
      {
        number: 1,
        body: state.edits.at(-1) ?? shown().replace(`- [ ] ${PROMOTE}`, `- [x] ${PROMOTE}`),
        updated_at: "2026-12-01T10:00:00Z",
        html_url: "https://github.com/Codertocat/Hello-World/issues/1",
      },
    ])
    .patch(`${REPO}/issues/1`)
    .reply((_uri, body) => {
      state.edits.push((body as { body: string }).body);
      return [200, {}];
    });
}

function edited(sender: { login: string; type: string }) {
  const payload = examplePayload<{
    issue: { body: string | null; number: number };
    sender: { login: string; type: string };
    changes: Record<string, unknown>;
  }>("issues", "edited");
  const before = shown();
  payload.issue.body = before.replace(`- [ ] ${PROMOTE}`, `- [x] ${PROMOTE}`);
  payload.changes = { body: { from: before } };
  payload.sender = { ...payload.sender, ...sender };
  return payload;
}

describe("the dashboard through Probot (issues.edited)", () => {
  beforeEach(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it("a tick by a user with write (not admin) access runs nothing, says why in one comment, and the box is cleared", async () => {
    const state = { comments: [] as string[], edits: [] as string[], permission: "write" };
    configRepo(state);
    const { probot, queue } = await makeProbot();
    await probot.receive({
      id: "edit-1",
      name: "issues",
      payload: edited({ login: "Codertocat", type: "User" }),
    } as Parameters<typeof probot.receive>[0]);
    await queue.idle();
    expect(state.comments).toHaveLength(1);
    expect(state.comments[0]).toMatch(
      /^@Codertocat "promote roc-api 1\.3\.0 to production" was not run, and the box is cleared: .*admin/,
    );
    expect(state.edits).toHaveLength(1);
    expect(state.edits[0]).toContain(`- [ ] ${PROMOTE}`);
    expect(state.edits[0]).not.toContain("- [x]");
  });

  it("the bot's own edit plans no job; a person's edit of the dashboard plans one, an edit of another issue none", async () => {
    const { services } = await makeProbot();
    const plan = (payload: unknown) =>
      dashboard.plan({ id: "edit-2", name: "issues", payload }, services);
    expect(plan(edited({ login: "monobot[bot]", type: "Bot" }))).toEqual([]);
    expect(plan(edited({ login: "Codertocat", type: "User" }))).toMatchObject([
      { key: "Codertocat/Hello-World@dashboard", spec: { kind: "ticks", sender: "Codertocat" } },
    ]);
    const other = edited({ login: "Codertocat", type: "User" });
    other.issue.body = "- [x] promote roc-api 1.3.0 to production";
    expect(plan(other)).toEqual([]);
  });
});
