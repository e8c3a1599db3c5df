import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allChecks } from "../src/core/checks/index.js";
import type { CheckDefinition } from "../src/core/checks/registry.js";
import type { Annotation } from "../src/core/types.js";
import { makeProbot } from "./helpers/probot.js";
import { examplePayload } from "./helpers/payloads.js";
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

/** A check that annotates every added file, so batching and names can be seen. */
const fileCheck: CheckDefinition = {
  id: "lint",
  name: "monobot/lint",
  run: ({ snapshot }) => {
    const annotations: Annotation[] = snapshot.files.map((f) => ({
      path: f.path,
      start_line: 1,
      end_line: 1,
      level: "failure",
      message: `${f.path} is not allowed`,
    }));
    return {
      name: "monobot/lint",
      conclusion: annotations.length ? "failure" : "success",
      title: `${annotations.length} problems`,
      summary: "files",
      annotations,
    };
  },
};

beforeEach(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

async function receive(
  name: string,
  payload: Record<string, unknown>,
  id = `delivery-${Math.random()}`,
  checks: readonly CheckDefinition[] = [fileCheck],
) {
  const { probot, queue } = await makeProbot({ checks });
  await probot.receive({ id, name, payload } as Parameters<typeof probot.receive>[0]);
  await queue.idle();
  return { probot, queue };
}

/**
 * An invalid `.github/monobot.yml`: the loader reads it, then reads the raw text again to put
 * the problem on its line; monobot then lists check runs and comments to report it.
 */
function invalidConfig(text: string) {
  config(text);
  config(text);
  nock(API)
    .get(`${REPO}/commits/${HEAD}/check-runs`)
    .query(true)
    .reply(200, { total_count: 0, check_runs: [] });
  nock(API).get(`${REPO}/issues/2/comments`).query(true).reply(200, []);
}

describe("pull_request events", () => {
  it("opened: posts every check run on the head SHA and one summary comment", async () => {
    const c = captured();
    token();
    config(null);
    reads();
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    expect(c.checkRuns.map((r) => r.name)).toEqual(["monobot/config", "monobot/lint"]);
    expect(c.checkRuns.every((r) => r.head_sha === HEAD)).toBe(true);
    expect(c.checkRuns.map((r) => r.conclusion)).toEqual(["success", "failure"]);
    expect(c.comments).toHaveLength(1);
    const body = c.comments[0]?.body ?? "";
    expect(body).toMatch(/^<!-- monobot:summary -->/);
    expect(body).toContain("| api | `services/api` | 1.0.0 → 1.1.0 | 1 file changed |");
    expect(body).toContain("| `monobot/lint` | ❌ failure |");
    expect(
      nock
        .pendingMocks()
        // Only the reads of this event: writes() also stands ready for replies it did not need.
        .filter((m) => !m.includes("PATCH") && !/(POST|GET) .*(check-runs|comments)/.test(m)),
    ).toEqual([]);
  });

  it("posts the static checks as check runs, and no secret reaches GitHub", async () => {
    const c = captured();
    const secret = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
    token();
    config(null);
    reads({
      files: ["services/api/main.go", "services/api/config.json"],
      patches: {
        "services/api/main.go": `@@ -1 +1,2 @@\n package main\n+const token = "${secret}"`,
        "services/api/config.json": "@@ -1 +1 @@\n-{}\n+{ not json",
      },
      contents: { "services/api/config.json": "{ not json\n" },
      tags: [],
    });
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "opened"), "static", allChecks);
    expect(c.checkRuns.map((r) => r.name)).toEqual([
      "monobot/config",
      "monobot/lint",
      "monobot/license",
      "monobot/dco",
      "monobot/versions",
      "monobot/secrets",
    ]);
    const byName = Object.fromEntries(c.checkRuns.map((r) => [r.name, r]));
    expect(byName["monobot/lint"]?.conclusion).toBe("failure");
    expect(byName["monobot/secrets"]?.conclusion).toBe("failure");
    expect(byName["monobot/dco"]?.conclusion).toBe("success");
    const secretsAnnotations = byName["monobot/secrets"]?.output.annotations as {
      path: string;
      start_line: number;
    }[];
    expect(secretsAnnotations[0]).toMatchObject({ path: "services/api/main.go", start_line: 2 });
    const everything = JSON.stringify([c.checkRuns, c.checkRunUpdates, c.comments, c.commentEdits]);
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(4, 20));
  });

  it("sends annotations in batches of 50: one create, then updates", async () => {
    const c = captured();
    token();
    config(null);
    reads({ files: Array.from({ length: 120 }, (_, i) => `services/api/f${i}.go`) });
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    const lint = c.checkRuns.find((r) => r.name === "monobot/lint");
    expect(lint?.output.annotations).toHaveLength(50);
    expect(c.checkRunUpdates.map((u) => u.output.annotations?.length)).toEqual([50, 20]);
    expect(c.checkRunUpdates.every((u) => u.id === "101")).toBe(true);
  });

  it("draft: does nothing but read the configuration", async () => {
    const c = captured();
    token();
    config(null);
    writes(c);
    const payload = examplePayload<{ pull_request: { draft: boolean } }>("pull_request", "opened");
    payload.pull_request.draft = true;
    await receive("pull_request", payload as unknown as Record<string, unknown>);
    expect(c.checkRuns).toEqual([]);
    expect(c.comments).toEqual([]);
  });

  it("invalid .github/monobot.yml: a failing monobot/config with the line, and nothing else", async () => {
    const c = captured();
    token();
    invalidConfig("versions:\n  prerelease: allow\n  prerelease: forbid\n");
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    expect(c.checkRuns.map((r) => [r.name, r.conclusion])).toEqual([["monobot/config", "failure"]]);
    const annotations = c.checkRuns[0]?.output.annotations as {
      path: string;
      start_line: number;
      message: string;
      annotation_level: string;
    }[];
    expect(annotations[0]).toMatchObject({
      path: ".github/monobot.yml",
      start_line: 3,
      annotation_level: "failure",
    });
    expect(annotations[0]?.message).toMatch(/Map keys must be unique/);
    expect(c.comments[0]?.body).toContain("the configuration is invalid");
  });

  it("a schema error carries the line of the offending key", async () => {
    const c = captured();
    token();
    invalidConfig("triggers:\n  skip_drafts: maybe\n");
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "opened"));
    const annotations = c.checkRuns[0]?.output.annotations as {
      start_line: number;
      message: string;
    }[];
    expect(annotations[0]).toMatchObject({
      start_line: 2,
      message: "triggers.skip_drafts must be a boolean",
    });
  });

  it("edits the summary comment on the next event instead of adding another", async () => {
    const c = captured();
    token();
    config(null);
    reads({
      comments: [
        { id: 77, body: "<!-- monobot:summary -->\nold", user: { login: "monobot[bot]" } },
      ],
    });
    writes(c);
    await receive("pull_request", examplePayload("pull_request", "synchronize"));
    expect(c.comments).toEqual([]);
    expect(c.commentEdits.map((e) => e.id)).toEqual(["77"]);
    expect(c.commentEdits[0]?.body).toMatch(/^<!-- monobot:summary -->/);
  });

  it("a forged summary comment by someone else cannot approve CI", async () => {
    const c = captured();
    token();
    config(null);
    const payload = examplePayload<{
      pull_request: { author_association: string; user: { login: string } };
    }>("pull_request", "opened");
    payload.pull_request.author_association = "NONE";
    payload.pull_request.user.login = "stranger";
    nock(API).get(`${REPO}/collaborators/stranger/permission`).reply(404, {});
    const forged = `<!-- monobot:summary -->\n<!-- monobot:ok-to-test sha=${HEAD} by=maintainer -->`;
    reads({ comments: [{ id: 9, body: forged, user: { login: "stranger" } }] });
    writes(c);
    await receive("pull_request", payload as unknown as Record<string, unknown>);
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toMatch(/CI jobs: /);
    expect(c.commentEdits).toEqual([]);
  });

  it("a redelivered delivery id runs once", async () => {
    const c = captured();
    token();
    config(null);
    reads();
    writes(c);
    const { probot, queue } = await receive(
      "pull_request",
      examplePayload("pull_request", "opened"),
      "same-id",
    );
    await probot.receive({
      id: "same-id",
      name: "pull_request",
      payload: examplePayload("pull_request", "opened"),
    } as Parameters<typeof probot.receive>[0]);
    await queue.idle();
    expect(c.checkRuns).toHaveLength(2);
    expect(c.comments).toHaveLength(1);
  });
});

describe("issue_comment commands", () => {
  it("recheck by a member runs the checks again", async () => {
    const c = captured();
    token();
    config(null);
    pullRequest();
    reads();
    writes(c);
    await receive("issue_comment", prComment("Please recheck", "MEMBER"));
    expect(c.checkRuns.map((r) => r.name)).toEqual(["monobot/config", "monobot/lint"]);
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toMatch(/^<!-- monobot:summary -->/);
  });

  it("recheck by an outsider: one polite reply and nothing else", async () => {
    const c = captured();
    token();
    config(null);
    pullRequest();
    nock(API).get(`${REPO}/collaborators/mallory/permission`).reply(404, { message: "Not Found" });
    writes(c);
    await receive("issue_comment", prComment("recheck", "NONE", "mallory"));
    expect(c.checkRuns).toEqual([]);
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toMatch(/^@mallory /);
    expect(c.comments[0]?.body).toMatch(/`recheck` was not run: only members and collaborators/);
  });

  it("a contributor with write permission is trusted after the permission check", async () => {
    const c = captured();
    token();
    config(null);
    pullRequest();
    nock(API)
      .get(`${REPO}/collaborators/dev/permission`)
      .reply(200, { permission: "write", user: { login: "dev" } });
    reads();
    writes(c);
    await receive("issue_comment", prComment("recheck", "CONTRIBUTOR", "dev"));
    expect(c.checkRuns).toHaveLength(2);
  });

  it("/help replies with the command table, to anyone", async () => {
    const c = captured();
    token();
    config(null);
    pullRequest();
    writes(c);
    await receive("issue_comment", prComment("/help", "NONE", "visitor"));
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toContain("/ok-to-test");
    expect(c.comments[0]?.body).toContain("/retest");
  });

  it("ignores a command inside a code block or a quote, and ordinary discussion", async () => {
    const c = captured();
    writes(c);
    await receive("issue_comment", prComment("LGTM, thanks!", "MEMBER"));
    token();
    config(null);
    pullRequest();
    await receive("issue_comment", prComment("> recheck\n\n```\n/ok-to-test\n```", "MEMBER"));
    expect(c.checkRuns).toEqual([]);
    expect(c.comments).toEqual([]);
  });

  it("/ok-to-test by a member lets CI run at the current head, recorded in the summary", async () => {
    const c = captured();
    token();
    config(null);
    const pr = examplePayload<{
      pull_request: Record<string, unknown> & {
        author_association: string;
        user: { login: string };
      };
    }>("pull_request", "opened").pull_request;
    pr.author_association = "FIRST_TIME_CONTRIBUTOR";
    pr.user.login = "newbie";
    nock(API).get(`${REPO}/pulls/2`).reply(200, pr);
    nock(API).get(`${REPO}/collaborators/newbie/permission`).reply(404, {});
    reads();
    writes(c);
    await receive("issue_comment", prComment("/ok-to-test", "MEMBER", "maintainer"));
    const body = c.comments[0]?.body ?? "";
    expect(body).toContain(`<!-- monobot:ok-to-test sha=${HEAD} by=maintainer -->`);
    expect(body).not.toContain("CI jobs:");
  });

  it("an untrusted author's PR without approval lists CI as not run", async () => {
    const c = captured();
    token();
    config(null);
    const payload = examplePayload<{
      pull_request: { author_association: string; user: { login: string } };
    }>("pull_request", "opened");
    payload.pull_request.author_association = "NONE";
    payload.pull_request.user.login = "stranger";
    nock(API).get(`${REPO}/collaborators/stranger/permission`).reply(404, {});
    reads();
    writes(c);
    await receive("pull_request", payload as unknown as Record<string, unknown>);
    expect(c.comments[0]?.body).toMatch(/CI jobs: .*ok-to-test/);
  });
});

describe("check re-run requests", () => {
  it("check_suite.rerequested re-runs the checks of its pull requests", async () => {
    const c = captured();
    token();
    const payload = examplePayload<{
      check_suite: { pull_requests: { number: number }[] };
      installation: { id: number };
    }>("check_suite", "rerequested");
    payload.installation.id = 1;
    for (const p of payload.check_suite.pull_requests) p.number = 2;
    config(null);
    pullRequest();
    reads();
    writes(c);
    await receive("check_suite", payload as unknown as Record<string, unknown>);
    expect(c.checkRuns.map((r) => r.name)).toEqual(["monobot/config", "monobot/lint"]);
  });

  it("check_run.rerequested for another app's check does nothing", async () => {
    const c = captured();
    writes(c);
    await receive("check_run", examplePayload("check_run", "rerequested"));
    expect(c.checkRuns).toEqual([]);
  });
});

describe("/bump through the app", () => {
  function bumpPr(
    change: (
      pr: Record<string, unknown> & {
        head: { repo: { full_name: string; name: string; owner: { login: string } } };
        maintainer_can_modify?: boolean;
      },
    ) => void,
  ) {
    const pr = examplePayload<{
      pull_request: Record<string, unknown> & {
        head: { repo: { full_name: string; name: string; owner: { login: string } } };
      };
    }>("pull_request", "opened").pull_request;
    change(pr);
    nock(API).get(`${REPO}/pulls/2`).reply(200, pr);
  }

  it("refuses a fork that does not allow maintainer edits, and says how to fix it", async () => {
    const c = captured();
    token();
    config(null);
    bumpPr((pr) => {
      pr.head.repo = {
        full_name: "someone/Hello-World",
        name: "Hello-World",
        owner: { login: "someone" },
      };
      pr.maintainer_can_modify = false;
    });
    nock(API).get(`${REPO}/issues/2/comments`).query(true).reply(200, []);
    writes(c);
    await receive("issue_comment", prComment("/bump patch", "MEMBER", "maintainer"));
    expect(c.comments).toHaveLength(1);
    expect(c.comments[0]?.body).toMatch(
      /^@maintainer `\/bump patch` was not run: .*does not allow edits by maintainers/,
    );
  });

  it("refuses when the head moved since monobot verified it", async () => {
    const c = captured();
    const verified = "1".repeat(40);
    token();
    config(null);
    bumpPr(() => undefined);
    nock(API)
      .get(`${REPO}/issues/2/comments`)
      .query(true)
      .reply(200, [
        {
          id: 3,
          body: `<!-- monobot:summary -->\n<!-- monobot:verified sha=${verified} -->`,
          user: { login: "monobot[bot]" },
        },
      ])
      .get(`${REPO}/branches/changes`)
      .reply(200, {
        name: "changes",
        commit: { sha: HEAD, commit: { tree: { sha: "2".repeat(40) } } },
      });
    writes(c);
    await receive("issue_comment", prComment("/bump minor", "MEMBER", "maintainer"));
    expect(c.comments[0]?.body).toMatch(/moved since monobot checked it \(checked 1111111/);
  });
});
