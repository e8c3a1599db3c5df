// REST routes of the sandbox for pull requests: listing, reading, files, commits, creating, updating, merging.
import { ApiError, notFound, unprocessable, validationFailed } from "../errors.js";
import type { Issue, PullRequest } from "../state.js";
import { bool, json, noContent, paginate, str, type RestContext, type Route } from "./context.js";

/** GitHub lists at most 3,000 files of a pull request and 250 of its commits. */
export const PULL_FILES_LIMIT = 3000;
export const PULL_COMMITS_LIMIT = 250;

type Pull = Issue & { pull: PullRequest };

function pullByNumber(ctx: RestContext): Pull {
  const repo = ctx.repo();
  const issue = ctx.state.pull(repo, ctx.intParam("pull_number"));
  if (!issue) throw notFound();
  return issue as Pull;
}

export const pullRoutes: Route[] = [
  {
    operationId: "pulls/list",
    permission: "pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const state = ctx.query.get("state") ?? "open";
      const head = ctx.query.get("head");
      const base = ctx.query.get("base");
      let pulls = [...repo.issues.values()].filter((i): i is Pull => i.pull !== undefined);
      if (state !== "all") pulls = pulls.filter((p) => p.state === state);
      if (head) {
        const colon = head.indexOf(":");
        const owner = colon >= 0 ? head.slice(0, colon) : repo.owner.login;
        const branch = colon >= 0 ? head.slice(colon + 1) : head;
        pulls = pulls.filter(
          (p) =>
            p.pull.headRepo.owner.login.toLowerCase() === owner.toLowerCase() &&
            (!branch || p.pull.headRef === branch),
        );
      }
      if (base) pulls = pulls.filter((p) => p.pull.baseRef === base);
      const sort = ctx.query.get("sort") ?? "created";
      const direction = ctx.query.get("direction") ?? (sort === "created" ? "desc" : "asc");
      const key = (p: Pull): string => (sort === "updated" ? p.updatedAt : p.createdAt);
      pulls.sort((a, b) => {
        const c = key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.number - b.number;
        return direction === "desc" ? -c : c;
      });
      const page = paginate(ctx, pulls);
      return json(
        200,
        page.items.map((p) => ctx.view.pull(p)),
        page.headers,
      );
    },
  },
  {
    operationId: "pulls/get",
    permission: "pull_requests",
    handle: (ctx) => json(200, ctx.view.pull(pullByNumber(ctx), { full: true })),
  },
  {
    operationId: "pulls/list-files",
    permission: "pull_requests",
    handle: (ctx) => {
      const issue = pullByNumber(ctx);
      const files = ctx.state.pullFiles(issue).slice(0, PULL_FILES_LIMIT);
      const page = paginate(ctx, files);
      return json(
        200,
        page.items.map((f) => ctx.view.file(issue.pull.headRepo, issue.pull.headSha, f)),
        page.headers,
      );
    },
  },
  {
    operationId: "pulls/list-commits",
    permission: "pull_requests",
    handle: (ctx) => {
      const issue = pullByNumber(ctx);
      const commits = ctx.state.pullCommits(issue).slice(0, PULL_COMMITS_LIMIT);
      const page = paginate(ctx, commits);
      return json(
        200,
        page.items.map((sha) => ctx.view.commit(issue.pull.headRepo, sha)),
        page.headers,
      );
    },
  },
  {
    operationId: "pulls/create",
    permission: "pull_requests",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const head = str(body, "head");
      const base = str(body, "base");
      if (!head)
        throw validationFailed([{ resource: "PullRequest", field: "head", code: "missing_field" }]);
      if (!base)
        throw validationFailed([{ resource: "PullRequest", field: "base", code: "missing_field" }]);
      let title = str(body, "title");
      const issueNumber = typeof body.issue === "number" ? body.issue : undefined;
      if (!title && issueNumber === undefined)
        throw validationFailed([
          { resource: "PullRequest", field: "title", code: "missing_field" },
        ]);
      if (issueNumber !== undefined) title = repo.issues.get(issueNumber)?.title ?? title;
      const headRepoName = str(body, "head_repo");
      const headRepo = headRepoName
        ? (ctx.state.repo(repo.owner.login, headRepoName) ?? undefined)
        : undefined;
      const created = ctx.state.openPullRequest(repo, {
        head,
        base,
        title: title ?? "",
        body: str(body, "body") ?? null,
        user: ctx.actor(),
        draft: bool(body, "draft") ?? false,
        maintainerCanModify: bool(body, "maintainer_can_modify"),
        ...(headRepo ? { headRepo } : {}),
      });
      return json(201, ctx.view.pull(created, { full: true }));
    },
  },
  {
    operationId: "pulls/update",
    permission: "pull_requests",
    handle: (ctx) => {
      const issue = pullByNumber(ctx);
      const body = ctx.bodyObject();
      const title = str(body, "title");
      if (title !== undefined) issue.title = title;
      if ("body" in body) issue.body = typeof body.body === "string" ? body.body : null;
      const base = str(body, "base");
      if (base !== undefined) {
        const sha = ctx.state.branchSha(issue.repo, base);
        if (!sha)
          throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
        issue.pull.baseRef = base;
        issue.pull.baseSha = sha;
      }
      const mcm = bool(body, "maintainer_can_modify");
      if (mcm !== undefined) issue.pull.maintainerCanModify = mcm;
      const state = str(body, "state");
      if (state === "open" || state === "closed") ctx.state.setIssueState(issue, state);
      issue.updatedAt = ctx.state.isoNow();
      return json(200, ctx.view.pull(issue, { full: true }));
    },
  },
  {
    operationId: "pulls/check-if-merged",
    permission: "pull_requests",
    handle: (ctx) => {
      if (!pullByNumber(ctx).pull.merged) throw notFound();
      return noContent();
    },
  },
  {
    operationId: "pulls/merge",
    permission: "contents",
    handle: (ctx) => {
      const issue = pullByNumber(ctx);
      const body = ctx.bodyObject();
      const sha = str(body, "sha");
      if (sha && sha !== issue.pull.headSha)
        throw new ApiError(409, "Head branch was modified. Review and try the merge again.");
      if (issue.pull.draft) throw new ApiError(405, "Pull Request is still a draft");
      const method = str(body, "merge_method") ?? "merge";
      if (method !== "merge" && method !== "squash" && method !== "rebase")
        throw unprocessable(`Invalid merge_method: ${method}`);
      const merged = ctx.state.mergePull(issue, {
        user: ctx.actor(),
        method: method === "merge" ? "merge" : "squash",
        title: str(body, "commit_title"),
        message: str(body, "commit_message"),
      });
      return json(200, { sha: merged, merged: true, message: "Pull Request successfully merged" });
    },
  },
];
