// nock stand-ins for the GitHub API calls of one pull request of the example payloads' repository.
import nock from "nock";
import { examplePayload } from "./payloads.js";

export const API = "https://api.github.com";
export const REPO = "/repos/Codertocat/Hello-World";
export const HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
export const BASE = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
export const CONFIG = /\/contents\/\.github%2Fmonobot\.yml/;

export interface Captured {
  checkRuns: {
    name: string;
    head_sha: string;
    conclusion: string;
    output: { annotations?: unknown[]; summary: string };
  }[];
  checkRunUpdates: { id: string; output: { annotations?: unknown[] } }[];
  comments: { body: string }[];
  commentEdits: { id: string; body: string }[];
}

export function captured(): Captured {
  return { checkRuns: [], checkRunUpdates: [], comments: [], commentEdits: [] };
}

export function token() {
  return nock(API)
    .post("/app/installations/1/access_tokens")
    .reply(201, { token: "ghs_test", permissions: { checks: "write", pull_requests: "read" } });
}

export function config(text: string | null) {
  const scope = nock(API).get((p) => p.startsWith(REPO) && CONFIG.test(p));
  if (text === null) {
    scope.reply(404, { message: "Not Found" });
    nock(API)
      .get((p) => p.startsWith("/repos/Codertocat/.github/") && CONFIG.test(p))
      .reply(404, { message: "Not Found" });
  } else scope.reply(200, text, { "content-type": "application/vnd.github.v3.raw; charset=utf-8" });
}

/** The reads of one verification: files, commits, tree, existing runs and comments. */
export function reads(
  options: {
    files?: string[];
    patches?: Record<string, string>;
    /** Release tags answered by the matching-refs listing (only when the versions check runs). */
    tags?: string[];
    /** Head contents returned by the GraphQL batched read. */
    contents?: Record<string, string>;
    comments?: { id: number; body: string; user: { login: string } }[];
  } = {},
) {
  const files = options.files ?? ["services/api/main.go"];
  nock(API)
    .get(`${REPO}/pulls/2/files`)
    .query(true)
    .reply(
      200,
      files.map((f) => ({
        filename: f,
        status: "modified",
        additions: 1,
        deletions: 0,
        changes: 1,
        patch: options.patches?.[f] ?? "@@ -1 +1 @@\n-a\n+b",
      })),
    )
    .get(`${REPO}/pulls/2/commits`)
    .query(true)
    .reply(200, [
      {
        sha: HEAD,
        parents: [{ sha: BASE }],
        author: { login: "Codertocat" },
        committer: { login: "Codertocat" },
        commit: {
          message: "fix: things\n\nSigned-off-by: Codertocat <c@example.com>",
          author: { name: "Codertocat", email: "c@example.com" },
          committer: { name: "Codertocat", email: "c@example.com" },
        },
      },
    ])
    .get(`${REPO}/git/trees/${HEAD}`)
    .query({ recursive: "1" })
    .reply(200, {
      sha: HEAD,
      truncated: false,
      tree: ["services/api/VERSION", "services/api/main.go", "README.md"].map((path) => ({
        path,
        type: "blob",
        mode: "100644",
        sha: "0".repeat(40),
      })),
    })
    .get(`${REPO}/commits/${HEAD}/check-runs`)
    .query(true)
    .reply(200, { total_count: 0, check_runs: [] })
    .get(`${REPO}/issues/2/comments`)
    .query(true)
    .reply(200, options.comments ?? []);
  if (options.tags) {
    nock(API)
      .get(/\/git\/matching-refs\/tags/)
      .query(true)
      .reply(
        200,
        options.tags.map((t) => ({ ref: `refs/tags/${t}`, object: { sha: BASE, type: "commit" } })),
      );
  }
  nock(API)
    .post("/graphql")
    .reply(200, (_uri, body) => {
      const vars = (body as { variables: Record<string, string> }).variables;
      const repository: Record<string, { text: string; isBinary: boolean } | null> = {};
      for (const [k, v] of Object.entries(vars)) {
        if (!k.startsWith("e")) continue;
        const path = v.slice(v.indexOf(":") + 1);
        const text = v.startsWith(HEAD) ? options.contents?.[path] : undefined;
        if (text !== undefined) {
          repository[`f${k.slice(1)}`] = { text, isBinary: false };
          continue;
        }
        repository[`f${k.slice(1)}`] = v.endsWith("VERSION")
          ? { text: v.startsWith(HEAD) ? "1.1.0\n" : "1.0.0\n", isBinary: false }
          : null;
      }
      return { data: { repository } };
    });
}

export function writes(c: Captured) {
  let nextId = 100;
  nock(API)
    .post(`${REPO}/check-runs`)
    .times(20)
    .reply(201, (_uri, body) => {
      c.checkRuns.push(body as Captured["checkRuns"][number]);
      return { id: nextId++ };
    })
    .patch(/\/repos\/Codertocat\/Hello-World\/check-runs\/\d+/)
    .times(20)
    .reply(200, (uri, body) => {
      c.checkRunUpdates.push({
        id: uri.split("/").pop() ?? "",
        ...(body as { output: { annotations?: unknown[] } }),
      });
      return {};
    })
    // Before replying, monobot looks for an earlier reply to the same delivery.
    .get(`${REPO}/issues/2/comments`)
    .query(true)
    .times(5)
    .reply(200, [])
    .post(`${REPO}/issues/2/comments`)
    .times(5)
    .reply(201, (_uri, body) => {
      c.comments.push(body as { body: string });
      return { id: 555 };
    })
    .patch(/\/repos\/Codertocat\/Hello-World\/issues\/comments\/\d+/)
    .times(5)
    .reply(200, (uri, body) => {
      c.commentEdits.push({
        id: uri.split("/").pop() ?? "",
        body: (body as { body: string }).body,
      });
      return {};
    });
}

export function prComment(body: string, association: string, login = "someone") {
  const payload = examplePayload<
    Record<string, unknown> & {
      issue: { number: number; pull_request?: unknown };
      comment: { body: string; author_association: string; user: { login: string } };
      sender: { login: string; type: string };
    }
  >("issue_comment", "created");
  payload.issue.number = 2;
  payload.issue.pull_request = { url: `${API}${REPO}/pulls/2` };
  payload.comment.body = body;
  payload.comment.author_association = association;
  payload.comment.user.login = login;
  payload.sender.login = login;
  return payload;
}

export function pullRequest() {
  const pr = examplePayload<{ pull_request: Record<string, unknown> }>(
    "pull_request",
    "opened",
  ).pull_request;
  nock(API).get(`${REPO}/pulls/2`).reply(200, pr);
}
