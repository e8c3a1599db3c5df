// Benchmark: what one promotion costs from the verification result to the open promotion PR (sandbox log).
import { pathToFileURL } from "node:url";
import { MONO, startDeployWorld, type DeployWorld } from "../test/helpers/deploy-world.js";

const CONFIG = "acme/aether-config";

/** The monorepo: c01 (released 1.0.0 then 1.1.0) and c02, one commit each between the tags. */
function monorepo(): Record<string, string> {
  return {
    "services/c01/VERSION": "1.0.0\n",
    "services/c02/VERSION": "1.0.0\n",
    ".github/monobot.yml": "deploy:\n  config_repo: acme/aether-config\n",
  };
}

function releaseC01(world: DeployWorld): void {
  const { sandbox } = world;
  sandbox.createTag(MONO, "c01/v1.0.0", "main");
  sandbox.pushCommit(MONO, {
    branch: "main",
    files: { "services/c02/x": "x\n" },
    message: "c02: x (#7)",
  });
  sandbox.pushCommit(MONO, {
    branch: "main",
    files: { "services/c01/y": "y\n" },
    message: "c01: y (#8)",
  });
  sandbox.pushCommit(MONO, {
    branch: "main",
    files: { "services/c01/VERSION": "1.1.0\n" },
    message: "c01 1.1.0 (#9)",
  });
  sandbox.createTag(MONO, "c01/v1.1.0", "main");
}

/**
 * Merges a deploy of c01 1.1.0 to the first environment as monobot's deploy PR would (its commit
 * names the monorepo), with a merge commit so the push lists the PR's commit, and delivers the push.
 */
async function mergeDeploy(world: DeployWorld, files: Record<string, string>): Promise<void> {
  const { sandbox } = world;
  const before = sandbox.branchSha(CONFIG, "main") as string;
  sandbox.pushCommit(CONFIG, {
    branch: "deploy-c01",
    files,
    author: "alice",
    message: "Deploy c01 1.1.0\n\nMonobot-Source: acme/mono",
  });
  const pr = sandbox.openPullRequest(CONFIG, {
    head: "deploy-c01",
    user: "alice",
    title: "Deploy c01 1.1.0",
  });
  const after = sandbox.mergePullRequest(CONFIG, pr.number, { user: "alice", method: "merge" });
  await world.deliver(sandbox.events.push({ repo: CONFIG, ref: "refs/heads/main", before, after }));
}

function configRepo(components: number, environments: number): Record<string, string> {
  const names = Array.from({ length: components }, (_, i) => `c${String(i + 1).padStart(2, "0")}`);
  const envs = Array.from({ length: environments }, (_, i) => `e${i + 1}`);
  const files: Record<string, string> = {};
  for (const n of names) {
    files[`charts/${n}/Chart.yaml`] = `apiVersion: v2\nname: ${n}\nversion: 0.1.0\n`;
    files[`charts/${n}/values.yaml`] = `image:\n  tag: 1.0.0\n`;
  }
  const fleet = ["defaultNamespace: app", "targetCustomizations:"];
  for (const e of envs) {
    fleet.push(`  - name: ${e}`, `    clusterGroup: ${e}`, "    helm:", "      values:");
    for (const n of names)
      fleet.push(`        ${n}:`, "          image:", `            tag: "1.0.0"`);
  }
  files["fleet/app/fleet.yaml"] = `${fleet.join("\n")}\n`;
  // The dashboard issue's renders are jobs of their own, measured by bench/dashboard.ts: off here,
  // so the rows count what one promotion costs.
  const policy = ["deploy:", "  dashboard: false", "  environments:"];
  envs.forEach((e, i) => {
    policy.push(`    - name: ${e}`, "      pins:", "        - file: fleet/app/fleet.yaml");
    policy.push(
      `          key: "targetCustomizations[name=${e}].helm.values.{chart_name}.image.tag"`,
    );
    if (i === 0) policy.push("      verify: { jobs: [api-tests] }");
  });
  policy.push(
    "jobs:",
    "  templates:",
    "    api-tests:",
    "      on: deployed",
    "      backend: { type: github-actions, workflow: api-tests.yml }",
    '      inputs: { environment: "{environment}", component: "{component}", version: "{version}" }',
    "",
  );
  files[".github/monobot.yml"] = policy.join("\n");
  files[".github/workflows/api-tests.yml"] = [
    "name: api tests",
    "run-name: ${{ inputs.monobot_run_id }}",
    "on:",
    "  workflow_dispatch:",
    "    inputs:",
    "      environment: { required: true }",
    "      component: { required: true }",
    "      version: { required: true }",
    "      monobot_run_id: { required: true }",
    "jobs: {}",
    "",
  ].join("\n");
  return files;
}

/**
 * One row per size. The 12 requests of a promotion (goal: at most 12, the same at every size): the
 * job's status; the config repo's policy; ONE GraphQL read of the deployment, the next
 * environment's holds and the commit's combined status; the deployment's `success`; the promotion
 * branch and pin files (GraphQL); the notes (the monorepo's policy, one compare, one GraphQL
 * history); tree, commit, branch and pull request.
 */
export async function benchPromotion(
  options: { log?: (line: string) => void } = {},
): Promise<{ rows: Array<Record<string, string | number>> }> {
  const rows: Array<Record<string, string | number>> = [];
  for (const [components, environments] of [
    [2, 2],
    [20, 2],
    [20, 4],
  ] as const) {
    const world = await startDeployWorld({
      config: configRepo(components, environments),
      mono: monorepo(),
    });
    try {
      releaseC01(world);
      const fleet = world.sandbox.readFile(CONFIG, "main", "fleet/app/fleet.yaml") as string;
      // e1's first pin of c01 is the file's first tag.
      await mergeDeploy(world, {
        "fleet/app/fleet.yaml": fleet.replace('tag: "1.0.0"', 'tag: "1.1.0"'),
      });
      const mark = world.sandbox.mark();
      const t0 = performance.now();
      await world.completeRun(CONFIG, "api-tests.yml", "success");
      const ms = performance.now() - t0;
      const requests = world.sandbox
        .requests({ since: mark })
        .filter((r) => r.operationId !== "apps/create-installation-access-token");
      for (const r of requests)
        options.log?.(
          `${components}x${environments} ${r.method} ${r.url} (${r.operationId ?? "?"})`,
        );
      const opened = requests.some((r) => r.operationId === "pulls/create");
      const promotion = world.sandbox
        .pullInfos(CONFIG)
        .find((p) => p.headRef.startsWith("monobot/promote-"));
      const body = promotion
        ? String(world.sandbox.pullRequest(CONFIG, promotion.number).body ?? "")
        : "";
      rows.push({
        components,
        environments,
        "API requests, result -> PR (no token)": requests.length,
        "of them writes": requests.filter((r) => r.method !== "GET" && r.path !== "/graphql")
          .length,
        "of them monorepo REST (notes; + 1 GraphQL)": requests.filter(
          (r) => r.path.startsWith(`/repos/${MONO}/`) || (r.url.includes("/graphql") && false),
        ).length,
        "PR opened": opened ? "yes" : "no",
        "notes: c01 only": body.includes("c01: y") && !body.includes("c02: x") ? "yes" : "no",
        "ms, result -> PR (soak 0)": Math.round(ms),
      });
    } finally {
      await world.close();
    }
  }
  return { rows };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  // `--log` prints each request, to see which reads a promotion makes.
  const log = process.argv.includes("--log") ? (l: string) => console.log(l) : undefined;
  void benchPromotion(log ? { log } : {}).then(({ rows }) => console.table(rows));
}
