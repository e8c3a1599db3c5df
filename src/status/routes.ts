// The status page's HTTP face: the page at `/`, its JSON twins, the refresh script, sign-in with GitHub.
import { createHash, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { constants, gzipSync } from "node:zlib";
import { exchangeWebFlowCode, getWebFlowAuthorizationUrl } from "@octokit/oauth-methods";
import type { request as octokitRequest } from "@octokit/request";
import type { Log } from "../log.js";
import { HttpError, type Route } from "../server/http-server.js";
import type { StatusSource } from "./collect.js";
import { readLogin, readViewerRepositories, type RequestFn } from "./github-reads.js";
import { page, REFRESH_JS, STATUS_CSS } from "./html.js";
import {
  cookie,
  readCookies,
  SESSION_COOKIE,
  SessionStore,
  STATE_COOKIE,
  STATE_MS,
  type Session,
} from "./session.js";
import type { StatusSnapshot, Viewer } from "./snapshot.js";
import { mayOpen, renderViews, VIEWS } from "./views.js";

export const STATUS_API = "/api/monobot/status";

/** The page loads only its own script and stylesheet: no inline script can run. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** A viewer's repository list is read again after this (a new installation shows up then). */
const REPOSITORIES_TTL_MS = 60_000;

export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  /** Octokit's request, with GitHub's (or the Enterprise server's) API base URL. */
  request: typeof octokitRequest;
}

export interface StatusRoutesDeps {
  source: StatusSource;
  sessions: SessionStore;
  /** Absent: no sign-in; the page shows aggregate health only. */
  oauth?: OAuthClient;
  /** Logins (lower case) that see the operator views. */
  admins: ReadonlySet<string>;
  /** monobot's public URL (`MONOBOT_PUBLIC_URL`): the OAuth callback's base; https makes cookies Secure. */
  publicUrl?: string;
  log: Log;
}

function securityHeaders(type: string): Record<string, string> {
  return {
    "content-type": type,
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
  };
}

/** Bodies smaller than this go as they are: compressing them saves less than it costs. */
const GZIP_MIN_BYTES = 1024;

/** Whether the client takes gzip (every browser and fetch do): a big matrix is mostly repeats. */
function acceptsGzip(req: IncomingMessage | undefined): boolean {
  const header = req?.headers["accept-encoding"];
  return typeof header === "string" && /\bgzip\b(?!;q=0(\.0*)?\b)/i.test(header);
}

/** Compressed views by ETag: viewers who see the same views share one compression. */
const zipped = new Map<string, Buffer>();
const MAX_ZIPPED = 32;

function gzip(bytes: Buffer, etag: string | undefined): Buffer {
  const hit = etag ? zipped.get(etag) : undefined;
  if (hit) return hit;
  // The fastest level: the views go out every few seconds per viewer, and repeats compress well anyway.
  const out = gzipSync(bytes, { level: constants.Z_BEST_SPEED });
  if (etag) {
    if (zipped.size >= MAX_ZIPPED) zipped.delete(zipped.keys().next().value ?? "");
    zipped.set(etag, out);
  }
  return out;
}

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
  extra: Record<string, string | string[]> = {},
): void {
  let bytes: Buffer = Buffer.from(body);
  const headers: Record<string, string | string[]> = {
    ...securityHeaders(type),
    vary: "accept-encoding",
  };
  if (bytes.length >= GZIP_MIN_BYTES && acceptsGzip(res.req)) {
    const etag = extra.etag;
    bytes = gzip(bytes, typeof etag === "string" ? etag : undefined);
    headers["content-encoding"] = "gzip";
  }
  // One write with a known length: a page sent in pieces waits on the client's delayed ACK.
  res.writeHead(status, { ...headers, "content-length": String(bytes.length), ...extra });
  res.end(bytes);
}

function replyJson(res: ServerResponse, status: number, body: unknown): void {
  reply(res, status, JSON.stringify(body, null, 2) + "\n", "application/json; charset=utf-8");
}

/** The request's URL query: the filters of the views that have some. */
function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? "/", "http://x").searchParams;
}

export function statusRoutes(deps: StatusRoutesDeps): Route[] {
  const { sessions, oauth, log } = deps;

  const origin = (req: IncomingMessage): string => {
    if (deps.publicUrl) return deps.publicUrl;
    const proto = req.headers["x-forwarded-proto"] === "https" ? "https" : "http";
    return `${proto}://${req.headers.host ?? "localhost"}`;
  };
  const secure = (req: IncomingMessage): boolean => origin(req).startsWith("https:");
  const userRequest = (token: string): RequestFn =>
    oauth
      ? (route, params) =>
          oauth.request(route, { ...params, headers: { authorization: `token ${token}` } })
      : () => Promise.reject(new Error("sign-in is not configured"));

  async function visibleTo(session: Session): Promise<ReadonlySet<string>> {
    const cached = session.repositories;
    if (cached && Date.now() - cached.readAt < REPOSITORIES_TTL_MS) return cached.names;
    try {
      const read = await readViewerRepositories(userRequest(session.token));
      session.repositories = { ...read, readAt: Date.now() };
      return read.names;
    } catch (e) {
      log.warn(
        { login: session.login, err: (e as Error).message },
        "status page: could not list the viewer's repositories",
      );
      // Nothing rather than stale or guessed access.
      return cached?.names ?? new Set();
    }
  }

  async function snapshotFor(req: IncomingMessage): Promise<StatusSnapshot> {
    const session = oauth ? sessions.get(req) : null;
    const viewer: Viewer | null = session ? { login: session.login, admin: session.admin } : null;
    const visible = !session ? new Set<string>() : session.admin ? "all" : await visibleTo(session);
    return deps.source.snapshot(viewer, visible);
  }

  const home: Route = {
    path: "/",
    method: "GET",
    async handle(req, res) {
      const s = await snapshotFor(req);
      reply(
        res,
        200,
        page({
          login: s.viewer?.login ?? null,
          admin: s.viewer?.admin ?? false,
          signInAvailable: s.signInAvailable,
          main: renderViews(s, queryOf(req)),
          now: s.now,
        }),
        "text/html; charset=utf-8",
      );
    },
  };

  const logout: Route = {
    path: "/status/logout",
    method: "POST",
    async handle(req, res) {
      sessions.end(req);
      reply(res, 303, "signed out\n", "text/plain; charset=utf-8", {
        location: "/",
        "set-cookie": cookie(SESSION_COOKIE, "", { secure: secure(req), maxAgeSeconds: 0 }),
      });
    },
  };

  async function login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!oauth) throw new HttpError(404, "sign-in is not configured (GITHUB_CLIENT_ID)");
    const state = randomBytes(24).toString("base64url");
    const { url } = getWebFlowAuthorizationUrl({
      clientType: "github-app",
      clientId: oauth.clientId,
      redirectUrl: `${origin(req)}/status/callback`,
      state,
      request: oauth.request,
    });
    reply(res, 302, "to GitHub\n", "text/plain; charset=utf-8", {
      location: url,
      "set-cookie": cookie(STATE_COOKIE, sessions.signer.sign(state), {
        secure: secure(req),
        maxAgeSeconds: STATE_MS / 1000,
      }),
    });
  }

  async function callback(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!oauth) throw new HttpError(404, "sign-in is not configured (GITHUB_CLIENT_ID)");
    const query = new URL(req.url ?? "/", "http://x").searchParams;
    const expected = sessions.signer.unsign(readCookies(req).get(STATE_COOKIE));
    // The state ties the answer to a sign-in this browser started (no login CSRF).
    if (!expected || query.get("state") !== expected)
      throw new HttpError(400, "sign-in state does not match: start again from the status page");
    const code = query.get("code");
    if (!code) {
      const why = query.get("error_description") ?? query.get("error") ?? "no code in the answer";
      throw new HttpError(400, `GitHub did not sign you in: ${why.slice(0, 200)}`);
    }
    let token: string;
    let who: string;
    try {
      const { authentication } = await exchangeWebFlowCode({
        clientType: "github-app",
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        code,
        redirectUrl: `${origin(req)}/status/callback`,
        request: oauth.request,
      });
      token = authentication.token;
      who = await readLogin(userRequest(token));
    } catch (e) {
      log.warn({ status: (e as { status?: number }).status }, "status page: sign-in failed");
      throw new HttpError(502, "GitHub refused the sign-in; try again from the status page");
    }
    const admin = deps.admins.has(who.toLowerCase());
    const value = sessions.create({ login: who, admin, token });
    log.info({ login: who, admin }, "status page: signed in");
    reply(res, 302, "signed in\n", "text/plain; charset=utf-8", {
      location: "/",
      "set-cookie": [
        cookie(SESSION_COOKIE, value, {
          secure: secure(req),
          maxAgeSeconds: SessionStore.maxAgeSeconds,
        }),
        cookie(STATE_COOKIE, "", { secure: secure(req), maxAgeSeconds: 0 }),
      ],
    });
  }

  /**
   * The views the refresh script polls for. Most polls find nothing new: the ETag lets them end
   * with an empty 304 instead of the whole page again (the script sends it back itself, since
   * nothing here may be cached).
   */
  async function views(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const html = renderViews(await snapshotFor(req), queryOf(req));
    const etag = `"${createHash("sha1").update(html).digest("base64url")}"`;
    if (req.headers["if-none-match"] === etag) {
      res.writeHead(304, { ...securityHeaders("text/html; charset=utf-8"), etag });
      res.end();
      return;
    }
    reply(res, 200, html, "text/html; charset=utf-8", { etag });
  }

  const assets: Route = {
    path: "/status/",
    prefix: true,
    method: "GET",
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/status/refresh.js")
        return reply(res, 200, REFRESH_JS, "text/javascript; charset=utf-8");
      if (path === "/status/status.css")
        return reply(res, 200, STATUS_CSS, "text/css; charset=utf-8");
      if (path === "/status/views") return views(req, res);
      if (path === "/status/login") return login(req, res);
      if (path === "/status/callback") return callback(req, res);
      throw new HttpError(404, "not found");
    },
  };

  const api: Route = {
    path: STATUS_API,
    prefix: true,
    method: "GET",
    async handle(req, res) {
      const path = (req.url ?? "/").split("?")[0] ?? "";
      const id = path.slice(STATUS_API.length).replace(/^\/+|\/+$/g, "");
      const s = await snapshotFor(req);
      if (id === "") {
        return replyJson(res, 200, {
          viewer: s.viewer,
          signInAvailable: s.signInAvailable,
          views: VIEWS.map((v) => ({
            id: v.id,
            title: v.title,
            access: v.access,
            allowed: mayOpen(v, s.viewer).ok,
            url: `${STATUS_API}/${v.id}`,
          })),
        });
      }
      const view = VIEWS.find((v) => v.id === id);
      if (!view) throw new HttpError(404, `no status view "${id.slice(0, 40)}"`);
      const may = mayOpen(view, s.viewer);
      if (!may.ok) return replyJson(res, may.status, { error: may.reason });
      const query = queryOf(req);
      const wrong = view.check?.(query) ?? null;
      if (wrong) return replyJson(res, 400, { error: wrong });
      replyJson(res, 200, { view: view.id, at: s.now, data: view.build(s, query) });
    },
  };

  return [home, logout, assets, api];
}
