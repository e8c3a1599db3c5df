// The Probot app: turns webhook events into queued work; the work itself lives in src/workflows/.
import type { Context, Probot } from "probot";
import { allChecks } from "./core/checks/index.js";
import type { CheckDefinition } from "./core/checks/registry.js";
import { commandTable, parseCommands, renderHelp, type ParsedCommand } from "./core/commands.js";
import type { Policy } from "./core/policy.js";
import {
  mayUseCommand,
  trustFromAssociation,
  trustFromPermission,
  type TrustDecision,
} from "./core/trust.js";
import type { PullRequestInfo } from "./core/types.js";
import { GitHubRepo, type Octokit } from "./forge/github.js";
import type { Log } from "./log.js";
import type { WorkQueue } from "./queue/work-queue.js";
import type { Metrics } from "./server/metrics.js";
import { loadPolicy } from "./workflows/load-policy.js";
import { verifyPullRequest } from "./workflows/verify-pull-request.js";

export interface AppOptions {
  queue: WorkQueue;
  metrics?: Metrics;
  checks?: readonly CheckDefinition[];
  /** The app's bot login (`slug[bot]`), to recognise its own comments; found lazily when absent. */
  botLogin?: string;
}

/** The pull request fields the workflows need, from a webhook's or the REST API's PR object. */
interface RestPullRequest {
  number: number;
  title: string;
  body?: string | null;
  draft?: boolean;
  state: string;
  user: { login: string } | null;
  author_association: string;
  maintainer_can_modify?: boolean;
  head: { sha: string; ref: string; repo: { full_name: string } | null };
  base: { sha: string; ref: string; repo: { full_name: string } };
}

export function pullRequestInfo(
  pr: RestPullRequest,
): PullRequestInfo & { headSha: string; baseSha: string } {
  return {
    number: pr.number,
    title: pr.title,
    body: pr.body ?? "",
    author: pr.user?.login ?? "",
    authorAssociation: pr.author_association,
    draft: pr.draft === true,
    fromFork: pr.head.repo?.full_name !== pr.base.repo.full_name,
    maintainerCanModify: pr.maintainer_can_modify === true,
    headRef: pr.head.ref,
    baseRef: pr.base.ref,
    headSha: pr.head.sha,
    baseSha: pr.base.sha,
  };
}

type RepoPayload = { owner: { login: string }; name: string; default_branch: string };

function repoOf(repository: RepoPayload) {
  return {
    owner: repository.owner.login,
    name: repository.name,
    defaultBranch: repository.default_branch,
  };
}

export function createApp(options: AppOptions) {
  const checks = options.checks ?? allChecks;
  const { queue, metrics } = options;

  return (app: Probot): void => {
    let botLogin = options.botLogin;
    /** The app's own login, so only its own comments are read back as state (one request, once). */
    async function ownLogin(): Promise<string> {
      if (!botLogin) {
        const appOctokit = await app.auth();
        const { data } = await appOctokit.rest.apps.getAuthenticated();
        botLogin = `${data?.slug ?? "monobot"}[bot]`;
      }
      return botLogin;
    }

    /** Queues work for a PR; the webhook is answered as soon as this returns. */
    function schedule(
      context: Context,
      repo: { owner: string; name: string },
      pull: number,
      kind: string,
      work: (log: Log) => Promise<void>,
    ): void {
      const key = `${repo.owner}/${repo.name}#${pull}`;
      const log = context.log.child({
        delivery: context.id,
        repo: `${repo.owner}/${repo.name}`,
        pr: pull,
      });
      const event = context.name;
      const outcome = queue.enqueue({
        deliveryId: context.id,
        key,
        ...(kind === "verify" ? { supersedeKey: `verify:${key}` } : {}),
        run: async () => {
          const end = metrics?.handlerSeconds.startTimer({ event });
          try {
            await work(log);
            end?.({ outcome: "success" });
          } catch (e) {
            end?.({ outcome: "error" });
            log.error({ err: redactError(e) }, `${kind} failed`);
            throw e;
          }
        },
      });
      metrics?.events.inc({ event, outcome });
      if (outcome !== "queued") {
        metrics?.queueRejected.inc({ reason: outcome });
        log.info({ outcome }, "delivery not queued");
        if (outcome === "full" || outcome === "closed") {
          // Makes GitHub record a failed delivery, so it can be redelivered later.
          throw Object.assign(new Error(`work queue ${outcome}: retry this delivery later`), {
            status: 503,
          });
        }
      } else log.debug({ kind }, "queued");
    }

    async function runVerify(
      octokit: Octokit,
      repoPayload: RepoPayload,
      pr: ReturnType<typeof pullRequestInfo>,
      deliveryId: string,
      log: Log,
      extra: {
        approval?: { sha: string; by: string };
        loaded?: Awaited<ReturnType<typeof loadPolicy>>;
      } = {},
    ): Promise<void> {
      const repo = repoOf(repoPayload);
      const loaded =
        extra.loaded ?? (await loadPolicy(octokit, repo.owner, repo.name, repo.defaultBranch));
      if (loaded.result.ok && pr.draft && loaded.result.policy.triggers.skip_drafts) {
        log.info("draft pull request: skipped until it is marked ready for review");
        return;
      }
      const port = new GitHubRepo(octokit, repo.owner, repo.name);
      const authorTrusted = loaded.result.ok
        ? (await decideTrust(port, pr.author, pr.authorAssociation, loaded.result.policy)).trusted
        : false;
      await verifyPullRequest(
        port,
        {
          repo,
          pr,
          policy: loaded,
          checks,
          deliveryId,
          authorTrusted,
          botLogin: await ownLogin(),
          ...(extra.approval ? { approval: extra.approval } : {}),
        },
        log,
      );
    }

    app.on(
      [
        "pull_request.opened",
        "pull_request.synchronize",
        "pull_request.reopened",
        "pull_request.ready_for_review",
      ],
      async (context) => {
        const { pull_request, repository } = context.payload;
        const pr = pullRequestInfo(pull_request as RestPullRequest);
        schedule(
          context as Context,
          { owner: repository.owner.login, name: repository.name },
          pr.number,
          "verify",
          (log) => runVerify(context.octokit, repository as RepoPayload, pr, context.id, log),
        );
      },
    );

    app.on(["check_run.rerequested", "check_suite.rerequested"], async (context) => {
      const { repository } = context.payload;
      const pulls =
        "check_run" in context.payload
          ? context.payload.check_run.pull_requests
          : context.payload.check_suite.pull_requests;
      if ("check_run" in context.payload && !context.payload.check_run.name.startsWith("monobot/"))
        return;
      for (const p of pulls ?? []) {
        schedule(
          context as Context,
          { owner: repository.owner.login, name: repository.name },
          p.number,
          "verify",
          async (log) => {
            const { data } = await context.octokit.rest.pulls.get({
              owner: repository.owner.login,
              repo: repository.name,
              pull_number: p.number,
            });
            if (data.state !== "open") return;
            await runVerify(
              context.octokit,
              repository as RepoPayload,
              pullRequestInfo(data as RestPullRequest),
              context.id,
              log,
            );
          },
        );
      }
    });

    app.on("issue_comment.created", async (context) => {
      const { issue, comment, repository, sender } = context.payload;
      if (!issue.pull_request || sender.type === "Bot" || !comment.user) return;
      const commenter = comment.user.login;
      const repo = { owner: repository.owner.login, name: repository.name };
      // Cheap pre-filter so ordinary discussion never costs a config read.
      if (!/(^|\n)\s*\/[a-z]|recheck/i.test(comment.body)) return;
      schedule(context as Context, repo, issue.number, "comment", async (log) => {
        const octokit = context.octokit;
        const loaded = await loadPolicy(octokit, repo.owner, repo.name, repository.default_branch);
        const port = new GitHubRepo(octokit, repo.owner, repo.name);
        if (!loaded.result.ok) {
          log.info("comment ignored: the configuration is invalid");
          return;
        }
        const policy = loaded.result.policy;
        const parsed = parseCommands(comment.body, policy);
        if (parsed.commands.length === 0 && parsed.errors.length === 0) return;
        const replies: string[] = [...parsed.errors];
        const { data } = await octokit.rest.pulls.get({
          owner: repo.owner,
          repo: repo.name,
          pull_number: issue.number,
        });
        const pr = pullRequestInfo(data as RestPullRequest);
        let trust: TrustDecision | undefined;
        let verify = false;
        let approval: { sha: string; by: string } | undefined;
        for (const command of parsed.commands) {
          const spec = commandTable.find((c) => c.name === command.name);
          if (!spec) continue;
          if (spec.who !== "anyone" && !trust) {
            trust = await decideTrust(port, commenter, comment.author_association, policy);
          }
          const allowed =
            spec.who === "anyone"
              ? { allowed: true, reason: "" }
              : mayUseCommand(spec, {
                  trust: trust as TrustDecision,
                  isPrAuthor: commenter === pr.author,
                  prFromFork: pr.fromFork,
                });
          if (!allowed.allowed) {
            replies.push(allowed.reason);
            continue;
          }
          const outcome = commandOutcome(command, policy, pr, commenter);
          if (outcome.reply) replies.push(outcome.reply);
          if (outcome.verify) verify = true;
          if (outcome.approval) approval = outcome.approval;
        }
        if (verify && data.state === "open") {
          await runVerify(octokit, repository as RepoPayload, pr, context.id, log, {
            loaded,
            ...(approval ? { approval } : {}),
          });
        }
        const unique = [...new Set(replies)];
        if (unique.length > 0) {
          await port.createComment(
            issue.number,
            unique.map((r) => `@${commenter} ${r}`).join("\n\n"),
          );
        }
      });
    });
  };
}

/** Trust from the author association, confirmed with the permission API when it is not enough. */
async function decideTrust(
  port: GitHubRepo,
  user: string,
  association: string,
  policy: Policy,
): Promise<TrustDecision> {
  const first = trustFromAssociation({ user, association, policy });
  if (first.trusted || !first.needsPermissionCheck) return first;
  const permission = await port.permission(user);
  return trustFromPermission({ user, association, permission, policy });
}

/** What a parsed, permitted command does: re-verify, approve, or reply. */
function commandOutcome(
  command: ParsedCommand,
  policy: Policy,
  pr: ReturnType<typeof pullRequestInfo>,
  user: string,
): { verify?: boolean; reply?: string; approval?: { sha: string; by: string } } {
  switch (command.name) {
    case "help":
      return { reply: renderHelp(policy) };
    case "recheck":
    case "retest":
      return { verify: true };
    case "ok-to-test":
      return { verify: true, approval: { sha: pr.headSha, by: user } };
    case "test": {
      const job = command.args[0] ?? "";
      if (!(job in policy.jobs.templates)) {
        const known = Object.keys(policy.jobs.templates);
        return {
          reply: `there is no job named \`${job}\`${known.length ? `; the jobs are ${known.map((j) => `\`${j}\``).join(", ")}` : "; this repository configures no CI jobs (policy key `jobs`)"}.`,
        };
      }
      return { verify: true };
    }
    case "bump":
      return {
        reply:
          "`/bump` is not available in this monobot version yet: edit the VERSION file and push.",
      };
  }
}

/** Errors from Octokit carry request headers; keep only what is safe to log. */
function redactError(e: unknown): { name?: string; message: string; status?: number } {
  const err = e as { name?: string; message?: string; status?: number };
  return {
    name: err.name ?? "Error",
    message: String(err.message ?? e),
    ...(err.status ? { status: err.status } : {}),
  };
}
