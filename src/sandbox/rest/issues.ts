// REST routes of the sandbox for issues (and pull requests as issues): comments and labels.
import { ApiError, notFound, validationFailed } from "../errors.js";
import type { Issue, IssueComment, Label, Repository } from "../state.js";
import {
  json,
  noContent,
  paginate,
  sinceParam,
  str,
  type RestContext,
  type Route,
} from "./context.js";

function issueByNumber(ctx: RestContext): Issue {
  const repo = ctx.repo();
  const issue = repo.issues.get(ctx.intParam("issue_number"));
  if (!issue) throw notFound();
  return issue;
}

function commentById(ctx: RestContext): IssueComment {
  const repo = ctx.repo();
  const c = ctx.state.comments.get(ctx.intParam("comment_id"));
  if (!c || c.repo !== repo) throw notFound();
  return c;
}

function ensureLabel(ctx: RestContext, repo: Repository, name: string): Label {
  let label = repo.labels.get(name.toLowerCase());
  if (!label) {
    label = { id: ctx.state.newId(), name, color: "ededed", description: null };
    repo.labels.set(name.toLowerCase(), label);
  }
  return label;
}

/** `labels` in a body: an array of names or of `{name}` objects (GitHub takes both). */
function labelNames(body: unknown): string[] {
  const list = Array.isArray(body)
    ? body
    : body && typeof body === "object" && Array.isArray((body as Record<string, unknown>).labels)
      ? ((body as Record<string, unknown>).labels as unknown[])
      : [];
  return list.flatMap((l) => {
    if (typeof l === "string") return [l];
    if (l && typeof l === "object" && typeof (l as Record<string, unknown>).name === "string")
      return [(l as Record<string, unknown>).name as string];
    return [];
  });
}

function labelsOf(ctx: RestContext, issue: Issue): Record<string, unknown>[] {
  return issue.labels.map((n) => ctx.view.label(issue.repo, ensureLabel(ctx, issue.repo, n)));
}

/** GitHub's limit on an issue's or a comment's body. */
function tooLong(text: string | undefined, resource: string): void {
  if (text !== undefined && text.length > 65536)
    throw validationFailed([
      {
        resource,
        field: "body",
        code: "custom",
        message: "body is too long (maximum is 65536 characters)",
      },
    ]);
}

export const issueRoutes: Route[] = [
  {
    operationId: "issues/get",
    permission: "issues|pull_requests",
    handle: (ctx) => json(200, ctx.view.issue(issueByNumber(ctx))),
  },
  {
    operationId: "issues/list-for-repo",
    permission: "issues",
    handle: (ctx) => {
      const repo = ctx.repo();
      const state = ctx.query.get("state") ?? "open";
      const labels = (ctx.query.get("labels") ?? "").split(",").filter((l) => l !== "");
      const creator = ctx.query.get("creator")?.toLowerCase();
      const issues = [...repo.issues.values()]
        .filter((i) => state === "all" || i.state === state)
        .filter((i) => creator === undefined || i.user.login.toLowerCase() === creator)
        .filter((i) =>
          labels.every((l) => i.labels.some((x) => x.toLowerCase() === l.toLowerCase())),
        )
        .reverse();
      const page = paginate(ctx, issues);
      return json(
        200,
        page.items.map((i) => ctx.view.issue(i)),
        page.headers,
      );
    },
  },
  {
    operationId: "issues/create",
    permission: "issues",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const title = body.title;
      if (typeof title !== "string" && typeof title !== "number")
        throw validationFailed([{ resource: "Issue", field: "title", code: "missing_field" }]);
      tooLong(str(body, "body"), "Issue");
      const issue = ctx.state.createIssue(
        repo,
        ctx.actor(),
        String(title),
        str(body, "body") ?? null,
      );
      for (const name of labelNames(body)) {
        ensureLabel(ctx, repo, name);
        issue.labels.push(name);
      }
      return json(201, ctx.view.issue(issue));
    },
  },
  {
    operationId: "issues/update",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      const body = ctx.bodyObject();
      const title = str(body, "title");
      if (title !== undefined) issue.title = title;
      tooLong(str(body, "body"), "Issue");
      if ("body" in body) issue.body = typeof body.body === "string" ? body.body : null;
      if (Array.isArray(body.labels)) {
        issue.labels = [];
        for (const name of labelNames(body)) {
          ensureLabel(ctx, issue.repo, name);
          issue.labels.push(name);
        }
      }
      const state = str(body, "state");
      if (state === "open" || state === "closed") ctx.state.setIssueState(issue, state);
      issue.updatedAt = ctx.state.isoNow();
      return json(200, ctx.view.issue(issue));
    },
  },
  {
    operationId: "issues/list-comments",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      const since = sinceParam(ctx);
      const comments = ctx.state
        .commentsOn(issue.repo, issue.number)
        .filter((c) => since === undefined || Date.parse(c.updatedAt) >= since);
      const page = paginate(ctx, comments);
      return json(
        200,
        page.items.map((c) => ctx.view.comment(c)),
        page.headers,
      );
    },
  },
  {
    operationId: "issues/list-comments-for-repo",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const since = sinceParam(ctx);
      const comments = [...ctx.state.comments.values()].filter(
        (c) => c.repo === repo && (since === undefined || Date.parse(c.updatedAt) >= since),
      );
      const page = paginate(ctx, comments);
      return json(
        200,
        page.items.map((c) => ctx.view.comment(c)),
        page.headers,
      );
    },
  },
  {
    operationId: "issues/create-comment",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      const body = ctx.bodyObject();
      const text = str(body, "body");
      if (text === undefined)
        throw validationFailed([
          { resource: "IssueComment", field: "body", code: "missing_field" },
        ]);
      if (text.length > 65536)
        throw validationFailed([
          {
            resource: "IssueComment",
            field: "body",
            code: "custom",
            message: "body is too long (maximum is 65536 characters)",
          },
        ]);
      const comment = ctx.state.addComment(issue.repo, issue.number, ctx.actor(), text, {
        ...(ctx.viaApp() ? { viaApp: ctx.state.app } : {}),
      });
      return json(201, ctx.view.comment(comment));
    },
  },
  {
    operationId: "issues/get-comment",
    permission: "issues|pull_requests",
    handle: (ctx) => json(200, ctx.view.comment(commentById(ctx))),
  },
  {
    operationId: "issues/update-comment",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const comment = commentById(ctx);
      const body = ctx.bodyObject();
      const text = str(body, "body");
      if (text === undefined)
        throw validationFailed([
          { resource: "IssueComment", field: "body", code: "missing_field" },
        ]);
      comment.body = text;
      comment.updatedAt = ctx.state.isoNow();
      return json(200, ctx.view.comment(comment));
    },
  },
  {
    operationId: "issues/delete-comment",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const comment = commentById(ctx);
      ctx.state.comments.delete(comment.id);
      return noContent();
    },
  },
  {
    operationId: "issues/list-labels-on-issue",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      const page = paginate(ctx, labelsOf(ctx, issue));
      return json(200, page.items, page.headers);
    },
  },
  {
    operationId: "issues/add-labels",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      for (const name of labelNames(ctx.body)) {
        ensureLabel(ctx, issue.repo, name);
        if (!issue.labels.some((l) => l.toLowerCase() === name.toLowerCase()))
          issue.labels.push(name);
      }
      return json(200, labelsOf(ctx, issue));
    },
  },
  {
    operationId: "issues/set-labels",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      issue.labels = [];
      for (const name of labelNames(ctx.body)) {
        ensureLabel(ctx, issue.repo, name);
        issue.labels.push(name);
      }
      return json(200, labelsOf(ctx, issue));
    },
  },
  {
    operationId: "issues/remove-label",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const issue = issueByNumber(ctx);
      const name = ctx.param("name").toLowerCase();
      const before = issue.labels.length;
      issue.labels = issue.labels.filter((l) => l.toLowerCase() !== name);
      if (issue.labels.length === before) throw new ApiError(404, "Label does not exist");
      return json(200, labelsOf(ctx, issue));
    },
  },
  {
    operationId: "issues/remove-all-labels",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      issueByNumber(ctx).labels = [];
      return noContent();
    },
  },
  {
    operationId: "issues/list-labels-for-repo",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const page = paginate(ctx, [...repo.labels.values()]);
      return json(
        200,
        page.items.map((l) => ctx.view.label(repo, l)),
        page.headers,
      );
    },
  },
  {
    operationId: "issues/create-label",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const name = str(body, "name");
      if (!name)
        throw validationFailed([{ resource: "Label", field: "name", code: "missing_field" }]);
      if (repo.labels.has(name.toLowerCase()))
        throw validationFailed([{ resource: "Label", field: "name", code: "already_exists" }]);
      const label = ensureLabel(ctx, repo, name);
      label.color = str(body, "color") ?? label.color;
      label.description = str(body, "description") ?? null;
      return json(201, ctx.view.label(repo, label));
    },
  },
  {
    operationId: "issues/get-label",
    permission: "issues|pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const label = repo.labels.get(ctx.param("name").toLowerCase());
      if (!label) throw notFound();
      return json(200, ctx.view.label(repo, label));
    },
  },
];
