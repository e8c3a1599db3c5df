// Builds the status page's routes from the server's parts: one call from main.ts.
import { randomBytes } from "node:crypto";
import { request } from "@octokit/request";
import type { Log } from "../log.js";
import type { ActivityLog } from "../runtime/activity.js";
import type { Route } from "../server/http-server.js";
import { StatusSource, type StatusSourceDeps } from "./collect.js";
import type { RequestFn } from "./github-reads.js";
import { statusRoutes } from "./routes.js";
import { CookieSigner, SessionStore } from "./session.js";

export interface StatusPageOptions {
  activity: ActivityLog;
  queue: StatusSourceDeps["queue"];
  scheduler: StatusSourceDeps["scheduler"];
  mode: string;
  /** An installation's authenticated Octokit (Probot's `auth(id)`). */
  installation?: (id: number) => Promise<{ request: RequestFn }>;
  /** The environment boards (what runs where) the bot keeps per config repo. */
  boards?: StatusSourceDeps["boards"];
  oauth?: { clientId: string; clientSecret: string };
  /** GitHub's REST base URL (GitHub Enterprise or the sandbox); github.com when absent. */
  baseUrl?: string;
  admins: readonly string[];
  sessionSecret?: string;
  publicUrl?: string;
  log: Log;
}

export function statusPage(options: StatusPageOptions): { routes: Route[]; source: StatusSource } {
  const installation = options.installation;
  const source = new StatusSource({
    activity: options.activity,
    queue: options.queue,
    scheduler: options.scheduler,
    mode: options.mode,
    signInAvailable: options.oauth !== undefined,
    ...(options.boards ? { boards: options.boards } : {}),
    log: options.log,
    ...(installation
      ? {
          installationRequest: async (id: number) => {
            const octokit = await installation(id);
            return (route: string, params?: Record<string, unknown>) =>
              octokit.request(route, params);
          },
        }
      : {}),
  });
  // Without a configured secret, sessions are signed with a key of this process only.
  const key = options.sessionSecret ? Buffer.from(options.sessionSecret) : randomBytes(32);
  const routes = statusRoutes({
    source,
    sessions: new SessionStore(new CookieSigner(key)),
    ...(options.oauth
      ? {
          oauth: {
            ...options.oauth,
            request: request.defaults({ baseUrl: options.baseUrl ?? "https://api.github.com" }),
          },
        }
      : {}),
    admins: new Set(options.admins.map((a) => a.toLowerCase())),
    ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}),
    log: options.log,
  });
  return { routes, source };
}
