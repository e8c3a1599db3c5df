// What a REST handler of the sandbox gets (the request, who made it, the state) and what it returns.
import type { IncomingHttpHeaders } from "node:http";
import { ApiError, notFound } from "../errors.js";
import type { Representer } from "../representations.js";
import type { Installation, InstallationToken, Repository, SandboxState, User } from "../state.js";

/** Who a request is authenticated as. */
export type Auth =
  | { kind: "app" }
  | { kind: "installation"; installation: Installation; token: InstallationToken }
  | { kind: "user"; user: User }
  | { kind: "none"; reason: string };

export interface RestResponse {
  status: number;
  /** Serialized as JSON unless `raw` is given. */
  body?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** A handler for one OpenAPI operation. */
export interface Route {
  operationId: string;
  /** `app`: the app's JWT; `token` (default): an installation or user token. */
  auth?: "app" | "token";
  /** The app permission the operation needs; reads need `read`, other methods `write`. */
  permission?: string;
  handle: (ctx: RestContext) => RestResponse | Promise<RestResponse>;
}

export class RestContext {
  constructor(
    readonly state: SandboxState,
    readonly view: Representer,
    readonly method: string,
    readonly params: Record<string, string>,
    readonly query: URLSearchParams,
    readonly body: unknown,
    readonly headers: IncomingHttpHeaders,
    readonly auth: Auth,
    /** The full URL of the request as the client addressed it (for `Link` headers). */
    readonly requestUrl: URL,
  ) {}

  param(name: string): string {
    const v = this.params[name];
    if (v === undefined) throw new Error(`route has no parameter ${name}`);
    return v;
  }

  intParam(name: string): number {
    const v = this.param(name);
    if (!/^\d+$/.test(v)) throw notFound();
    return Number(v);
  }

  /** The repository named by `{owner}/{repo}`, if the caller may see it (404 otherwise, as GitHub hides it). */
  repo(): Repository {
    const repo = this.state.repo(this.param("owner"), this.param("repo"));
    if (!repo || !this.canSee(repo)) throw notFound();
    return repo;
  }

  canSee(repo: Repository): boolean {
    if (this.auth.kind === "installation") {
      const ids = this.auth.token.repositoryIds;
      return repo.installationId === this.auth.installation.id && (!ids || ids.includes(repo.id));
    }
    if (this.auth.kind === "user") return this.state.roleOf(repo, this.auth.user.login) !== "none";
    return false;
  }

  /** The user that actions of this request are attributed to (the app's bot for installation tokens). */
  actor(): User {
    if (this.auth.kind === "user") return this.auth.user;
    return this.state.app.bot;
  }

  viaApp(): boolean {
    return this.auth.kind === "installation";
  }

  /** The JSON body as an object; GitHub answers 400 when it is not one. */
  bodyObject(): Record<string, unknown> {
    if (this.body === undefined) return {};
    if (!this.body || typeof this.body !== "object" || Array.isArray(this.body))
      throw new ApiError(400, "Problems parsing JSON");
    return this.body as Record<string, unknown>;
  }

  accept(): string {
    return String(this.headers.accept ?? "");
  }
}

export function json(
  status: number,
  body: unknown,
  headers?: Record<string, string>,
): RestResponse {
  return headers ? { status, body, headers } : { status, body };
}

export function noContent(): RestResponse {
  return { status: 204 };
}

export function str(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  return typeof v === "string" ? v : undefined;
}

export function bool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  return typeof v === "boolean" ? v : undefined;
}

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

/**
 * Slices a list by `per_page` (default 30, at most `maxPerPage`) and `page`, with GitHub's `Link` header
 * (`next`, `last`, `first`, `prev`) built on the URL the client called.
 */
export function paginate<T>(
  ctx: RestContext,
  items: T[],
  options: { maxPerPage?: number } = {},
): Page<T> {
  const maxPerPage = options.maxPerPage ?? 100;
  const perPageRaw = Number(ctx.query.get("per_page") ?? "30");
  const perPage = Math.min(
    maxPerPage,
    Math.max(1, Number.isFinite(perPageRaw) ? Math.floor(perPageRaw) : 30),
  );
  const pageRaw = Number(ctx.query.get("page") ?? "1");
  const page = Math.max(1, Number.isFinite(pageRaw) ? Math.floor(pageRaw) : 1);
  const lastPage = Math.max(1, Math.ceil(items.length / perPage));
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const link = (p: number): string => {
    const url = new URL(ctx.requestUrl.href);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(p));
    return url.href;
  };
  const parts: string[] = [];
  if (page > 1) parts.push(`<${link(Math.min(page - 1, lastPage))}>; rel="prev"`);
  if (page < lastPage)
    parts.push(`<${link(page + 1)}>; rel="next"`, `<${link(lastPage)}>; rel="last"`);
  if (page > 1) parts.push(`<${link(1)}>; rel="first"`);
  return { items: slice, headers: parts.length > 0 ? { link: parts.join(", ") } : {} };
}

/** Parses GitHub's `since` query (ISO 8601) into milliseconds, or undefined when absent. */
export function sinceParam(ctx: RestContext): number | undefined {
  const since = ctx.query.get("since");
  if (!since) return undefined;
  const t = Date.parse(since);
  return Number.isNaN(t) ? undefined : t;
}
