// Repository-level path-glob jobs and chart_release jobs (the config repo's platform jobs).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { jobsConfigErrors } from "../../src/core/job-template-validator.js";
import type { JobTrigger } from "../../src/core/job-templates.js";
import {
  hasPublishJob,
  planJobs,
  scheduledJobs,
  type ChartRelease,
  type PlanInput,
} from "../../src/core/jobs.js";
import {
  defaultPolicyObject,
  mergePolicy,
  resolvePolicy,
  type Policy,
} from "../../src/core/policy.js";
import { decodeRunId } from "../../src/core/run-id.js";
import type { Component } from "../../src/core/types.js";

const FILE = ".github/monobot.yml";

function policyFrom(text: string): Policy {
  const result = resolvePolicy([{ file: FILE, text }]);
  if (result.ok) return result.policy;
  if (result.errors.every((e) => e.key.startsWith("jobs"))) {
    return mergePolicy(defaultPolicyObject(), parse(text)) as Policy;
  }
  throw new Error(result.errors.map((e) => e.message).join("\n"));
}

function withJobs(templates: string): Policy {
  return policyFrom(`jobs:\n  templates:\n${templates}`);
}

const SHA = "0123456789abcdef0123456789abcdef01234567";
const context = {
  owner: "acme",
  repo: "aether-config",
  sha: SHA,
  ref: "main",
  defaultBranch: "main",
};

const gha = (workflow: string) => `backend: { type: github-actions, workflow: ${workflow} }`;

const platform = withJobs(
  [
    `    terraform-plan: { on: pull_request, paths: ["infra/**"], ${gha("terraform.yml")}, inputs: { command: plan, pr: "{pr}", sha: "{sha}" } }`,
    `    terraform-apply: { on: postmerge, paths: ["infra/**", "modules/*.tf"], ${gha("terraform.yml")}, inputs: { command: apply, repo: "{component}" } }`,
    `    chart-publish: { on: chart_release, paths: ["charts/**"], ${gha("chart-release.yml")}, inputs: { chart: "{chart}", name: "{chart_name}", version: "{chart_version}" } }`,
    `    lint-all: { on: [pull_request, postmerge], paths: ["**/*.yaml", "**/*.yml"], ${gha("lint.yml")} }`,
    `    verify: { on: pull_request, ${gha("ci.yml")}, inputs: { component: "{component}" } }`,
    "",
  ].join("\n"),
);

const ROC_API: ChartRelease = { folder: "charts/roc-api", name: "roc-api", version: "0.4.2" };
const AETHER: ChartRelease = { folder: "charts/aether", name: "aether", version: "1.4.1" };
const ROOT: ChartRelease = { folder: "", name: "platform", version: "2.0.1" };

describe("path-glob and chart_release jobs: configuration", () => {
  it("the platform jobs used here are valid", () => {
    expect(jobsConfigErrors(platform)).toEqual([]);
  });

  it.each([
    {
      name: "paths on a release job",
      templates: `    p: { on: release, paths: ["infra/**"], ${gha("p.yml")} }\n`,
      path: "jobs.templates.p.paths",
      message: /runs on pull_request, postmerge, chart_release, not on release/,
    },
    {
      name: "paths on a scheduled job",
      templates: `    p: { on: [postmerge, schedule], cron: "H 2 * * *", paths: ["infra/**"], ${gha("p.yml")} }\n`,
      path: "jobs.templates.p.paths",
      message: /not on schedule .*remove paths or schedule from on/,
    },
    {
      name: "components beside paths on a repository job",
      templates: `    p: { on: pull_request, paths: ["infra/**"], components: ["x"], ${gha("p.yml")} }\n`,
      path: "jobs.templates.p.components",
      message: /runs once for the repository on pull_request, so components does not apply/,
    },
    {
      name: "{chart_version} on a postmerge job",
      templates: `    p: { on: [postmerge, chart_release], ${gha("p.yml")}, inputs: { v: "{chart_version}" } }\n`,
      path: "jobs.templates.p.inputs.v",
      message:
        /\{chart_version\} is only known for chart_release jobs, and this job also runs on postmerge/,
    },
    {
      name: "{pr} on a chart_release job",
      templates: `    p: { on: [pull_request, chart_release], ${gha("p.yml")}, inputs: { v: "{pr}" } }\n`,
      path: "jobs.templates.p.inputs.v",
      message:
        /\{pr\} is only known for pull_request jobs, and this job also runs on chart_release/,
    },
  ])("rejects $name", ({ templates, path, message }) => {
    const errors = jobsConfigErrors(withJobs(templates));
    expect(errors.map((e) => e.path.join("."))).toContain(path);
    expect(errors.map((e) => e.message).join("\n")).toMatch(message);
  });

  it.each([
    { name: "components on a chart_release job", yaml: `components: ["roc-*"]` },
    {
      name: "paths and components on a chart_release job",
      yaml: `paths: ["charts/**"], components: ["roc-*"]`,
    },
  ])("accepts $name", ({ yaml }) => {
    const policy = withJobs(
      `    p: { on: chart_release, ${yaml}, ${gha("p.yml")}, inputs: { c: "{chart}" } }\n`,
    );
    expect(jobsConfigErrors(policy)).toEqual([]);
  });

  it("rejects an empty paths list and accepts chart_release as a trigger in the schema", () => {
    const bad = resolvePolicy([
      {
        file: FILE,
        text: `jobs:\n  templates:\n    p: { on: pull_request, paths: [], ${gha("p.yml")} }\n`,
      },
    ]);
    expect(bad.ok).toBe(false);
    const good = resolvePolicy([
      {
        file: FILE,
        text: `jobs:\n  templates:\n    p: { on: [chart_release], ${gha("p.yml")} }\n`,
      },
    ]);
    expect(good.ok).toBe(true);
  });

  it("documents paths, chart_release and the chart placeholders, with a config-repo example that validates", () => {
    const text = readFileSync(new URL("../../policies/default.yml", import.meta.url), "utf8");
    const section = text.slice(text.indexOf("\njobs:"), text.indexOf("\ndeploy:"));
    for (const key of ["paths:", "chart_release", "{chart}", "{chart_name}", "{chart_version}"]) {
      expect(section).toContain(key);
    }
    const start = section.indexOf("  #   terraform-plan:\n");
    expect(start).toBeGreaterThan(0);
    const example = section
      .slice(start)
      .split("\n")
      .filter((l) => l.startsWith("  #   "))
      .map((l) => `  ${l.slice(4)}`)
      .join("\n");
    const policy = policyFrom(`jobs:\n  templates:\n${example}\n`);
    expect(Object.keys(policy.jobs.templates)).toEqual([
      "terraform-plan",
      "terraform-apply",
      "chart-publish",
    ]);
    expect(jobsConfigErrors(policy)).toEqual([]);
  });
});

describe("path-glob and chart_release jobs: planning", () => {
  const plan = (over: Partial<PlanInput> & { trigger: JobTrigger }) =>
    planJobs({ policy: platform, components: [], context, ...over });

  it.each([
    {
      name: "a PR touching infra/ runs the plan and nothing else of infra",
      trigger: "pull_request" as const,
      changedPaths: ["infra/main.tf"],
      contexts: ["ci/aether-config/terraform-plan"],
    },
    {
      name: "a PR touching a chart's YAML runs the lint only",
      trigger: "pull_request" as const,
      changedPaths: ["charts/roc-api/values.yaml"],
      contexts: ["ci/aether-config/lint-all"],
    },
    {
      name: "a PR touching both runs each repository job once",
      trigger: "pull_request" as const,
      changedPaths: ["infra/a.tf", "infra/b.tf", "charts/x/values.yaml", "fleet.yml"],
      contexts: ["ci/aether-config/lint-all", "ci/aether-config/terraform-plan"],
    },
    {
      name: "a PR touching a README runs nothing",
      trigger: "pull_request" as const,
      changedPaths: ["README.md"],
      contexts: [],
    },
    {
      name: "a merge touching a root module runs the apply (second glob)",
      trigger: "postmerge" as const,
      changedPaths: ["modules/vpc.tf"],
      contexts: ["ci/aether-config/terraform-apply"],
    },
    {
      name: "a merge touching a nested module does not (modules/*.tf is one level)",
      trigger: "postmerge" as const,
      changedPaths: ["modules/net/vpc.tf"],
      contexts: [],
    },
    {
      name: "without the changed paths, no repository job runs",
      trigger: "pull_request" as const,
      changedPaths: undefined,
      contexts: [],
    },
    {
      name: "a release plans no repository job",
      trigger: "release" as const,
      changedPaths: ["infra/main.tf"],
      contexts: [],
    },
  ])("$name", ({ trigger, changedPaths, contexts }) => {
    const { runs, skipped } = plan({
      trigger,
      ...(changedPaths ? { changedPaths } : {}),
      ...(trigger === "pull_request" ? { context: { ...context, pr: 9 } } : {}),
    });
    expect(runs.map((r) => r.statusContext)).toEqual(contexts);
    expect(skipped).toEqual([]);
  });

  it("a repository job runs as the repository: {component} is its name, the run id brings it back", () => {
    const [run] = plan({ trigger: "postmerge", changedPaths: ["infra/x.tf"] }).runs;
    expect(run).toMatchObject({
      job: "terraform-apply",
      component: "aether-config",
      trigger: "postmerge",
      inputs: { command: "apply", repo: "aether-config" },
    });
    expect(decodeRunId(run?.runId)).toEqual({
      owner: "acme",
      repo: "aether-config",
      sha: SHA,
      component: "aether-config",
      job: "terraform-apply",
    });
  });

  it("component jobs still run per component beside repository jobs", () => {
    const api: Component = {
      name: "roc-api",
      path: "services/roc-api",
      versionFile: "services/roc-api/VERSION",
      dependsOn: [],
    };
    const { runs } = plan({
      trigger: "pull_request",
      components: [api],
      changedPaths: ["services/roc-api/main.go"],
      context: { ...context, pr: 3 },
    });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/roc-api/verify"]);
  });

  it.each([
    {
      name: "each released chart under charts/ publishes with its folder, name and version",
      charts: [ROC_API, AETHER],
      contexts: ["ci/roc-api/chart-publish", "ci/aether/chart-publish"],
    },
    { name: "a chart at the root is outside charts/**", charts: [ROOT], contexts: [] },
    { name: "no released chart, no run", charts: [], contexts: [] },
  ])("chart_release: $name", ({ charts, contexts }) => {
    const { runs } = plan({ trigger: "chart_release", charts });
    expect(runs.map((r) => r.statusContext)).toEqual(contexts);
  });

  it("chart_release: placeholders, the run's version and chart", () => {
    const [run] = plan({ trigger: "chart_release", charts: [ROC_API] }).runs;
    expect(run).toMatchObject({
      component: "roc-api",
      trigger: "chart_release",
      version: "0.4.2",
      chart: ROC_API,
      inputs: { chart: "charts/roc-api", name: "roc-api", version: "0.4.2" },
    });
    expect(decodeRunId(run?.runId)).toMatchObject({ component: "roc-api", job: "chart-publish" });
  });

  it("chart_release: components globs match chart names", () => {
    const policy = withJobs(
      `    p: { on: chart_release, components: ["aeth*"], ${gha("p.yml")} }\n`,
    );
    const { runs } = planJobs({
      policy,
      trigger: "chart_release",
      components: [],
      charts: [ROC_API, AETHER, ROOT],
      context,
    });
    expect(runs.map((r) => r.statusContext)).toEqual(["ci/aether/p"]);
  });

  it("chart_release jobs and path jobs are never scheduled", () => {
    expect(scheduledJobs(platform, [])).toEqual([]);
  });
});

describe("hasPublishJob", () => {
  const api: Component = {
    name: "roc-api",
    path: "services/roc-api",
    versionFile: "v",
    dependsOn: [],
  };
  const web: Component = {
    name: "roc-web",
    path: "services/roc-web",
    versionFile: "v",
    dependsOn: [],
  };
  it.each([
    { name: "no jobs", templates: "", api: false, web: false },
    {
      name: "a release job for every component",
      templates: `    publish: { on: release, ${gha("p.yml")} }\n`,
      api: true,
      web: true,
    },
    {
      name: "a release job for roc-api only",
      templates: `    publish: { on: [postmerge, release], components: ["roc-api"], ${gha("p.yml")} }\n`,
      api: true,
      web: false,
    },
    {
      name: "only postmerge and chart jobs",
      templates: `    after: { on: postmerge, ${gha("p.yml")} }\n    chart: { on: chart_release, ${gha("c.yml")} }\n`,
      api: false,
      web: false,
    },
  ])("$name", ({ templates, api: a, web: w }) => {
    const policy = templates === "" ? policyFrom("") : withJobs(templates);
    expect([hasPublishJob(policy, api), hasPublishJob(policy, web)]).toEqual([a, w]);
  });
});
