// The CI port: what a backend is, and the helpers the backends share (dispatch.ts builds them).
import type { PlannedRun } from "../core/jobs.js";
import { CredentialError } from "./credentials.js";

/** What a started run shows as its pending status: a link when the backend gives one. */
export interface DispatchResult {
  url?: string;
  description: string;
}

export interface CiBackend {
  /** Start `run`; resolves once the backend accepted it, throws a CiDispatchError otherwise. */
  dispatch(run: PlannedRun): Promise<DispatchResult>;
}

/** The one GitHub call the Actions backends need (Octokit's `request` fits). */
export interface GitHubRequester {
  request(
    route: string,
    params: Record<string, unknown>,
  ): Promise<{ status: number; data: unknown }>;
}

export interface BackendDeps {
  github: GitHubRequester;
  owner: string;
  repo: string;
  /** Where credentials are read from (MONOBOT_CI_<NAME>_...). */
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** Waits between Jenkins queue polls; injected by tests. */
  sleep?: (ms: number) => Promise<void>;
  /** monobot's callback endpoint, passed to Jenkins (`monobot_callback_url`) and webhooks (`callback_url`). */
  callbackUrl?: string;
  /** GitHub's web address for links (default https://github.com; a GHES host otherwise). */
  serverUrl?: string;
  /** How often and how long to wait for a Jenkins queue item to become a build. */
  jenkinsQueue?: { attempts?: number; intervalMs?: number };
  /** Timeout of each HTTP request to Jenkins or a webhook. */
  requestTimeoutMs?: number;
}

/**
 * A run that could not be started. The message is for users (it names the job, the component and
 * what to fix) and never contains credentials. `retryable` marks answers worth trying again later
 * (network errors, 5xx, 429).
 */
export class CiDispatchError extends Error {
  override name = "CiDispatchError";
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: { retryable?: boolean; status?: number } = {}) {
    super(message);
    this.retryable = options.retryable ?? false;
    this.status = options.status;
  }
}

/** Longest description GitHub shows for a commit status. */
const MAX_DESCRIPTION = 140;

/** A status description cut to what GitHub shows. */
export function statusDescription(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
}

/** The prefix every dispatch error starts with. */
export function runLabel(run: PlannedRun): string {
  return `CI job ${run.job} for ${run.component}`;
}

/** A credentials problem as a dispatch error (its message names variables, never values). */
export function credentialFailure(run: PlannedRun, e: unknown): never {
  if (e instanceof CredentialError) throw new CiDispatchError(`${runLabel(run)}: ${e.message}`);
  throw e;
}

/**
 * fetch with a timeout and without following redirects (credentials must not follow one), turning
 * network failures into retryable CiDispatchErrors that name only the origin.
 */
export async function httpRequest(
  deps: BackendDeps,
  run: PlannedRun,
  service: string,
  url: string,
  init: RequestInit,
): Promise<Response> {
  const doFetch = deps.fetch ?? fetch;
  try {
    return await doFetch(url, {
      ...init,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.requestTimeoutMs ?? 15_000),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    let origin = "the configured URL";
    try {
      origin = new URL(url).origin;
    } catch {
      // An invalid URL is reported as unreachable; the policy check names it.
    }
    const why =
      err.name === "TimeoutError" || err.name === "AbortError"
        ? "no answer in time"
        : (err.cause?.code ?? "network error");
    throw new CiDispatchError(
      `${runLabel(run)}: could not reach ${service} at ${origin} (${why}); monobot will report the job as not started`,
      { retryable: true },
    );
  }
}

/** A 3xx answer: the configured URL is not the one the server wants. */
export function redirectFailure(
  run: PlannedRun,
  service: string,
  key: string,
  res: Response,
): never {
  const location = res.headers.get("location");
  let where = "";
  if (location) {
    try {
      const url = new URL(location, res.url || undefined);
      where = ` to ${url.origin}${url.pathname}`;
    } catch {
      where = "";
    }
  }
  throw new CiDispatchError(
    `${runLabel(run)}: ${service} answered ${res.status} (a redirect${where}); set ${key} to the address it redirects to (https instead of http, or the right path)`,
    { status: res.status },
  );
}
