// The CI completion callback: Jenkins and webhook jobs POST their result here, signed with HMAC.
// A verified result becomes a `ci-result` job, the same path as a GitHub Actions workflow_run.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseCallback, SIGNATURE_HEADER, verifyCallback } from "../ci/callback.js";
import { callbackSecret } from "../ci/credentials.js";
import ciResult, { callbackJob } from "../handlers/ci-result.js";
import type { Log } from "../log.js";
import { jobSpec, type JobQueue } from "../runtime/job.js";
import { header, HttpError, readBody, send, type Route } from "./http-server.js";

export const CALLBACK_PATH = "/api/monobot/callback";

export interface CallbackDeps {
  queue: JobQueue;
  env: NodeJS.ProcessEnv;
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
      const draft = callbackJob(parsed);
      const outcome = await deps.queue.enqueue({
        handler: ciResult.name,
        deliveryId: draft.deliveryId ?? draft.key,
        key: draft.key,
        spec: jobSpec(draft.spec),
      });
      deps.log.info(
        { repo: `${parsed.run.owner}/${parsed.run.repo}`, job: parsed.run.job, outcome },
        "CI callback received",
      );
      if (outcome === "full" || outcome === "closed") throw new HttpError(503, "busy: retry later");
      send(res, 202, "accepted\n");
    },
  };
}
