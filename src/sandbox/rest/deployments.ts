// REST routes of the sandbox for deployments and their statuses.
import { notFound, validationFailed } from "../errors.js";
import {
  addDeploymentStatus,
  createDeployment,
  deploymentJson,
  deploymentStatusJson,
} from "../deployments.js";
import type { Deployment } from "../state.js";
import { bool, json, paginate, str, type RestContext, type Route } from "./context.js";

function deploymentOf(ctx: RestContext): Deployment {
  const repo = ctx.repo();
  const id = ctx.intParam("deployment_id");
  const d = repo.deployments.find((x) => x.id === id);
  if (!d) throw notFound();
  return d;
}

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
}

export const deploymentRoutes: Route[] = [
  {
    operationId: "repos/create-deployment",
    permission: "deployments",
    handle: (ctx) => {
      const repo = ctx.repo();
      const body = ctx.bodyObject();
      const ref = str(body, "ref");
      if (!ref)
        throw validationFailed([{ resource: "Deployment", field: "ref", code: "missing_field" }]);
      const payload = body.payload;
      const d = createDeployment(ctx.state, repo, ctx.actor(), {
        ref,
        task: str(body, "task"),
        payload:
          typeof payload === "string" || (payload && typeof payload === "object")
            ? (payload as Record<string, unknown> | string)
            : undefined,
        environment: str(body, "environment"),
        description: str(body, "description") ?? null,
        requiredContexts: stringList(body.required_contexts),
        productionEnvironment: bool(body, "production_environment"),
        transientEnvironment: bool(body, "transient_environment"),
      });
      return json(201, deploymentJson(ctx.view, repo, d));
    },
  },
  {
    operationId: "repos/list-deployments",
    permission: "deployments",
    handle: (ctx) => {
      const repo = ctx.repo();
      const q = (k: string) => ctx.query.get(k) ?? undefined;
      const [sha, ref, task, environment] = [q("sha"), q("ref"), q("task"), q("environment")];
      const all = [...repo.deployments]
        .reverse()
        .filter(
          (d) =>
            (sha === undefined || d.sha === sha) &&
            (ref === undefined || d.ref === ref) &&
            (task === undefined || d.task === task) &&
            (environment === undefined || d.environment === environment),
        );
      const page = paginate(ctx, all);
      return json(
        200,
        page.items.map((d) => deploymentJson(ctx.view, repo, d)),
        page.headers,
      );
    },
  },
  {
    operationId: "repos/get-deployment",
    permission: "deployments",
    handle: (ctx) => json(200, deploymentJson(ctx.view, ctx.repo(), deploymentOf(ctx))),
  },
  {
    operationId: "repos/create-deployment-status",
    permission: "deployments",
    handle: (ctx) => {
      const repo = ctx.repo();
      const d = deploymentOf(ctx);
      const body = ctx.bodyObject();
      const s = addDeploymentStatus(ctx.state, repo, d, ctx.actor(), {
        state: str(body, "state") ?? "",
        description: str(body, "description"),
        logUrl: str(body, "log_url"),
        targetUrl: str(body, "target_url"),
        environmentUrl: str(body, "environment_url"),
        autoInactive: bool(body, "auto_inactive"),
      });
      return json(201, deploymentStatusJson(ctx.view, repo, d, s));
    },
  },
  {
    operationId: "repos/list-deployment-statuses",
    permission: "deployments",
    handle: (ctx) => {
      const repo = ctx.repo();
      const d = deploymentOf(ctx);
      const page = paginate(ctx, [...d.statuses].reverse());
      return json(
        200,
        page.items.map((s) => deploymentStatusJson(ctx.view, repo, d, s)),
        page.headers,
      );
    },
  },
];
