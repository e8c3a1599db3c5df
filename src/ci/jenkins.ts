// Jenkins backend: buildWithParameters with a user and API token, CSRF crumbs, and the queue item's build URL.
//
// The job receives the template's inputs as parameters, including monobot_run_id (and
// monobot_callback_url when monobot has a callback endpoint); it reports its result there, see
// src/ci/callback.ts. Declare those parameters in the job, or Jenkins drops them.
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
import {
  assertUrlAllowed,
  credentialVariable,
  jenkinsCredentials,
  type JenkinsCredentials,
} from "./credentials.js";

type JenkinsSpec = Extract<ResolvedBackend, { type: "jenkins" }>;

const SERVICE = "Jenkins";
const DEFAULT_QUEUE_ATTEMPTS = 5;
const DEFAULT_QUEUE_INTERVAL_MS = 2_000;

/**
 * The URL path of a job: `folder/job/name` (as in Jenkins URLs) or `folder/name` both become
 * `/job/folder/job/name`; each segment is percent-encoded.
 */
export function jenkinsJobPath(job: string): string {
  let segments = job.split("/").filter((s) => s !== "");
  if (segments[0] === "job") segments = segments.slice(1);
  // Jenkins' own form alternates names and "job": an odd count with "job" at every odd index.
  const explicit =
    segments.length % 2 === 1 && segments.every((s, i) => i % 2 === 0 || s === "job");
  const names = explicit ? segments.filter((_, i) => i % 2 === 0) : segments;
  return names.map((n) => `/job/${encodeURIComponent(decodeURIComponentSafe(n))}`).join("");
}

/** Job paths may be written with %20 already; decode once so they are not encoded twice. */
function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

interface Crumb {
  field: string;
  value: string;
  cookie?: string;
}

/** `name=value` pairs of Set-Cookie headers, for the Cookie header of the next request. */
function cookiesOf(res: Response): string | undefined {
  const headers = res.headers as Headers & { getSetCookie?: () => string[] };
  const all = headers.getSetCookie?.() ?? [];
  const pairs = all.map((c) => c.split(";")[0]?.trim() ?? "").filter((p) => p.includes("="));
  return pairs.length > 0 ? pairs.join("; ") : undefined;
}

async function bodyText(res: Response): Promise<string> {
  try {
    return (await res.text()).slice(0, 4096);
  } catch {
    return "";
  }
}

export class JenkinsBackend implements CiBackend {
  constructor(
    private readonly spec: JenkinsSpec,
    private readonly deps: BackendDeps,
  ) {}

  async dispatch(run: PlannedRun): Promise<DispatchResult> {
    const { spec, deps } = this;
    const key = `jobs.templates.${run.job}.backend`;
    let creds: JenkinsCredentials;
    try {
      creds = jenkinsCredentials(deps.env, spec.credentials);
      assertUrlAllowed(spec.url, creds.base, spec.credentials, `${key}.url`);
    } catch (e) {
      credentialFailure(run, e);
    }
    const base = spec.url.replace(/\/+$/, "");
    const jobUrl = `${base}${jenkinsJobPath(spec.job)}/`;
    const auth = `Basic ${Buffer.from(`${creds.user}:${creds.token}`).toString("base64")}`;
    const params = new URLSearchParams(run.inputs);
    if (deps.callbackUrl) params.set("monobot_callback_url", deps.callbackUrl);

    const post = (crumb: Crumb | undefined) =>
      httpRequest(deps, run, SERVICE, `${jobUrl}buildWithParameters`, {
        method: "POST",
        headers: {
          authorization: auth,
          "content-type": "application/x-www-form-urlencoded",
          ...(crumb ? { [crumb.field]: crumb.value } : {}),
          ...(crumb?.cookie ? { cookie: crumb.cookie } : {}),
        },
        body: params.toString(),
      });

    let crumb = spec.crumb ? await this.crumb(run, base, auth, false) : undefined;
    let res = await post(crumb);
    if (res.status === 403 && crumb === undefined) {
      const text = await bodyText(res);
      if (/crumb/i.test(text)) {
        crumb = await this.crumb(run, base, auth, true);
        res = await post(crumb);
      } else {
        throw this.failure(run, 403, key);
      }
    }
    if (res.status >= 300 && res.status < 400) redirectFailure(run, SERVICE, `${key}.url`, res);
    if (res.status < 200 || res.status >= 300)
      throw this.failure(run, res.status, key, await bodyText(res));

    const location = res.headers.get("location");
    const queued = location ? await this.followQueue(run, location, base, auth, creds) : undefined;
    if (queued?.build)
      return {
        url: queued.build,
        description: statusDescription(`Jenkins build started (${spec.job})`),
      };
    return {
      url: jobUrl,
      description: statusDescription(
        `queued in Jenkins (${spec.job})${queued?.why ? `: ${queued.why}` : ""}`,
      ),
    };
  }

  /** GET crumbIssuer; `required` when Jenkins already refused a request for lack of one. */
  private async crumb(
    run: PlannedRun,
    base: string,
    auth: string,
    required: boolean,
  ): Promise<Crumb | undefined> {
    const key = `jobs.templates.${run.job}.backend`;
    const res = await httpRequest(this.deps, run, SERVICE, `${base}/crumbIssuer/api/json`, {
      method: "GET",
      headers: { authorization: auth, accept: "application/json" },
    });
    if (res.status === 404 && !required) return undefined;
    if (res.status === 401) throw this.failure(run, 401, key);
    if (res.status !== 200) {
      throw new CiDispatchError(
        `${runLabel(run)}: Jenkins asked for a CSRF crumb but its crumb issuer answered ${res.status}; ` +
          `enable the crumb issuer or give the user an API token (token requests need no crumb)`,
        { status: res.status, retryable: res.status >= 500 },
      );
    }
    let data: unknown;
    try {
      data = await res.json();
    } catch {
      data = undefined;
    }
    const d = data as { crumbRequestField?: unknown; crumb?: unknown } | undefined;
    if (
      typeof d?.crumbRequestField !== "string" ||
      typeof d.crumb !== "string" ||
      !/^[A-Za-z0-9-_.]+$/.test(d.crumbRequestField)
    ) {
      throw new CiDispatchError(
        `${runLabel(run)}: Jenkins' crumb issuer did not answer {crumbRequestField, crumb}; check ${key}.url points at Jenkins`,
      );
    }
    const crumb: Crumb = { field: d.crumbRequestField, value: d.crumb };
    const cookie = cookiesOf(res);
    if (cookie) crumb.cookie = cookie;
    return crumb;
  }

  /** Poll the queue item until Jenkins assigns a build (bounded), for the build's URL. */
  private async followQueue(
    run: PlannedRun,
    location: string,
    base: string,
    auth: string,
    creds: JenkinsCredentials,
  ): Promise<{ build?: string; why?: string } | undefined> {
    const { deps } = this;
    let item: URL;
    try {
      item = new URL(location, `${base}/`);
      // The token goes only where the credentials may go.
      assertUrlAllowed(item.href, creds.base, this.spec.credentials, "the queue item's Location");
    } catch {
      return undefined;
    }
    const api = `${item.href.replace(/\/?$/, "/")}api/json`;
    const attempts = Math.max(1, deps.jenkinsQueue?.attempts ?? DEFAULT_QUEUE_ATTEMPTS);
    const interval = deps.jenkinsQueue?.intervalMs ?? DEFAULT_QUEUE_INTERVAL_MS;
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let why: string | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(interval);
      let res: Response;
      try {
        res = await httpRequest(deps, run, SERVICE, api, {
          method: "GET",
          headers: { authorization: auth, accept: "application/json" },
        });
      } catch {
        // The build was queued; losing its URL is no reason to report a failure.
        return why === undefined ? {} : { why };
      }
      if (res.status === 404) return why === undefined ? {} : { why };
      if (res.status !== 200) continue;
      let data: unknown;
      try {
        data = await res.json();
      } catch {
        continue;
      }
      const d = data as {
        executable?: { url?: unknown } | null;
        cancelled?: unknown;
        why?: unknown;
      };
      if (d.cancelled === true) {
        throw new CiDispatchError(
          `${runLabel(run)}: the build was cancelled in the Jenkins queue before it started; comment /retest to start it again`,
        );
      }
      const url = d.executable?.url;
      if (typeof url === "string" && /^https?:\/\//.test(url)) return { build: url };
      if (typeof d.why === "string") why = d.why.replace(/\s+/g, " ").slice(0, 80);
    }
    return why === undefined ? {} : { why };
  }

  private failure(run: PlannedRun, status: number, key: string, body = ""): CiDispatchError {
    const name = this.spec.credentials;
    const vars = `${credentialVariable(name, "USER")} and ${credentialVariable(name, "TOKEN")}`;
    switch (status) {
      case 401:
        return new CiDispatchError(
          `${runLabel(run)}: Jenkins rejected the credentials in ${vars} (401); check the user and create a new API token`,
          { status },
        );
      case 403:
        return new CiDispatchError(
          `${runLabel(run)}: the Jenkins user in ${credentialVariable(name, "USER")} may not build ${this.spec.job} (403); grant it Job/Build permission`,
          { status },
        );
      case 404:
        return new CiDispatchError(
          `${runLabel(run)}: Jenkins has no job ${this.spec.job} at ${this.spec.url} (404); correct ${key}.job (folder/job/name) or ${key}.url`,
          { status },
        );
      case 400:
      case 405:
        return new CiDispatchError(
          `${runLabel(run)}: Jenkins refused the parameters (${status}${/parameteri[sz]ed/i.test(body) ? ": the job is not parameterized" : ""}); ` +
            `make ${this.spec.job} a parameterized job declaring ${Object.keys(run.inputs).join(", ")}`,
          { status },
        );
      default:
        return new CiDispatchError(
          `${runLabel(run)}: Jenkins answered ${status} to buildWithParameters for ${this.spec.job}`,
          { status, retryable: status >= 500 || status === 429 },
        );
    }
  }
}
