// Sealed secrets sync: a push to the default branch that may touch the secrets file, or a comment
// with `/sync-secrets` (on an issue or a pull request), becomes one sync job of the repository.
import { changedYamlPaths } from "../core/secrets-provisioning.js";
import {
  runSecretsSyncJob,
  type SecretsCommandSpec,
  type SecretsPushSpec,
  type SecretsSyncSpec,
} from "../workflows/secrets-sync-job.js";
import { defineHandler, repoRef, type RepoPayload } from "./handler.js";

export type {
  SecretsCommandSpec,
  SecretsPushSpec,
  SecretsSyncSpec,
} from "../workflows/secrets-sync-job.js";

/** Syncs of one repository never overlap (a push and a `/sync-secrets` included). */
export function secretsKey(repo: { owner: string; name: string }): string {
  return `${repo.owner}/${repo.name}@secrets`;
}

/** Its own delivery id: the queue drops a delivery id seen before, and other handlers take the same event. */
export function secretsDeliveryId(eventId: string): string {
  return `${eventId}.secrets`;
}

const SYNC_COMMAND = /(^|\n) {0,3}\/sync-secrets(?=[ \t\r\n]|$)/i;

export default defineHandler<SecretsSyncSpec>({
  name: "secrets-sync",
  events: ["push", "issue_comment.created"],
  plan(event) {
    if (event.name === "push") return planPush(event.id, event.payload);
    return planComment(event.id, event.payload);
  },
  run: runSecretsSyncJob,
});

function planPush(id: string, raw: unknown) {
  const payload = raw as {
    repository: RepoPayload;
    ref: string;
    before: string;
    after: string;
    deleted?: boolean;
    commits?: unknown;
    installation?: { id: number };
  };
  const { repository, ref } = payload;
  // Only the default branch: a branch push (a fork's PR included) never syncs anything.
  if (payload.deleted || ref !== `refs/heads/${repository.default_branch}`) return [];
  const changed = changedYamlPaths(payload.commits);
  // The secrets file is YAML: a push that touched none changes nothing here.
  if (changed !== null && changed.length === 0) return [];
  const repo = repoRef(repository);
  const spec: SecretsPushSpec = {
    kind: "push",
    repo,
    before: payload.before,
    after: payload.after,
    changed,
  };
  return [
    {
      key: secretsKey(repo),
      deliveryId: secretsDeliveryId(id),
      ...(payload.installation ? { installationId: payload.installation.id } : {}),
      spec,
    },
  ];
}

function planComment(id: string, raw: unknown) {
  const payload = raw as {
    issue: { number: number; pull_request?: unknown };
    comment: { body: string; user: { login: string } | null };
    sender: { type: string };
    repository: RepoPayload;
    installation?: { id: number };
  };
  const { issue, comment } = payload;
  if (payload.sender.type === "Bot" || !comment.user || !SYNC_COMMAND.test(comment.body)) return [];
  const repo = repoRef(payload.repository);
  const spec: SecretsCommandSpec = {
    kind: "command",
    repo,
    issue: issue.number,
    isPull: Boolean(issue.pull_request),
    commenter: comment.user.login,
    body: comment.body,
  };
  return [
    {
      key: secretsKey(repo),
      deliveryId: secretsDeliveryId(id),
      ...(payload.installation ? { installationId: payload.installation.id } : {}),
      spec,
    },
  ];
}
