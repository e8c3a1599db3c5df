import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { expandPlaceholders, placeholdersIn } from "../../src/core/job-placeholders.js";
import { jobsConfigErrors } from "../../src/core/job-template-validator.js";
import { RUN_ID_INPUT } from "../../src/core/job-templates.js";
import { planJobs, scheduledJobs, type PlanInput } from "../../src/core/jobs.js";
import { parse } from "yaml";
import {
  defaultPolicyObject,
  mergePolicy,
  resolvePolicy,
  type Policy,
} from "../../src/core/policy.js";
import { decodeRunId } from "../../src/core/run-id.js";
import { scheduleKey } from "../../src/core/schedule.js";
import type { Component } from "../../src/core/types.js";

const FILE = ".github/monobot.yml";

/**
 * A policy from a repository file; the schema must accept it. Policy validation also reports
 * `jobsConfigErrors`, which these tests call directly on the merged policy.
 */
function policyFrom(text: string): Policy {
  const result = resolvePolicy([{ file: FILE, text }]);
  if (result.ok) return result.policy;
  if (result.errors.every((e) => e.key.startsWith("jobs"))) {
    return mergePolicy(defaultPolicyObject(), parse(text)) as Policy;
  }
  throw new Error(result.errors.map((e) => e.message).join("\n"));
}

function schemaErrors(text: string): string[] {
  const result = resolvePolicy([{ file: FILE, text }]);
  return result.ok ? [] : result.errors.map((e) => `${e.key}: ${e.message}`);
}

/** A policy with one job template written as YAML flow mapping lines under `templates:`. */
function withJobs(templates: string, extra = ""): Policy {
  const section = templates === "" ? "  templates: {}\n" : `  templates:\n${templates}`;
  return policyFrom(`jobs:\n${extra}${section}`);
}

const components: Component[] = [
  {
    name: "roc-api",
    path: "services/roc-api",
    versionFile: "services/roc-api/VERSION",
    image: "ghcr.io/acme/roc-api",
    dependsOn: [],
  },
  {
    name: "roc-web",
    path: "services/roc-web",
    versionFile: "services/roc-web/VERSION",
    dependsOn: [],
  },
  { name: "proto", path: "libs/proto", versionFile: "libs/proto/VERSION", dependsOn: [] },
];

const SHA = "0123456789abcdef0123456789abcdef01234567";
const context = {
  owner: "acme",
  repo: "mono",
  sha: SHA,
  ref: "feature/x",
  defaultBranch: "main",
  pr: 7,
  versions: { "roc-api": "1.4.0", "roc-web": "2.0.0-dev" },
};

describe("placeholders", () => {
  it.each([
    { text: "{component}", names: ["component"] },
    { text: "a {sha} b {sha} {api-version}", names: ["sha", "api-version"] },
    { text: "{{component}} is literal", names: [] },
    { text: '{"json": 1}', names: [] },
    { text: "{ component }", names: [] },
    { text: "{1abc}", names: [] },
  ])("finds $names in $text", ({ text, names }) => {
    expect(placeholdersIn(text)).toEqual(names);
  });

  it.each([
    { text: "{component}@{sha}", values: { component: "a", sha: "b" }, want: "a@b" },
    { text: "{{x}} {x}", values: { x: "1" }, want: "{x} 1" },
    { text: '{"k": "{x}"}', values: { x: "v" }, want: '{"k": "v"}' },
    { text: "}} {{", values: {}, want: "} {" },
  ])("expands $text", ({ text, values, want }) => {
    expect(expandPlaceholders(text, values)).toEqual({ ok: true, value: want });
  });

  it("reports placeholders without a value and encodes values on request", () => {
    expect(expandPlaceholders("{a}{b}{a}", { a: "1" })).toEqual({ ok: false, missing: ["b"] });
    expect(expandPlaceholders("{toString}", {})).toEqual({ ok: false, missing: ["toString"] });
    expect(expandPlaceholders("/x/{c}", { c: "a b/c" }, encodeURIComponent)).toEqual({
      ok: true,
      value: "/x/a%20b%2Fc",
    });
  });
});

describe("the jobs section's schema", () => {
  it("accepts the shipped defaults (no templates)", () => {
    const policy = policyFrom("");
    expect(policy.jobs).toEqual({
      variables: {},
      max_dispatch_inputs: 10,
      timeout_minutes: 120,
      templates: {},
    });
    expect(jobsConfigErrors(policy)).toEqual([]);
  });

  it("accepts the example documented in policies/default.yml", () => {
    const text = readFileSync(new URL("../../policies/default.yml", import.meta.url), "utf8");
    const start = text.indexOf("  #   templates:\n");
    const end = text.indexOf("  templates: {}");
    expect(start).toBeGreaterThan(0);
    const example = text
      .slice(start, end)
      .split("\n")
      .filter((l) => l.startsWith("  #"))
      .map((l) => `  ${l.slice(6)}`)
      .join("\n");
    const policy = policyFrom(`jobs:\n  variables: { api-version: v2 }\n${example}\n`);
    expect(Object.keys(policy.jobs.templates)).toEqual(["verify", "publish", "nightly"]);
    expect(jobsConfigErrors(policy)).toEqual([]);
  });

  it("documents every key of the jobs section", () => {
    const text = readFileSync(new URL("../../policies/default.yml", import.meta.url), "utf8");
    const section = text.slice(text.indexOf("\njobs:"), text.indexOf("\ndeploy:"));
    for (const key of [
      "variables:",
      "max_dispatch_inputs:",
      "timeout_minutes:",
      "templates:",
      "on:",
      "cron:",
      "timezone:",
      "backend:",
      "inputs:",
      "components:",
      "overrides:",
      "return_run_details",
      "event_type",
      "credentials",
      "crumb",
      "secret",
      "run-name",
    ]) {
      expect(section).toContain(key);
    }
  });

  it.each([
    {
      name: "an input that is not a string",
      yaml: "    v: { on: pull_request, backend: { type: webhook, url: 'https://x', secret: H }, inputs: { debug: true } }\n",
      error: /jobs\.templates\.v\.inputs\.debug.*must be a string/,
    },
    {
      name: "an unknown key in a job",
      yaml: "    v: { on: pull_request, backend: { type: webhook, url: 'https://x', secret: H }, input: {} }\n",
      error: /unknown key "jobs\.templates\.v\.input"/,
    },
    {
      name: "an unknown backend key",
      yaml: "    v: { on: pull_request, backend: { type: webhook, url: 'https://x', secret: H, token: abc } }\n",
      error: /unknown key "jobs\.templates\.v\.backend\.token"/,
    },
    {
      name: "an unknown backend type",
      yaml: "    v: { on: pull_request, backend: { type: gitlab } }\n",
      error: /jobs\.templates\.v\.backend\.type must be one of/,
    },
    {
      name: "an unknown trigger",
      yaml: "    v: { on: nightly, backend: { type: webhook, url: 'https://x', secret: H } }\n",
      error: /jobs\.templates\.v\.on/,
    },
    {
      name: "credentials written as a value",
      yaml: "    v: { on: pull_request, backend: { type: jenkins, url: 'https://x', job: a, credentials: 'admin:hunter2' } }\n",
      error: /must be the NAME in MONOBOT_CI_<NAME>_USER/,
    },
    {
      name: "a job name with a slash",
      yaml: "    a/b: { on: pull_request, backend: { type: webhook, url: 'https://x', secret: H } }\n",
      error: /jobs\.templates/,
    },
  ])("rejects $name", ({ yaml, error }) => {
    const errors = schemaErrors(`jobs:\n  templates:\n${yaml}`);
    expect(errors.join("\n")).toMatch(error);
  });

  it("rejects a max_dispatch_inputs above GitHub's 25", () => {
    expect(schemaErrors("jobs:\n  max_dispatch_inputs: 30\n").join("\n")).toMatch(
      /max_dispatch_inputs/,
    );
  });
});

describe("jobsConfigErrors", () => {
  const gha = "backend: { type: github-actions, workflow: ci.yml }";
  const inputs = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `in${i}: "{component}"`).join(", ")} }`;

  it.each([
    {
      name: "an unknown placeholder in an input, with the job, the key and the known ones",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { target: "{tagret}" } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "target"],
      message:
        /^jobs\.templates\.verify\.inputs\.target: unknown placeholder \{tagret\}.*known: \{component\}, \{version\}, \{sha\}/,
    },
    {
      name: "a misspelt placeholder, with a suggestion",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { c: "{componnet}" } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "c"],
      message: /did you mean \{component\}\?/,
    },
    {
      name: "an unknown placeholder in the backend",
      templates:
        "    verify: { on: pull_request, backend: { type: jenkins, url: 'https://j.example.com', job: 'f/job/{comp}', credentials: JENKINS } }\n",
      path: ["jobs", "templates", "verify", "backend", "job"],
      message: /unknown placeholder \{comp\}/,
    },
    {
      name: "a placeholder written with spaces",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { c: "x-{ component }" } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "c"],
      message:
        /"\{ component \}" is literal text; write the placeholder without spaces: \{component\}/,
    },
    {
      name: "{pr} in a job that also runs after merge",
      templates: `    verify: { on: [pull_request, postmerge], ${gha}, inputs: { pr: "{pr}" } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "pr"],
      message: /\{pr\} is only known for pull_request jobs, and this job also runs on postmerge/,
    },
    {
      name: "11 inputs with the correlation input over the default limit of 10",
      templates: `    verify: { on: pull_request, ${gha}, inputs: ${inputs(10)} }\n`,
      path: ["jobs", "templates", "verify", "inputs"],
      message:
        /11 workflow_dispatch inputs with monobot's own monobot_run_id, but jobs\.max_dispatch_inputs is 10/,
    },
    {
      name: "inputs an override adds over the limit",
      templates: `    verify: { on: pull_request, ${gha}, inputs: ${inputs(8)}, overrides: { roc-api: { inputs: { x: a, y: b } } } }\n`,
      path: ["jobs", "templates", "verify", "overrides", "roc-api", "inputs"],
      message: /11 workflow_dispatch inputs/,
    },
    {
      name: "an override switching a Jenkins job with many parameters to GitHub Actions",
      templates: `    verify: { on: pull_request, backend: { type: jenkins, url: 'https://j.example.com', job: v, credentials: J }, inputs: ${inputs(12)}, overrides: { roc-api: { backend: { type: github-actions, workflow: ci.yml } } } }\n`,
      path: ["jobs", "templates", "verify", "overrides", "roc-api", "backend"],
      message: /13 workflow_dispatch inputs/,
    },
    {
      name: "the correlation input set by hand",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { monobot_run_id: x } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "monobot_run_id"],
      message: /monobot_run_id is the input monobot adds itself/,
    },
    {
      name: "an input name GitHub does not accept",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { "my input": x } }\n`,
      path: ["jobs", "templates", "verify", "inputs", "my input"],
      message: /not a valid workflow_dispatch input name/,
    },
    {
      name: "a schedule without cron",
      templates:
        "    nightly: { on: schedule, backend: { type: webhook, url: 'https://h.example.com', secret: HOOK } }\n",
      path: ["jobs", "templates", "nightly", "on"],
      message: /needs a cron expression: add cron, e\.g\. cron: "H 2 \* \* 1-5"/,
    },
    {
      name: "cron on a pull_request job",
      templates: `    verify: { on: pull_request, cron: "H * * * *", ${gha} }\n`,
      path: ["jobs", "templates", "verify", "cron"],
      message: /only applies to jobs with on: schedule/,
    },
    {
      name: "a bad cron expression",
      templates:
        "    nightly: { on: schedule, cron: 'H(0-99) 2 * * *', backend: { type: webhook, url: 'https://h.example.com', secret: HOOK } }\n",
      path: ["jobs", "templates", "nightly", "cron"],
      message: /range within 0-59/,
    },
    {
      name: "a bad time zone",
      templates:
        "    nightly: { on: schedule, cron: 'H 2 * * *', timezone: Europe/Berln, backend: { type: webhook, url: 'https://h.example.com', secret: HOOK } }\n",
      path: ["jobs", "templates", "nightly", "timezone"],
      message: /"Europe\/Berln" is not a time zone/,
    },
    {
      name: "a Jenkins backend without credentials",
      templates:
        "    verify: { on: pull_request, backend: { type: jenkins, url: 'https://j.example.com', job: v } }\n",
      path: ["jobs", "templates", "verify", "backend", "credentials"],
      message: /is missing: a jenkins backend needs credentials, e\.g\. credentials: JENKINS/,
    },
    {
      name: "a key of another backend type",
      templates:
        "    verify: { on: pull_request, backend: { type: jenkins, url: 'https://j.example.com', job: v, credentials: J, secret: H } }\n",
      path: ["jobs", "templates", "verify", "backend", "secret"],
      message:
        /does not apply to a jenkins backend, which takes type, url, job, credentials, crumb/,
    },
    {
      name: "a password in a URL",
      templates:
        "    verify: { on: pull_request, backend: { type: webhook, url: 'https://me:pw@h.example.com', secret: HOOK } }\n",
      path: ["jobs", "templates", "verify", "backend", "url"],
      message: /must not contain a user or password/,
    },
    {
      name: "a URL that is not one",
      templates:
        "    verify: { on: pull_request, backend: { type: webhook, url: 'h.example.com/hook', secret: HOOK } }\n",
      path: ["jobs", "templates", "verify", "backend", "url"],
      message: /is not a URL/,
    },
    {
      name: "a workflow that is not a file name",
      templates:
        "    verify: { on: pull_request, backend: { type: github-actions, workflow: .github/workflows/ci.yml } }\n",
      path: ["jobs", "templates", "verify", "backend", "workflow"],
      message: /write the file name in \.github\/workflows \(e\.g\. ci\.yml\)/,
    },
    {
      name: "an event type over 100 characters",
      templates: `    verify: { on: pull_request, backend: { type: repository-dispatch, event_type: ${"e".repeat(101)} } }\n`,
      path: ["jobs", "templates", "verify", "backend", "event_type"],
      message: /GitHub accepts at most 100/,
    },
    {
      name: "an override's unknown placeholder",
      templates: `    verify: { on: pull_request, ${gha}, overrides: { roc-api: { inputs: { x: "{nope}" } } } }\n`,
      path: ["jobs", "templates", "verify", "overrides", "roc-api", "inputs", "x"],
      message: /unknown placeholder \{nope\}/,
    },
    {
      name: "an override switching type without the new type's keys",
      templates: `    verify: { on: pull_request, ${gha}, overrides: { roc-api: { backend: { type: webhook } } } }\n`,
      path: ["jobs", "templates", "verify", "overrides", "roc-api", "backend", "url"],
      message: /a webhook backend needs url/,
    },
  ])("reports $name", ({ templates, path, message }) => {
    const errors = jobsConfigErrors(withJobs(templates));
    const found = errors.find((e) => e.path.join(".") === path.join("."));
    expect(found, JSON.stringify(errors, null, 1)).toBeDefined();
    expect(found?.message).toMatch(message);
  });

  it.each([
    {
      name: "9 inputs (10 with the correlation input)",
      templates: `    verify: { on: pull_request, ${gha}, inputs: ${inputs(9)} }\n`,
      extra: "",
    },
    {
      name: "24 inputs where max_dispatch_inputs is 25",
      templates: `    verify: { on: pull_request, ${gha}, inputs: ${inputs(24)} }\n`,
      extra: "  max_dispatch_inputs: 25\n",
    },
    {
      name: "many Jenkins parameters (no GitHub limit)",
      templates: `    verify: { on: pull_request, backend: { type: jenkins, url: 'https://j.example.com/jenkins', job: 'f/job/{component}', credentials: JENKINS }, inputs: ${inputs(30)} }\n`,
      extra: "",
    },
    {
      name: "policy variables and literal braces",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { api: "{api-version}", json: '{"a": "{{literal}}"}', reg: "{registry}" } }\n`,
      extra: "  variables: { api-version: v2, registry: 'ghcr.io/{owner}' }\n",
    },
    {
      name: "{pr} in a pull_request job",
      templates: `    verify: { on: pull_request, ${gha}, inputs: { pr: "{pr}" } }\n`,
      extra: "",
    },
    {
      name: "a numeric workflow id and a templated ref",
      templates:
        "    verify: { on: postmerge, backend: { type: github-actions, workflow: '161335', ref: '{ref}' } }\n",
      extra: "",
    },
    {
      name: "a schedule with H and a time zone",
      templates:
        "    nightly: { on: schedule, cron: 'H H(0-3) * * 1-5', timezone: America/New_York, backend: { type: webhook, url: 'https://h.example.com/{component}', secret: HOOK } }\n",
      extra: "",
    },
  ])("accepts $name", ({ templates, extra }) => {
    expect(jobsConfigErrors(withJobs(templates, extra))).toEqual([]);
  });

  it("reports variables that shadow built-ins or use other variables", () => {
    const errors = jobsConfigErrors(withJobs("", "  variables: { image: x, a: '{b}', b: y }\n"));
    expect(errors.map((e) => e.path.join("."))).toEqual([
      "jobs.variables.image",
      "jobs.variables.a",
    ]);
    expect(errors[0]?.message).toMatch(/give the variable another name/);
    expect(errors[1]?.message).toMatch(/unknown placeholder \{b\}/);
  });
});

describe("planJobs", () => {
  const policy = withJobs(
    [
      "    verify:",
      "      on: pull_request",
      "      backend: { type: github-actions, workflow: ci.yml }",
      '      inputs: { component: "{component}", sha: "{sha}", api: "{api-version}", pr: "{pr}" }',
      '      components: ["roc-*"]',
      "      overrides:",
      '        roc-web: { inputs: { api: v3 }, backend: { workflow: web.yml, ref: "{ref}" } }',
      "    lint-proto:",
      "      on: [pull_request, postmerge]",
      "      backend: { type: jenkins, url: 'https://jenkins.example.com/ci', job: 'tools/job/{component} lint', credentials: JENKINS }",
      '      components: ["libs/**"]',
      "      timeout_minutes: 30",
      "    publish:",
      "      on: release",
      "      backend: { type: repository-dispatch, event_type: 'publish-{component}' }",
      '      inputs: { image: "{image}:{version}" }',
      "    nightly:",
      "      on: schedule",
      "      cron: 'H 2 * * *'",
      "      timezone: Europe/Berlin",
      "      backend: { type: webhook, url: 'https://hooks.example.com/run/{component}', secret: HOOK }",
      "",
    ].join("\n"),
    "  variables: { api-version: v2 }\n",
  );
  const plan = (over: Partial<PlanInput> = {}) =>
    planJobs({ policy, trigger: "pull_request", components, context, ...over });

  it("the policy used here is valid", () => {
    expect(jobsConfigErrors(policy)).toEqual([]);
  });

  it("plans each pull_request job for the components its globs select (names or folders)", () => {
    const { runs, skipped } = plan();
    expect(runs.map((r) => r.statusContext)).toEqual([
      "ci/proto/lint-proto",
      "ci/roc-api/verify",
      "ci/roc-web/verify",
    ]);
    expect(skipped).toEqual([]);
  });

  it("expands inputs, adds the correlation input and defaults the workflow ref to the default branch", () => {
    const run = plan().runs.find((r) => r.statusContext === "ci/roc-api/verify");
    expect(run).toMatchObject({
      job: "verify",
      component: "roc-api",
      trigger: "pull_request",
      backend: {
        type: "github-actions",
        workflow: "ci.yml",
        ref: "main",
        return_run_details: false,
      },
      inputs: { component: "roc-api", sha: SHA, api: "v2", pr: "7" },
      owner: "acme",
      repo: "mono",
      sha: SHA,
      pr: 7,
      version: "1.4.0",
      image: "ghcr.io/acme/roc-api",
      timeoutMinutes: 120,
    });
    expect(run?.inputs[RUN_ID_INPUT]).toBe(run?.runId);
    expect(Object.values(run?.inputs ?? {}).every((v) => typeof v === "string")).toBe(true);
    expect(decodeRunId(run?.runId)).toEqual({
      owner: "acme",
      repo: "mono",
      sha: SHA,
      component: "roc-api",
      job: "verify",
      pr: 7,
    });
  });

  it("applies a component's overrides over the job's inputs and backend", () => {
    const run = plan().runs.find((r) => r.component === "roc-web");
    expect(run?.backend).toEqual({
      type: "github-actions",
      workflow: "web.yml",
      ref: "feature/x",
      return_run_details: false,
    });
    expect(run?.inputs).toMatchObject({ component: "roc-web", api: "v3" });
  });

  it("percent-encodes values in URLs and keeps the Jenkins job path for the backend", () => {
    const run = plan().runs.find((r) => r.component === "proto");
    expect(run?.backend).toEqual({
      type: "jenkins",
      url: "https://jenkins.example.com/ci",
      job: "tools/job/proto lint",
      credentials: "JENKINS",
      crumb: false,
    });
    expect(run?.timeoutMinutes).toBe(30);
    const scheduled = plan({
      trigger: "schedule",
      components: [{ ...components[2]!, name: "a b" }],
    }).runs[0];
    expect(scheduled?.backend).toEqual({
      type: "webhook",
      url: "https://hooks.example.com/run/a%20b",
      secret: "HOOK",
    });
  });

  it("runs jobs listing several triggers on each of them", () => {
    const { runs } = plan({
      trigger: "postmerge",
      context: { ...context, pr: undefined, ref: "main" },
    });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/proto/lint-proto"]);
    expect(runs[0]?.pr).toBeUndefined();
    expect(decodeRunId(runs[0]?.runId)?.pr).toBeUndefined();
  });

  it("skips a component without image for a job using {image}, with the reason", () => {
    const { runs, skipped } = plan({ trigger: "release", context: { ...context, pr: undefined } });
    expect(runs.map((r) => [r.component, r.inputs.image, r.backend])).toEqual([
      [
        "roc-api",
        "ghcr.io/acme/roc-api:1.4.0",
        { type: "repository-dispatch", event_type: "publish-roc-api" },
      ],
    ]);
    expect(skipped).toEqual([
      {
        job: "publish",
        component: "roc-web",
        reason: expect.stringMatching(/component roc-web has no image/),
      },
      {
        job: "publish",
        component: "proto",
        reason: expect.stringMatching(
          /jobs\.templates\.publish\.inputs\.image uses \{image\} but component proto has no image: set components\.define\.proto\.image/,
        ),
      },
    ]);
  });

  it("skips a run whose version is unknown", () => {
    const withImage = components.map((c) => ({ ...c, image: `img/${c.name}` }));
    const { runs, skipped } = plan({
      trigger: "release",
      components: withImage,
      context: { ...context, versions: { "roc-api": "1.0.0" } },
    });
    expect(runs.map((r) => r.component)).toEqual(["roc-api"]);
    expect(skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/no version of component roc-web/),
      expect.stringMatching(/uses \{version\} but no version of component proto is known/),
    ]);
  });

  it("/test job component: one job, one component", () => {
    const { runs, skipped } = plan({ only: { job: "verify", components: ["roc-web"] } });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/roc-web/verify"]);
    expect(skipped).toEqual([]);
  });

  it("/retest component: every pull_request job of that component", () => {
    const { runs } = plan({ only: { components: ["proto"] } });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/proto/lint-proto"]);
  });

  it.each([
    {
      name: "an unknown job",
      only: { job: "verfy" },
      reason: /there is no job named verfy; the jobs are lint-proto, nightly, publish, verify/,
    },
    {
      name: "a job of another trigger",
      only: { job: "publish", components: ["roc-api"] },
      reason: /job publish runs on release, not on pull_request/,
    },
    {
      name: "a component the job does not cover",
      only: { job: "verify", components: ["proto"] },
      reason: /job verify runs only for components matching roc-\*/,
    },
    {
      name: "a component that does not exist",
      only: { job: "verify", components: ["nope"] },
      reason: /nope is not one of the components here/,
    },
  ])("explains why nothing runs for $name", ({ only, reason }) => {
    const { runs, skipped } = plan({ only });
    expect(runs).toEqual([]);
    expect(skipped.map((s) => s.reason)).toEqual([expect.stringMatching(reason)]);
  });

  it("names a component that does not exist once, whatever the number of jobs", () => {
    const { runs, skipped } = plan({ only: { components: ["nope", "proto"] } });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/proto/lint-proto"]);
    expect(skipped).toEqual([
      { job: "", component: "nope", reason: "nope is not one of the components here" },
    ]);
  });

  it("is pure: the same input gives the same plan", () => {
    expect(plan()).toEqual(plan());
  });
});

describe("scheduledJobs", () => {
  it("lists each scheduled job for each component it covers, with its hash key", () => {
    const policy = withJobs(
      "    nightly: { on: schedule, cron: 'H 2 * * *', timezone: Europe/Berlin, components: ['roc-*'], backend: { type: webhook, url: 'https://h.example.com', secret: HOOK } }\n" +
        "    weekly: { on: schedule, cron: '@weekly', backend: { type: webhook, url: 'https://h.example.com', secret: HOOK } }\n" +
        "    verify: { on: pull_request, backend: { type: github-actions, workflow: ci.yml } }\n",
    );
    expect(
      scheduledJobs(policy, components).map(
        (s) => `${s.job}/${s.component} ${s.cron} ${s.timezone}`,
      ),
    ).toEqual([
      "nightly/roc-api H 2 * * * Europe/Berlin",
      "nightly/roc-web H 2 * * * Europe/Berlin",
      "weekly/roc-api @weekly UTC",
      "weekly/roc-web @weekly UTC",
      "weekly/proto @weekly UTC",
    ]);
    expect(scheduledJobs(policy, components)[0]?.key).toBe(scheduleKey("nightly", "roc-api"));
  });
});

describe("deployed jobs: the environment in the status context, the run id and {environment}", () => {
  it("plans one run per environment's job with its own context", async () => {
    const { planJobs } = await import("../../src/core/jobs.js");
    const { decodeRunId } = await import("../../src/core/run-id.js");
    const { resolvePolicy } = await import("../../src/core/policy.js");
    const resolved = resolvePolicy([
      {
        file: ".github/monobot.yml",
        text: [
          "jobs:",
          "  templates:",
          "    api-tests:",
          "      on: deployed",
          "      backend: { type: github-actions, workflow: api-tests.yml }",
          '      inputs: { environment: "{environment}", version: "{version}" }',
          "",
        ].join("\n"),
      },
    ]);
    if (!resolved.ok) throw new Error("policy");
    const plan = planJobs({
      policy: resolved.policy,
      trigger: "deployed",
      components: [{ name: "roc-api", path: "charts/roc-api", versionFile: "", dependsOn: [] }],
      context: {
        owner: "acme",
        repo: "config",
        sha: "a".repeat(40),
        ref: "main",
        defaultBranch: "main",
        versions: { "roc-api": "1.4.0" },
        environment: "staging",
      },
    });
    expect(plan.skipped).toEqual([]);
    expect(plan.runs[0]?.statusContext).toBe("ci/roc-api/api-tests@staging");
    expect(plan.runs[0]?.inputs).toMatchObject({ environment: "staging", version: "1.4.0" });
    expect(decodeRunId(plan.runs[0]?.runId)?.environment).toBe("staging");
  });
});
