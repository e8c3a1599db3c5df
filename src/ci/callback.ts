// Completion callbacks from Jenkins and webhook jobs: HMAC signatures and the body's shape.
//
// A job reports its result with
//   POST <monobot>/<callback route>
//   X-Monobot-Signature-256: sha256=<hex HMAC-SHA256 of the exact body, keyed with MONOBOT_CI_CALLBACK_SECRET>
//   {"run_id": "<the monobot_run_id it was given>", "state": "success", "url": "https://ci/...", "description": "..."}
// where `state` is success, failure, error or pending; Jenkins' own `result` (SUCCESS, UNSTABLE,
// FAILURE, ABORTED, NOT_BUILT) is accepted instead of `state`. Outgoing webhooks are signed the
// same way, so one receiver library serves both directions.
import { createHmac, timingSafeEqual } from "node:crypto";
import { decodeRunId, type RunIdFields, type StatusState } from "../core/run-id.js";

/** Header carrying the signature, on callbacks to monobot and on monobot's outgoing webhooks. */
export const SIGNATURE_HEADER = "X-Monobot-Signature-256";

/** The header value for `rawBody` signed with `secret`: `sha256=<hex>`. */
export function signatureFor(rawBody: string | Buffer, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}

/**
 * True when `signatureHeader` is `sha256=<hex>` of `rawBody` keyed with `secret`, compared in
 * constant time. An empty secret never verifies.
 */
export function verifyCallback(
  rawBody: string | Buffer,
  signatureHeader: string | undefined,
  secret: string,
): boolean {
  if (!secret || typeof signatureHeader !== "string") return false;
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(signatureHeader.trim());
  if (!m) return false;
  const given = Buffer.from((m[1] as string).toLowerCase(), "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface CallbackResult {
  /** The run id as sent. */
  runId: string;
  /** What the run id says: repository, commit, component, job, pull request. */
  run: RunIdFields;
  state: StatusState;
  url?: string;
  description?: string;
}

const STATES = new Set<StatusState>(["success", "failure", "error", "pending"]);

/** Jenkins build results (currentBuild.currentResult) and the status each maps to. */
const JENKINS_RESULTS: Record<string, [StatusState, string]> = {
  SUCCESS: ["success", "Jenkins build succeeded"],
  UNSTABLE: ["failure", "Jenkins build is unstable (test failures)"],
  FAILURE: ["failure", "Jenkins build failed"],
  ABORTED: ["error", "Jenkins build was aborted"],
  NOT_BUILT: ["error", "Jenkins build did not run"],
};

/** Longest description GitHub shows for a commit status. */
const MAX_DESCRIPTION = 140;
const MAX_URL = 2048;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const EXAMPLE = `e.g. {"run_id": "<monobot_run_id>", "state": "success", "url": "https://ci.example.com/job/1/"}`;

/**
 * The result a callback body reports, or an error for the sender saying what to fix. The body is
 * parsed JSON; verify the signature of the raw text first.
 */
export function parseCallback(body: unknown): CallbackResult | { error: string } {
  if (!isRecord(body)) return { error: `the body must be a JSON object, ${EXAMPLE}` };
  const runId = body.run_id;
  if (typeof runId !== "string" || runId === "") {
    return {
      error: `run_id is missing: send the monobot_run_id the job was started with, ${EXAMPLE}`,
    };
  }
  const run = decodeRunId(runId);
  if (!run) {
    return {
      error: "run_id is not a run id monobot made: send the monobot_run_id parameter unchanged",
    };
  }

  let state: StatusState;
  let description: string | undefined;
  if (body.state !== undefined) {
    if (typeof body.state !== "string" || !STATES.has(body.state as StatusState)) {
      return { error: `state must be one of success, failure, error, pending, ${EXAMPLE}` };
    }
    state = body.state as StatusState;
  } else if (typeof body.result === "string" && Object.hasOwn(JENKINS_RESULTS, body.result)) {
    [state, description] = JENKINS_RESULTS[body.result] as [StatusState, string];
  } else {
    return {
      error: `state is missing: send state (success, failure, error, pending) or Jenkins' result (${Object.keys(JENKINS_RESULTS).join(", ")}), ${EXAMPLE}`,
    };
  }

  const result: CallbackResult = { runId, run, state };
  if (body.url !== undefined) {
    if (typeof body.url !== "string" || body.url.length > MAX_URL || !isHttpUrl(body.url)) {
      return {
        error: "url must be an http(s) URL of the build, e.g. https://ci.example.com/job/1/",
      };
    }
    result.url = body.url;
  }
  if (body.description !== undefined) {
    if (typeof body.description !== "string") {
      return { error: "description must be a string (one line, shown next to the status)" };
    }
    description = body.description;
  }
  if (description !== undefined) {
    // eslint-disable-next-line no-control-regex
    const line = description.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
    if (line !== "") {
      result.description =
        line.length > MAX_DESCRIPTION ? `${line.slice(0, MAX_DESCRIPTION - 1)}…` : line;
    }
  }
  return result;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (
      (url.protocol === "https:" || url.protocol === "http:") && !url.username && !url.password
    );
  } catch {
    return false;
  }
}
