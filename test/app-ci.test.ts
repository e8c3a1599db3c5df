import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { changeFingerprint } from "../src/core/fingerprint.js";
import { encodeRunId } from "../src/core/run-id.js";
import { toChangedFile } from "../src/forge/github.js";
import {
  API,
  captured,
  config,
  HEAD,
  prComment,
  pullRequest,
  reads,
  REPO,
  token,
  writes,
} from "./helpers/github-nock.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";
import type { RunTimeouts } from "../src/runtime/run-timeouts.js";

const JOBS = `jobs:
  templates:
    verify:
      on: pull_request
      backend: { type: github-actions, workflow: ci.yml }
      inputs: { component: "{component}", sha: "{sha}" }
    publish:
      on: release
      backend: { type: github-actions, workflow: publish.yml }
      inputs: { component: "{component}", version: "{version}" }
    smoke:
      on: postmerge
      backend: { type: github-actions, workflow: smoke.yml }
      inputs: { component: "{component}" }
`;

const PREVIOUS = "1111111111111111111111111111111111111111";
/** The fingerprint of the change `reads()` serves by default. */
const FINGERPRINT = changeFingerprint([
  toChangedFile({
    filename: "services/api/main.go",
    status: "modified",
    additions: 1,
    deletions: 0,
    patch: "@@ -1 +1 @@\n-a\n+b",
  }),
]);

interface Ci {
  statusReads: number;
  dispatches: { workflow: string; body: { ref: string; inputs: Record<string, string> } }[];
  statuses: {
    sha: string;
    context: string;
    state: string;
    description?: string;
    target_url?: string;
  }[];
}

/** Workflow dispatches and commit statuses, captured; `existing` answers the combined status reads. */
function ci(
  existing: Record<string, { context: string; state: string; description?: string }[]> = {},
): Ci {
  const c: Ci = { statusReads: 0, dispatches: [], statuses: [] };
  nock(API)
    .post(/\/actions\/workflows\/[^/]+\/dispatches$/)
    .times(10)
    .reply(204, (uri, body) => {
      c.dispatches.push({
        workflow: decodeURIComponent(uri.split("/").at(-2) ?? ""),
        body: body as Ci["dispatches"][number]["body"],
      });
      return "";
    })
    .post(/\/statuses\/[0-9a-f]{40}$/)
    .times(10)
    .reply(201, (uri, body) => {
      c.statuses.push({
        sha: uri.split("/").pop() ?? "",
        ...(body as Omit<Ci["statuses"][number], "sha">),
      });
      return {};
    })
    .get(/\/commits\/[0-9a-f]{40}\/status$/)
    .query(true)
    .times(10)
    .reply(200, (uri) => {
      const sha = uri.split("/").at(-2) ?? "";
      c.statusReads++;
      return { state: "pending", statuses: existing[sha] ?? [], total_count: 0 };
    });
  return c;
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function receive(name: string, payload: unknown, id = `d-${Math.random()}`) {
  const { probot, queue } = await makeProbot();
  await probot.receive({ id, name, payload } as Parameters<typeof probot.receive>[0]);
  await queue.idle();
  return { probot, queue };
}

describe("CI on pull requests", () => {
  it("opened: dispatches the affected component's job and reports it pending as ci/{component}/{job}", async () => {
    const c = captured();
    token();
    config(JOBS);
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", examplePayload("pull_request", "opened"));
    expect(jobs.dispatches).toHaveLength(1);
    expect(jobs.dispatches[0]?.workflow).toBe("ci.yml");
    expect(jobs.dispatches[0]?.body.ref).toBe("master");
    expect(jobs.dispatches[0]?.body.inputs).toMatchObject({ component: "api", sha: HEAD });
    expect(jobs.dispatches[0]?.body.inputs.monobot_run_id).toMatch(/monobot:/);
    expect(jobs.statuses).toEqual([
      expect.objectContaining({ sha: HEAD, context: "ci/api/verify", state: "pending" }),
    ]);
    const summary = c.comments[0]?.body ?? "";
    expect(summary).toContain("`ci/api/verify`: started");
    expect(summary).toContain(`<!-- monobot:ci sha=${HEAD} fp=${FINGERPRINT} -->`);
  });

  it("a push that only rebased the change copies the earlier results instead of re-running", async () => {
    const c = captured();
    token();
    config(JOBS);
    const summary = `<!-- monobot:summary -->\n<!-- monobot:ci sha=${PREVIOUS} fp=${FINGERPRINT} -->`;
    reads({ tags: [], comments: [{ id: 5, body: summary, user: { login: "monobot[bot]" } }] });
    writes(c);
    const jobs = ci({
      [PREVIOUS]: [{ context: "ci/api/verify", state: "success", description: "passed" }],
    });
    await receive("pull_request", examplePayload("pull_request", "synchronize"));
    expect(jobs.dispatches).toEqual([]);
    expect(jobs.statuses).toEqual([
      expect.objectContaining({
        sha: HEAD,
        context: "ci/api/verify",
        state: "success",
        description: "same change as 1111111: passed",
      }),
    ]);
    expect(c.commentEdits[0]?.body).toContain("only rebased the change or reworded commits");
  });

  it("a push with a different change runs the jobs again", async () => {
    const c = captured();
    token();
    config(JOBS);
    const summary = `<!-- monobot:summary -->\n<!-- monobot:ci sha=${PREVIOUS} fp=fp1:${"0".repeat(40)} -->`;
    reads({ tags: [], comments: [{ id: 5, body: summary, user: { login: "monobot[bot]" } }] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", examplePayload("pull_request", "synchronize"));
    expect(jobs.dispatches).toHaveLength(1);
  });

  it("an untrusted author's PR starts no job until /ok-to-test", async () => {
    const c = captured();
    token();
    config(JOBS);
    const payload = examplePayload<{
      pull_request: { author_association: string; user: { login: string } };
    }>("pull_request", "opened");
    payload.pull_request.author_association = "NONE";
    payload.pull_request.user.login = "stranger";
    nock(API).get(`${REPO}/collaborators/stranger/permission`).reply(404, {});
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", payload);
    expect(jobs.dispatches).toEqual([]);
    expect(jobs.statuses).toEqual([]);
  });

  it.each([
    { name: "a passed job is not re-run by recheck", state: "success", dispatched: 0 },
    { name: "a failed job is re-run by recheck", state: "failure", dispatched: 1 },
  ])("$name", async ({ state, dispatched }) => {
    const c = captured();
    token();
    config(JOBS);
    pullRequest();
    reads({ tags: [] });
    writes(c);
    const jobs = ci({ [HEAD]: [{ context: "ci/api/verify", state }] });
    await receive("issue_comment", prComment("recheck", "MEMBER"));
    expect(jobs.dispatches).toHaveLength(dispatched);
  });

  it("/test names one job; an unknown job gets a reply listing the jobs", async () => {
    const c = captured();
    token();
    config(JOBS);
    pullRequest();
    writes(c);
    ci();
    await receive("issue_comment", prComment("/test lint", "MEMBER"));
    expect(c.comments[0]?.body).toMatch(
      /there is no job named `lint`; the jobs are `verify`, `publish`, `smoke`/,
    );
  });
});

describe("CI results", () => {
  it("workflow_run.completed posts the run's result on the commit monobot started it for", async () => {
    const payload = examplePayload<{
      installation: { id: number };
      workflow_run: {
        display_title: string;
        event: string;
        conclusion: string;
        html_url: string;
        head_repository: { full_name: string };
        repository: { full_name: string };
      };
    }>("workflow_run", "completed");
    payload.installation = { id: 1 };
    const target = "2222222222222222222222222222222222222222";
    const runId = encodeRunId({
      owner: "Codertocat",
      repo: "Hello-World",
      sha: target,
      component: "api",
      job: "verify",
      pr: 2,
    });
    payload.workflow_run.display_title = `api/verify ${runId}`;
    payload.workflow_run.event = "workflow_dispatch";
    payload.workflow_run.head_repository.full_name = "Codertocat/Hello-World";
    payload.workflow_run.repository.full_name = "Codertocat/Hello-World";
    payload.workflow_run.conclusion = "failure";
    (payload.workflow_run as unknown as { status: string }).status = "completed";
    token();
    const posted: { sha: string; body: Record<string, string> }[] = [];
    nock(API)
      .post(/\/repos\/Codertocat\/Hello-World\/statuses\/[0-9a-f]{40}$/)
      .reply(201, (uri, body) => {
        posted.push({ sha: uri.split("/").pop() ?? "", body: body as Record<string, string> });
        return {};
      });
    await receive("workflow_run", payload);
    expect(posted).toEqual([
      {
        sha: target,
        body: expect.objectContaining({
          context: "ci/api/verify",
          state: "failure",
          target_url: payload.workflow_run.html_url,
        }),
      },
    ]);
  });

  it("ignores a run whose id names another repository", async () => {
    const payload = examplePayload<{
      installation: { id: number };
      workflow_run: { display_title: string; event: string };
    }>("workflow_run", "completed");
    payload.installation = { id: 1 };
    payload.workflow_run.display_title = encodeRunId({
      owner: "evil",
      repo: "other",
      sha: "3".repeat(40),
      component: "api",
      job: "verify",
    });
    payload.workflow_run.event = "workflow_dispatch";
    await receive("workflow_run", payload);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

const AFTER = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
const BEFORE = "5555555555555555555555555555555555555555";

function mergePayload() {
  const payload = examplePayload<{
    ref: string;
    before: string;
    after: string;
    deleted: boolean;
    installation: { id: number };
  }>("push");
  payload.deleted = false;
  payload.ref = "refs/heads/master";
  payload.before = BEFORE;
  payload.after = AFTER;
  payload.installation = { id: 1 };
  return payload;
}

/** The reads of a merge that bumps api's VERSION from 1.0.0 to 1.1.0. */
function mergeReads(existing: Record<string, { context: string; state: string }[]> = {}) {
  nock(API)
    .get(`${REPO}/compare/${BEFORE}...${AFTER}`)
    .query(true)
    .reply(200, {
      files: [
        {
          filename: "services/api/VERSION",
          status: "modified",
          additions: 1,
          deletions: 1,
          patch: "@@ -1 +1 @@\n-1.0.0\n+1.1.0",
        },
        {
          filename: "services/api/main.go",
          status: "modified",
          additions: 1,
          deletions: 0,
          patch: "@@ -1 +1,2 @@\n a\n+b",
        },
      ],
    })
    .get(`${REPO}/git/trees/${AFTER}`)
    .query({ recursive: "1" })
    .reply(200, {
      sha: AFTER,
      truncated: false,
      tree: ["services/api/VERSION", "services/api/main.go"].map((path) => ({
        path,
        type: "blob",
      })),
    })
    .post("/graphql")
    .reply(200, (_uri, body) => {
      const vars = (body as { variables: Record<string, string> }).variables;
      const repository: Record<string, { text: string; isBinary: boolean }> = {};
      for (const [k, v] of Object.entries(vars)) {
        if (k.startsWith("e"))
          repository[`f${k.slice(1)}`] = {
            text: v.startsWith(AFTER) ? "1.1.0\n" : "1.0.0\n",
            isBinary: false,
          };
      }
      return { data: { repository } };
    });
  return ci(existing);
}

describe("merges to the default branch", () => {
  it("tags a new release VERSION, starts the release and postmerge jobs once", async () => {
    token();
    config(JOBS);
    const jobs = mergeReads();
    let created: unknown;
    nock(API)
      .get(`${REPO}/git/ref/tags%2Fapi%2Fv1.1.0`)
      .reply(404, { message: "Not Found" })
      .post(`${REPO}/git/refs`)
      .reply(201, (_uri, body) => {
        created = body;
        return { ref: "refs/tags/api/v1.1.0", object: { sha: AFTER, type: "commit" } };
      });
    await receive("push", mergePayload());
    expect(created).toEqual({ ref: "refs/tags/api/v1.1.0", sha: AFTER });
    expect(
      jobs.dispatches.map((d) => [d.workflow, d.body.inputs.component, d.body.inputs.version]),
    ).toEqual([
      ["smoke.yml", "api", undefined],
      ["publish.yml", "api", "1.1.0"],
    ]);
    expect(jobs.statuses.map((s) => [s.context, s.state])).toEqual([
      ["ci/api/smoke", "pending"],
      ["ci/api/publish", "pending"],
    ]);
  });

  it("a redelivered merge finds the tag at the same commit and the jobs started: nothing twice", async () => {
    token();
    config(JOBS);
    const jobs = mergeReads({
      [AFTER]: [
        { context: "ci/api/smoke", state: "success" },
        { context: "ci/api/publish", state: "pending" },
      ],
    });
    nock(API)
      .get(`${REPO}/git/ref/tags%2Fapi%2Fv1.1.0`)
      .reply(200, { ref: "refs/tags/api/v1.1.0", object: { sha: AFTER, type: "commit" } });
    await receive("push", mergePayload());
    expect(jobs.dispatches).toEqual([]);
    expect(jobs.statuses).toEqual([]);
  });

  it("a tag that exists at another commit is not moved: a failing status and a comment on the PR", async () => {
    token();
    config(JOBS);
    const jobs = mergeReads();
    const comments: string[] = [];
    nock(API)
      .get(`${REPO}/git/ref/tags%2Fapi%2Fv1.1.0`)
      .reply(200, { ref: "refs/tags/api/v1.1.0", object: { sha: "9".repeat(40), type: "commit" } })
      .get(`${REPO}/commits/${AFTER}/pulls`)
      .reply(200, [{ number: 7, merged_at: "2026-01-01T00:00:00Z" }])
      .post(`${REPO}/issues/7/comments`)
      .reply(201, (_uri, body) => {
        comments.push((body as { body: string }).body);
        return { id: 1 };
      });
    await receive("push", mergePayload());
    expect(jobs.dispatches.map((d) => d.workflow)).toEqual(["smoke.yml"]);
    expect(jobs.statuses).toContainEqual(
      expect.objectContaining({ context: "monobot/release", state: "failure" }),
    );
    expect(comments[0]).toMatch(/Tag `api\/v1\.1\.0` already exists at `9999999`/);
  });

  it("ignores pushes to other branches and tags", async () => {
    const payload = mergePayload();
    payload.ref = "refs/heads/feature";
    await receive("push", payload);
    expect(nock.pendingMocks()).toEqual([]);
  });
});

describe("runs that never report back", () => {
  async function expire(current: { context: string; state: string }[]) {
    const { services } = await makeProbot();
    const timeouts: RunTimeouts = services.timeouts;
    const sha = "4".repeat(40);
    const jobs = ci({ [sha]: current });
    token();
    timeouts?.track({
      owner: "Codertocat",
      repo: "Hello-World",
      sha,
      statusContext: "ci/api/verify",
      timeoutMinutes: 0,
      installationId: 1,
    });
    // The timer fires at once; wait until monobot read the status (and wrote, if it meant to).
    for (let i = 0; i < 100 && jobs.statusReads === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    return jobs;
  }

  it("are marked as timed out when still pending", async () => {
    const jobs = await expire([{ context: "ci/api/verify", state: "pending" }]);
    expect(jobs.statuses).toEqual([
      expect.objectContaining({
        context: "ci/api/verify",
        state: "error",
        description: "timed out: no result after 0 minutes",
      }),
    ]);
  });

  it("are left alone when a result arrived meanwhile", async () => {
    const jobs = await expire([{ context: "ci/api/verify", state: "success" }]);
    expect(jobs.statuses).toEqual([]);
  });
});
