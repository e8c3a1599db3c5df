// REST routes of the sandbox for the GitHub App itself: installations, installation access tokens and
// the App webhook's deliveries.
import { ApiError, notFound, unprocessable } from "../errors.js";
import type { HookDelivery } from "../hook-deliveries.js";
import type { Installation, PermissionLevel } from "../state.js";
import { json, paginate, type RestContext, type Route } from "./context.js";

const LEVEL_RANK: Record<string, number> = { read: 1, write: 2, admin: 3 };

/** GitHub's `hook-delivery-item`. */
function hookDeliveryItem(a: HookDelivery): Record<string, unknown> {
  return {
    id: a.id,
    guid: a.guid,
    delivered_at: a.deliveredAt,
    redelivery: a.redelivery,
    duration: a.durationSeconds,
    status: a.status,
    status_code: a.statusCode,
    event: a.event,
    action: a.action,
    installation_id: a.installationId,
    repository_id: a.repositoryId,
    throttled_at: null,
  };
}

function installationByParam(ctx: RestContext): Installation {
  const inst = ctx.state.installations.get(ctx.intParam("installation_id"));
  if (!inst) throw notFound();
  return inst;
}

function installationOfAccount(ctx: RestContext, login: string): Installation {
  const account = ctx.state.user(login);
  const inst = account
    ? [...ctx.state.installations.values()].find((i) => i.account === account)
    : undefined;
  if (!inst) throw notFound();
  return inst;
}

export const appRoutes: Route[] = [
  {
    operationId: "apps/get-authenticated",
    auth: "app",
    handle: (ctx) =>
      json(200, {
        ...ctx.view.app(ctx.state.app),
        installations_count: ctx.state.installations.size,
      }),
  },
  {
    operationId: "apps/list-installations",
    auth: "app",
    handle: (ctx) => {
      const page = paginate(ctx, [...ctx.state.installations.values()]);
      return json(
        200,
        page.items.map((i) => ctx.view.installation(i)),
        page.headers,
      );
    },
  },
  {
    operationId: "apps/get-installation",
    auth: "app",
    handle: (ctx) => json(200, ctx.view.installation(installationByParam(ctx))),
  },
  {
    operationId: "apps/create-installation-access-token",
    auth: "app",
    handle: (ctx) => {
      const inst = installationByParam(ctx);
      const body = ctx.bodyObject();
      const installed = [...ctx.state.repos.values()].filter((r) => r.installationId === inst.id);
      let repositoryIds: number[] | undefined;
      if (Array.isArray(body.repositories) || Array.isArray(body.repository_ids)) {
        repositoryIds = [];
        for (const name of Array.isArray(body.repositories) ? body.repositories : []) {
          const r = installed.find((x) => x.name.toLowerCase() === String(name).toLowerCase());
          if (!r)
            throw unprocessable(
              `There is at least one repository that does not exist or is not accessible to the parent installation.`,
            );
          repositoryIds.push(r.id);
        }
        for (const id of Array.isArray(body.repository_ids) ? body.repository_ids : []) {
          if (!installed.some((x) => x.id === id))
            throw unprocessable(
              `There is at least one repository that does not exist or is not accessible to the parent installation.`,
            );
          repositoryIds.push(Number(id));
        }
      }
      let permissions: Record<string, PermissionLevel> = { ...ctx.state.app.permissions };
      if (body.permissions && typeof body.permissions === "object") {
        permissions = {};
        for (const [name, level] of Object.entries(body.permissions as Record<string, unknown>)) {
          const granted = ctx.state.app.permissions[name];
          if (!granted || (LEVEL_RANK[String(level)] ?? 99) > (LEVEL_RANK[granted] ?? 0))
            throw unprocessable("The permissions requested are not granted to this installation.");
          permissions[name] = level as PermissionLevel;
        }
      }
      const token = ctx.state.issueToken(inst.id, { repositoryIds, permissions });
      const out: Record<string, unknown> = {
        token: token.token,
        expires_at: token.expiresAt,
        permissions: token.permissions,
        repository_selection: repositoryIds ? "selected" : "all",
      };
      if (repositoryIds)
        out.repositories = installed
          .filter((r) => repositoryIds.includes(r.id))
          .map((r) => ctx.view.repo(r));
      return json(201, out);
    },
  },
  {
    operationId: "apps/get-repo-installation",
    auth: "app",
    handle: (ctx) => {
      const repo = ctx.state.repo(ctx.param("owner"), ctx.param("repo"));
      const inst =
        repo?.installationId !== undefined
          ? ctx.state.installations.get(repo.installationId)
          : undefined;
      if (!inst) throw notFound();
      return json(200, ctx.view.installation(inst));
    },
  },
  {
    operationId: "apps/get-org-installation",
    auth: "app",
    handle: (ctx) => json(200, ctx.view.installation(installationOfAccount(ctx, ctx.param("org")))),
  },
  {
    operationId: "apps/get-user-installation",
    auth: "app",
    handle: (ctx) =>
      json(200, ctx.view.installation(installationOfAccount(ctx, ctx.param("username")))),
  },
  {
    operationId: "apps/list-webhook-deliveries",
    auth: "app",
    handle: (ctx) => {
      const raw = Number(ctx.query.get("per_page") ?? "30");
      const perPage = Math.min(100, Math.max(1, Number.isFinite(raw) ? Math.floor(raw) : 30));
      const page = ctx.state.hookDeliveries.page({
        perPage,
        cursor: ctx.query.get("cursor"),
        status: ctx.query.get("status"),
      });
      // Cursor pagination: only a `next` link, carrying the cursor and the page size.
      const headers: Record<string, string> = {};
      if (page.next) {
        const url = new URL(ctx.requestUrl.href);
        url.searchParams.set("per_page", String(perPage));
        url.searchParams.set("cursor", page.next);
        headers.link = `<${url.href}>; rel="next"`;
      }
      return json(200, page.items.map(hookDeliveryItem), headers);
    },
  },
  {
    operationId: "apps/redeliver-webhook-delivery",
    auth: "app",
    handle: (ctx) => {
      ctx.state.hookDeliveries.redeliver(ctx.intParam("delivery_id"));
      return json(202, {});
    },
  },
  {
    operationId: "apps/list-repos-accessible-to-installation",
    handle: (ctx) => {
      if (ctx.auth.kind !== "installation")
        throw new ApiError(403, "Resource not accessible by integration");
      const repos = [...ctx.state.repos.values()].filter((r) => ctx.canSee(r));
      const page = paginate(ctx, repos);
      return json(
        200,
        {
          total_count: repos.length,
          repository_selection: "selected",
          repositories: page.items.map((r) => ctx.view.repo(r)),
        },
        page.headers,
      );
    },
  },
  {
    operationId: "users/get-by-username",
    handle: (ctx) => {
      const u = ctx.state.user(ctx.param("username"));
      if (!u) throw notFound();
      return json(200, ctx.view.fullUser(u));
    },
  },
  {
    operationId: "users/get-authenticated",
    handle: (ctx) => {
      if (ctx.auth.kind !== "user")
        throw new ApiError(403, "Resource not accessible by integration");
      return json(200, ctx.view.fullUser(ctx.auth.user));
    },
  },
];
