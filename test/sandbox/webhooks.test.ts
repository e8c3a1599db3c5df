// Webhook deliveries: signed like GitHub's (verifiable by @octokit/webhooks and Probot), payloads that agree with state.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhooks } from "@octokit/webhooks";
import { Probot, createNodeMiddleware } from "probot";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { installationOctokit, standardSandbox } from "./helpers.js";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- webhook payloads are JSON read field by field in assertions
type Payload = Record<string, any>;

describe("webhook deliveries", () => {
  let sandbox: Sandbox;
  let repo: string;
  let installationId: number;
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  const payload = (): Payload => JSON.parse(received.at(-1)?.body ?? "{}") as Payload;

  beforeAll(async () => {
    ({ sandbox, repo, installationId } = await standardSandbox());
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(202, { "content-type": "text/plain" });
        res.end("accepted");
      });
    });
    receiverUrl = await listen(receiver);
    sandbox.webhookUrl = `${receiverUrl}/api/github/webhooks`;
  });
  afterAll(async () => {
    await sandbox.stop();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  });
  beforeEach(() => {
    received.length = 0;
  });

  it("signs the exact body with X-Hub-Signature-256, verifiable by @octokit/webhooks", async () => {
    sandbox.pushCommit(repo, {
      branch: "feat",
      files: { "services/api/VERSION": "2.0.0\n" },
      author: "alice",
    });
    const pr = sandbox.openPullRequest(repo, { head: "feat", user: "alice" });
    const delivery = await sandbox.deliver(
      sandbox.events.pullRequest({ repo, number: pr.number, action: "opened" }),
    );
    expect(delivery.status).toBe(202);
    expect(delivery.response).toBe("accepted");
    const [got] = received;
    expect(got?.headers["x-github-event"]).toBe("pull_request");
    expect(got?.headers["x-github-delivery"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(got?.headers["content-type"]).toBe("application/json");
    const webhooks = new Webhooks({ secret: sandbox.webhookSecret });
    expect(
      await webhooks.verify(got?.body ?? "", String(got?.headers["x-hub-signature-256"])),
    ).toBe(true);
    expect(
      await new Webhooks({ secret: "other" }).verify(
        got?.body ?? "",
        String(got?.headers["x-hub-signature-256"]),
      ),
    ).toBe(false);
  });

  it("builds pull_request payloads from state: SHAs, number, installation, repository, sender", async () => {
    const pr = sandbox.pullInfoOf(repo, 1);
    await sandbox.deliver(sandbox.events.pullRequest({ repo, number: 1, action: "opened" }));
    const p = payload();
    expect(p.action).toBe("opened");
    expect(p.number).toBe(1);
    expect(p.pull_request.head.sha).toBe(pr.headSha);
    expect(p.pull_request.base.sha).toBe(pr.baseSha);
    expect(p.pull_request.author_association).toBe("MEMBER");
    expect(p.installation.id).toBe(installationId);
    expect(p.repository).toMatchObject({
      full_name: "acme/mono",
      name: "mono",
      owner: { login: "acme" },
      default_branch: "main",
      private: false,
      html_url: `${sandbox.url}/acme/mono`,
    });
    expect(p.repository.id).toBe(sandbox.repo(repo).id);
    expect(p.organization.login).toBe("acme");
    expect(p.sender.login).toBe("alice");
  });

  it("sends synchronize with before/after from the push, and a fixed delivery id when asked", async () => {
    const before = sandbox.pullInfoOf(repo, 1).headSha;
    const { sha } = sandbox.pushCommit(repo, {
      branch: "feat",
      files: { "services/api/VERSION": "2.0.1\n" },
    });
    const delivery = await sandbox.deliver(
      sandbox.events.pullRequest({ repo, number: 1, action: "synchronize" }),
      {
        deliveryId: "11111111-2222-3333-4444-555555555555",
      },
    );
    expect(delivery.id).toBe("11111111-2222-3333-4444-555555555555");
    expect(received[0]?.headers["x-github-delivery"]).toBe("11111111-2222-3333-4444-555555555555");
    expect(payload()).toMatchObject({ before, after: sha, pull_request: { head: { sha } } });
  });

  it("sends issue_comment with issue.pull_request for PR comments and the commenter's association", async () => {
    const { id } = sandbox.comment(repo, 1, { user: "mallory", body: "recheck" });
    await sandbox.deliver(sandbox.events.issueComment({ repo, commentId: id }));
    const p = payload();
    expect(received[0]?.headers["x-github-event"]).toBe("issue_comment");
    expect(p.action).toBe("created");
    expect(p.issue.number).toBe(1);
    expect(p.issue.pull_request.url).toBe(`${sandbox.apiBaseUrl}/repos/acme/mono/pulls/1`);
    expect(p.comment).toMatchObject({
      id,
      body: "recheck",
      author_association: "NONE",
      user: { login: "mallory" },
    });
    expect(p.sender.login).toBe("mallory");
    const issue = sandbox.createIssue(repo, { user: "alice", title: "plain issue" });
    const c2 = sandbox.comment(repo, issue, { user: "alice", body: "/help" });
    await sandbox.deliver(sandbox.events.issueComment({ repo, commentId: c2.id }));
    expect(payload().issue.pull_request).toBeUndefined();
  });

  it("sends check_run and check_suite rerequested for a run the app made", async () => {
    const octokit = await installationOctokit(sandbox, installationId);
    const head = sandbox.pullInfoOf(repo, 1).headSha;
    const { data: run } = await octokit.rest.checks.create({
      owner: "acme",
      repo: "mono",
      name: "monobot/lint",
      head_sha: head,
      conclusion: "failure",
    });
    await sandbox.deliver(sandbox.events.checkRun({ repo, checkRunId: run.id, sender: "alice" }));
    expect(payload()).toMatchObject({
      action: "rerequested",
      check_run: {
        id: run.id,
        head_sha: head,
        name: "monobot/lint",
        check_suite: { id: run.check_suite?.id, head_sha: head },
      },
      sender: { login: "alice" },
    });
    expect(payload().check_run.pull_requests[0].number).toBe(1);
    await sandbox.deliver(
      sandbox.events.checkSuite({ repo, checkSuiteId: run.check_suite?.id as number }),
    );
    expect(payload()).toMatchObject({
      action: "rerequested",
      check_suite: { id: run.check_suite?.id, head_sha: head },
    });
  });

  it("sends closed with merged after a merge, and the push to the default branch", async () => {
    const before = sandbox.branchSha(repo, "main") as string;
    const mergeSha = sandbox.mergePullRequest(repo, 1, { user: "alice" });
    await sandbox.deliver(sandbox.events.pullRequest({ repo, number: 1, action: "closed" }));
    expect(payload().pull_request).toMatchObject({
      state: "closed",
      merged: true,
      merge_commit_sha: mergeSha,
    });
    await sandbox.deliver(sandbox.events.push({ repo, ref: "main", before, sender: "alice" }));
    const p = payload();
    expect(received.at(-1)?.headers["x-github-event"]).toBe("push");
    expect(p).toMatchObject({
      ref: "refs/heads/main",
      before,
      after: mergeSha,
      created: false,
      deleted: false,
      forced: false,
    });
    expect(p.head_commit.id).toBe(mergeSha);
    expect(p.commits.map((c: { id: string }) => c.id)).toContain(mergeSha);
    const versionCommit = p.commits.find((c: { modified: string[] }) =>
      c.modified.includes("services/api/VERSION"),
    );
    expect(versionCommit).toBeDefined();
    expect(p.installation.id).toBe(installationId);
  });

  it("sends workflow_run completed for a dispatched run", async () => {
    const octokit = await installationOctokit(sandbox, installationId);
    await octokit.rest.actions.createWorkflowDispatch({
      owner: "acme",
      repo: "mono",
      workflow_id: "verify.yml",
      ref: "main",
      inputs: { component: "api" },
    });
    const [dispatch] = sandbox.workflowDispatches(repo);
    sandbox.completeWorkflowRun(dispatch?.runId as number, "success");
    await sandbox.deliver(sandbox.events.workflowRun({ repo, runId: dispatch?.runId as number }));
    expect(payload()).toMatchObject({
      action: "completed",
      workflow_run: {
        id: dispatch?.runId,
        status: "completed",
        conclusion: "success",
        head_sha: sandbox.branchSha(repo, "main"),
        path: ".github/workflows/verify.yml",
        event: "workflow_dispatch",
      },
      workflow: { path: ".github/workflows/verify.yml", name: "verify" },
      installation: { id: installationId },
    });
  });

  describe("into a Probot app", () => {
    let server: Server;
    const seen: string[] = [];

    beforeAll(async () => {
      const probot = new Probot({
        appId: sandbox.appId,
        privateKey: sandbox.privateKeyPem,
        secret: sandbox.webhookSecret,
        baseUrl: sandbox.apiBaseUrl,
        logLevel: "fatal",
      });
      const middleware = await createNodeMiddleware(
        (app) => {
          app.on("pull_request.opened", async (context) => {
            seen.push(`${context.name}.${context.payload.action}#${context.id}`);
            await context.octokit.rest.checks.create(
              context.repo({
                name: "monobot/app-test",
                head_sha: context.payload.pull_request.head.sha,
                conclusion: "success",
              }),
            );
          });
        },
        { probot, webhooksPath: "/api/github/webhooks" },
      );
      server = createServer((req, res) => {
        void middleware(req, res, () => {
          res.writeHead(404);
          res.end();
        });
      });
      sandbox.webhookUrl = `${await listen(server)}/api/github/webhooks`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it("is accepted by Probot, whose handler then calls the sandbox as the installation", async () => {
      const { sha } = sandbox.pushCommit(repo, {
        branch: "probot",
        files: { "p.txt": "p\n" },
        author: "alice",
      });
      const pr = sandbox.openPullRequest(repo, { head: "probot", user: "alice" });
      const delivery = await sandbox.deliver(
        sandbox.events.pullRequest({ repo, number: pr.number, action: "opened" }),
      );
      expect(delivery.status).toBe(200);
      expect(seen).toEqual([`pull_request.opened#${delivery.id}`]);
      expect(sandbox.checkRuns(repo, sha).map((r) => [r.name, r.conclusion])).toEqual([
        ["monobot/app-test", "success"],
      ]);
      expect(sandbox.violations()).toEqual([]);
    });

    it("is refused by Probot with a bad signature, and nothing runs", async () => {
      const before = seen.length;
      const delivery = await sandbox.deliver(
        sandbox.events.pullRequest({ repo, number: 1, action: "opened" }),
        {
          secret: "not-the-secret",
        },
      );
      expect(delivery.status).toBeGreaterThanOrEqual(400);
      expect(delivery.status).toBeLessThan(500);
      expect(seen.length).toBe(before);
    });
  });
});
