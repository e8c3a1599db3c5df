// One sync run: the sync of the secrets file, reported as the monobot/secrets-sync check run, once per delivery.
import {
  noKeyCheckOutput,
  SECRETS_SYNC_CHECK,
  syncCheckOutput,
  type SyncCheckOutput,
  type SyncTrigger,
} from "../core/secrets-provisioning.js";
import type { SecretSyncReport } from "../core/secrets-sync-report.js";
import type { ReportWriter } from "../forge/port.js";
import { silentLog, type Log } from "../log.js";
import type { KeyRing } from "../secrets/sealing.js";
import { syncSecrets, type SyncSecretsRequest } from "./sync-secrets.js";

export type SyncSecretsCheckedPort = Pick<
  ReportWriter,
  "listCheckRuns" | "createCheckRun" | "updateCheckRun"
>;

export interface SyncSecretsCheckedRequest {
  /** The secrets file's path (policy `secrets.file`). */
  path: string;
  /** The commit the check run goes on: the push's, or the default branch head. */
  sha: string;
  /** The delivery that asked: the check run's external id, so a redelivery writes nothing. */
  externalId: string;
  /** The file before the push, or null for a full sync. */
  before: string | null;
  after: string;
  keys: KeyRing | undefined;
  prune: boolean;
  trigger: SyncTrigger;
  portFor: SyncSecretsRequest["portFor"];
  refusalOf?: SyncSecretsRequest["refusalOf"];
  /** The key rotation, run after the sync; what it did, in words (undefined: nothing to say). */
  rotate?: () => Promise<string | undefined>;
  log?: Log;
}

export type SyncSecretsCheckedOutcome =
  | { status: "already-done"; checkRunId: number }
  | { status: "done"; checkRunId: number; output: SyncCheckOutput; report?: SecretSyncReport };

/** An error in words that hold no request data: its kind and GitHub's status. */
function errorWords(e: unknown): string {
  const err = e as { name?: unknown; status?: unknown } | null;
  const name = typeof err?.name === "string" ? err.name : "Error";
  return typeof err?.status === "number" ? `${name}, HTTP ${err.status}` : name;
}

/**
 * Runs the sync and reports it. A check run of {@link SECRETS_SYNC_CHECK} with this delivery's
 * external id that is completed means the work was done: nothing is written again. One left in
 * progress (the process stopped during the sync) is taken over and completed.
 */
export async function syncSecretsChecked(
  port: SyncSecretsCheckedPort,
  req: SyncSecretsCheckedRequest,
): Promise<SyncSecretsCheckedOutcome> {
  const log = req.log ?? silentLog;
  const runs = await port.listCheckRuns(req.sha);
  const mine = runs.find((r) => r.name === SECRETS_SYNC_CHECK && r.externalId === req.externalId);
  if (mine?.status === "completed") {
    log.info(
      { sha: req.sha, checkRun: mine.id },
      "sealed secrets: this delivery was synced already",
    );
    return { status: "already-done", checkRunId: mine.id };
  }
  const checkRunId =
    mine?.id ??
    (await port.createCheckRun({
      name: SECRETS_SYNC_CHECK,
      headSha: req.sha,
      status: "in_progress",
      externalId: req.externalId,
      output: {
        title: "Writing sealed secrets",
        summary: `monobot is writing the sealed secrets of \`${req.path}\` to their targets.`,
      },
    }));
  let output: SyncCheckOutput;
  let report: SecretSyncReport | undefined;
  try {
    if (!req.keys) {
      output = noKeyCheckOutput(req.path);
    } else {
      report = await syncSecrets({
        path: req.path,
        before: req.before,
        after: req.after,
        keys: req.keys,
        prune: req.prune,
        portFor: req.portFor,
        ...(req.refusalOf ? { refusalOf: req.refusalOf } : {}),
        log,
      });
      const rotation = report.fileProblems.length === 0 ? await rotateSafely(req, log) : undefined;
      output = syncCheckOutput({ report, trigger: req.trigger, ...(rotation ? { rotation } : {}) });
    }
  } catch (e) {
    output = {
      conclusion: "failure",
      title: "The sync stopped with an error",
      summary: `monobot stopped while writing the sealed secrets of \`${req.path}\` (${errorWords(e)}); some targets may not have their new values. Comment \`/sync-secrets\` on an issue of this repository to write every entry again.`,
    };
    await port.updateCheckRun(checkRunId, { conclusion: output.conclusion, output });
    throw e;
  }
  await port.updateCheckRun(checkRunId, { conclusion: output.conclusion, output });
  return { status: "done", checkRunId, output, ...(report ? { report } : {}) };
}

/** The rotation never fails the sync's report: its error becomes a sentence. */
export async function rotateSafely(
  req: Pick<SyncSecretsCheckedRequest, "rotate">,
  log: Log,
): Promise<string | undefined> {
  if (!req.rotate) return undefined;
  try {
    return await req.rotate();
  } catch (e) {
    log.warn({ err: errorWords(e) }, "sealed secrets: key rotation failed");
    return `monobot could not open or update the re-seal pull request (${errorWords(e)}); the next push or \`/sync-secrets\` tries again.`;
  }
}
