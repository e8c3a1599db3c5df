// The HTTP server: webhook intake that answers at once, health and readiness probes, metrics.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { emitterEventNames, type EmitterWebhookEventName } from "@octokit/webhooks";
import type { Probot } from "probot";
import type { Log } from "../log.js";
import type { JobQueue } from "../runtime/job.js";
import type { Metrics } from "./metrics.js";

/** GitHub caps webhook payloads at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;
/** How long the rest of a refused body is read (and dropped) before its connection is closed. */
const UNREAD_GRACE_MS = 2000;

/** A further route, such as the CI completion callback (POST) or the sealing public key (GET). */
export interface Route {
  path: string;
  /** The one method it answers (default POST); others get 405. */
  method?: "GET" | "POST";
  /** Answers every path under `path` too (the status page's views and assets). */
  prefix?: boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export interface ServerDeps {
  probot: Probot;
  queue: JobQueue;
  metrics: Metrics;
  log: Log;
  webhookPath: string;
  routes?: Route[];
  /**
   * Event names (`pull_request`, not `pull_request.opened`) that label the webhook metrics before a
   * delivery is authenticated; any other name counts as `other`. Default: GitHub's event names.
   */
  knownEvents?: Iterable<string>;
  /** Null when the store takes work, otherwise why not: /readyz answers 503 with it. */
  unready?: () => Promise<string | null>;
}

export interface MonobotServer {
  server: Server;
  /** Stop taking deliveries, finish (or hand back) the work in flight, close the port. */
  shutdown(drainMs: number): Promise<{ finished: boolean; handedBack: string[] }>;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = "text/plain; charset=utf-8",
): void {
  res.writeHead(status, { "content-type": type });
  res.end(body);
}

/** The request's announced size is over the limit: answer 413 before reading any of it. */
export function tooLarge(req: IncomingMessage): boolean {
  const length = Number(header(req, "content-length"));
  return Number.isFinite(length) && length > MAX_BODY_BYTES;
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (tooLarge(req)) {
      reject(new HttpError(413, "payload larger than 25 MB"));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        // The rest is discarded, not kept: the 413 answer closes the connection.
        req.off("data", onData);
        chunks.length = 0;
        reject(new HttpError(413, "payload larger than 25 MB"));
      } else chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * Answers an error. A request whose body was not read to its end (too large) gets its answer with
 * `connection: close`; what the client still sends is read and discarded for a moment, so its
 * socket is not reset before it has read the answer, and then the connection is closed.
 */
function answerError(req: IncomingMessage, res: ServerResponse, status: number, message: string) {
  const unread = !req.complete;
  if (unread) res.shouldKeepAlive = false;
  send(res, status, JSON.stringify({ error: message }) + "\n", "application/json");
  if (!unread) return;
  req.resume();
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), UNREAD_GRACE_MS);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** GitHub's webhook event names, without actions. */
const GITHUB_EVENTS: readonly string[] = [
  ...new Set(emitterEventNames.map((n) => n.split(".")[0] ?? n)),
];

/**
 * The metric label of an unauthenticated `X-GitHub-Event`: the name when monobot knows it, else
 * `other`, so a sender without the secret cannot mint label values (one time series each).
 */
export function eventLabel(name: string, known: ReadonlySet<string>): string {
  return known.has(name) ? name : "other";
}

export function createMonobotServer(deps: ServerDeps): MonobotServer {
  const { probot, queue, metrics, log } = deps;
  const known = new Set(deps.knownEvents ?? GITHUB_EVENTS);
  let draining = false;

  async function intake(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "POST") throw new HttpError(405, "webhooks are POSTed");
    const name = header(req, "x-github-event");
    const id = header(req, "x-github-delivery");
    const signature = header(req, "x-hub-signature-256");
    if (!name || !id || !signature) {
      throw new HttpError(400, "missing X-GitHub-Event, X-GitHub-Delivery or X-Hub-Signature-256");
    }
    if (draining) throw new HttpError(503, "shutting down: redeliver later");
    const body = (await readBody(req)).toString("utf8");
    if (!(await probot.webhooks.verify(body, signature))) {
      metrics.events.inc({ event: eventLabel(name, known), outcome: "bad_signature" });
      throw new HttpError(401, "signature does not match the payload and the webhook secret");
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      metrics.events.inc({ event: eventLabel(name, known), outcome: "malformed" });
      throw new HttpError(400, "payload is not valid JSON");
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      metrics.events.inc({ event: eventLabel(name, known), outcome: "malformed" });
      throw new HttpError(400, "payload is not a JSON object");
    }
    try {
      // Handlers only enqueue work, so this returns quickly.
      await probot.webhooks.receive({
        id,
        name: name as EmitterWebhookEventName,
        payload,
      } as Parameters<typeof probot.webhooks.receive>[0]);
    } catch (e) {
      const errors = (e as { errors?: unknown[] }).errors ?? [e];
      const status = errors
        .map((err) => (err as { status?: number }).status)
        .find((s): s is number => typeof s === "number");
      if (status === 503) throw new HttpError(503, "work queue is full: redeliver later");
      // A malformed payload of a known event type fails inside a handler: it is the sender's fault.
      log.warn(
        { delivery: id, event: name, err: (errors[0] as Error | undefined)?.message },
        "delivery rejected",
      );
      throw new HttpError(400, "the payload could not be handled");
    }
    send(res, 202, "accepted\n");
  }

  const server = createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    const handle = async () => {
      if (url === deps.webhookPath) return intake(req, res);
      const route = deps.routes?.find(
        (r) => r.path === url || (r.prefix === true && (url ?? "").startsWith(r.path)),
      );
      if (route) {
        const method = route.method ?? "POST";
        if (req.method !== method) throw new HttpError(405, `${method} only`);
        if (draining) throw new HttpError(503, "shutting down: retry later");
        return route.handle(req, res);
      }
      if (req.method === "GET" && url === "/healthz") return send(res, 200, "ok\n");
      if (req.method === "GET" && url === "/readyz") {
        if (draining) return send(res, 503, "draining\n");
        const why = await deps.unready?.();
        return why ? send(res, 503, `not ready: ${why}\n`) : send(res, 200, "ready\n");
      }
      if (req.method === "GET" && url === "/metrics") {
        return send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
      }
      throw new HttpError(404, "not found");
    };
    handle().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!(e instanceof HttpError)) log.error({ err: (e as Error).message }, "request failed");
      if (!res.headersSent) answerError(req, res, status, (e as Error).message);
      else res.end();
    });
  });
  // A client that waits for `100 Continue` before sending a body too large gets its 413 at once.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (tooLarge(req)) answerError(req, res, 413, "payload larger than 25 MB");
    else {
      res.writeContinue();
      server.emit("request", req, res);
    }
  });

  return {
    server,
    async shutdown(drainMs: number) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const result = await queue.drain(drainMs);
      server.closeAllConnections();
      await closed;
      return result;
    },
  };
}
