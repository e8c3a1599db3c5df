// A pull request comment's commands: read what they need, decide in one pure step, then act.
import type { TeamMembers } from "../core/access.js";
import {
  commentAccessTeams,
  commentNeedsAccessFacts,
  commentNeedsEnvironments,
  commentNeedsPermission,
  commentTeams,
  decideComment,
  type CommentDecision,
} from "../core/comment-commands.js";
import { parseCommands } from "../core/commands.js";
import { readPrState, repliedTo, replyMarker } from "../core/pr-state.js";
import type { GitHubRepo, PullRequestData } from "../forge/github.js";
import type { LoadedPolicy } from "../forge/policy-loader.js";
import type { CommentRecord } from "../forge/port.js";
import type { Policy } from "../core/policy.js";
import type { ChangedFile } from "../core/types.js";
import type { Log } from "../log.js";
import { readTeams } from "./access-check.js";
import { bumpPullRequest, gitHubBumpPort } from "./bump.js";
import { evaluateDeployGate } from "./deploy-gate.js";
import { runEnvironmentCommands } from "./environment-commands.js";
import { eventInstallation, type JobContext, type RepoRef } from "./job-context.js";
import { deploymentsOf, movedEnvironments } from "./promotion-check.js";
import { sealedSecretsOfServices } from "./secret-targets.js";
import { verifyPullRequestEvent } from "./verify-pull-request.js";

export interface CommentSpec {
  repo: RepoRef;
  issue: number;
  commenter: string;
  association: string;
  body: string;
}

/** What acting on a decision works with: the job, its port and what was read. */
interface Acting {
  spec: CommentSpec;
  context: JobContext;
  installationId: number;
  port: GitHubRepo;
  loaded: LoadedPolicy & { result: { ok: true } };
  pr: PullRequestData;
  headRepo: { owner: string; name: string } | null;
  botLogin: string;
  log: Log;
  /** One listing of the comments serves /bump, the gate, the verification and the reply check. */
  comments(): Promise<CommentRecord[]>;
  /** The listing changed under us (the gate wrote the summary): later steps read this one. */
  replaceComments(comments: CommentRecord[]): void;
}

/** Runs the commands of one comment on a pull request. */
export async function runCommentJob(spec: CommentSpec, context: JobContext): Promise<void> {
  const { services } = context;
  const installationId = eventInstallation(context);
  const log = context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}`, pr: spec.issue });
  const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
  // Read: the policy, the commands, the pull request, and the permission when a command needs it.
  const loaded = await port.loadPolicy(spec.repo.defaultBranch);
  if (!loaded.result.ok) {
    log.info("comment ignored: the configuration is invalid");
    return;
  }
  const policy = loaded.result.policy;
  const parsed = parseCommands(spec.body, policy);
  if (parsed.commands.length === 0 && parsed.errors.length === 0) return;
  const current = await port.pullRequest(spec.issue);
  const actor = {
    login: spec.commenter,
    association: spec.association,
    isPrAuthor: spec.commenter === current.pr.author,
    prFromFork: current.pr.fromFork,
  };
  const permission = commentNeedsPermission(parsed.commands, actor, policy)
    ? { permission: await port.permission(spec.commenter) }
    : {};
  // The PR's files and the teams of the rules naming a command for paths, read only then.
  const access = commentNeedsAccessFacts(parsed.commands, policy)
    ? await readAccessFacts(
        port,
        current.pr,
        commentNeedsEnvironments(parsed.commands, policy) ? policy : undefined,
        (files, environments) => commentAccessTeams(parsed.commands, policy, files, environments),
      )
    : {};
  // The teams the access rules name for an environment command, read only when one does.
  const teamNames = commentTeams(parsed.commands, policy);
  const teams = teamNames.length > 0 ? { teams: await readTeams(port, teamNames) } : {};
  // Decide.
  const decision = decideComment(parsed, {
    policy,
    pr: { headSha: current.pr.headSha, open: current.open },
    actor: { ...actor, ...permission, ...teams },
    ...access,
  });
  // Act.
  let listed: Promise<CommentRecord[]> | undefined;
  const acting: Acting = {
    spec,
    context,
    installationId,
    port,
    loaded: loaded as Acting["loaded"],
    pr: current.pr,
    headRepo: current.headRepo,
    botLogin: await services.clients.botLogin(),
    log,
    comments: () => (listed ??= port.listComments(spec.issue)),
    replaceComments: (comments) => (listed = Promise.resolve(comments)),
  };
  const replies = [...decision.replies];
  replies.push(...(await bump(acting, decision)));
  replies.push(...(await gateAgain(acting, decision, () => listed)));
  replies.push(...(await environmentCommands(acting, decision)));
  await verifyAgain(acting, decision);
  await reply(acting, replies);
}

/**
 * The PR's files, the environments whose pins it moves (only given `environmentsOf`, the policy of
 * a rule that covers environments), and the members of the teams that the deciding rules list.
 */
async function readAccessFacts(
  port: GitHubRepo,
  pr: PullRequestData,
  environmentsOf: Policy | undefined,
  teamsFor: (files: ChangedFile[], environments: readonly string[]) => string[],
): Promise<{ files: ChangedFile[]; teams: Map<string, TeamMembers>; environments: string[] }> {
  const { files } = await port.pullRequestFiles(pr.number);
  const environments = environmentsOf
    ? await movedEnvironments(port, pr, environmentsOf, files)
    : [];
  const teams = new Map<string, TeamMembers>();
  for (const team of teamsFor(files, environments)) {
    const [org = "", slug = ""] = team.split("/");
    teams.set(team.toLowerCase(), await port.teamMembers(org, slug));
  }
  return { files, teams, environments };
}

/** `/bump`: one commit per request on the pull request's branch, checked against its last verdict. */
async function bump(acting: Acting, decision: CommentDecision): Promise<string[]> {
  if (decision.bumps.length === 0) return [];
  const { spec, port, pr } = acting;
  const checkedSha = readPrState(await acting.comments(), acting.botLogin).verifiedSha;
  const replies: string[] = [];
  for (const request of decision.bumps) {
    const result = await bumpPullRequest(
      gitHubBumpPort(port, pr.number, acting.headRepo ?? spec.repo),
      {
        repo: spec.repo,
        pr,
        headRepo: acting.headRepo,
        policy: acting.loaded.result.policy,
        level: request.level,
        names: request.names,
        requestedBy: spec.commenter,
        ...(checkedSha ? { checkedSha } : {}),
      },
    );
    replies.push(result.reply);
  }
  return replies;
}

/**
 * The deployment gate goes again with recheck and the like, and records an override first, so
 * the verification after it keeps the override in the summary comment.
 */
async function gateAgain(
  acting: Acting,
  decision: CommentDecision,
  listed: () => Promise<CommentRecord[]> | undefined,
): Promise<string[]> {
  const gated = decision.deployAnyway !== undefined;
  if (!decision.ci && !decision.approval && !gated) return [];
  const { spec, context } = acting;
  const known = listed();
  const gate = await evaluateDeployGate({
    port: acting.port,
    repo: spec.repo,
    pr: acting.pr,
    policy: acting.loaded.result.policy,
    services: context.services,
    installationId: acting.installationId,
    deliveryId: context.deliveryId,
    log: acting.log,
    ...(known ? { comments: await known } : {}),
    ...(gated ? { override: { by: spec.commenter, reason: decision.deployAnyway ?? "" } } : {}),
  });
  if (gate.comments) acting.replaceComments(gate.comments);
  return gate.reply ? [gate.reply] : [];
}

/** `/promote`, `/rollback`, `/hold`, `/unhold`: on this repository, as the config repo. */
async function environmentCommands(acting: Acting, decision: CommentDecision): Promise<string[]> {
  if (decision.environments.length === 0) return [];
  const { spec, context } = acting;
  const config = await context.services.clients.configRepo(
    spec.repo.owner,
    spec.repo.name,
    acting.installationId,
  );
  return runEnvironmentCommands({
    port: acting.port,
    config,
    deployments: deploymentsOf(acting.port),
    policy: acting.loaded.result.policy,
    actions: decision.environments,
    by: spec.commenter,
    log: acting.log,
  });
}

/** recheck, /retest, /test, /ok-to-test: verify the pull request again and run what was asked. */
async function verifyAgain(acting: Acting, decision: CommentDecision): Promise<void> {
  if (!decision.ci && !decision.approval) return;
  const { spec, context } = acting;
  const { services } = context;
  await verifyPullRequestEvent(
    acting.port,
    {
      repo: spec.repo,
      pr: acting.pr,
      deliveryId: context.deliveryId,
      ci: decision.ci ?? { kind: "rerun-failed" },
      checks: services.checks,
      botLogin: acting.botLogin,
      backend: services.backend,
      loaded: acting.loaded,
      comments: await acting.comments(),
      ...(decision.approval ? { approval: decision.approval } : {}),
      tracker: services.timeouts.forInstallation(acting.installationId),
      sealedSecrets: sealedSecretsOfServices(services, spec.repo, acting.installationId),
    },
    acting.log,
  );
}

/** One reply for the whole comment, once per delivery (a redelivery after a restart is not answered twice). */
async function reply(acting: Acting, replies: readonly string[]): Promise<void> {
  const unique = [...new Set(replies)];
  if (unique.length === 0) return;
  const { spec, context } = acting;
  if (repliedTo(await acting.comments(), acting.botLogin, context.deliveryId)) {
    acting.log.info("already replied to this delivery");
    return;
  }
  await acting.port.createComment(
    spec.issue,
    `${unique.map((r) => `@${spec.commenter} ${r}`).join("\n\n")}\n${replyMarker(context.deliveryId)}`,
  );
}
