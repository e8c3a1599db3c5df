// Trust through the app: a COLLABORATOR is confirmed with the permission API, never by association.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  API,
  captured,
  config,
  HEAD,
  prComment,
  reads,
  REPO,
  token,
  writes,
} from "./helpers/github-nock.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const JOBS = `jobs:
  templates:
    verify:
      on: pull_request
      backend: { type: github-actions, workflow: ci.yml }
      inputs: { component: "{component}", sha: "{sha}" }
`;

interface Ci {
  dispatches: string[];
  statuses: { context: string; state: string }[];
}

/** Workflow dispatches and commit statuses, captured (no earlier statuses exist). */
function ci(): Ci {
  const c: Ci = { dispatches: [], statuses: [] };
  nock(API)
    .post(/\/actions\/workflows\/[^/]+\/dispatches$/)
    .times(10)
    .reply(204, (uri) => {
      c.dispatches.push(decodeURIComponent(uri.split("/").at(-2) ?? ""));
      return "";
    })
    .post(/\/statuses\/[0-9a-f]{40}$/)
    .times(10)
    .reply(201, (_uri, body) => {
      c.statuses.push(body as Ci["statuses"][number]);
      return {};
    })
    .get(/\/commits\/[0-9a-f]{40}\/status$/)
    .query(true)
    .times(10)
    .reply(200, { state: "pending", statuses: [], total_count: 0 });
  return c;
}

/** The collaborator permission API's answer for `login` (GitHub folds triage into read). */
function permission(login: string, role: "read" | "triage" | "write" | "maintain" | "admin") {
  const legacy = {
    read: "read",
    triage: "read",
    write: "write",
    maintain: "write",
    admin: "admin",
  };
  return nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(200, { permission: legacy[role], role_name: role, user: { login } });
}

/** The example pull request, opened by `login` with the given association. */
function pullRequestBy(login: string, association: string) {
  const payload = examplePayload<{
    pull_request: Record<string, unknown> & {
      author_association: string;
      user: { login: string };
    };
  }>("pull_request", "opened");
  payload.pull_request.author_association = association;
  payload.pull_request.user.login = login;
  return payload;
}

/** `GET /pulls/2`, answered with the example pull request by its owner (Codertocat). */
function ownersPullRequest() {
  nock(API).get(`${REPO}/pulls/2`).reply(200, pullRequestBy("Codertocat", "OWNER").pull_request);
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function receive(name: string, payload: unknown) {
  const { probot, queue } = await makeProbot();
  const id = `d-${Math.random()}`;
  await probot.receive({ id, name, payload } as Parameters<typeof probot.receive>[0]);
  await queue.idle();
}

describe("a collaborator's pull request", () => {
  it("with read access: the permission API is asked, no CI starts, the summary says why", async () => {
    const c = captured();
    token();
    config(JOBS);
    const asked = permission("reader", "read");
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", pullRequestBy("reader", "COLLABORATOR"));
    expect(asked.isDone()).toBe(true);
    expect(jobs.dispatches).toEqual([]);
    expect(jobs.statuses).toEqual([]);
    // The static checks still run on an untrusted author's change.
    expect(c.checkRuns.map((r) => r.name)).toContain("monobot/config");
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toMatch(/CI jobs: .*ok-to-test/);
  });

  it("with write access: CI starts", async () => {
    const c = captured();
    token();
    config(JOBS);
    const asked = permission("writer", "write");
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", pullRequestBy("writer", "COLLABORATOR"));
    expect(asked.isDone()).toBe(true);
    expect(jobs.dispatches).toEqual(["ci.yml"]);
    expect(jobs.statuses).toEqual([
      expect.objectContaining({ context: "ci/api/verify", state: "pending" }),
    ]);
  });

  it.each([
    { role: "triage", needed: "triage", dispatched: 1 },
    { role: "triage", needed: "write", dispatched: 0 },
    { role: "maintain", needed: "maintain", dispatched: 1 },
    { role: "write", needed: "maintain", dispatched: 0 },
  ] as const)(
    "with the $role role and trusted_permission $needed: $dispatched job(s)",
    async ({ role, needed, dispatched }) => {
      const c = captured();
      token();
      config(`${JOBS}triggers:\n  trusted_permission: ${needed}\n`);
      permission("someone", role);
      reads({ tags: [] });
      writes(c);
      const jobs = ci();
      await receive("pull_request", pullRequestBy("someone", "COLLABORATOR"));
      expect(jobs.dispatches).toHaveLength(dispatched);
    },
  );

  it("a member's pull request starts CI without asking the permission API", async () => {
    const c = captured();
    token();
    config(JOBS);
    const asked = permission("colleague", "read");
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", pullRequestBy("colleague", "MEMBER"));
    expect(asked.isDone()).toBe(false);
    expect(jobs.dispatches).toEqual(["ci.yml"]);
  });
});

describe("a collaborator's comments", () => {
  it.each(["recheck", "/retest", "/test verify", "/ok-to-test"])(
    "%s with read access: nothing runs, one short reply",
    async (command) => {
      const c = captured();
      token();
      config(JOBS);
      ownersPullRequest();
      const asked = permission("reader", "read");
      writes(c);
      const jobs = ci();
      await receive("issue_comment", prComment(command, "COLLABORATOR", "reader"));
      expect(asked.isDone()).toBe(true);
      expect(c.checkRuns).toEqual([]);
      expect(jobs.dispatches).toEqual([]);
      expect(jobs.statuses).toEqual([]);
      expect(c.comments).toHaveLength(1);
      const reply = c.comments[0]?.body ?? "";
      expect(reply).toMatch(/^@reader /);
      expect(reply).toContain("was not run: only members and collaborators trusted");
      expect(reply).not.toContain("monobot:ok-to-test sha=");
    },
  );

  it("recheck with write access: the checks and the CI job run again", async () => {
    const c = captured();
    token();
    config(JOBS);
    ownersPullRequest();
    const asked = permission("writer", "write");
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("issue_comment", prComment("recheck", "COLLABORATOR", "writer"));
    expect(asked.isDone()).toBe(true);
    expect(c.checkRuns.map((r) => r.name)).toContain("monobot/config");
    expect(jobs.dispatches).toEqual(["ci.yml"]);
    expect(c.comments.map((x) => x.body)).not.toContainEqual(expect.stringMatching(/not run/));
  });

  it("/ok-to-test with write access approves an untrusted author's head commit", async () => {
    const c = captured();
    token();
    config(JOBS);
    nock(API).get(`${REPO}/pulls/2`).reply(200, pullRequestBy("newbie", "NONE").pull_request);
    permission("writer", "write");
    nock(API).get(`${REPO}/collaborators/newbie/permission`).reply(404, { message: "Not Found" });
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("issue_comment", prComment("/ok-to-test", "COLLABORATOR", "writer"));
    expect(jobs.dispatches).toEqual(["ci.yml"]);
    expect(c.comments[0]?.body).toContain(`<!-- monobot:ok-to-test sha=${HEAD} by=writer -->`);
  });
});

describe("a repository that still lists COLLABORATOR as trusted", () => {
  it("keeps a valid config, and a read collaborator is still confirmed and gets no CI", async () => {
    const c = captured();
    token();
    config(`${JOBS}triggers:\n  trusted_associations:\n    - OWNER\n    - COLLABORATOR\n`);
    const asked = permission("reader", "read");
    reads({ tags: [] });
    writes(c);
    const jobs = ci();
    await receive("pull_request", pullRequestBy("reader", "COLLABORATOR"));
    expect(asked.isDone()).toBe(true);
    expect(jobs.dispatches).toEqual([]);
    expect(c.checkRuns.find((r) => r.name === "monobot/config")?.conclusion).toBe("success");
    expect(c.comments[0]?.body).toMatch(/CI jobs: .*ok-to-test/);
  });
});
