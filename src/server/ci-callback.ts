// The CI completion callback: Jenkins and webhook jobs POST their result here, signed with HMAC.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";
import { postRunResult } from "../app.js";
import { parseCallback, SIGNATURE_HEADER, verifyCallback } from "../ci/callback.js";
import { callbackSecret } from "../ci/credentials.js";
import type { Octokit } from "../forge/github.js";
import type { Log } from "../log.js";
import type { WorkQueue } from "../queue/work-queue.js";
import type { RunTimeouts } from "../workflows/run-timeouts.js";
import { header, HttpError, readBody, send, type Route } from "./http-server.js";

export const CALLBACK_PATH = "/api/monobot/callback";

export interface CallbackDeps {
  probot: Probot;
  queue: WorkQueue;
  env: NodeJS.ProcessEnv;
  timeouts: () => RunTimeouts | undefined;
  log: Log;
}

export function ciCallbackRoute(deps: CallbackDeps): Route {
  return {
    path: CALLBACK_PATH,
    async handle(req: IncomingMessage, res: ServerResponse) {
      let secret: string;
      try {
        secret = callbackSecret(deps.env);
      } catch {
        throw new HttpError(
          404,
          "CI callbacks are not configured on this monobot (MONOBOT_CI_CALLBACK_SECRET)",
        );
      }
      const raw = (await readBody(req)).toString("utf8");
      if (!verifyCallback(raw, header(req, SIGNATURE_HEADER.toLowerCase()), secret)) {
        throw new HttpError(
          401,
          `${SIGNATURE_HEADER} does not match the body and the callback secret`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        throw new HttpError(400, "the callback body is not JSON");
      }
      const parsed = parseCallback(body);
      if ("error" in parsed) throw new HttpError(400, parsed.error);
      const { run } = parsed;
      const log = deps.log.child({
        repo: `${run.owner}/${run.repo}`,
        sha: run.sha,
        job: run.job,
        component: run.component,
      });
      const outcome = deps.queue.enqueue({
        // The same result reported twice is posted once.
        deliveryId: `callback:${parsed.runId}:${parsed.state}`,
        key: `${run.owner}/${run.repo}@${run.sha}`,
        run: async () => {
          const appOctokit = await deps.probot.auth();
          const { data } = await appOctokit.rest.apps.getRepoInstallation({
            owner: run.owner,
            repo: run.repo,
          });
          const octokit = (await deps.probot.auth(data.id)) as Octokit;
          deps.timeouts()?.settle({ ...run, statusContext: `ci/${run.component}/${run.job}` });
          await postRunResult(octokit, run, {
            state: parsed.state,
            description: parsed.description ?? `${run.job}: ${parsed.state}`,
            ...(parsed.url ? { targetUrl: parsed.url } : {}),
          });
          log.info({ state: parsed.state }, "CI callback result posted");
        },
      });
      if (outcome === "full" || outcome === "closed") throw new HttpError(503, "busy: retry later");
      send(res, 202, "accepted\n");
    },
  };
}
