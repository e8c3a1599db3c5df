// The demo's second act: the PR merges, the release is tagged and published, monobot opens the
// deploy PR on the config repo and it merges; the environments act carries the version from
// staging to production; then an operator seals a secret and monobot provisions it.
import { shortSha } from "./core/sha.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSecretsCli } from "./cli/secrets.js";
import { checkRunsOf, diffLines, indent, latestRun, shown, type Act } from "./demo-act.js";
import { playEnvironments, type DeployMerged } from "./demo-environments.js";

/** The freeze window the demo puts around "now": from an hour ago to an hour ahead, in UTC. */
export function demoFreezeWindow(now = new Date()): { from: string; to: string } {
  const minute = (d: Date) => d.toISOString().slice(0, 16);
  return {
    from: minute(new Date(now.getTime() - 3600_000)),
    to: minute(new Date(now.getTime() + 3600_000)),
  };
}

/**
 * The config repo's policy with production's freeze windows replaced by `window` (the example's
 * weekend window would hold or not depending on the day the demo runs).
 */
export function withProductionFreeze(policy: string, window: { from: string; to: string }): string {
  const line = `        - { from: "${window.from}", to: "${window.to}", timezone: UTC, reason: "release freeze" }\n`;
  const out = policy.replace(/(\n\s+freeze:\n)(?:\s+- \{[^\n]*\}\n)+/, `$1${line}`);
  if (out === policy)
    throw new Error("the example config repo's policy has no freeze list to replace");
  return out;
}

export async function playLifecycle(act: Act): Promise<void> {
  await mergeAndPublish(act);
  const deploy = await openDeployPull(act);
  const merged = await mergeDeployPull(act, deploy);
  await playEnvironments(act, merged);
  await sealSecret(act);
}

/** Step 4: the PR merges; monobot tags the release and dispatches the publish job. */
async function mergeAndPublish(act: Act): Promise<void> {
  const { sandbox, print, repo } = act;
  const step4 = "step 4 (alice merges; the release is tagged and published)";
  print(`\n━━ Step 4: alice merges PR #${act.pr.number}; roc-api 1.3.0 is a release`);
  const before = sandbox.branchSha(repo, "main") ?? "";
  const merged = sandbox.mergePullRequest(repo, act.pr.number, { user: "alice", method: "squash" });
  const push = await sandbox.deliver(
    sandbox.events.push({ repo, ref: "refs/heads/main", before, after: merged }),
  );
  print(`  GitHub → monobot: push to main (${shortSha(merged)}), answered ${push.status}`);
  await act.settle(step4);
  const tag = sandbox.refs(repo)["refs/tags/roc-api/v1.3.0"];
  const dispatch = sandbox.workflowDispatches(repo).at(-1);
  print(`  tag roc-api/v1.3.0 → ${tag ? shortSha(tag) : "none"}`);
  if (dispatch) {
    print(
      `  dispatched ${dispatch.workflowPath} with inputs ${JSON.stringify(
        Object.fromEntries(Object.entries(dispatch.inputs).filter(([k]) => k !== "monobot_run_id")),
      )}`,
    );
  }
  act.expectAll(step4, [
    [tag === merged, `the tag roc-api/v1.3.0 on the merge commit (seen ${tag ?? "none"})`],
    [dispatch?.workflowPath === ".github/workflows/publish.yml", "the publish workflow dispatched"],
  ]);
  print(`  ✔ as expected`);
}

interface DeployPull {
  number: number;
  head: string;
  files: { filename: string; patch?: string }[];
}

/** Step 5: the publish run succeeds; monobot opens the deploy PR on the config repo. */
async function openDeployPull(act: Act): Promise<DeployPull> {
  const { sandbox, print, repo, configRepo } = act;
  const step5 = "step 5 (the publish run succeeds; the deploy PR opens)";
  print(`\n━━ Step 5: GitHub Actions reports the publish run as successful`);
  const dispatch = sandbox.workflowDispatches(repo).at(-1);
  if (!dispatch) throw act.fail(step5, "no publish run to complete");
  sandbox.completeWorkflowRun(dispatch.runId, "success");
  const runEvent = sandbox.events.workflowRun({ repo, runId: dispatch.runId });
  // The sandbox does not evaluate `run-name`; GitHub shows the run id input there.
  (runEvent.payload.workflow_run as Record<string, unknown>).display_title = String(
    dispatch.inputs.monobot_run_id,
  );
  const completed = await sandbox.deliver(runEvent);
  print(`  GitHub → monobot: workflow_run.completed (success), answered ${completed.status}`);
  await act.settle(step5);
  const pulls = sandbox.pullInfos(configRepo);
  const deploy = pulls.find((p) => p.headRef === "monobot/deploy-roc-api");
  if (!deploy) throw act.fail(step5, `no deploy PR on ${configRepo} (seen ${pulls.length} PRs)`);
  const deployPull = sandbox.pullRequest(configRepo, deploy.number) as {
    title: string;
    body: string;
    head: { sha: string };
  };
  const files = sandbox.pullFiles(configRepo, deploy.number);
  print(`\n  ${configRepo} PR #${deploy.number} "${deployPull.title}" by ${sandbox.botLogin}`);
  print(`  branch monobot/deploy-roc-api, one commit, files changed:`);
  for (const line of diffLines(files)) print(line);
  print(`\n  Body:`);
  print(indent(shown(deployPull.body, 44), "  │ "));
  const patchOf = (path: string) => files.find((f) => f.filename === path)?.patch ?? "";
  act.expectAll(step5, [
    [
      /\+\s+tag: "1\.3\.0"/.test(patchOf("charts/roc-api/values.yaml")),
      "values.yaml sets the image tag 1.3.0",
    ],
    [
      /\+version: 0\.4\.2/.test(patchOf("charts/roc-api/Chart.yaml")),
      "the roc-api chart goes to 0.4.2",
    ],
    [
      /\+version: 1\.4\.1/.test(patchOf("charts/aether/Chart.yaml")),
      "the aether umbrella pins 0.4.2 and goes to 1.4.1",
    ],
    [
      deployPull.body.includes("1.2.3") && deployPull.body.includes("1.3.0"),
      "the body says 1.2.3 -> 1.3.0",
    ],
    [
      /^-\s+tag: "1\.2\.3"\n\+\s+tag: "1\.3\.0"$/m.test(patchOf("fleet/aether/fleet.yaml")) &&
        patchOf("fleet/aether/fleet.yaml")
          .split("\n")
          .filter((l) => /^\+\s/.test(l)).length === 1,
      "fleet.yaml: staging's pin, and only it, goes to 1.3.0",
    ],
    [
      deployPull.body.includes("Deploys to staging; production keeps 1.2.3 until promoted."),
      "the body says it deploys to staging and production keeps 1.2.3",
    ],
  ]);
  print(`  ✔ as expected`);
  return { number: deploy.number, head: deployPull.head.sha, files };
}

/**
 * Step 6: alice merges the deploy PR. Its pull_request webhook is not replayed: monobot checks it
 * as it checks the promotion PR in step 8, and each check run is a write GitHub asks to space a
 * second apart; the demo spends those seconds on the promotion PR, where the freeze holds.
 */
async function mergeDeployPull(act: Act, deploy: DeployPull): Promise<DeployMerged> {
  const { sandbox, print, configRepo } = act;
  const step6 = "step 6 (alice merges the deploy PR)";
  print(`\n━━ Step 6: alice merges the deploy PR`);
  print(`  (its checks are those of the promotion PR in step 8, not replayed here; production's`);
  print(`  freeze does not hold a pull request that moves no production pin)`);
  const before = sandbox.branchSha(configRepo, "main") ?? "";
  const sha = sandbox.mergePullRequest(configRepo, deploy.number, { user: "alice" });
  const push = await sandbox.deliver(
    sandbox.events.push({ repo: configRepo, ref: "refs/heads/main", before, after: sha }),
  );
  print(
    `  GitHub → monobot: push to ${configRepo} main (${shortSha(sha)}), answered ${push.status}`,
  );
  await act.settle(step6);
  return { pull: deploy.number, sha };
}

/** The last step: an operator seals a secret; monobot provisions it into the monorepo's Actions secrets. */
async function sealSecret(act: Act): Promise<void> {
  const { sandbox, print, repo, configRepo } = act;
  const latest = (r: string, sha: string, name: string) => latestRun(sandbox, r, sha, name);
  const step = "step 11 (a sealed secret reaches its target)";
  print(`\n━━ Step 11: an operator seals DB_PASSWORD for ${repo} and merges it into ${configRepo}`);
  const dir = mkdtempSync(join(tmpdir(), "monobot-demo-"));
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    stdout: (t: string) => out.push(t),
    stderr: (t: string) => err.push(t),
    cwd: dir,
    env: {},
    stdinIsTTY: false,
    readStdin: () => Promise.resolve(new Uint8Array(Buffer.from(`${act.secretValue}\n`, "utf8"))),
  };
  if ((await runSecretsCli(["public-key", "--from", act.server.url], io)) !== 0)
    throw act.fail(step, `monobot secrets public-key failed: ${err.join("")}`);
  writeFileSync(join(dir, "monobot-public-key.yml"), out.join(""));
  print(`  $ monobot secrets public-key --from ${act.server.url}`);
  print(indent(out.join("").trim(), "    "));
  out.length = 0;
  const sealed = await runSecretsCli(
    [
      "seal",
      "--name",
      "DB_PASSWORD",
      "--to",
      repo,
      "--public-key-file",
      join(dir, "monobot-public-key.yml"),
    ],
    io,
  );
  if (sealed !== 0) throw act.fail(step, `monobot secrets seal failed: ${err.join("")}`);
  const entry = out.join("");
  print(
    `  $ monobot secrets seal --name DB_PASSWORD --to ${repo} < value  (the value is not shown)`,
  );
  print(indent(entry.trim().replace(/(sealed: ).{24}.*/, "$1…"), "    "));
  print(indent(err.join("").trim(), "    "));
  const secretsBefore = sandbox.branchSha(configRepo, "main") ?? "";
  const current = sandbox.readFile(configRepo, "main", "secrets.yml") ?? "";
  const commit = sandbox.pushCommit(configRepo, {
    branch: "main",
    author: "alice",
    message:
      "Add DB_PASSWORD for the platform monorepo\n\nSigned-off-by: Alice Liddell <alice@example.com>",
    files: { "secrets.yml": `${current.replace(/^\[\]\s*$/m, "")}${entry}` },
  });
  const secretsPush = await sandbox.deliver(
    sandbox.events.push({
      repo: configRepo,
      ref: "refs/heads/main",
      before: secretsBefore,
      after: commit.sha,
    }),
  );
  print(`  GitHub → monobot: push to ${configRepo} main, answered ${secretsPush.status}`);
  await act.settle(step);
  const sync = latest(configRepo, commit.sha, "monobot/secrets-sync");
  print(
    `    ${sync?.conclusion === "success" ? "✔" : "✘"} monobot/secrets-sync  ${sync?.conclusion ?? "none"}  ${sync?.output.title ?? ""}`,
  );
  const stored = sandbox.secrets(repo).DB_PASSWORD;
  print(
    `  ${repo}'s Actions secret DB_PASSWORD, decrypted by the sandbox with its own key: ${stored === act.secretValue ? "equal to the operator's value" : "NOT equal"}`,
  );
  act.expectAll(step, [
    [
      sync?.conclusion === "success",
      `monobot/secrets-sync succeeds (seen ${sync?.conclusion ?? "none"})`,
    ],
    [stored === act.secretValue, "the target holds exactly the sealed value"],
    [
      !act.server.logs().some((l) => JSON.stringify(l).includes(act.secretValue)),
      "the value appears in no server log line",
    ],
    [
      !sandbox
        .pullInfos(configRepo)
        .some((p) =>
          sandbox
            .comments(configRepo, p.number)
            .some((c) => String(c.body).includes(act.secretValue)),
        ) &&
        !JSON.stringify(checkRunsOf(sandbox, configRepo, commit.sha)).includes(act.secretValue),
      "the value appears in no comment or check run",
    ],
  ]);
  print(`  ✔ as expected`);
}
