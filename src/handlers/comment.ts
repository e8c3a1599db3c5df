// `issue_comment.created` on a pull request: `recheck` and the slash commands, for whoever may use them.
import {
  commandTable,
  parseCommands,
  renderHelp,
  type BumpLevel,
  type ParsedCommand,
} from "../core/commands.js";
import { mayDeployAnyway } from "../core/deploy-gate.js";
import type { Policy } from "../core/policy.js";
import { readPrState, repliedTo, replyMarker, type Approval } from "../core/pr-state.js";
import { mayUseCommand, type TrustDecision } from "../core/trust.js";
import type { PullRequestData } from "../forge/github.js";
import type { CommentRecord } from "../forge/port.js";
import { bumpPullRequest, gitHubBumpPort } from "../workflows/bump.js";
import { decideTrust } from "../workflows/decide-trust.js";
import type { CiRequest } from "../workflows/pull-request-ci.js";
import { sealedSecretsOfServices } from "../workflows/secret-targets.js";
import { verifyPullRequestEvent } from "../workflows/verify-pull-request.js";
import { evaluateDeployGate } from "../workflows/deploy-gate.js";
import {
  defineHandler,
  eventInstallation,
  pullRequestKey,
  repoRef,
  type RepoPayload,
  type RepoRef,
} from "./handler.js";

export interface CommentSpec {
  repo: RepoRef;
  issue: number;
  commenter: string;
  association: string;
  body: string;
}

/** What a parsed, permitted command asks for. */
interface CommandOutcome {
  ci?: CiRequest;
  reply?: string;
  approval?: Approval;
  bump?: { level: BumpLevel; names: string[] };
  /** `/deploy-anyway`'s reason. */
  deployAnyway?: string;
}

/** What the commands of one comment add up to. */
interface CommentPlan {
  replies: string[];
  ci?: CiRequest;
  approval?: Approval;
  bumps: { level: BumpLevel; names: string[] }[];
  deployAnyway?: string;
}

// Cheap pre-filter so ordinary discussion never costs a job or a config read.
const MAYBE_COMMAND = /(^|\n)\s*\/[a-z]|recheck/i;

export default defineHandler<CommentSpec>({
  name: "comment",
  events: ["issue_comment.created"],
  plan(event) {
    const payload = event.payload as {
      issue: { number: number; pull_request?: unknown };
      comment: { body: string; user: { login: string } | null; author_association: string };
      sender: { type: string };
      repository: RepoPayload;
      installation?: { id: number };
    };
    const { issue, comment } = payload;
    if (!issue.pull_request || payload.sender.type === "Bot" || !comment.user) return [];
    if (!MAYBE_COMMAND.test(comment.body)) return [];
    const repo = repoRef(payload.repository);
    return [
      {
        key: pullRequestKey(repo, issue.number),
        ...(payload.installation ? { installationId: payload.installation.id } : {}),
        spec: {
          repo,
          issue: issue.number,
          commenter: comment.user.login,
          association: comment.author_association,
          body: comment.body,
        },
      },
    ];
  },
  async run(spec, context) {
    const { services, deliveryId } = context;
    const installationId = eventInstallation(context);
    const log = context.log.child({ repo: `${spec.repo.owner}/${spec.repo.name}`, pr: spec.issue });
    const port = await services.clients.forRepo(spec.repo.owner, spec.repo.name, installationId);
    const loaded = await port.loadPolicy(spec.repo.defaultBranch);
    if (!loaded.result.ok) {
      log.info("comment ignored: the configuration is invalid");
      return;
    }
    const policy = loaded.result.policy;
    const parsed = parseCommands(spec.body, policy);
    if (parsed.commands.length === 0 && parsed.errors.length === 0) return;
    const fresh = await port.pullRequest(spec.issue);
    const { pr } = fresh;
    // The commenter's trust and permission are asked (at most once) only when a command needs them.
    let permission: Promise<string | null> | undefined;
    const asked = { permission: () => (permission ??= port.permission(spec.commenter)) };
    let trust: Promise<TrustDecision> | undefined;
    const plan = await planCommands(
      parsed.commands,
      policy,
      pr,
      spec,
      () => (trust ??= decideTrust(asked, spec.commenter, spec.association, policy)),
      asked.permission,
    );
    const replies = [...parsed.errors, ...plan.replies];
    // One listing of the comments serves /bump, the verification and the reply check.
    let listed: Promise<CommentRecord[]> | undefined;
    const comments = () => (listed ??= port.listComments(spec.issue));
    const botLogin = await services.clients.botLogin();
    const gated = plan.deployAnyway !== undefined;
    if (!fresh.open && (plan.ci || plan.bumps.length > 0 || gated))
      replies.push("this pull request is closed: nothing was run.");
    if (fresh.open && plan.bumps.length > 0) {
      const checkedSha = readPrState(await comments(), botLogin).verifiedSha;
      for (const bump of plan.bumps) {
        const result = await bumpPullRequest(
          gitHubBumpPort(port, pr.number, fresh.headRepo ?? spec.repo),
          {
            repo: spec.repo,
            pr,
            headRepo: fresh.headRepo,
            policy,
            level: bump.level,
            names: bump.names,
            requestedBy: spec.commenter,
            ...(checkedSha ? { checkedSha } : {}),
          },
        );
        replies.push(result.reply);
      }
    }
    // The deployment gate goes again with recheck and the like, and records an override first, so
    // the verification below keeps it in the summary comment.
    if (fresh.open && (plan.ci || plan.approval || gated)) {
      const gate = await evaluateDeployGate({
        port,
        repo: spec.repo,
        pr,
        policy,
        services,
        installationId,
        deliveryId,
        log,
        ...(listed ? { comments: await listed } : {}),
        ...(gated ? { override: { by: spec.commenter, reason: plan.deployAnyway ?? "" } } : {}),
      });
      if (gate.reply) replies.push(gate.reply);
      if (gate.comments) listed = Promise.resolve(gate.comments);
    }
    if (fresh.open && (plan.ci || plan.approval)) {
      await verifyPullRequestEvent(
        port,
        {
          repo: spec.repo,
          pr,
          deliveryId,
          ci: plan.ci ?? { kind: "rerun-failed" },
          checks: services.checks,
          botLogin,
          backend: services.backend,
          loaded,
          comments: await comments(),
          ...(plan.approval ? { approval: plan.approval } : {}),
          tracker: services.timeouts.forInstallation(installationId),
          sealedSecrets: sealedSecretsOfServices(services, spec.repo, installationId),
        },
        log,
      );
    }
    const unique = [...new Set(replies)];
    if (unique.length === 0) return;
    // A redelivery after a restart must not answer twice: replies carry their delivery id.
    if (repliedTo(await comments(), botLogin, deliveryId)) {
      log.info("already replied to this delivery");
      return;
    }
    await port.createComment(
      spec.issue,
      `${unique.map((r) => `@${spec.commenter} ${r}`).join("\n\n")}\n${replyMarker(deliveryId)}`,
    );
  },
});

/** Each command's outcome, for a commenter who may use it; a short reason for one who may not. */
async function planCommands(
  commands: readonly ParsedCommand[],
  policy: Policy,
  pr: PullRequestData,
  spec: CommentSpec,
  trust: () => Promise<TrustDecision>,
  permission: () => Promise<string | null>,
): Promise<CommentPlan> {
  const plan: CommentPlan = { replies: [], bumps: [] };
  for (const command of commands) {
    const cmd = commandTable.find((c) => c.name === command.name);
    // `/sync-secrets` has its own handler (secrets-sync.ts), on issues too.
    if (!cmd || cmd.name === "sync-secrets") continue;
    const allowed =
      cmd.who === "anyone"
        ? { allowed: true, reason: "" }
        : cmd.who === "admin"
          ? mayDeployAnyway(spec.commenter, await permission())
          : mayUseCommand(cmd, {
              trust: await trust(),
              isPrAuthor: spec.commenter === pr.author,
              prFromFork: pr.fromFork,
            });
    if (!allowed.allowed) {
      plan.replies.push(allowed.reason);
      continue;
    }
    const outcome = commandOutcome(command, policy, pr, spec.commenter);
    if (outcome.reply) plan.replies.push(outcome.reply);
    if (outcome.ci) plan.ci = mergeCiRequests(plan.ci, outcome.ci);
    if (outcome.approval) plan.approval = outcome.approval;
    if (outcome.bump) plan.bumps.push(outcome.bump);
    if (outcome.deployAnyway !== undefined) plan.deployAnyway = outcome.deployAnyway;
  }
  return plan;
}

/** Two CI requests in one comment: the wider one wins. */
function mergeCiRequests(a: CiRequest | undefined, b: CiRequest): CiRequest {
  if (!a) return b;
  if (a.kind === "rerun-failed" || b.kind === "rerun-failed") return { kind: "rerun-failed" };
  if (a.kind === "push" || b.kind === "push") return { kind: "push" };
  return b;
}

/** What a parsed, permitted command does: re-verify and run CI, approve, bump, or reply. */
function commandOutcome(
  command: ParsedCommand,
  policy: Policy,
  pr: PullRequestData,
  user: string,
): CommandOutcome {
  switch (command.name) {
    case "help":
      return { reply: renderHelp(policy) };
    case "recheck":
      return { ci: { kind: "rerun-failed" } };
    case "retest":
      return {
        ci:
          command.args.length > 0
            ? { kind: "components", components: command.args }
            : { kind: "rerun-failed" },
      };
    case "ok-to-test":
      return { ci: { kind: "push" }, approval: { sha: pr.headSha, by: user } };
    case "test": {
      const job = command.args[0] ?? "";
      if (!(job in policy.jobs.templates)) {
        const known = Object.keys(policy.jobs.templates);
        return {
          reply: `there is no job named \`${job}\`${known.length ? `; the jobs are ${known.map((j) => `\`${j}\``).join(", ")}` : "; this repository configures no CI jobs (policy key `jobs.templates`)"}.`,
        };
      }
      return { ci: { kind: "job", job, components: command.args.slice(1) } };
    }
    case "bump":
      return { bump: { level: command.args[0] as BumpLevel, names: command.args.slice(1) } };
    case "sync-secrets":
      return {};
    case "deploy-anyway":
      return { deployAnyway: command.args[0] ?? "" };
  }
}
