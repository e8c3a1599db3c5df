import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CiDispatchError, type BackendDeps } from "../../src/ci/backend.js";
import { createBackend, dispatchRun } from "../../src/ci/dispatch.js";
import { GitHubActionsBackend, RepositoryDispatchBackend } from "../../src/ci/github-actions.js";
import { JenkinsBackend } from "../../src/ci/jenkins.js";
import { WebhookBackend } from "../../src/ci/webhook.js";
import { jobsConfigErrors } from "../../src/core/job-template-validator.js";
import { planJobs } from "../../src/core/jobs.js";
import { resolvePolicy } from "../../src/core/policy.js";
import { decodeRunId } from "../../src/core/run-id.js";
import type { Component } from "../../src/core/types.js";

const SHA = "89abcdef0123456789abcdef0123456789abcdef";
const SECRETS = { token: "jenkins-token-abcdef123456", hook: "hook-secret-abcdef123456" };

beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

describe("createBackend", () => {
  const deps: BackendDeps = {
    github: { request: async () => ({ status: 204, data: undefined }) },
    owner: "o",
    repo: "r",
    env: {},
  };
  it.each([
    {
      spec: {
        type: "github-actions",
        workflow: "ci.yml",
        ref: "main",
        return_run_details: false,
      } as const,
      kind: GitHubActionsBackend,
    },
    {
      spec: { type: "repository-dispatch", event_type: "verify" } as const,
      kind: RepositoryDispatchBackend,
    },
    {
      spec: {
        type: "jenkins",
        url: "https://j",
        job: "a",
        credentials: "J",
        crumb: false,
      } as const,
      kind: JenkinsBackend,
    },
    { spec: { type: "webhook", url: "https://h", secret: "H" } as const, kind: WebhookBackend },
  ])("makes a $spec.type backend", ({ spec, kind }) => {
    expect(createBackend(spec, deps)).toBeInstanceOf(kind);
  });
});

describe("from the policy to started runs", () => {
  const policy = (() => {
    const result = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: [
          "jobs:",
          "  templates:",
          "    verify:",
          "      on: pull_request",
          "      backend: { type: github-actions, workflow: verify.yml }",
          '      inputs: { component: "{component}", sha: "{sha}" }',
          "      overrides:",
          "        legacy:",
          "          backend: { type: jenkins, url: 'https://jenkins.example.com', job: 'legacy/{component}', credentials: JENKINS }",
          "    contract:",
          "      on: pull_request",
          "      backend: { type: webhook, url: 'https://hooks.example.com/contract', secret: HOOK }",
          '      components: ["api"]',
          "    e2e:",
          "      on: pull_request",
          "      backend: { type: repository-dispatch, event_type: 'e2e-{component}' }",
          '      components: ["services/**"]',
          "",
        ].join("\n"),
      },
    ]);
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    return result.policy;
  })();
  const components: Component[] = [
    { name: "api", path: "services/api", versionFile: "services/api/VERSION", dependsOn: [] },
    { name: "legacy", path: "legacy", versionFile: "legacy/VERSION", dependsOn: [] },
  ];
  const env = {
    MONOBOT_CI_JENKINS_USER: "bot",
    MONOBOT_CI_JENKINS_TOKEN: SECRETS.token,
    MONOBOT_CI_JENKINS_URL: "https://jenkins.example.com",
    MONOBOT_CI_HOOK_SECRET: SECRETS.hook,
    MONOBOT_CI_HOOK_URL: "https://hooks.example.com",
  };

  it("plans one run per job and component, and each backend starts its run", async () => {
    expect(jobsConfigErrors(policy)).toEqual([]);
    const { runs, skipped } = planJobs({
      policy,
      trigger: "pull_request",
      components,
      context: {
        owner: "acme",
        repo: "mono",
        sha: SHA,
        ref: "feature",
        defaultBranch: "main",
        pr: 3,
      },
    });
    expect(skipped).toEqual([]);
    expect(runs.map((r) => `${r.statusContext} ${r.backend.type}`)).toEqual([
      "ci/api/contract webhook",
      "ci/api/e2e repository-dispatch",
      "ci/api/verify github-actions",
      "ci/legacy/verify jenkins",
    ]);

    const calls: string[] = [];
    const github = {
      request: async (route: string, params: Record<string, unknown>) => {
        calls.push(`${route} ${JSON.stringify(params.workflow_id ?? params.event_type)}`);
        return { status: 204, data: undefined };
      },
    };
    const jenkins = nock("https://jenkins.example.com")
      .post("/job/legacy/job/legacy/buildWithParameters")
      .reply(201);
    const hooks = nock("https://hooks.example.com").post("/contract").reply(204);
    const results = [];
    for (const run of runs) {
      results.push(await dispatchRun(run, { github, owner: "acme", repo: "mono", env }));
    }
    expect(jenkins.isDone() && hooks.isDone()).toBe(true);
    expect(calls).toEqual([
      'POST /repos/{owner}/{repo}/dispatches "e2e-api"',
      'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches "verify.yml"',
    ]);
    expect(results.map((r) => r.description)).toEqual([
      "sent to the contract webhook",
      "sent to GitHub Actions (repository_dispatch e2e-api)",
      "started in GitHub Actions (verify.yml on main)",
      "queued in Jenkins (legacy/legacy)",
    ]);
    for (const run of runs) {
      expect(decodeRunId(run.runId)).toEqual({
        owner: "acme",
        repo: "mono",
        sha: SHA,
        component: run.component,
        job: run.job,
        pr: 3,
      });
    }
  });

  it("without the operator's credentials nothing is sent and no error shows a secret", async () => {
    const { runs } = planJobs({
      policy,
      trigger: "pull_request",
      components,
      context: {
        owner: "acme",
        repo: "mono",
        sha: SHA,
        ref: "feature",
        defaultBranch: "main",
        pr: 3,
      },
    });
    const github = { request: async () => ({ status: 204, data: undefined }) };
    const partial = {
      MONOBOT_CI_JENKINS_TOKEN: SECRETS.token,
      MONOBOT_CI_HOOK_SECRET: SECRETS.hook,
    };
    const messages: string[] = [];
    for (const run of runs.filter(
      (r) => r.backend.type === "jenkins" || r.backend.type === "webhook",
    )) {
      const error = await dispatchRun(run, {
        github,
        owner: "acme",
        repo: "mono",
        env: partial,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CiDispatchError);
      messages.push((error as Error).message);
    }
    expect(messages).toEqual([
      expect.stringMatching(/^CI job contract for api: MONOBOT_CI_HOOK_URL is not set/),
      expect.stringMatching(/^CI job verify for legacy: MONOBOT_CI_JENKINS_USER is not set/),
    ]);
    for (const m of messages) {
      expect(m).not.toContain(SECRETS.token);
      expect(m).not.toContain(SECRETS.hook);
    }
  });
});
