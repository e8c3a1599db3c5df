// Webhook deliveries from the sandbox: payloads built from its own state (so SHAs, numbers and installation ids
// agree with the API), signed with X-Hub-Signature-256 and POSTed to the app like GitHub does.
import { deploymentJson, deploymentStatusJson } from "./deployments.js";
import { pullKey, reviewsAndTeams } from "./rest/reviews.js";
import { createHmac, randomUUID } from "node:crypto";
import { signatureDate } from "./git-objects.js";
import type { Representer } from "./representations.js";
import type { Issue, PullRequest, Repository, SandboxState, User } from "./state.js";

export const ZERO_SHA = "0000000000000000000000000000000000000000";

/** An event ready to deliver: its name (the X-GitHub-Event header) and its payload. */
export interface WebhookEvent {
  name: string;
  payload: Record<string, unknown>;
}

export interface DeliveryOptions {
  /** Where to POST; defaults to the sandbox's configured webhook URL. */
  url?: string;
  /** A fixed X-GitHub-Delivery id (for redelivery tests); a fresh UUID otherwise. */
  deliveryId?: string;
  /** Sign with this secret instead of the app's (to test rejection). */
  secret?: string;
  /** Send this X-Hub-Signature-256 value as is (to test rejection). */
  signature?: string;
  /** Send this exact body instead of the serialized payload (to test malformed payloads). */
  rawBody?: string;
  /** Give up waiting for the answer after this long (default 30 s). */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** Record the delivery as made at this time (default: the sandbox's clock), e.g. four days ago. */
  deliveredAt?: Date;
  /** Record it as a redelivery (default: when `deliveryId` is a guid delivered before). */
  redelivery?: boolean;
}

export interface Delivery {
  id: string;
  event: string;
  action: string | undefined;
  url: string;
  /** HTTP status of the app's answer (0 when the connection failed). */
  status: number;
  /** The app's answer body. */
  response: string;
  durationMs: number;
  /** The exact body sent and its X-Hub-Signature-256. */
  body: string;
  signature: string;
  error?: string;
  /** When it was made (ISO 8601, whole seconds). */
  deliveredAt: string;
  /** Whether it sent an earlier delivery's guid again. */
  redelivery: boolean;
  /**
   * Its id in the App webhook's delivery log (`GET /app/hook/deliveries`); absent for deliveries
   * signed with another secret or a given signature, which GitHub would never have sent.
   */
  hookDeliveryId?: number;
}

function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** POSTs an event with GitHub's headers and signature; never throws for HTTP-level failures. */
export async function deliverEvent(
  event: WebhookEvent,
  options: DeliveryOptions & { url: string; secret: string; appId: number },
): Promise<Delivery> {
  const id = options.deliveryId ?? randomUUID();
  const body = options.rawBody ?? JSON.stringify(event.payload);
  const signature = options.signature ?? signBody(options.secret, body);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "GitHub-Hookshot/sandbox",
    "x-github-event": event.name,
    "x-github-delivery": id,
    "x-github-hook-id": "1",
    "x-github-hook-installation-target-type": "integration",
    "x-github-hook-installation-target-id": String(options.appId),
    "x-hub-signature": `sha1=${createHmac("sha1", options.secret).update(body).digest("hex")}`,
    "x-hub-signature-256": signature,
    ...(options.headers ?? {}),
  };
  const started = performance.now();
  const action = typeof event.payload.action === "string" ? event.payload.action : undefined;
  const deliveredAt = isoSeconds(options.deliveredAt ?? new Date());
  const redelivery = options.redelivery ?? false;
  try {
    const res = await fetch(options.url, {
      method: "POST",
      headers,
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const response = await res.text();
    return {
      id,
      event: event.name,
      action,
      url: options.url,
      status: res.status,
      response,
      durationMs: performance.now() - started,
      body,
      signature,
      deliveredAt,
      redelivery,
    };
  } catch (err) {
    return {
      id,
      event: event.name,
      action,
      url: options.url,
      status: 0,
      response: "",
      durationMs: performance.now() - started,
      body,
      signature,
      deliveredAt,
      redelivery,
      error: err instanceof Error ? err.message : String(err),
    };
  }
}

type Pull = Issue & { pull: PullRequest };

/** Builds webhook payloads from the sandbox's state. Repositories are named `owner/name`. */
export class EventBuilder {
  constructor(
    private readonly state: SandboxState,
    private readonly view: () => Representer,
  ) {}

  private repo(fullName: string): Repository {
    return this.state.requireRepo(fullName);
  }

  private sender(login: string | undefined, fallback: User): User {
    return login ? this.state.requireUser(login) : fallback;
  }

  /** The fields every payload carries: repository, installation, sender (and organization for org repos). */
  private common(repo: Repository, sender: User): Record<string, unknown> {
    const v = this.view();
    const out: Record<string, unknown> = {
      repository: v.repo(repo),
      sender: v.user(sender),
    };
    if (repo.installationId !== undefined)
      out.installation = {
        id: repo.installationId,
        node_id: Buffer.from(`023:Integration::Installation${repo.installationId}`).toString(
          "base64",
        ),
      };
    if (repo.owner.type === "Organization") {
      const u = v.user(repo.owner);
      out.organization = {
        login: repo.owner.login,
        id: repo.owner.id,
        node_id: u.node_id,
        url: v.urls.apiUrl(`/orgs/${repo.owner.login}`),
        repos_url: v.urls.apiUrl(`/orgs/${repo.owner.login}/repos`),
        avatar_url: u.avatar_url,
        description: null,
      };
    }
    return out;
  }

  private pullOf(repo: Repository, number: number): Pull {
    const issue = this.state.pull(repo, number);
    if (!issue) throw new Error(`no pull request #${number} in ${this.state.fullName(repo)}`);
    return issue as Pull;
  }

  /**
   * `pull_request` with an action such as opened, synchronize (before = the head before the last push
   * unless given), reopened, ready_for_review, converted_to_draft, edited, closed (merged or not), labeled.
   */
  pullRequest(input: {
    repo: string;
    number: number;
    action: string;
    sender?: string;
    before?: string;
    after?: string;
    label?: string;
    changes?: Record<string, unknown>;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const issue = this.pullOf(repo, input.number);
    const payload: Record<string, unknown> = {
      action: input.action,
      number: issue.number,
      pull_request: this.view().pull(issue, { full: true }),
      ...this.common(repo, this.sender(input.sender, issue.user)),
    };
    if (input.action === "synchronize") {
      payload.before = input.before ?? issue.pull.previousHeadSha ?? issue.pull.baseSha;
      payload.after = input.after ?? issue.pull.headSha;
    }
    if (input.action === "edited") payload.changes = input.changes ?? {};
    if (input.label) {
      const l = repo.labels.get(input.label.toLowerCase());
      payload.label = l
        ? this.view().label(repo, l)
        : { name: input.label, color: "ededed", default: false, description: null };
    }
    return { name: "pull_request", payload };
  }

  /** `pull_request_review` for a review made with the driver (`submitted`, `edited`, `dismissed`). */
  pullRequestReview(input: {
    repo: string;
    number: number;
    reviewId: number;
    action?: "submitted" | "edited" | "dismissed";
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const issue = this.pullOf(repo, input.number);
    const list = reviewsAndTeams(this.state).reviews.get(pullKey(repo, input.number)) ?? [];
    const review = list.find((r) => r.id === input.reviewId);
    if (!review) throw new Error(`no review ${input.reviewId} on ${input.repo}#${input.number}`);
    const v = this.view();
    const html = v.urls.html(
      `/${repo.owner.login}/${repo.name}/pull/${input.number}#pullrequestreview-${review.id}`,
    );
    return {
      name: "pull_request_review",
      payload: {
        action: input.action ?? "submitted",
        review: {
          id: review.id,
          node_id: Buffer.from(`PullRequestReview:${review.id}`).toString("base64"),
          user: v.user(review.user),
          body: review.body || null,
          commit_id: review.commitId,
          submitted_at: review.submittedAt,
          state: review.state.toLowerCase(),
          html_url: html,
          pull_request_url: v.urls.apiUrl(
            `/repos/${repo.owner.login}/${repo.name}/pulls/${input.number}`,
          ),
          author_association: this.state.associationOf(repo, review.user),
          _links: { html: { href: html }, pull_request: { href: html } },
        },
        pull_request: v.pull(issue, { full: true }),
        ...this.common(repo, review.user),
      },
    };
  }

  /** `issues` for an issue (not a pull request): opened, edited (with `changes`), closed, reopened. */
  issues(input: {
    repo: string;
    number: number;
    action: "opened" | "edited" | "closed" | "reopened";
    sender?: string;
    changes?: { body?: { from: string }; title?: { from: string } };
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const issue = repo.issues.get(input.number);
    if (!issue || issue.pull) throw new Error(`no issue #${input.number} in ${input.repo}`);
    const payload: Record<string, unknown> = {
      action: input.action,
      issue: this.view().issue(issue),
      ...this.common(repo, this.sender(input.sender, issue.user)),
    };
    if (input.action === "edited") payload.changes = input.changes ?? {};
    return { name: "issues", payload };
  }

  /** `issue_comment` for a comment made with the driver (or through the API); PR comments carry `issue.pull_request`. */
  issueComment(input: {
    repo: string;
    commentId: number;
    action?: "created" | "edited" | "deleted";
    sender?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const comment = this.state.comments.get(input.commentId);
    if (!comment || comment.repo !== repo)
      throw new Error(`no comment ${input.commentId} in ${input.repo}`);
    const issue = repo.issues.get(comment.issueNumber) as Issue;
    const action = input.action ?? "created";
    const payload: Record<string, unknown> = {
      action,
      issue: this.view().issue(issue),
      comment: this.view().comment(comment),
      ...this.common(repo, this.sender(input.sender, comment.user)),
    };
    if (action === "edited") payload.changes = { body: { from: comment.body } };
    return { name: "issue_comment", payload };
  }

  /** `check_run` (default action rerequested, as the Checks tab's "Re-run" sends it). */
  checkRun(input: {
    repo: string;
    checkRunId: number;
    action?: "rerequested" | "requested_action" | "created" | "completed";
    sender?: string;
    requestedAction?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const run = this.state.checkRuns.get(input.checkRunId);
    if (!run || run.repo !== repo)
      throw new Error(`no check run ${input.checkRunId} in ${input.repo}`);
    const suite = this.state.checkSuites.get(run.suiteId);
    const v = this.view();
    const payload: Record<string, unknown> = {
      action: input.action ?? "rerequested",
      check_run: {
        ...v.checkRun(run),
        check_suite: suite ? v.checkSuite(suite, { withRepository: false }) : { id: run.suiteId },
      },
      ...this.common(repo, this.sender(input.sender, repo.owner)),
    };
    if (input.requestedAction) payload.requested_action = { identifier: input.requestedAction };
    return { name: "check_run", payload };
  }

  /** `check_suite` (default action rerequested). */
  checkSuite(input: {
    repo: string;
    checkSuiteId: number;
    action?: "rerequested" | "requested" | "completed";
    sender?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const suite = this.state.checkSuites.get(input.checkSuiteId);
    if (!suite || suite.repo !== repo)
      throw new Error(`no check suite ${input.checkSuiteId} in ${input.repo}`);
    return {
      name: "check_suite",
      payload: {
        action: input.action ?? "rerequested",
        check_suite: this.view().checkSuite(suite, { withRepository: false }),
        ...this.common(repo, this.sender(input.sender, repo.owner)),
      },
    };
  }

  /**
   * `push` of `ref` from `before` to `after` (default: the ref's current tip; before defaults to the tip's
   * first parent). Lists up to 20 commits with their added/removed/modified paths, as GitHub does.
   */
  push(input: {
    repo: string;
    ref: string;
    before?: string;
    after?: string;
    sender?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const ref = input.ref.startsWith("refs/") ? input.ref : `refs/heads/${input.ref}`;
    const after = input.after ?? repo.refs.get(ref) ?? ZERO_SHA;
    const store = this.state.store;
    const afterCommit = after === ZERO_SHA ? undefined : store.peel(after);
    const before =
      input.before ??
      (afterCommit ? (store.commit(afterCommit)?.parents[0] ?? ZERO_SHA) : ZERO_SHA);
    const v = this.view();
    const full = `${repo.owner.login}/${repo.name}`;
    let commitShas: string[] = [];
    if (afterCommit && store.commit(afterCommit)) {
      if (before !== ZERO_SHA) commitShas = store.commitsBetween(before, afterCommit);
      else {
        const defaultTip = this.state.branchSha(repo, repo.defaultBranch);
        commitShas =
          defaultTip && defaultTip !== afterCommit
            ? store.commitsBetween(defaultTip, afterCommit)
            : [afterCommit];
      }
    }
    const commitJson = (sha: string): Record<string, unknown> => {
      const c = store.commit(sha);
      if (!c) return { id: sha };
      const parent = c.parents[0];
      const files = this.state.changedFiles(parent, sha);
      const author = this.state.userByEmail(c.author.email);
      const committer = this.state.userByEmail(c.committer.email);
      return {
        id: sha,
        tree_id: c.tree,
        distinct: true,
        message: c.message.replace(/\n$/, ""),
        timestamp: signatureDate(c.committer),
        url: v.urls.html(`/${full}/commit/${sha}`),
        author: {
          name: c.author.name,
          email: c.author.email,
          ...(author ? { username: author.login } : {}),
        },
        committer: {
          name: c.committer.name,
          email: c.committer.email,
          ...(committer ? { username: committer.login } : {}),
        },
        added: files.filter((f) => f.status === "added").map((f) => f.path),
        removed: files.filter((f) => f.status === "removed").map((f) => f.path),
        modified: files
          .filter(
            (f) => f.status === "modified" || f.status === "renamed" || f.status === "changed",
          )
          .map((f) => f.path),
      };
    };
    const sender = this.sender(input.sender, repo.owner);
    const common = this.common(repo, sender);
    const pushRepo = { ...(common.repository as Record<string, unknown>) };
    // Push payloads use Unix times and an owner with name/email, unlike the other events.
    pushRepo.created_at = Math.floor(Date.parse(repo.createdAt) / 1000);
    pushRepo.pushed_at = Math.floor(Date.parse(repo.pushedAt) / 1000);
    pushRepo.owner = { ...v.user(repo.owner), name: repo.owner.login, email: repo.owner.email };
    pushRepo.master_branch = repo.defaultBranch;
    pushRepo.stargazers = 0;
    const commits = commitShas.slice(-20).map(commitJson);
    return {
      name: "push",
      payload: {
        ref,
        before,
        after,
        ...common,
        repository: pushRepo,
        pusher: { name: sender.login, email: sender.email },
        created: before === ZERO_SHA,
        deleted: after === ZERO_SHA,
        forced:
          before !== ZERO_SHA &&
          afterCommit !== undefined &&
          !store.isAncestor(before, afterCommit),
        base_ref: null,
        compare: v.urls.html(`/${full}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`),
        commits,
        head_commit: afterCommit && store.commit(afterCommit) ? commitJson(afterCommit) : null,
      },
    };
  }

  /** `workflow_run` for a run the sandbox recorded from a dispatch (complete it first for `completed`). */
  workflowRun(input: {
    repo: string;
    runId: number;
    action?: "completed" | "requested" | "in_progress";
    sender?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    const run = this.state.workflowRuns.get(input.runId);
    if (!run || run.repo !== repo)
      throw new Error(`no workflow run ${input.runId} in ${input.repo}`);
    const v = this.view();
    return {
      name: "workflow_run",
      payload: {
        action: input.action ?? "completed",
        workflow_run: v.workflowRun(run),
        workflow: v.workflow(repo, run.workflowId, run.workflowPath, run.name),
        ...this.common(repo, this.sender(input.sender, run.actor)),
      },
    };
  }

  /** `deployment_status` (action `created`) for a deployment's latest status, as GitHub sends it. */
  deploymentStatus(input: { repo: string; deploymentId: number; sender?: string }): WebhookEvent {
    const repo = this.repo(input.repo);
    const d = repo.deployments.find((x) => x.id === input.deploymentId);
    const status = d?.statuses.at(-1);
    if (!d || !status)
      throw new Error(`no deployment ${input.deploymentId} with a status in ${input.repo}`);
    const v = this.view();
    return {
      name: "deployment_status",
      payload: {
        action: "created",
        deployment_status: deploymentStatusJson(v, repo, d, status),
        deployment: deploymentJson(v, repo, d),
        ...this.common(repo, this.sender(input.sender, status.creator)),
      },
    };
  }

  /** `repository_dispatch` as GitHub sends it to apps after `POST /repos/{o}/{r}/dispatches`. */
  repositoryDispatch(input: {
    repo: string;
    eventType: string;
    clientPayload?: Record<string, unknown>;
    sender?: string;
  }): WebhookEvent {
    const repo = this.repo(input.repo);
    return {
      name: "repository_dispatch",
      payload: {
        action: input.eventType,
        branch: repo.defaultBranch,
        client_payload: input.clientPayload ?? {},
        ...this.common(repo, this.sender(input.sender, repo.owner)),
      },
    };
  }
}
