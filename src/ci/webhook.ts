// Generic webhook backend: POST the run as JSON, signed with HMAC-SHA256 in X-Monobot-Signature-256.
//
// The body is {run_id, job, component, sha, ref, pr?, version?, inputs, callback_url?}; the
// receiver verifies `sha256=<hex HMAC of the exact body>` with the shared secret
// (MONOBOT_CI_<NAME>_SECRET) and later reports the result to callback_url (src/ci/callback.ts).
// A 2xx answer means accepted; a JSON answer with an http(s) `url` gives the status its link.
import type { PlannedRun, ResolvedBackend } from "../core/jobs.js";
import {
  CiDispatchError,
  credentialFailure,
  httpRequest,
  redirectFailure,
  runLabel,
  statusDescription,
  type BackendDeps,
  type CiBackend,
  type DispatchResult,
} from "./backend.js";
import { SIGNATURE_HEADER, signatureFor } from "./callback.js";
import { assertUrlAllowed, webhookCredentials, type WebhookCredentials } from "./credentials.js";

type WebhookSpec = Extract<ResolvedBackend, { type: "webhook" }>;

const SERVICE = "the webhook";

/** The JSON body of a webhook call, exactly as it is signed and sent. */
export function webhookBody(run: PlannedRun, callbackUrl?: string): string {
  return JSON.stringify({
    run_id: run.runId,
    job: run.job,
    component: run.component,
    sha: run.sha,
    ref: run.ref,
    ...(run.pr === undefined ? {} : { pr: run.pr }),
    ...(run.version === undefined ? {} : { version: run.version }),
    inputs: run.inputs,
    ...(callbackUrl ? { callback_url: callbackUrl } : {}),
  });
}

export class WebhookBackend implements CiBackend {
  constructor(
    private readonly spec: WebhookSpec,
    private readonly deps: BackendDeps,
  ) {}

  async dispatch(run: PlannedRun): Promise<DispatchResult> {
    const { spec, deps } = this;
    const key = `jobs.templates.${run.job}.backend.url`;
    let creds: WebhookCredentials;
    try {
      creds = webhookCredentials(deps.env, spec.secret);
      assertUrlAllowed(spec.url, creds.base, spec.secret, key);
    } catch (e) {
      credentialFailure(run, e);
    }
    const body = webhookBody(run, deps.callbackUrl);
    const res = await httpRequest(deps, run, SERVICE, spec.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "monobot",
        [SIGNATURE_HEADER]: signatureFor(body, creds.secret),
      },
      body,
    });
    if (res.status >= 300 && res.status < 400) redirectFailure(run, SERVICE, key, res);
    if (res.status < 200 || res.status >= 300) {
      const retryable = res.status >= 500 || res.status === 429;
      throw new CiDispatchError(
        `${runLabel(run)}: the webhook at ${new URL(spec.url).origin} answered ${res.status}` +
          (res.status === 401 || res.status === 403
            ? `; it did not accept the signature: check that it verifies ${SIGNATURE_HEADER} with the secret in MONOBOT_CI_${spec.secret}_SECRET`
            : retryable
              ? "; try again with /retest"
              : `; check ${key}`),
        { status: res.status, retryable },
      );
    }
    let link: string | undefined;
    if ((res.headers.get("content-type") ?? "").includes("json")) {
      try {
        const data = (await res.json()) as { url?: unknown } | null;
        if (typeof data?.url === "string" && /^https?:\/\//.test(data.url)) link = data.url;
      } catch {
        link = undefined;
      }
    }
    const result: DispatchResult = {
      description: statusDescription(`sent to the ${run.job} webhook`),
    };
    if (link) result.url = link;
    return result;
  }
}
