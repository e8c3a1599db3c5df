// REST routes of the sandbox for the Checks API: check runs, their annotations, and check suites.
import { ApiError, notFound } from "../errors.js";
import type { CheckRun, CheckSuite } from "../state.js";
import { json, paginate, type RestContext, type Route } from "./context.js";

function requireApp(ctx: RestContext): void {
  if (ctx.auth.kind !== "installation")
    throw new ApiError(403, "You must authenticate via a GitHub App.");
}

function runById(ctx: RestContext): CheckRun {
  const repo = ctx.repo();
  const run = ctx.state.checkRuns.get(ctx.intParam("check_run_id"));
  if (!run || run.repo !== repo) throw notFound();
  return run;
}

function suiteById(ctx: RestContext): CheckSuite {
  const repo = ctx.repo();
  const suite = ctx.state.checkSuites.get(ctx.intParam("check_suite_id"));
  if (!suite || suite.repo !== repo) throw notFound();
  return suite;
}

/** Applies `check_name`, `status`, `app_id` and `filter` (latest per name by default) to check runs. */
function filterRuns(ctx: RestContext, runs: CheckRun[]): CheckRun[] {
  const name = ctx.query.get("check_name");
  const status = ctx.query.get("status");
  const appId = ctx.query.get("app_id");
  let out = runs.filter(
    (r) =>
      (!name || r.name === name) &&
      (!status || r.status === status) &&
      (!appId || String(r.app.id) === appId),
  );
  if ((ctx.query.get("filter") ?? "latest") === "latest") {
    const latest = new Map<string, CheckRun>();
    for (const r of out) {
      const key = `${r.app.id}:${r.name}`;
      const prev = latest.get(key);
      if (!prev || prev.id < r.id) latest.set(key, r);
    }
    out = [...latest.values()];
  }
  return out.sort((a, b) => b.id - a.id);
}

function runList(ctx: RestContext, runs: CheckRun[]) {
  const page = paginate(ctx, runs);
  return json(
    200,
    { total_count: runs.length, check_runs: page.items.map((r) => ctx.view.checkRun(r)) },
    page.headers,
  );
}

export const checkRoutes: Route[] = [
  {
    operationId: "checks/create",
    permission: "checks",
    handle: (ctx) => {
      requireApp(ctx);
      const repo = ctx.repo();
      const run = ctx.state.createCheckRun(repo, ctx.state.app, ctx.bodyObject());
      return json(201, ctx.view.checkRun(run));
    },
  },
  {
    operationId: "checks/update",
    permission: "checks",
    handle: (ctx) => {
      requireApp(ctx);
      const run = runById(ctx);
      if (run.app !== ctx.state.app)
        throw new ApiError(
          403,
          "Invalid app_id `" +
            ctx.state.app.id +
            "` - check run can only be modified by the GitHub App that created it.",
        );
      ctx.state.applyCheckRunBody(run, ctx.bodyObject());
      return json(200, ctx.view.checkRun(run));
    },
  },
  {
    operationId: "checks/get",
    permission: "checks",
    handle: (ctx) => json(200, ctx.view.checkRun(runById(ctx))),
  },
  {
    operationId: "checks/list-annotations",
    permission: "checks",
    handle: (ctx) => {
      const run = runById(ctx);
      const page = paginate(ctx, run.output.annotations);
      const full = `${run.repo.owner.login}/${run.repo.name}`;
      return json(
        200,
        page.items.map((a) => ({
          path: a.path,
          start_line: a.start_line,
          end_line: a.end_line,
          start_column: a.start_column ?? null,
          end_column: a.end_column ?? null,
          annotation_level: a.annotation_level,
          title: a.title ?? null,
          message: a.message,
          raw_details: a.raw_details ?? null,
          blob_href: ctx.view.urls.html(`/${full}/blob/${run.headSha}/${a.path}`),
        })),
        page.headers,
      );
    },
  },
  {
    operationId: "checks/list-for-ref",
    permission: "checks",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = ctx.state.resolveCommit(repo, ctx.param("ref"));
      if (!sha) throw new ApiError(422, `No commit found for SHA: ${ctx.param("ref")}`);
      return runList(ctx, filterRuns(ctx, ctx.state.checkRunsFor(repo, sha)));
    },
  },
  {
    operationId: "checks/list-for-suite",
    permission: "checks",
    handle: (ctx) => {
      const suite = suiteById(ctx);
      return runList(
        ctx,
        filterRuns(
          ctx,
          [...ctx.state.checkRuns.values()].filter((r) => r.suiteId === suite.id),
        ),
      );
    },
  },
  {
    operationId: "checks/get-suite",
    permission: "checks",
    handle: (ctx) => json(200, ctx.view.checkSuite(suiteById(ctx))),
  },
  {
    operationId: "checks/list-suites-for-ref",
    permission: "checks",
    handle: (ctx) => {
      const repo = ctx.repo();
      const sha = ctx.state.resolveCommit(repo, ctx.param("ref"));
      if (!sha) throw new ApiError(422, `No commit found for SHA: ${ctx.param("ref")}`);
      const appId = ctx.query.get("app_id");
      const suites = [...ctx.state.checkSuites.values()].filter(
        (s) => s.repo === repo && s.headSha === sha && (!appId || String(s.app.id) === appId),
      );
      const page = paginate(ctx, suites);
      return json(
        200,
        { total_count: suites.length, check_suites: page.items.map((s) => ctx.view.checkSuite(s)) },
        page.headers,
      );
    },
  },
  {
    operationId: "checks/create-suite",
    permission: "checks",
    handle: (ctx) => {
      requireApp(ctx);
      const repo = ctx.repo();
      const headSha = String(ctx.bodyObject().head_sha ?? "");
      if (!ctx.state.store.commit(headSha))
        throw new ApiError(422, "head_sha is not a valid commit");
      const existing = [...ctx.state.checkSuites.values()].some(
        (s) => s.repo === repo && s.headSha === headSha,
      );
      const suite = ctx.state.suiteFor(repo, headSha, ctx.state.app);
      return json(existing ? 200 : 201, ctx.view.checkSuite(suite));
    },
  },
  {
    operationId: "checks/rerequest-run",
    permission: "checks",
    handle: (ctx) => {
      requireApp(ctx);
      runById(ctx).rerequested++;
      return json(201, {});
    },
  },
  {
    operationId: "checks/rerequest-suite",
    permission: "checks",
    handle: (ctx) => {
      requireApp(ctx);
      suiteById(ctx).rerequested++;
      return json(201, {});
    },
  },
];
