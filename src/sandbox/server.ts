// The sandbox's HTTP server: GitHub's REST API under /api/v3 and GraphQL at /api/graphql, checked against
// the OpenAPI description, with a request log, recorded violations and injected faults.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { authenticate } from "./auth.js";
import { ApiError } from "./errors.js";
import { describeFault, FaultInjector, type Fault } from "./faults.js";
import { executeGraphql } from "./graphql.js";
import { SandboxOAuth } from "./oauth.js";
import { loadOpenApi, type OpenApiIndex } from "./openapi.js";
import { Representer, Urls } from "./representations.js";
import { actionRoutes } from "./rest/actions.js";
import { appRoutes } from "./rest/apps.js";
import { checkRoutes } from "./rest/checks.js";
import { RestContext, type Auth, type RestResponse, type Route } from "./rest/context.js";
import { gitRoutes } from "./rest/git.js";
import { issueRoutes } from "./rest/issues.js";
import { pullRoutes } from "./rest/pulls.js";
import { repoRoutes } from "./rest/repos.js";
import { reviewRoutes } from "./rest/reviews.js";
import { userInstallationRoutes } from "./rest/user-installations.js";
import type { SandboxState } from "./state.js";

export interface RequestLogEntry {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** The path and query as received (`/api/v3/repos/o/r/pulls?state=open`). */
  url: string;
  /** The path without `/api/v3` and without the query (`/graphql` for GraphQL). */
  path: string;
  /** GitHub's operation id (`pulls/list-files`), `graphql`, or undefined when the path is unknown. */
  operationId: string | undefined;
  status: number;
  /** ISO time the request arrived. */
  time: string;
  durationMs: number;
  /** Set when an injected fault answered the request. */
  fault?: string;
  auth: Auth["kind"];
}

export type ViolationKind =
  | "unknown-path"
  | "unknown-method"
  | "invalid-body"
  | "invalid-query"
  | "invalid-json"
  | "unimplemented"
  | "sandbox-error";

export interface Violation {
  method: string;
  path: string;
  operationId?: string;
  kind: ViolationKind;
  problem: string;
  time: string;
}

export interface ControlResponse {
  status: number;
  body?: unknown;
}

/** The handler of `/_sandbox/...` requests (the driver's HTTP face). */
export type ControlHandler = (
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
) => Promise<ControlResponse> | ControlResponse;

/** Every REST handler, by GitHub operation id. */
export const ROUTES: ReadonlyMap<string, Route> = new Map(
  [
    ...appRoutes,
    ...repoRoutes,
    ...gitRoutes,
    ...pullRoutes,
    ...issueRoutes,
    ...checkRoutes,
    ...actionRoutes,
    ...reviewRoutes,
    ...userInstallationRoutes,
  ].map((r) => [r.operationId, r]),
);

const LEVEL_RANK: Record<string, number> = { read: 1, write: 2, admin: 3 };
const MAX_BODY_BYTES = 100 * 1024 * 1024;
const MAX_LOG_ENTRIES = 200_000;

const SECONDARY_RATE_LIMIT_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
  "If you reach out to GitHub Support for help, please include the request ID";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, "Request body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export class SandboxServer {
  readonly faults = new FaultInjector();
  readonly log: RequestLogEntry[] = [];
  readonly violations: Violation[] = [];
  urls = new Urls("http://127.0.0.1:0");
  /** GitHub's web flow for the app's OAuth client (sign-in on monobot's status page). */
  readonly oauth: SandboxOAuth;
  view: Representer;
  control: ControlHandler | undefined;
  private server: Server | undefined;
  private seq = 0;
  private readonly openapi: OpenApiIndex;

  constructor(readonly state: SandboxState) {
    this.openapi = loadOpenApi();
    this.oauth = new SandboxOAuth(state);
    this.view = new Representer(state, this.urls);
  }

  get openApiStats(): OpenApiIndex["stats"] {
    return this.openapi.stats;
  }

  async listen(port = 0, host = "127.0.0.1"): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
          res.end(JSON.stringify({ message: `sandbox error: ${String(err)}` }));
        }
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const addr = server.address() as AddressInfo;
    this.urls = new Urls(`http://${host}:${addr.port}`);
    this.view = new Representer(this.state, this.urls);
    return this.urls.base;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private recordViolation(v: Omit<Violation, "time">): void {
    this.violations.push({ ...v, time: new Date().toISOString() });
  }

  private send(res: ServerResponse, r: RestResponse, requestId: string): void {
    const headers: Record<string, string> = {
      "x-github-request-id": requestId,
      "x-github-media-type": "github.v3; format=json",
      "x-github-api-version-selected": "2022-11-28",
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "4999",
      "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 3600),
      "x-ratelimit-used": "1",
      "x-ratelimit-resource": "core",
      ...(r.headers ?? {}),
    };
    if (r.status === 204 || r.status === 304) {
      res.writeHead(r.status, headers);
      res.end();
      return;
    }
    if (r.raw !== undefined) {
      headers["content-type"] = r.contentType ?? "application/octet-stream";
      res.writeHead(r.status, headers);
      res.end(r.raw);
      return;
    }
    headers["content-type"] = r.contentType ?? "application/json; charset=utf-8";
    res.writeHead(r.status, headers);
    res.end(JSON.stringify(r.body ?? {}));
  }

  private faultResponse(fault: Fault): RestResponse | undefined {
    const kind = fault.spec.kind;
    if ("status" in kind) {
      const message =
        kind.status >= 500
          ? kind.status === 502
            ? "Bad Gateway"
            : "Server Error"
          : "Injected fault";
      return {
        status: kind.status,
        body: kind.body ?? {
          message,
          documentation_url: "https://docs.github.com/rest",
          status: String(kind.status),
        },
        ...(kind.headers ? { headers: kind.headers } : {}),
      };
    }
    if ("secondaryRateLimit" in kind) {
      return {
        status: 403,
        headers: { "retry-after": String(kind.secondaryRateLimit.retryAfter) },
        body: {
          message: SECONDARY_RATE_LIMIT_MESSAGE,
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
          status: "403",
        },
      };
    }
    if ("primaryRateLimit" in kind) {
      const reset = Math.floor(Date.now() / 1000) + kind.primaryRateLimit.resetInSeconds;
      return {
        status: 403,
        headers: {
          "x-ratelimit-limit": "5000",
          "x-ratelimit-remaining": "0",
          "x-ratelimit-used": "5000",
          "x-ratelimit-reset": String(reset),
        },
        body: {
          message: "API rate limit exceeded for installation.",
          documentation_url:
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits",
          status: "403",
        },
      };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const time = new Date().toISOString();
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const url = new URL(rawUrl, this.urls.base);
    const requestId = randomUUID().toUpperCase().slice(0, 23);
    let bodyBuf: Buffer;
    try {
      bodyBuf = await readBody(req);
    } catch (err) {
      const e =
        err instanceof ApiError ? err : new ApiError(400, "Could not read the request body");
      this.send(res, { status: e.status, body: e.body() }, requestId);
      return;
    }

    // The web flow lives on GitHub's site, not under /api/v3, so it is outside the OpenAPI check.
    if (url.pathname.startsWith("/login/oauth/")) {
      const type = String(req.headers["content-type"] ?? "");
      this.send(res, this.oauth.handle(method, url, bodyBuf, type), requestId);
      return;
    }
    if (url.pathname.startsWith("/_sandbox/") || url.pathname === "/_sandbox") {
      await this.handleControl(method, url, bodyBuf, res, requestId);
      return;
    }

    const isGraphql = url.pathname === "/api/graphql";
    let apiPath = isGraphql ? "/graphql" : url.pathname.replace(/^\/api\/v3(?=\/|$)/, "") || "/";
    try {
      apiPath = decodeURIComponent(apiPath);
    } catch {
      // Keep the raw path when it is not valid percent-encoding.
    }
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      method,
      url: rawUrl,
      path: apiPath,
      operationId: isGraphql ? "graphql" : undefined,
      status: 0,
      time,
      durationMs: 0,
      auth: "none",
    };
    this.log.push(entry);
    if (this.log.length > MAX_LOG_ENTRIES) this.log.splice(0, this.log.length - MAX_LOG_ENTRIES);

    const finish = (r: RestResponse): void => {
      entry.status = r.status;
      entry.durationMs = performance.now() - started;
      this.send(res, r, requestId);
    };

    try {
      const response = await this.route(req, method, url, apiPath, isGraphql, bodyBuf, entry, res);
      if (response === "dropped") {
        entry.durationMs = performance.now() - started;
        return;
      }
      finish(response);
    } catch (err) {
      if (err instanceof ApiError) {
        finish({ status: err.status, body: err.body(), headers: err.headers });
        return;
      }
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.recordViolation({
        method,
        path: apiPath,
        ...(entry.operationId ? { operationId: entry.operationId } : {}),
        kind: "sandbox-error",
        problem: `the sandbox failed while serving this request: ${message}`,
      });
      finish({ status: 500, body: { message: "Server Error (sandbox bug, see violations)" } });
    }
  }

  private async route(
    req: IncomingMessage,
    method: string,
    url: URL,
    apiPath: string,
    isGraphql: boolean,
    bodyBuf: Buffer,
    entry: RequestLogEntry,
    res: ServerResponse,
  ): Promise<RestResponse | "dropped"> {
    const outsideApi = !isGraphql && !/^\/api\/v3(\/|$)/.test(url.pathname);
    let matched: ReturnType<OpenApiIndex["match"]> | undefined;
    if (outsideApi) {
      this.recordViolation({
        method,
        path: url.pathname,
        kind: "unknown-path",
        problem: "request outside /api/v3 and /api/graphql (wrong base URL?)",
      });
    } else if (!isGraphql) {
      // GitHub's raw path (still percent-encoded) decides the operation, as slashes in `{path}` matter.
      const rawPath = (req.url ?? "/").split("?")[0]?.replace(/^\/api\/v3(?=\/|$)/, "") || "/";
      matched = this.openapi.match(method, rawPath);
      if (matched.kind === "operation") entry.operationId = matched.match.operation.operationId;
      else if (matched.kind === "method")
        this.recordViolation({
          method,
          path: apiPath,
          kind: "unknown-method",
          problem: `${method} is not defined for ${matched.templates.join(", ")} in GitHub's OpenAPI description`,
        });
      else
        this.recordViolation({
          method,
          path: apiPath,
          kind: "unknown-path",
          problem: `no path in GitHub's OpenAPI description matches ${apiPath}`,
        });
    } else if (method !== "POST") {
      this.recordViolation({
        method,
        path: apiPath,
        kind: "unknown-method",
        problem: "GraphQL takes POST only",
      });
    }

    // Parse the body before faults so a malformed one is recorded even when a fault answers.
    let body: unknown;
    const hasBody = bodyBuf.length > 0;
    let bodyError = false;
    if (hasBody) {
      try {
        body = JSON.parse(bodyBuf.toString("utf8"));
      } catch {
        bodyError = true;
        this.recordViolation({
          method,
          path: apiPath,
          ...(entry.operationId ? { operationId: entry.operationId } : {}),
          kind: "invalid-json",
          problem: "request body is not valid JSON",
        });
      }
    }
    let bodyProblems: string[] = [];
    if (matched?.kind === "operation" && !bodyError) {
      const problems = this.openapi.check(matched.match.operation, body, hasBody, url.searchParams);
      for (const problem of problems) {
        const isQuery = problem.startsWith("query parameter");
        this.recordViolation({
          method,
          path: apiPath,
          operationId: matched.match.operation.operationId,
          kind: isQuery ? "invalid-query" : "invalid-body",
          problem,
        });
      }
      bodyProblems = problems.filter((p) => !p.startsWith("query parameter"));
    }

    const fault = this.faults.take({
      method,
      apiPath,
      ...(matched?.kind === "operation" ? { template: matched.match.operation.template } : {}),
    });
    if (fault) {
      entry.fault = describeFault(fault.spec.kind);
      const kind = fault.spec.kind;
      if ("timeoutMs" in kind) {
        await sleep(kind.timeoutMs);
        res.socket?.destroy();
        return "dropped";
      }
      if ("delayMs" in kind) await sleep(kind.delayMs);
      else {
        const r = this.faultResponse(fault);
        if (r) return r;
      }
    }

    if (outsideApi || (matched && matched.kind !== "operation"))
      throw new ApiError(404, "Not Found");

    const auth = authenticate(this.state, req.headers.authorization);
    entry.auth = auth.kind;
    if (bodyError) throw new ApiError(400, "Problems parsing JSON");

    if (isGraphql) {
      if (auth.kind !== "installation" && auth.kind !== "user")
        throw new ApiError(
          401,
          auth.kind === "none"
            ? "This endpoint requires you to be authenticated."
            : "Bad credentials",
        );
      const result = await executeGraphql({ state: this.state, urls: this.urls, auth }, body);
      return { status: result.status, body: result.body };
    }

    if (matched?.kind !== "operation") throw new ApiError(404, "Not Found");
    const op = matched.match;
    const route = ROUTES.get(op.operation.operationId);
    const needs = route?.auth ?? "token";
    if (needs === "app" && auth.kind !== "app") {
      if (auth.kind === "none" && auth.reason !== "Requires authentication")
        throw new ApiError(401, auth.reason);
      throw new ApiError(401, "A JSON web token could not be decoded");
    }
    if (needs === "token" && auth.kind !== "installation" && auth.kind !== "user") {
      if (auth.kind === "app")
        throw new ApiError(
          403,
          "Resource not accessible by integration (an app JWT cannot call this endpoint)",
        );
      throw new ApiError(401, auth.reason);
    }
    if (bodyProblems.length > 0)
      throw new ApiError(422, `Invalid request.\n\n${bodyProblems.join("\n")}`, undefined);
    if (!route) {
      this.recordViolation({
        method,
        path: apiPath,
        operationId: op.operation.operationId,
        kind: "unimplemented",
        problem: `the sandbox does not implement ${op.operation.operationId}`,
      });
      throw new ApiError(
        404,
        `Not Found (the sandbox does not implement ${op.operation.operationId})`,
      );
    }
    if (auth.kind === "installation" && route.permission) {
      const level = method === "GET" ? "read" : "write";
      const granted = route.permission
        .split("|")
        .some(
          (p) =>
            (LEVEL_RANK[auth.token.permissions[p] ?? ""] ?? 0) >= (LEVEL_RANK[level] ?? 0) ||
            p === "metadata",
        );
      if (!granted) throw new ApiError(403, "Resource not accessible by integration");
    }
    const ctx = new RestContext(
      this.state,
      this.view,
      method,
      op.params,
      url.searchParams,
      body,
      req.headers,
      auth,
      new URL(url.pathname + url.search, this.urls.base),
    );
    return route.handle(ctx);
  }

  private async handleControl(
    method: string,
    url: URL,
    bodyBuf: Buffer,
    res: ServerResponse,
    requestId: string,
  ): Promise<void> {
    let body: unknown;
    if (bodyBuf.length > 0) {
      try {
        body = JSON.parse(bodyBuf.toString("utf8"));
      } catch {
        this.send(
          res,
          { status: 400, body: { message: "control API bodies are JSON" } },
          requestId,
        );
        return;
      }
    }
    if (!this.control) {
      this.send(res, { status: 404, body: { message: "no control API attached" } }, requestId);
      return;
    }
    try {
      const r = await this.control(
        method,
        url.pathname.slice("/_sandbox".length) || "/",
        url.searchParams,
        body,
      );
      this.send(res, { status: r.status, body: r.body ?? {} }, requestId);
    } catch (err) {
      const status = err instanceof ApiError ? err.status : 400;
      this.send(
        res,
        { status, body: { message: err instanceof Error ? err.message : String(err) } },
        requestId,
      );
    }
  }
}
