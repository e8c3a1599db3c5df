// The Probot app: turns webhook events into queued work; the work itself lives in src/workflows/.
import type { Context, Probot } from "probot";
import { allChecks } from "./core/checks/index.js";
import type { CheckDefinition } from "./core/checks/registry.js";
import {
  commandTable,
  parseCommands,
  renderHelp,
  type BumpLevel,
  type ParsedCommand,
} from "./core/commands.js";
import { jobTriggers } from "./core/jobs.js";
import type { Policy } from "./core/policy.js";
import { correlateWorkflowRun, type RunIdFields } from "./core/run-id.js";
import {
  mayUseCommand,
  trustFromAssociation,
  trustFromPermission,
  type TrustDecision,
} from "./core/trust.js";
import type { PullRequestInfo } from "./core/types.js";
import { GitHubRepo, type Octokit } from "./forge/github.js";
import type { CommentRecord, StatusState } from "./forge/port.js";
import type { Log } from "./log.js";
import type { WorkQueue } from "./queue/work-queue.js";
import type { Metrics } from "./server/metrics.js";
import { bumpPullRequest, gitHubBumpPort } from "./workflows/bump.js";
import { loadPolicy, type LoadedPolicy } from "./workflows/load-policy.js";
import { onMerge } from "./workflows/on-merge.js";
import type { CiRequest } from "./workflows/pull-request-ci.js";
import { RunTimeouts, type TrackedRun } from "./workflows/run-timeouts.js";
import {
  FileFireStore,
  MemoryFireStore,
  Scheduler,
  type ScheduledRepo,
} from "./workflows/scheduler.js";
import { readVerifiedSha, verifyPullRequest } from "./workflows/verify-pull-request.js";
import { isSummaryComment } from "./core/summary.js";
import { statusDescription } from "./ci/backend.js";

export interface AppOptions {
  queue: WorkQueue;
  metrics?: Metrics;
  checks?: readonly CheckDefinition[];
  /** The app's bot login (`slug[bot]`), to recognise its own comments; found lazily when absent. */
  botLogin?: string;
  /** Where CI backend credentials are read from (MONOBOT_CI_*); never the repository. */
  env?: NodeJS.ProcessEnv;
  /** monobot's public callback URL, given to Jenkins and webhook jobs to report their result. */
  callbackUrl?: string;
  /** GitHub's web address, for links (a GHE host's; default https://github.com). */
  serverUrl?: string;
  /** Called with the run-timeout tracker so the server can stop it and the callback route use it. */
  onTimeouts?: (timeouts: RunTimeouts) => void;
  /** Where the scheduler keeps its last fires (a JSON file); in memory when absent. */
  scheduleStatePath?: string;
  /** Called with the scheduler and a function that finds every installed repository. */
  onScheduler?: (scheduler: Scheduler, discover: () => Promise<number>) => void;
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
  head: {
    sha: string;
    ref: string;
    repo: { full_name: string; name: string; owner: { login: string } } | null;
  };
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

/** What a parsed, permitted command asks for. */
interface CommandOutcome {
  ci?: CiRequest;
  reply?: string;
  approval?: { sha: string; by: string };
  bump?: { level: BumpLevel; names: string[] };
}

/** Posts a CI result as the commit status `ci/{component}/{job}`. */
export async function postRunResult(
  octokit: Octokit,
  run: RunIdFields,
  result: { state: StatusState; description: string; targetUrl?: string },
): Promise<void> {
  await new GitHubRepo(octokit, run.owner, run.repo).setStatus(run.sha, {
    context: `ci/${run.component}/${run.job}`,
    state: result.state,
    description: statusDescription(result.description),
    ...(result.targetUrl ? { targetUrl: result.targetUrl } : {}),
  });
}

export function createApp(options: AppOptions) {
  const checks = options.checks ?? allChecks;
  const { queue, metrics } = options;
  const env = options.env ?? {};

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

    const timeouts = new RunTimeouts(
      async (run: TrackedRun) => {
        const octokit = (await app.auth(run.installationId)) as Octokit;
        const port = new GitHubRepo(octokit, run.owner, run.repo);
        const current = (await port.statuses(run.sha)).find((s) => s.context === run.statusContext);
        if (current?.state !== "pending") return;
        await port.setStatus(run.sha, {
          context: run.statusContext,
          state: "error",
          description: `timed out: no result after ${run.timeoutMinutes} minutes`,
          ...(current.targetUrl ? { targetUrl: current.targetUrl } : {}),
        });
      },
      app.log as unknown as Log,
    );
    options.onTimeouts?.(timeouts);

    const backend = {
      env,
      ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
      ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
    };

    const scheduler = new Scheduler({
      source: {
        load: async (t: ScheduledRepo) => {
          const octokit = (await app.auth(t.installationId)) as Octokit;
          const loaded = await loadPolicy(octokit, t.owner, t.repo, t.defaultBranch);
          if (!loaded.result.ok) return null;
          // Most repositories schedule nothing: spare them the branch and tree reads.
          const templates = Object.values(loaded.result.policy.jobs.templates);
          if (!templates.some((t) => jobTriggers(t).includes("schedule"))) return null;
          const { data } = await octokit.rest.repos.getBranch({
            owner: t.owner,
            repo: t.repo,
            branch: t.defaultBranch,
          });
          const paths = await new GitHubRepo(octokit, t.owner, t.repo).paths(data.commit.sha);
          return { policy: loaded.result.policy, paths, headSha: data.commit.sha };
        },
        port: async (t: ScheduledRepo) =>
          new GitHubRepo((await app.auth(t.installationId)) as Octokit, t.owner, t.repo),
      },
      store: options.scheduleStatePath
        ? new FileFireStore(options.scheduleStatePath)
        : new MemoryFireStore(),
      backend,
      log: app.log as unknown as Log,
    });
    /** Every repository of every installation, registered with the scheduler (start-up only). */
    async function discoverRepositories(): Promise<number> {
      const appOctokit = await app.auth();
      const installations = await appOctokit.paginate(appOctokit.rest.apps.listInstallations, {
        per_page: 100,
      });
      let count = 0;
      for (const inst of installations) {
        const octokit = (await app.auth(inst.id)) as Octokit;
        const repos = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, {
          per_page: 100,
        });
        for (const r of repos) {
          scheduler.register({
            owner: r.owner.login,
            repo: r.name,
            defaultBranch: r.default_branch,
            installationId: inst.id,
          });
          count++;
        }
      }
      return count;
    }
    options.onScheduler?.(scheduler, discoverRepositories);

    // Every event tells the scheduler about its repository (no polling to find them).
    app.onAny(async (context) => {
      const payload = context.payload as {
        repository?: { name: string; owner: { login: string }; default_branch?: string };
        installation?: { id: number };
      };
      if (payload.repository?.default_branch && payload.installation?.id) {
        scheduler.register({
          owner: payload.repository.owner.login,
          repo: payload.repository.name,
          defaultBranch: payload.repository.default_branch,
          installationId: payload.installation.id,
        });
      }
    });

    /** Queues work; the webhook is answered as soon as this returns. */
    function schedule(
      context: Context,
      scope: {
        repo: { owner: string; name: string };
        key: string;
        pr?: number;
        deliveryId?: string;
      },
      kind: string,
      work: (log: Log) => Promise<void>,
    ): void {
      const deliveryId = scope.deliveryId ?? context.id;
      const repoName = `${scope.repo.owner}/${scope.repo.name}`;
      const key = `${repoName}${scope.key}`;
      const log = context.log.child({
        delivery: context.id,
        repo: repoName,
        ...(scope.pr !== undefined ? { pr: scope.pr } : {}),
      }) as unknown as Log;
      const event = context.name;
      const outcome = queue.enqueue({
        deliveryId,
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

    function prScope(repository: RepoPayload, pull: number, deliveryId?: string) {
      return {
        repo: { owner: repository.owner.login, name: repository.name },
        key: `#${pull}`,
        pr: pull,
        ...(deliveryId ? { deliveryId } : {}),
      };
    }

    async function runVerify(
      octokit: Octokit,
      installationId: number | undefined,
      repoPayload: RepoPayload,
      pr: ReturnType<typeof pullRequestInfo>,
      deliveryId: string,
      log: Log,
      extra: {
        approval?: { sha: string; by: string };
        loaded?: LoadedPolicy;
        ci: CiRequest;
        comments?: CommentRecord[];
      },
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
          ...(extra.comments ? { comments: extra.comments } : {}),
          ci: {
            request: extra.ci,
            backend,
            ...(installationId ? { tracker: timeouts.forInstallation(installationId) } : {}),
          },
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
        const { pull_request, repository, installation } = context.payload;
        const pr = pullRequestInfo(pull_request as RestPullRequest);
        schedule(
          context as Context,
          prScope(repository as RepoPayload, pr.number),
          "verify",
          (log) =>
            runVerify(
              context.octokit,
              installation?.id,
              repository as RepoPayload,
              pr,
              context.id,
              log,
              {
                ci: { kind: "push" },
              },
            ),
        );
      },
    );

    app.on(["check_run.rerequested", "check_suite.rerequested"], async (context) => {
      const { repository, installation } = context.payload;
      const pulls =
        "check_run" in context.payload
          ? context.payload.check_run.pull_requests
          : context.payload.check_suite.pull_requests;
      if ("check_run" in context.payload && !context.payload.check_run.name.startsWith("monobot/"))
        return;
      for (const p of pulls ?? []) {
        // One suite can belong to several PRs: each gets its own job, so none is taken for a duplicate.
        const deliveryId = `${context.id}#${p.number}`;
        const scope = prScope(repository as RepoPayload, p.number, deliveryId);
        schedule(context as Context, scope, "verify", async (log) => {
          const { data } = await context.octokit.rest.pulls.get({
            owner: repository.owner.login,
            repo: repository.name,
            pull_number: p.number,
          });
          if (data.state !== "open") return;
          await runVerify(
            context.octokit,
            installation?.id,
            repository as RepoPayload,
            pullRequestInfo(data as RestPullRequest),
            deliveryId,
            log,
            { ci: { kind: "rerun-failed" } },
          );
        });
      }
    });

    app.on("issue_comment.created", async (context) => {
      const { issue, comment, repository, sender, installation } = context.payload;
      if (!issue.pull_request || sender.type === "Bot" || !comment.user) return;
      const commenter = comment.user.login;
      const repo = { owner: repository.owner.login, name: repository.name };
      // Cheap pre-filter so ordinary discussion never costs a config read.
      if (!/(^|\n)\s*\/[a-z]|recheck/i.test(comment.body)) return;
      schedule(
        context as Context,
        prScope(repository as RepoPayload, issue.number),
        "comment",
        async (log) => {
          const octokit = context.octokit;
          const loaded = await loadPolicy(
            octokit,
            repo.owner,
            repo.name,
            repository.default_branch,
          );
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
          const open = data.state === "open";
          // One listing of the comments serves /bump, the verification and the reply check.
          let listed: Promise<CommentRecord[]> | undefined;
          const comments = () => (listed ??= port.listComments(issue.number));
          let trust: TrustDecision | undefined;
          let ci: CiRequest | undefined;
          let approval: { sha: string; by: string } | undefined;
          const bumps: { level: BumpLevel; names: string[] }[] = [];
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
            if (outcome.ci) ci = mergeCiRequests(ci, outcome.ci);
            if (outcome.approval) approval = outcome.approval;
            if (outcome.bump) bumps.push(outcome.bump);
          }
          if (!open && (ci || bumps.length > 0))
            replies.push("this pull request is closed: nothing was run.");
          if (open && bumps.length > 0) {
            const head = (data as RestPullRequest).head.repo;
            const headRepo = head ? { owner: head.owner.login, name: head.name } : null;
            const login = await ownLogin();
            const mine = (await comments()).filter(
              (c) => isSummaryComment(c.body) && c.author === login,
            );
            const checkedSha = mine.map((c) => readVerifiedSha(c.body)).find((s) => s) ?? undefined;
            for (const bump of bumps) {
              const result = await bumpPullRequest(
                gitHubBumpPort(octokit, repo, pr.number, headRepo ?? repo),
                {
                  repo: repoOf(repository as RepoPayload),
                  pr,
                  headRepo,
                  policy,
                  level: bump.level,
                  names: bump.names,
                  requestedBy: commenter,
                  ...(checkedSha ? { checkedSha } : {}),
                },
              );
              replies.push(result.reply);
            }
          }
          if (open && (ci || approval)) {
            await runVerify(
              octokit,
              installation?.id,
              repository as RepoPayload,
              pr,
              context.id,
              log,
              {
                loaded,
                ci: ci ?? { kind: "rerun-failed" },
                comments: await comments(),
                ...(approval ? { approval } : {}),
              },
            );
          }
          const unique = [...new Set(replies)];
          if (unique.length > 0) {
            // A redelivery after a restart must not answer twice: replies carry their delivery id.
            const marker = `<!-- monobot:reply delivery=${context.id.replace(/[^A-Za-z0-9._-]/g, "")} -->`;
            const login = await ownLogin();
            const earlier = await comments();
            if (earlier.some((c) => c.author === login && c.body.includes(marker))) {
              log.info("already replied to this delivery");
              return;
            }
            await port.createComment(
              issue.number,
              `${unique.map((r) => `@${commenter} ${r}`).join("\n\n")}\n${marker}`,
            );
          }
        },
      );
    });

    app.on("workflow_run.completed", async (context) => {
      const { workflow_run, repository } = context.payload;
      const correlated = correlateWorkflowRun(
        workflow_run as Parameters<typeof correlateWorkflowRun>[0],
      );
      if (!correlated) return;
      const { run, status } = correlated;
      // A run may only report on its own repository.
      if (run.owner !== repository.owner.login || run.repo !== repository.name) return;
      const scope = { repo: { owner: run.owner, name: run.repo }, key: `@${run.sha}` };
      schedule(context as Context, scope, "ci-result", async (log) => {
        timeouts.settle({ ...run, statusContext: `ci/${run.component}/${run.job}` });
        await postRunResult(context.octokit, run, status);
        log.info(
          { job: run.job, component: run.component, state: status.state },
          "CI result posted",
        );
      });
    });

    app.on("push", async (context) => {
      const { repository, ref, before, after, deleted, installation } = context.payload;
      if (deleted || ref !== `refs/heads/${repository.default_branch}`) return;
      const repoPayload = repository as unknown as RepoPayload;
      if (installation?.id) {
        scheduler.invalidate({
          owner: repoPayload.owner.login,
          repo: repository.name,
          defaultBranch: repository.default_branch,
          installationId: installation.id,
        });
      }
      const scope = {
        repo: { owner: repoPayload.owner.login, name: repository.name },
        key: `@${ref}`,
      };
      schedule(context as Context, scope, "merge", async (log) => {
        const octokit = context.octokit;
        const repo = repoOf(repoPayload);
        const loaded = await loadPolicy(octokit, repo.owner, repo.name, after);
        if (!loaded.result.ok) {
          log.warn(
            { errors: loaded.result.errors.length },
            "merge ignored: the configuration is invalid",
          );
          return;
        }
        await onMerge({
          port: new GitHubRepo(octokit, repo.owner, repo.name),
          policy: loaded.result.policy,
          repo,
          before,
          after,
          backend,
          ...(installation?.id ? { tracker: timeouts.forInstallation(installation.id) } : {}),
          log,
        });
      });
    });
  };
}

/** Two CI requests in one comment: the wider one wins. */
function mergeCiRequests(a: CiRequest | undefined, b: CiRequest): CiRequest {
  if (!a) return b;
  if (a.kind === "rerun-failed" || b.kind === "rerun-failed") return { kind: "rerun-failed" };
  if (a.kind === "push" || b.kind === "push") return { kind: "push" };
  return b;
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

/** What a parsed, permitted command does: re-verify and run CI, approve, bump, or reply. */
function commandOutcome(
  command: ParsedCommand,
  policy: Policy,
  pr: ReturnType<typeof pullRequestInfo>,
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
