// monobot/access through Probot: real pull_request_review, pull_request, check_run and comment payloads.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import access from "../src/handlers/access.js";
import {
  API,
  BASE,
  HEAD,
  REPO,
  config,
  prComment,
  pullRequest,
  token,
} from "./helpers/github-nock.js";
import { examplePayload } from "./helpers/payloads.js";
import { makeProbot } from "./helpers/probot.js";

const POLICY = `access:
  rules:
    - name: infrastructure
      paths: ["infra/**"]
      approve: { count: 2, teams: [acme/platform] }
    - name: site values
      paths: ["sites/{site}/**"]
      approve: { count: 1, teams: ["acme/site-{site}-admins"] }
  unmatched: allow
  owners: { teams: [acme/platform] }
`;

interface Written {
  created: {
    name: string;
    head_sha: string;
    conclusion: string;
    external_id?: string;
    output: {
      title: string;
      summary: string;
      annotations?: { path: string; annotation_level: string; message: string }[];
    };
  }[];
  updated: {
    id: string;
    conclusion?: string;
    output: { title: string; summary: string; annotations?: unknown[] };
  }[];
}

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function receive(name: string, payload: Record<string, unknown>) {
  const { probot, queue, metrics } = await makeProbot({ handlers: [access] });
  await probot.receive({ id: `d-${Math.random()}`, name, payload } as Parameters<
    typeof probot.receive
  >[0]);
  await queue.idle();
  return metrics;
}

function files(paths: { path: string; status?: string; previous?: string }[]) {
  nock(API)
    .get(`${REPO}/pulls/2/files`)
    .query(true)
    .reply(
      200,
      paths.map((f) => ({
        filename: f.path,
        status: f.status ?? "modified",
        additions: 1,
        deletions: 0,
        changes: 1,
        ...(f.previous ? { previous_filename: f.previous } : {}),
      })),
    );
}

let nextReview = 1;
function reviewsOf(list: { user: string; state: string; commit?: string; type?: string }[]) {
  nock(API)
    .get(`${REPO}/pulls/2/reviews`)
    .query(true)
    .reply(
      200,
      list.map((r) => ({
        id: nextReview++,
        user: { login: r.user, type: r.type ?? "User" },
        state: r.state,
        commit_id: r.commit ?? HEAD,
        submitted_at: new Date(Date.UTC(2026, 0, 1, 0, nextReview)).toISOString(),
      })),
    );
}

function team(slug: string, members: string[] | 404 | 403) {
  const scope = nock(API).get(`/orgs/acme/teams/${slug}/members`).query(true);
  if (typeof members === "number") scope.reply(members, { message: "Not Found" });
  else
    scope.reply(
      200,
      members.map((login) => ({ login, id: 1, type: "User" })),
    );
}

function checkRuns(existing: { id: number; name: string }[] = []) {
  nock(API)
    .get(`${REPO}/commits/${HEAD}/check-runs`)
    .query(true)
    .reply(200, {
      total_count: existing.length,
      check_runs: existing.map((r) => ({
        ...r,
        head_sha: HEAD,
        status: "completed",
        conclusion: "failure",
        external_id: "earlier",
      })),
    });
}

function writes(w: Written) {
  nock(API)
    .post(`${REPO}/check-runs`)
    .times(5)
    .reply(201, (_uri, body) => {
      w.created.push(body as Written["created"][number]);
      return { id: 900 + w.created.length };
    })
    .patch(/\/repos\/Codertocat\/Hello-World\/check-runs\/\d+/)
    .times(5)
    .reply(200, (uri, body) => {
      const update = body as Omit<Written["updated"][number], "id">;
      w.updated.push({ ...update, id: uri.split("/").pop() ?? "" });
      return {};
    });
}

function review(action: "submitted" | "dismissed" | "edited") {
  const payload = examplePayload<Record<string, unknown> & { action: string }>(
    "pull_request_review",
    action === "edited" ? "submitted" : action,
  );
  payload.action = action;
  return payload;
}

describe("monobot/access through Probot", () => {
  it("a review is submitted: one platform approval of two, the check fails and says what is missing", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "infra/net.tf" }, { path: "README.md" }]);
    reviewsOf([{ user: "pia", state: "APPROVED" }]);
    team("platform", ["pia", "pat"]);
    checkRuns();
    writes(w);
    await receive("pull_request_review", review("submitted"));
    expect(w.updated).toEqual([]);
    expect(w.created).toHaveLength(1);
    const run = w.created[0]!;
    expect(run).toMatchObject({ name: "monobot/access", head_sha: HEAD, conclusion: "failure" });
    expect(run.output.summary).toContain(
      "infrastructure: 1 of 2 approvals from @acme/platform; approved by @pia",
    );
    expect(run.output.annotations).toEqual([
      expect.objectContaining({ path: "infra/net.tf", annotation_level: "warning" }),
    ]);
    expect(nock.pendingMocks().filter((m) => !/check-runs/.test(m))).toEqual([]);
  });

  it("a second approval: the same check run is updated in place to success, no annotation again", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "infra/net.tf" }]);
    reviewsOf([
      { user: "pia", state: "APPROVED" },
      { user: "pat", state: "APPROVED" },
    ]);
    team("platform", ["pia", "pat"]);
    checkRuns([{ id: 77, name: "monobot/access" }]);
    writes(w);
    await receive("pull_request_review", review("submitted"));
    expect(w.created).toEqual([]);
    expect(w.updated).toHaveLength(1);
    expect(w.updated[0]).toMatchObject({ id: "77", conclusion: "success" });
    expect(w.updated[0]?.output.annotations).toBeUndefined();
    expect(w.updated[0]?.output.summary).toContain("approved by @pia, @pat");
  });

  it("a review is dismissed: the approval no longer counts", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "infra/net.tf" }]);
    reviewsOf([
      { user: "pia", state: "APPROVED" },
      { user: "pat", state: "DISMISSED" },
    ]);
    team("platform", ["pia", "pat"]);
    checkRuns([{ id: 77, name: "monobot/access" }]);
    writes(w);
    await receive("pull_request_review", review("dismissed"));
    expect(w.updated[0]).toMatchObject({ conclusion: "failure" });
    expect(w.updated[0]?.output.summary).toContain("@pat: their review was dismissed");
  });

  it("an edited review re-evaluates too; a stale approval and the author's own do not count", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "sites/emea/values.yaml" }]);
    reviewsOf([
      { user: "emma", state: "APPROVED", commit: BASE },
      { user: "Codertocat", state: "APPROVED" },
    ]);
    team("site-emea-admins", ["emma", "codertocat"]);
    checkRuns();
    writes(w);
    await receive("pull_request_review", review("edited"));
    expect(w.created[0]?.conclusion).toBe("failure");
    expect(w.created[0]?.output.summary).toContain("@emma: approved an earlier commit");
    expect(w.created[0]?.output.summary).toContain(
      "@Codertocat: the author cannot approve their own pull request",
    );
  });

  it("a team monobot cannot read counts no approvers, and the check says which and why", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "sites/emea/values.yaml" }]);
    reviewsOf([{ user: "emma", state: "APPROVED" }]);
    team("site-emea-admins", 403);
    checkRuns();
    writes(w);
    await receive("pull_request_review", review("submitted"));
    expect(w.created[0]?.conclusion).toBe("failure");
    expect(w.created[0]?.output.summary).toContain(
      "@acme/site-emea-admins counts no approvers: GitHub answered 403",
    );
  });

  it("pull_request opened: evaluated from the payload's head; no review, no team read", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    config(POLICY);
    files([{ path: "infra/old.tf", status: "removed" }]);
    reviewsOf([]);
    checkRuns();
    writes(w);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    expect(w.created[0]).toMatchObject({ name: "monobot/access", conclusion: "failure" });
    // A deleted file cannot carry an annotation; the summary names it.
    expect(w.created[0]?.output.annotations ?? []).toEqual([]);
    expect(w.created[0]?.output.summary).toContain("`infra/old.tf`");
  });

  it("a PR proposing invalid access rules: a failing monobot/config on its line, and the owners must approve", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    config(POLICY);
    files([{ path: ".github/monobot.yml" }]);
    const invalid = POLICY.replace(
      "{ count: 2, teams: [acme/platform] }",
      "{ count: 0, teams: [acme/platform] }",
    );
    // The head's file, read by the loader and again (raw) to locate the error.
    config(invalid);
    config(invalid);
    checkRuns();
    reviewsOf([{ user: "wes", state: "APPROVED" }]);
    team("platform", ["pia"]);
    writes(w);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    const byName = Object.fromEntries(w.created.map((r) => [r.name, r]));
    expect(byName["monobot/config"]?.conclusion).toBe("failure");
    expect(byName["monobot/config"]?.output.summary).toContain(
      "`.github/monobot.yml` line 5: access.rules.0.approve.count must be >= 1",
    );
    expect(byName["monobot/config"]?.output.annotations).toEqual([
      expect.objectContaining({ path: ".github/monobot.yml", annotation_level: "failure" }),
    ]);
    expect(byName["monobot/access"]?.conclusion).toBe("failure");
    expect(byName["monobot/access"]?.output.summary).toContain(
      "access owners: 0 of 1 approval from @acme/platform",
    );
  });

  it("the Checks tab's Re-run of monobot/access evaluates again", async () => {
    const w: Written = { created: [], updated: [] };
    const payload = examplePayload<{
      check_run: { name: string; pull_requests: { number: number }[] };
    }>("check_run", "rerequested");
    // The example's repository is another one: the PR's own, as GitHub would send it.
    (payload as unknown as { repository: unknown }).repository = examplePayload<{
      repository: unknown;
    }>("pull_request", "opened").repository;
    payload.check_run.name = "monobot/access";
    payload.check_run.pull_requests = [{ number: 2 }];
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "README.md" }]);
    reviewsOf([]);
    checkRuns([{ id: 5, name: "monobot/access" }]);
    writes(w);
    await receive("check_run", payload as unknown as Record<string, unknown>);
    expect(w.updated[0]).toMatchObject({ id: "5", conclusion: "success" });
  });

  it("recheck from a member re-evaluates; from an outsider, nothing is written", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    files([{ path: "README.md" }]);
    reviewsOf([]);
    checkRuns();
    writes(w);
    await receive("issue_comment", prComment("recheck", "MEMBER"));
    expect(w.created.map((r) => r.name)).toEqual(["monobot/access"]);

    nock.cleanAll();
    const quiet: Written = { created: [], updated: [] };
    token();
    pullRequest();
    config(POLICY);
    nock(API)
      .get(`${REPO}/collaborators/someone/permission`)
      .reply(200, { permission: "read", role_name: "read" });
    writes(quiet);
    await receive("issue_comment", prComment("recheck", "NONE"));
    expect(quiet.created).toEqual([]);
    expect(nock.pendingMocks().filter((m) => !/check-runs/.test(m))).toEqual([]);
  });

  it("a repository without access rules: nothing is posted, nothing but the policy read", async () => {
    const w: Written = { created: [], updated: [] };
    token();
    config(null);
    files([{ path: "infra/net.tf" }]);
    writes(w);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    expect(w.created).toEqual([]);
    // Every pull request of every repository takes this path: only the policy is read.
    expect(nock.pendingMocks()).toContainEqual(expect.stringContaining("/pulls/2/files"));
  });
});
