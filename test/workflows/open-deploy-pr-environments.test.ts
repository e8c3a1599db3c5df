import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeployComponent } from "../../src/core/deploy-plan.js";
import { GitHubConfigRepo, type ConfigRepoPort } from "../../src/forge/config-repo.js";
import { startSandbox, type Sandbox } from "../../src/sandbox/driver.js";
import { openDeployPr, type DeployRequest } from "../../src/workflows/open-deploy-pr.js";
import { installationOctokit, type Octokit } from "../sandbox/helpers.js";

const REPO = "acme/aether-config";
const BRANCH = "monobot/deploy-roc-api";

const ROC_API: DeployComponent = {
  name: "roc-api",
  image: "ghcr.io/acme/roc-api",
  charts: ["charts/roc-api"],
  valuesKey: "image.tag",
  chartBump: "patch",
};

function request(to: string): DeployRequest {
  return {
    component: ROC_API,
    version: { from: "1.2.3", to },
    monorepo: { owner: "acme", name: "mono" },
    changes: [],
  };
}

function example(name: string): Record<string, string> {
  const root = fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(root, p)] = readFileSync(p, "utf8");
    }
  };
  walk(root);
  return out;
}

let sandbox: Sandbox;
let octokit: Octokit;
let port: ConfigRepoPort;

beforeEach(async () => {
  sandbox = await startSandbox();
  sandbox.createUser("alice");
  sandbox.createOrg("acme", { members: ["alice"] });
});

async function configRepo(files: Record<string, string>): Promise<void> {
  const info = sandbox.createRepo({
    owner: "acme",
    name: "aether-config",
    installation: true,
    files,
  });
  octokit = await installationOctokit(sandbox, info.installationId as number);
  port = new GitHubConfigRepo(octokit, "acme", "aether-config");
}

afterEach(async () => {
  sandbox.assertNoViolations();
  await sandbox.stop();
});

describe("a deploy PR on a config repo with environments (a values file per environment)", () => {
  it("writes the first environment's pin, read outside the charts, and no later one", async () => {
    await configRepo(example("config-repo-values"));
    const mark = sandbox.mark();
    const outcome = await openDeployPr(port, request("1.4.0"));
    expect(outcome.status).toBe("opened");
    // One read more than without environments: the pin files outside the charts, in one query.
    const cost = sandbox
      .requests({ since: mark })
      .map((r) => `${r.method} ${r.operationId ?? r.path}`)
      .filter((r) => !r.includes("access-token"));
    expect(cost.filter((r) => r === "POST graphql")).toHaveLength(3);
    expect(cost).toHaveLength(9);
    expect(sandbox.readFile(REPO, BRANCH, "envs/dev/values.yaml")).toContain(
      "    tag: 1.4.0 # a release candidate, straight from the deploy pull request\n",
    );
    for (const env of ["staging", "production"]) {
      expect(sandbox.readFile(REPO, BRANCH, `envs/${env}/values.yaml`)).toBe(
        sandbox.readFile(REPO, "main", `envs/${env}/values.yaml`),
      );
    }
    const { data: pull } = await octokit.rest.pulls.get({
      owner: "acme",
      repo: "aether-config",
      pull_number: outcome.pull?.number as number,
    });
    expect(pull.body).toContain(
      "Deploys to dev; staging keeps 1.3.0 until promoted; production keeps 1.2.3 until promoted.",
    );
    expect(pull.body).toContain("| dev | **1.4.0** (this pull request) |");
    const { data: commit } = await octokit.rest.git.getCommit({
      owner: "acme",
      repo: "aether-config",
      commit_sha: outcome.commitSha as string,
    });
    expect(commit.message).toContain(
      "- envs/dev/values.yaml: dev: roc-api.image.tag 1.4.0-rc.1 -> 1.4.0",
    );
  });

  it("a production that would follow the changed default is pinned where it runs", async () => {
    const files = example("config-repo-values");
    files["envs/production/values.yaml"] = "roc-api:\n  replicaCount: 5\n";
    await configRepo(files);
    const outcome = await openDeployPr(port, request("1.4.0"));
    expect(outcome.status).toBe("opened");
    expect(sandbox.readFile(REPO, BRANCH, "envs/production/values.yaml")).toBe(
      'roc-api:\n  replicaCount: 5\n  image:\n    tag: "1.2.3"\n',
    );
    expect(sandbox.readFile(REPO, BRANCH, "charts/roc-api/values.yaml")).toContain('tag: "1.4.0"');
  });
});
