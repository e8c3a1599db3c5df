// Starting one planned CI run: dispatch it, then report it as the commit status `ci/{component}/{job}`.
import { CiDispatchError, statusDescription, type BackendDeps } from "../ci/backend.js";
import { dispatchRun } from "../ci/dispatch.js";
import type { PlannedRun } from "../core/jobs.js";
import type { StatusPort } from "../forge/port.js";

export type StartResult = { ok: true } | { ok: false; message: string };

/**
 * Pending with the run's link when the backend took it, error with the reason when it did not;
 * `prefix` labels the status description (e.g. the schedule's fire time).
 */
export async function startRun(
  port: StatusPort,
  sha: string,
  run: PlannedRun,
  deps: BackendDeps,
  options: { track?: (run: PlannedRun) => void; prefix?: string } = {},
): Promise<StartResult> {
  const label = (text: string) =>
    statusDescription(options.prefix ? `${options.prefix}: ${text}` : text);
  try {
    const result = await dispatchRun(run, deps);
    await port.setStatus(sha, {
      context: run.statusContext,
      state: "pending",
      ...(result.url ? { targetUrl: result.url } : {}),
      description: label(result.description),
    });
    options.track?.(run);
    return { ok: true };
  } catch (e) {
    const message = e instanceof CiDispatchError ? e.message : "monobot could not start this job";
    await port.setStatus(sha, {
      context: run.statusContext,
      state: "error",
      description: label(message),
    });
    return { ok: false, message };
  }
}
