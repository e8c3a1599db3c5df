// Sealed secrets sync jobs: a push of the secrets file to the default branch, or `/sync-secrets` by
// an admin, writes every sealed secret to its targets (and opens a re-seal PR when a key rotated).
import { shortSha } from "../core/sha.js";
import { commandTeams, mayRunCommand as mayRunUnderRules } from "../core/access-commands.js";
import { mayRunCommand, syncSecretsRules } from "../core/command-access.js";
import { commandTable, parseCommands, type CommandSpec } from "../core/commands.js";
import { repliedTo, replyMarker } from "../core/pr-state.js";
import { secretSourceRefusal } from "../core/secret-sources.js";
import { checkSecretsFile } from "../core/secrets-file.js";
import {
  entriesOnPreviousKeys,
  fileRemovedCheckOutput,
  SECRETS_SYNC_CHECK,
  syncReply,
} from "../core/secrets-provisioning.js";
import { fileAtKey, type CommentRecord } from "../forge/port.js";
import type { GitHubRepo } from "../forge/github.js";
import type { Log } from "../log.js";
import type { KeyRing } from "../secrets/sealing.js";
import { eventInstallation, type JobContext, type RepoRef, type Services } from "./job-context.js";
import { readTeams } from "./access-check.js";
import { syncSecretsChecked, rotateSafely } from "./sync-secrets-checked.js";
import { openResealPr } from "./reseal-pr.js";
import type { SyncSecretsRequest } from "./sync-secrets.js";

/**
 * A push to the default branch. `changed`: the YAML paths its commits touched (null: unknown).
 * No file content: the job reads the file itself when it runs.
 */
export interface SecretsPushSpec {
  kind: "push";
  repo: RepoRef;
  before: string;
  after: string;
  changed: string[] | null;
}

/** A comment with `/sync-secrets` on an issue or a pull request. */
export interface SecretsCommandSpec {
  kind: "command";
  repo: RepoRef;
  issue: number;
  isPull: boolean;
  commenter: string;
  body: string;
}

export type SecretsSyncSpec = SecretsPushSpec | SecretsCommandSpec;

const SYNC_SECRETS = commandTable.find((c) => c.name === "sync-secrets") as CommandSpec;
const USAGE = SYNC_SECRETS.usage;
const ZERO_SHA = /^0+$/;

/** Runs one sync job. */
export async function runSecretsSyncJob(spec: SecretsSyncSpec, context: JobContext): Promise<void> {
  if (spec.kind === "push") await runPush(spec, context);
  else await runCommand(spec, context);
}

/** Where targets are written: their own installation's Actions secrets port. */
function targetPorts(services: Services, source: RepoRef) {
  const portFor: SyncSecretsRequest["portFor"] = (owner, repo) =>
    services.clients.actionsSecrets(owner, repo);
  const refusalOf: NonNullable<SyncSecretsRequest["refusalOf"]> = async (owner, repo) => {
    if (`${owner}/${repo}`.toLowerCase() === `${source.owner}/${source.name}`.toLowerCase())
      return undefined;
    const target = await services.clients.forRepo(owner, repo);
    const loaded = await target.loadPolicy();
    return secretSourceRefusal({
      source,
      target: { owner, repo },
      targetPolicy: loaded.result.ok ? loaded.result.policy : null,
    });
  };
  return { portFor, refusalOf };
}

/** The rotation step: one re-seal pull request when the file names an earlier key of the ring. */
function rotation(
  services: Services,
  spec: { repo: RepoRef },
  installationId: number,
  path: string,
  keys: KeyRing | undefined,
  text: string | null,
  log: Log,
): (() => Promise<string | undefined>) | undefined {
  if (!keys || keys.previous.length === 0 || text === null) return undefined;
  const previous = keys.previous.map((k) => k.keyId);
  if (entriesOnPreviousKeys(checkSecretsFile(text), previous) === 0) return undefined;
  return async () => {
    const port = await services.clients.configRepo(spec.repo.owner, spec.repo.name, installationId);
    const outcome = await openResealPr(port, { path, keys });
    log.info({ status: outcome.status, pull: outcome.pull?.number }, "sealed secrets: rotation");
    return outcome.message;
  };
}

async function runPush(spec: SecretsPushSpec, context: JobContext): Promise<void> {
  const { services } = context;
  const installationId = eventInstallation(context);
  const log = context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}` });
  const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
  const loaded = await port.loadPolicy(spec.after);
  if (!loaded.result.ok) {
    log.info("sealed secrets: not synced, the configuration is invalid");
    return;
  }
  const { file: path, prune } = loaded.result.policy.secrets;
  const keys = services.sealingKeys();
  const mentioned = spec.changed === null || spec.changed.includes(path);
  const rotationDue = keys !== undefined && keys.previous.length > 0;
  if (!mentioned && !rotationDue) return;
  const withBefore = mentioned && !ZERO_SHA.test(spec.before);
  const wanted = [{ sha: spec.after, path }, ...(withBefore ? [{ sha: spec.before, path }] : [])];
  const read = await port.readFiles(wanted);
  const after = read.get(fileAtKey({ sha: spec.after, path })) ?? null;
  const before = withBefore ? (read.get(fileAtKey({ sha: spec.before, path })) ?? null) : null;
  const rotate = rotation(services, spec, installationId, path, keys, after, log);
  if (!mentioned || after === before) {
    // The file did not change: only a rotation may be due.
    await rotateSafely({ ...(rotate ? { rotate } : {}) }, log);
    return;
  }
  if (after === null) {
    await reportRemoved(port, spec.after, context.deliveryId, path);
    return;
  }
  const outcome = await syncSecretsChecked(port, {
    path,
    sha: spec.after,
    externalId: context.deliveryId,
    before,
    after,
    keys,
    prune,
    trigger: { kind: "push", sha: spec.after },
    ...targetPorts(services, spec.repo),
    ...(rotate ? { rotate } : {}),
    log,
  });
  if (outcome.status === "done")
    log.info({ title: outcome.output.title, sha: spec.after }, "sealed secrets synced");
}

/** The whole file went away: say so once (nothing is deleted). */
async function reportRemoved(
  port: GitHubRepo,
  sha: string,
  externalId: string,
  path: string,
): Promise<void> {
  const runs = await port.listCheckRuns(sha);
  if (runs.some((r) => r.name === SECRETS_SYNC_CHECK && r.externalId === externalId)) return;
  const output = fileRemovedCheckOutput(path);
  await port.createCheckRun({
    name: SECRETS_SYNC_CHECK,
    headSha: sha,
    status: "completed",
    conclusion: output.conclusion,
    externalId,
    output,
  });
}

async function runCommand(spec: SecretsCommandSpec, context: JobContext): Promise<void> {
  const { services, deliveryId } = context;
  const installationId = eventInstallation(context);
  const log = context.log.child({
    repo: `${spec.repo.owner}/${spec.repo.name}`,
    issue: spec.issue,
  });
  const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
  const loaded = await port.loadPolicy(spec.repo.defaultBranch);
  if (!loaded.result.ok) {
    log.info("/sync-secrets ignored: the configuration is invalid");
    return;
  }
  const policy = loaded.result.policy;
  const parsed = parseCommands(spec.body, policy);
  const asked = parsed.commands.some((c) => c.name === "sync-secrets");
  // On a pull request the comment handler answers usage errors; on an issue nobody else does.
  const usage = spec.isPull ? [] : parsed.errors.filter((e) => e.includes(`Usage: \`${USAGE}\``));
  if (!asked && usage.length === 0) return;
  const botLogin = await services.clients.botLogin();
  let listed: Promise<CommentRecord[]> | undefined;
  const comments = () => (listed ??= port.listComments(spec.issue));
  // The reply is the last step: once it is there, a redelivery has nothing left to do.
  if (repliedTo(await comments(), botLogin, deliveryId)) {
    log.info("/sync-secrets: already answered this delivery");
    return;
  }
  const reply = (text: string) =>
    port.createComment(spec.issue, `@${spec.commenter} ${text}\n${replyMarker(deliveryId)}`);
  if (!asked) {
    await reply(usage.join("\n\n"));
    return;
  }
  // Access rules naming the command for the secrets file decide; without one, an admin command:
  // the permission alone decides (association and authorship do not count).
  const rules = syncSecretsRules(policy);
  const decision =
    rules.length > 0
      ? mayRunUnderRules({
          command: SYNC_SECRETS.name,
          actor: spec.commenter,
          rules,
          teams: await readTeams(port, commandTeams(rules)),
          fallback: { allowed: false, reason: "" },
        })
      : mayRunCommand(
          SYNC_SECRETS,
          {
            login: spec.commenter,
            association: "",
            permission: await port.permission(spec.commenter),
            isPrAuthor: false,
            prFromFork: false,
          },
          policy,
        );
  if (!decision.allowed) {
    await reply(decision.reason);
    return;
  }
  const keys = services.sealingKeys();
  if (!keys) {
    await reply(
      "monobot has no sealing key (`MONOBOT_SEALING_KEY` on the server), so it cannot open any sealed secret: nothing was written.",
    );
    return;
  }
  const { file: path, prune } = policy.secrets;
  const branch = spec.repo.defaultBranch;
  // Always the default branch's file: never a pull request's (a fork's) code.
  const sha = await port.branchSha(branch);
  const text = (await port.readFiles([{ sha, path }])).get(fileAtKey({ sha, path })) ?? null;
  if (text === null) {
    await reply(`there is no \`${path}\` (policy \`secrets.file\`) on ${branch}: nothing to sync.`);
    return;
  }
  const rotate = rotation(services, spec, installationId, path, keys, text, log);
  const outcome = await syncSecretsChecked(port, {
    path,
    sha,
    externalId: deliveryId,
    before: null,
    after: text,
    keys,
    prune,
    trigger: {
      kind: "command",
      user: spec.commenter,
      where: `#${spec.issue}`,
      sha,
    },
    ...targetPorts(services, spec.repo),
    ...(rotate ? { rotate } : {}),
    log,
  });
  await reply(
    outcome.status === "done"
      ? syncReply({
          path,
          sha,
          branch,
          title: outcome.output.title,
          conclusion: outcome.output.conclusion,
        })
      : `this request was carried out already: see the \`${SECRETS_SYNC_CHECK}\` check run on ${shortSha(sha)}.`,
  );
}
