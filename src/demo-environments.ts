// The demo's environments act: a version reaches staging, is recorded as a GitHub Deployment and
// verified by the API tests, soaks, and is promoted to production through a pull request that
// production's freeze holds until an admin lets it through; a later version that fails its
// verification is never promoted.
import { DASHBOARD_MARKER } from "./core/dashboard.js";
import { shortSha } from "./core/sha.js";
import {
  checkLines,
  checkRunsOf,
  diffLines,
  indent,
  latestRun,
  shown,
  type Act,
} from "./demo-act.js";

/** The deploy PR as it merged. */
export interface DeployMerged {
  pull: number;
  /** The merge commit on the config repo's default branch. */
  sha: string;
}

/** The fields of a Deployment (REST shape, statuses newest first) the demo reads. */
interface DeploymentView {
  id: number;
  sha: string;
  environment: string;
  task: string;
  payload: { component?: string; version?: string };
  statuses: Array<{
    id: number;
    state: string;
    description: string | null;
    creator: { login: string } | null;
    created_at: string;
  }>;
}

interface PullView {
  number: number;
  state: string;
  title: string;
  body: string;
  head: { ref: string; sha: string };
}

const FLEET = "fleet/aether/fleet.yaml";
const PROMOTION_BRANCH = "monobot/promote-roc-api-production";
/** The Fleet agent's watcher: it posts the deployment status once the bundle is ready. */
const WATCHER = "fleet-watcher";

/** What the act reads back from the sandbox, named once. */
class ConfigRepoView {
  constructor(private readonly act: Act) {}

  deployments(): DeploymentView[] {
    // The driver returns the REST shape as plain records; these are the fields the demo reads.
    return this.act.sandbox.deployments(this.act.configRepo) as unknown as DeploymentView[];
  }

  deployment(environment: string, version: string): DeploymentView | undefined {
    return this.deployments().find(
      (d) => d.task === "deploy" && d.environment === environment && d.payload.version === version,
    );
  }

  /** The version an environment's Fleet target pins on the default branch. */
  pin(environment: string): string | undefined {
    const fleet = this.act.sandbox.readFile(this.act.configRepo, "main", FLEET) ?? "";
    const target = fleet.split(/\n {2}- name: /).find((t) => t.startsWith(`${environment}\n`));
    return /\btag: "?([^"\s]+)"?/.exec(target ?? "")?.[1];
  }

  pull(number: number): PullView {
    return this.act.sandbox.pullRequest(this.act.configRepo, number) as unknown as PullView;
  }

  /** The open promotion PR to production, if any. */
  promotion(): PullView | undefined {
    return this.act.sandbox
      .pullInfos(this.act.configRepo)
      .filter((p) => p.headRef === PROMOTION_BRANCH)
      .map((p) => this.pull(p.number))
      .find((p) => p.state === "open");
  }

  apiTests(environment: string, version: string) {
    return this.act.sandbox
      .workflowDispatches(this.act.configRepo)
      .filter(
        (d) =>
          d.workflowPath.endsWith("/api-tests.yml") &&
          d.inputs.environment === environment &&
          d.inputs.version === version,
      )
      .at(-1);
  }
}

/** fleet.yaml with staging's roc-api image tag set to `version`, as a person edits it. */
function withStagingTag(fleet: string, version: string): string {
  const out = fleet.replace(/(- name: staging\n(?:.*\n)*?\s+tag: )"[^"]*"/, `$1"${version}"`);
  if (out === fleet) throw new Error(`${FLEET} has no quoted image tag in its staging target`);
  return out;
}

function statusLine(d: DeploymentView | undefined): string {
  const s = d?.statuses[0];
  if (!d || !s) return "no deployment";
  return `Deployment ${d.id} (${d.environment}, roc-api ${d.payload.version}): ${s.state}, "${s.description ?? ""}"`;
}

async function pushToMain(act: Act, message: string, files: { [path: string]: string }) {
  const { sandbox, configRepo } = act;
  const before = sandbox.branchSha(configRepo, "main") ?? "";
  const commit = sandbox.pushCommit(configRepo, {
    branch: "main",
    author: "alice",
    message: `${message}\n\nSigned-off-by: Alice Liddell <alice@example.com>`,
    files,
  });
  const push = await sandbox.deliver(
    sandbox.events.push({ repo: configRepo, ref: "refs/heads/main", before, after: commit.sha }),
  );
  return { sha: commit.sha, status: push.status };
}

async function mergeAndPush(act: Act, number: number): Promise<{ sha: string; status: number }> {
  const { sandbox, configRepo } = act;
  const before = sandbox.branchSha(configRepo, "main") ?? "";
  const sha = sandbox.mergePullRequest(configRepo, number, { user: "alice", method: "squash" });
  const push = await sandbox.deliver(
    sandbox.events.push({ repo: configRepo, ref: "refs/heads/main", before, after: sha }),
  );
  return { sha, status: push.status };
}

/** GitHub Actions finishes the API tests run monobot dispatched, and says so. */
async function finishApiTests(
  act: Act,
  runId: number,
  runName: unknown,
  conclusion: "success" | "failure",
) {
  const { sandbox, configRepo } = act;
  sandbox.completeWorkflowRun(runId, conclusion);
  const event = sandbox.events.workflowRun({ repo: configRepo, runId });
  // The sandbox does not evaluate `run-name`; GitHub shows the run id input there.
  (event.payload.workflow_run as Record<string, unknown>).display_title = String(runName);
  return sandbox.deliver(event);
}

/** Step 7: staging runs 1.3.0: a Deployment, the API tests, the verdict, the soak, the promotion PR. */
async function verifyStaging(
  act: Act,
  merged: DeployMerged,
  record: ConfigRepoView,
): Promise<PullView> {
  const { print } = act;
  const step = "step 7 (staging: Deployment, API tests, soak, promotion PR)";
  print(`\n━━ Step 7: roc-api 1.3.0 reaches staging; monobot records it and runs the API tests`);
  const sha = merged.sha;
  print(
    `  The deploy PR's merge (${shortSha(sha)}) moved staging's pin in ${FLEET} to ${record.pin("staging")}; production's stays at ${record.pin("production")}.`,
  );
  const started = record.deployment("staging", "1.3.0");
  const dispatch = record.apiTests("staging", "1.3.0");
  print(`  ${statusLine(started)}`);
  if (dispatch) {
    const { monobot_run_id: runName, ...inputs } = dispatch.inputs;
    print(`  dispatched ${dispatch.workflowPath} with inputs ${JSON.stringify(inputs)}`);
    act.expectAll(step, [[runName !== undefined, "the run carries monobot's run id"]]);
  }
  act.expectAll(step, [
    [started?.sha === sha, `one staging Deployment of roc-api 1.3.0 at ${shortSha(sha)}`],
    [started?.statuses[0]?.state === "in_progress", "the Deployment is in progress"],
    [dispatch !== undefined, "api-tests dispatched for staging, roc-api 1.3.0"],
    [record.deployment("production", "1.3.0") === undefined, "nothing recorded for production"],
    [record.pin("production") === "1.2.3", "production still pins 1.2.3"],
  ]);
  if (!dispatch) throw act.fail(step, "no api-tests run to complete");

  const done = await finishApiTests(act, dispatch.runId, dispatch.inputs.monobot_run_id, "success");
  print(`  GitHub → monobot: workflow_run.completed (api tests, success), answered ${done.status}`);
  await act.settle(step);
  const soaking = record.deployment("staging", "1.3.0");
  print(`  ${statusLine(soaking)}`);
  const soakStart = Date.now();
  const pull = await act.waitFor(step, "the promotion PR after the soak", () => record.promotion());
  await act.settle(step);
  const verified = record.deployment("staging", "1.3.0");
  print(
    `  ${((Date.now() - soakStart) / 1000).toFixed(1)} s later (the soak, then monobot's writes, a second apart as GitHub asks):`,
  );
  print(`  ${statusLine(verified)}`);
  act.expectAll(step, [
    [
      soaking?.statuses[0]?.description?.startsWith("verified; soaking until") === true,
      "the Deployment soaks after the API tests passed",
    ],
    [verified?.statuses[0]?.state === "success", "then it is a success"],
  ]);
  print(`  ✔ as expected`);
  return pull;
}

/** Step 8: the promotion PR, and production's freeze window holding it. */
async function checkPromotion(act: Act, pull: PullView): Promise<void> {
  const { sandbox, print, configRepo } = act;
  const step = "step 8 (the promotion PR, held by production's freeze)";
  const files = sandbox.pullFiles(configRepo, pull.number);
  print(`\n━━ Step 8: monobot opened the promotion PR; production is in a freeze window`);
  print(`  ${configRepo} PR #${pull.number} "${pull.title}" by ${sandbox.botLogin}`);
  print(`  branch ${pull.head.ref}, one commit, files changed:`);
  for (const line of diffLines(files)) print(line);
  print(`\n  Body:`);
  print(indent(shown(pull.body, 36), "  │ "));
  const opened = await sandbox.deliver(
    sandbox.events.pullRequest({ repo: configRepo, number: pull.number, action: "opened" }),
  );
  print(`\n  GitHub → monobot: pull_request.opened, answered ${opened.status}`);
  await act.settle(step);
  const runs = checkRunsOf(sandbox, configRepo, pull.head.sha);
  for (const line of checkLines(runs)) print(line);
  const latest = (name: string) => runs.find((r) => r.name === name);
  const gate = latest("monobot/deploy-gate");
  if (gate?.output.summary) print(indent(shown(gate.output.summary, 5), "      "));
  const patch = files.map((f) => f.patch ?? "").join("\n");
  act.expectAll(step, [
    [pull.title === "Promote roc-api 1.3.0 to production", `the title (seen "${pull.title}")`],
    [
      files.length === 1 && files[0]?.filename === FLEET && /\+\s+tag: "1\.3\.0"/.test(patch),
      "it moves only production's pin in fleet.yaml, to 1.3.0",
    ],
    [pull.body.includes("1.2.3"), "the body says which version it supersedes"],
    [pull.body.includes("api-tests@staging"), "the body links the staging evidence"],
    [
      gate?.conclusion === "failure",
      `monobot/deploy-gate fails (seen ${gate?.conclusion ?? "none"})`,
    ],
    [
      latest("monobot/promotion")?.conclusion === "success",
      "monobot/promotion passes: staging verified 1.3.0",
    ],
  ]);
  print(`  ✔ as expected: the promotion waits for the window's end, or for an admin`);
}

/** Step 9: an admin lets it through; it merges; production is recorded and reported ready. */
async function promoteToProduction(
  act: Act,
  pull: PullView,
  record: ConfigRepoView,
): Promise<void> {
  const { sandbox, print, configRepo } = act;
  const step = "step 9 (an admin lets the promotion through; production is ready)";
  print(
    `\n━━ Step 9: alice, an admin, comments "/deploy-anyway hotfix for the demo" and merges it`,
  );
  const anyway = sandbox.comment(configRepo, pull.number, {
    user: "alice",
    body: "/deploy-anyway hotfix for the demo",
  });
  const answer = await sandbox.deliver(
    sandbox.events.issueComment({ repo: configRepo, commentId: anyway.id }),
  );
  print(`  GitHub → monobot: issue_comment.created, answered ${answer.status}`);
  await act.settle(step);
  const gate = latestRun(sandbox, configRepo, pull.head.sha, "monobot/deploy-gate");
  for (const line of checkLines(gate ? [gate] : [])) print(line);
  const merged = await mergeAndPush(act, pull.number);
  print(
    `  alice merges it; GitHub → monobot: push to ${configRepo} main (${shortSha(merged.sha)}), answered ${merged.status}`,
  );
  await act.settle(step);
  const recorded = record.deployment("production", "1.3.0");
  print(`  ${statusLine(recorded)}`);
  if (!recorded) throw act.fail(step, "no production Deployment after the merge");
  sandbox.setDeploymentStatus(configRepo, recorded.id, {
    state: "success",
    user: WATCHER,
    description: "bundle aether ready on every production cluster",
  });
  const ready = await sandbox.deliver(
    sandbox.events.deploymentStatus({ repo: configRepo, deploymentId: recorded.id }),
  );
  print(
    `  ${WATCHER} reports the Fleet bundle ready; GitHub → monobot: deployment_status, answered ${ready.status}`,
  );
  await act.settle(step);
  const done = record.deployment("production", "1.3.0");
  print(`  ${statusLine(done)}`);
  print(
    `  ${FLEET}@main: staging ${record.pin("staging")}, production ${record.pin("production")}`,
  );
  act.expectAll(step, [
    [
      gate?.conclusion === "neutral",
      `the gate is neutral after the override (seen ${gate?.conclusion})`,
    ],
    [recorded.sha === merged.sha, "the production Deployment is at the promotion's merge commit"],
    [done?.statuses[0]?.state === "success", "production's Deployment is a success"],
    [record.pin("production") === "1.3.0", "production runs 1.3.0"],
  ]);
  print(`  ✔ as expected`);
}

/** Step 10, one line: a later version whose API tests fail in staging is never promoted. */
async function failingVersion(act: Act, record: ConfigRepoView): Promise<void> {
  const { sandbox, print, configRepo } = act;
  const step = "step 10 (a failing verification blocks promotion)";
  const fleet = sandbox.readFile(configRepo, "main", FLEET) ?? "";
  await pushToMain(act, "Deploy roc-api 1.3.1 to staging", {
    [FLEET]: withStagingTag(fleet, "1.3.1"),
  });
  await act.settle(step);
  const dispatch = record.apiTests("staging", "1.3.1");
  if (!dispatch) throw act.fail(step, "no api-tests run for roc-api 1.3.1 in staging");
  await finishApiTests(act, dispatch.runId, dispatch.inputs.monobot_run_id, "failure");
  await act.settle(step);
  const failed = record.deployment("staging", "1.3.1");
  act.expectAll(step, [
    [
      failed?.statuses[0]?.state === "failure",
      `the 1.3.1 Deployment failed (${statusLine(failed)})`,
    ],
    [record.promotion() === undefined, "no promotion PR opens"],
    [record.pin("production") === "1.3.0", "production keeps 1.3.0"],
  ]);
  print(
    `\n━━ Step 10: alice pins a later roc-api 1.3.1 to staging; its API tests fail → Deployment ${failed?.id} failure, no promotion PR, production keeps ${record.pin("production")} ✔`,
  );
}

/** The config repo's Deployments, oldest first: the record GitHub's Environments page shows. */
function printRecord(act: Act, record: ConfigRepoView): void {
  const { print } = act;
  print(
    `\n━━ Timeline: the Deployments of ${act.configRepo} (its Environments page), oldest status first`,
  );
  const rows = record
    .deployments()
    .filter((d) => d.task === "deploy")
    .flatMap((d) => d.statuses.map((s) => ({ d, s })))
    .sort((a, b) => a.s.id - b.s.id);
  for (const { d, s } of rows) {
    print(
      `    ${s.created_at.slice(11, 19)}  ${d.environment.padEnd(10)}  roc-api ${String(d.payload.version).padEnd(6)} #${String(d.id).padEnd(4)} ${s.state.padEnd(11)} ${s.description ?? ""}  (${s.creator?.login ?? "?"})`,
    );
  }
}

/** The dashboard issue once it shows the failed 1.3.1: what a person opening it reads first. */
async function printDashboard(act: Act): Promise<void> {
  const { sandbox, print, configRepo } = act;
  const step = "the dashboard issue";
  // One write per repository every few seconds: the last events' render may still be due.
  const issue = await act.waitFor(step, "the dashboard to show 1.3.1's failed verification", () =>
    sandbox
      .issues(configRepo)
      .find((i) => (i.body ?? "").includes(DASHBOARD_MARKER) && /1\.3\.1/.test(i.body ?? "")),
  );
  const body = issue.body ?? "";
  const lines = body.split("\n").filter((l) => !l.startsWith("<!--"));
  print(
    `\n━━ The dashboard issue ${configRepo}#${issue.number}, "${String(issue.title)}" (edited in place)`,
  );
  print(indent(shown(lines.join("\n"), 30), "  │ "));
  act.expectAll(step, [
    [/## Waiting/.test(body), "what waits comes first"],
    [/## What runs where/.test(body), "it has the matrix"],
    [/production/.test(body) && /1\.3\.0/.test(body), "it shows production on 1.3.0"],
  ]);
  print(`  ✔ as expected`);
}

export async function playEnvironments(act: Act, merged: DeployMerged): Promise<void> {
  const record = new ConfigRepoView(act);
  const pull = await verifyStaging(act, merged, record);
  await checkPromotion(act, pull);
  await promoteToProduction(act, pull, record);
  await failingVersion(act, record);
  printRecord(act, record);
  await printDashboard(act);
}
