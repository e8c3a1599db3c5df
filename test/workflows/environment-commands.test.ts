// /promote, /rollback, /hold and /unhold against small fakes of the config repo and its Deployments.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { EnvironmentAction } from "../../src/core/commands.js";
import { holdOf, type DeploymentRecord } from "../../src/core/env-record.js";
import { formatPolicyErrors, resolvePolicy } from "../../src/core/policy.js";
import type { ConfigRepoPort, DeployPull } from "../../src/forge/config-repo.js";
import type { DeploymentsPort } from "../../src/forge/deployments.js";
import { silentLog } from "../../src/log.js";
import { runEnvironmentCommands } from "../../src/workflows/environment-commands.js";

const ROOT = fileURLToPath(new URL("../../examples/config-repo-fleet/", import.meta.url));
const read = (p: string) => readFileSync(`${ROOT}${p}`, "utf8");
const FLEET = "fleet/aether/fleet.yaml";
const MAIN = "a".repeat(40);

function policy() {
  const r = resolvePolicy([{ file: ".github/monobot.yml", text: read(".github/monobot.yml") }]);
  if (!r.ok) throw new Error(formatPolicyErrors(r.errors));
  return r.policy;
}

class FakeWorld {
  files = new Map([
    ["charts/roc-api/Chart.yaml", read("charts/roc-api/Chart.yaml")],
    ["charts/web/Chart.yaml", read("charts/web/Chart.yaml")],
    [FLEET, read(FLEET)],
  ]);
  records: DeploymentRecord[] = [];
  branches = new Map<string, string>();
  trees: { base: string; files: { path: string; content: string }[] }[] = [];
  pulls: DeployPull[] = [];
  #id = 10;

  port = {
    paths: async () => [...this.files.keys()],
    readFiles: async (want: readonly { sha: string; path: string }[]) =>
      new Map(want.map((f) => [`${f.sha}:${f.path}`, this.files.get(f.path) ?? null])),
  };

  deployments: DeploymentsPort = {
    listDeployments: async (q) =>
      this.records.filter((r) => q.environment === undefined || r.environment === q.environment),
    createDeployment: async (d) => {
      const r: DeploymentRecord = {
        id: this.#id++,
        environment: d.environment,
        sha: MAIN,
        ref: d.ref,
        task: d.task ?? "deploy",
        payload: d.payload,
        createdAt: `2026-02-0${this.#id % 9}T00:00:00Z`,
        state: "none",
      };
      this.records.push(r);
      return r;
    },
    setDeploymentStatus: async (id, s) => {
      const r = this.records.find((x) => x.id === id);
      if (r) r.state = s.state;
    },
  };

  config: ConfigRepoPort = {
    owner: "acme",
    name: "aether-config",
    git: {
      createTree: async (base, files) => {
        this.trees.push({ base, files: files.map((f) => ({ path: f.path, content: f.content })) });
        return `tree${this.trees.length}`;
      },
      createCommit: async () => "c".repeat(40),
      updateBranch: async (branch, sha) => {
        this.branches.set(branch, sha);
        return "updated";
      },
      // A compare-and-swap: moved only from the commit the branch is expected at.
      replaceBranch: async (branch, expected, sha) => {
        if (this.branches.get(branch) !== expected) return "rejected";
        this.branches.set(branch, sha);
        return "updated";
      },
    },
    heads: async (branches) => ({
      defaultBranch: { name: "main", sha: MAIN, treeSha: "t".repeat(40) },
      branches: new Map(
        branches.map((b) => [
          b,
          this.branches.has(b)
            ? { sha: this.branches.get(b) ?? "", message: "", parents: [] }
            : null,
        ]),
      ),
    }),
    paths: async () => [...this.files.keys()],
    readFiles: async () => new Map(),
    pullsForBranch: async (branch) => this.pulls.filter((p) => p.headRef === branch),
    openPulls: async () => [],
    createBranch: async (branch, sha) => {
      this.branches.set(branch, sha);
      return "created";
    },
    createPull: async (input) => {
      const pull: DeployPull = {
        number: this.pulls.length + 7,
        state: "open",
        merged: false,
        title: input.title,
        body: input.body,
        headRef: input.head,
        headSha: "c".repeat(40),
        baseRef: input.base,
        url: `https://github.com/acme/aether-config/pull/${this.pulls.length + 7}`,
      } as DeployPull;
      this.pulls.push(pull);
      return pull;
    },
    updatePull: async (number, input) => {
      const pull = this.pulls.find((p) => p.number === number);
      if (pull) Object.assign(pull, input);
    },
    enableAutoMerge: async () => ({ ok: true }),
  } as ConfigRepoPort;

  run(actions: EnvironmentAction[], by = "ann") {
    return runEnvironmentCommands({
      port: this.port,
      config: this.config,
      deployments: this.deployments,
      policy: policy(),
      actions,
      by,
      log: silentLog,
    });
  }

  deployed(environment: string, component: string, version: string, at: string) {
    this.records.push({
      id: this.#id++,
      environment,
      sha: MAIN,
      ref: "main",
      task: "deploy",
      payload: { component, version },
      createdAt: at,
      state: "success",
    });
  }
}

describe("environment commands", () => {
  it("/rollback opens the rollback pull request to the last version verified there and holds the environment", async () => {
    const world = new FakeWorld();
    world.deployed("production", "web", "2.0.0", "2026-01-01T00:00:00Z");
    world.deployed("production", "web", "2.0.1", "2026-01-02T00:00:00Z");
    const replies = await world.run([
      { kind: "rollback", component: "web", environment: "production" },
    ]);
    expect(replies[0]).toContain(
      "Roll back web to 2.0.0 in production: opened https://github.com/acme/aether-config/pull/7",
    );
    expect(world.branches.has("monobot/rollback-web-production")).toBe(true);
    expect(world.trees).toHaveLength(1);
    const fleet = world.trees[0]?.files.find((f) => f.path === FLEET)?.content ?? "";
    expect(fleet).toContain("image: { tag: 2.0.0 }");
    expect(fleet).toContain("image: { tag: 2.1.0 }"); // staging untouched
    expect(holdOf(world.records, "production", "web")).toMatchObject({
      by: "ann",
      reason: "rolled back to 2.0.0 by @ann",
    });
    // Again: the same branch and pull request are updated, not a second one opened.
    const again = await world.run([
      { kind: "rollback", component: "web", environment: "production" },
    ]);
    expect(again[0]).toContain("updated https://github.com/acme/aether-config/pull/7");
    expect(world.pulls).toHaveLength(1);
  });

  it("/hold and /unhold record the hold as deployments; the newest decides", async () => {
    const world = new FakeWorld();
    const held = await world.run([
      { kind: "hold", component: "web", environment: "production", reason: "bad migration" },
    ]);
    expect(held[0]).toContain("production is on hold for web");
    expect(holdOf(world.records, "production", "web")).toMatchObject({
      held: true,
      reason: "bad migration",
      by: "ann",
    });
    expect(world.records.at(-1)).toMatchObject({ task: "monobot:hold", state: "success" });
    await world.run([{ kind: "unhold", component: "web", environment: "production" }], "bob");
    expect(holdOf(world.records, "production", "web")?.held).toBe(false);
  });

  it("/promote opens the promotion pull request with the version staging verified; refusals write nothing", async () => {
    const world = new FakeWorld();
    const refused = await world.run([
      { kind: "promote", component: "web", environment: "production" },
    ]);
    expect(refused[0]).toContain("no version of web is verified in staging");
    expect(world.trees).toEqual([]);
    world.deployed("staging", "web", "2.1.0", "2026-01-03T00:00:00Z");
    const replies = await world.run([
      { kind: "promote", component: "web", environment: "production" },
    ]);
    expect(replies[0]).toContain("Promote web 2.1.0 to production: opened");
    expect(world.pulls[0]?.headRef).toBe("monobot/promote-web-production");
    const unknown = await world.run([
      { kind: "hold", component: "web", environment: "qa", reason: "x" },
    ]);
    expect(unknown[0]).toContain('there is no environment "qa"');
  });
});
