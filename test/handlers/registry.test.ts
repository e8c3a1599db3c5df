import { describe, expect, it } from "vitest";
import { encodeRunId } from "../../src/core/run-id.js";
import type { Services } from "../../src/handlers/handler.js";
import { handlers } from "../../src/handlers/index.js";
import { prComment } from "../helpers/github-nock.js";
import { examplePayload } from "../helpers/payloads.js";
import { makeProbot } from "../helpers/probot.js";

const SHA = "e".repeat(40);

/** One real webhook payload per event a handler takes, as GitHub sends it. */
function eventsFor(): { name: string; payload: Record<string, unknown> }[] {
  const pr = examplePayload("pull_request", "opened");
  const comment = prComment("/retest api\nrecheck", "MEMBER");
  const suite = examplePayload<{ check_suite: { pull_requests: { number: number }[] } }>(
    "check_suite",
    "rerequested",
  );
  suite.check_suite.pull_requests = [{ number: 1 }, { number: 2 }];
  const run = examplePayload<{
    workflow_run: Record<string, unknown> & {
      repository: { full_name: string };
      head_repository: { full_name: string };
    };
    repository: { name: string; owner: { login: string }; full_name: string };
  }>("workflow_run", "completed");
  run.workflow_run.repository.full_name = run.repository.full_name;
  run.workflow_run.head_repository.full_name = run.repository.full_name;
  run.workflow_run.event = "workflow_dispatch";
  run.workflow_run.display_title = `verify api ${encodeRunId({
    owner: run.repository.owner.login,
    repo: run.repository.name,
    sha: SHA,
    component: "api",
    job: "verify",
  })}`;
  const push = examplePayload<{
    ref: string;
    deleted: boolean;
    repository: { default_branch: string };
  }>("push");
  push.deleted = false;
  push.ref = `refs/heads/${push.repository.default_branch}`;
  // `/sync-secrets` on an issue (not a pull request): only the secrets-sync handler takes it.
  const onIssue = prComment("/sync-secrets", "MEMBER") as { issue: { pull_request?: unknown } };
  delete onIssue.issue.pull_request;
  return [
    { name: "pull_request", payload: pr },
    { name: "issue_comment", payload: comment },
    { name: "check_suite", payload: suite },
    { name: "workflow_run", payload: run },
    { name: "push", payload: push },
    { name: "issue_comment", payload: onIssue as Record<string, unknown> },
  ];
}

describe("the handler registry", () => {
  it("names each handler once (journaled jobs find their handler by name)", () => {
    const names = handlers.map((h) => h.name);
    expect(new Set(names).size).toBe(names.length);
    for (const h of handlers) expect(h.events.length).toBeGreaterThan(0);
  });

  it("every handler plans plain data: each job spec round-trips through JSON unchanged", async () => {
    const { services } = await makeProbot();
    const planned: string[] = [];
    for (const event of eventsFor()) {
      for (const handler of handlers) {
        if (!handler.events.some((e) => e === event.name || e.startsWith(`${event.name}.`)))
          continue;
        const drafts = handler.plan(
          { id: `d-${event.name}`, name: event.name, payload: event.payload },
          services as Services,
        );
        for (const d of drafts) {
          expect(JSON.parse(JSON.stringify(d))).toEqual(d);
          expect(d.key).toMatch(/^[^/\s]+\/[^#@\s]+[#@]/);
          planned.push(`${handler.name}:${d.deliveryId ?? `d-${event.name}`}`);
        }
      }
    }
    expect(planned).toEqual([
      "pull-request:d-pull_request",
      "deploy-gate:d-pull_request:deploy-gate",
      "access:d-pull_request:access",
      "comment:d-issue_comment",
      "access:d-issue_comment:access",
      "check-rerun:d-check_suite#1",
      "check-rerun:d-check_suite#2",
      "deploy-gate:d-check_suite#1:deploy-gate",
      "deploy-gate:d-check_suite#2:deploy-gate",
      "access:d-check_suite#1:access",
      "access:d-check_suite#2:access",
      "ci-result:d-workflow_run",
      "push:d-push",
      "secrets-sync:d-push.secrets",
      "deploy:d-push/deploy-scan",
      "secrets-sync:d-issue_comment.secrets",
    ]);
  });
});
