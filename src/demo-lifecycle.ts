// The demo's second act: the PR merges, the release is tagged and published, monobot opens the
// deploy PR on the config repo, the gate holds it in a freeze window, an admin lets it through,
// it merges; then an operator seals a secret and monobot provisions it. Same sandbox and server.
import { shortSha } from "./core/sha.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSecretsCli } from "./cli/secrets.js";
import type { Sandbox } from "./sandbox/driver.js";

/** What the first act leaves for the second. */
export interface Act {
  sandbox: Sandbox;
  /** The server under test: its address and its log lines so far. */
  server: { url: string; logs(): Record<string, unknown>[] };
  print: (text: string) => void;
  /** Waits until every job the last delivery caused has run; throws naming the step otherwise. */
  settle: (step: string) => Promise<void>;
  fail: (step: string, message: string) => Error;
  expectAll: (step: string, checks: Array<[boolean, string]>) => void;
  repo: string;
  configRepo: string;
  pr: { number: number; headSha: string };
  /** The value the operator seals: never printed, compared only. */
  secretValue: string;
}

interface CheckRunView {
  name: string;
  conclusion: string | null;
  external_id?: string | null;
  output: { title?: string | null; summary?: string | null };
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => `${prefix}${l}`.trimEnd())
    .join("\n");
}

/** Text as GitHub renders it: hidden HTML comments left out, long bodies cut for the terminal. */
function shown(body: string, maxLines = 40): string {
  const lines = body.split("\n").filter((l) => !/^\s*<!--.*-->\s*$/.test(l));
  const cut = lines.length > maxLines ? [...lines.slice(0, maxLines), "…"] : lines;
  return cut.join("\n").trim();
}

/** The freeze window the demo puts around "now": from an hour ago to an hour ahead, in UTC. */
export function demoFreezeWindow(now = new Date()): { from: string; to: string } {
  const minute = (d: Date) => d.toISOString().slice(0, 16);
  return {
    from: minute(new Date(now.getTime() - 3600_000)),
    to: minute(new Date(now.getTime() + 3600_000)),
  };
}

export async function playLifecycle(act: Act): Promise<void> {
  const { sandbox, print, repo, configRepo } = act;
  const runs = (r: string, sha: string) => sandbox.checkRuns(r, sha) as unknown as CheckRunView[];
  const latest = (r: string, sha: string, name: string) =>
    runs(r, sha).find((x) => x.name === name);

  // Step 4: the PR merges; monobot tags the release and dispatches the publish job.
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

  // Step 5: the publish run succeeds; monobot opens the deploy PR on the config repo.
  const step5 = "step 5 (the publish run succeeds; the deploy PR opens)";
  print(`\n━━ Step 5: GitHub Actions reports the publish run as successful`);
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
  for (const f of files) {
    print(`    ${f.filename}`);
    for (const line of (f.patch ?? "").split("\n").filter((l) => /^[-+][^-+]/.test(l))) {
      print(`      ${line}`);
    }
  }
  print(`\n  Body:`);
  print(indent(shown(deployPull.body), "  │ "));
  act.expectAll(step5, [
    [
      files.some(
        (f) =>
          f.filename === "charts/roc-api/values.yaml" && /\+\s+tag: "1\.3\.0"/.test(f.patch ?? ""),
      ),
      "values.yaml sets the image tag 1.3.0",
    ],
    [
      files.some(
        (f) =>
          f.filename === "charts/roc-api/Chart.yaml" && /\+version: 0\.4\.2/.test(f.patch ?? ""),
      ),
      "the roc-api chart goes to 0.4.2",
    ],
    [
      files.some(
        (f) =>
          f.filename === "charts/aether/Chart.yaml" && /\+version: 1\.4\.1/.test(f.patch ?? ""),
      ),
      "the aether umbrella pins 0.4.2 and goes to 1.4.1",
    ],
    [
      deployPull.body.includes("1.2.3") && deployPull.body.includes("1.3.0"),
      "the body says 1.2.3 -> 1.3.0",
    ],
    [/staging/.test(deployPull.body), "the preview names the staging cluster group"],
  ]);
  print(`  ✔ as expected`);

  // Step 6: the PR's checks, with the gate holding it in the freeze window.
  const step6 = "step 6 (the gate holds the deploy PR in a freeze window)";
  print(`\n━━ Step 6: the deploy PR is checked; the config repo is in a freeze window`);
  const openedDeploy = await sandbox.deliver(
    sandbox.events.pullRequest({ repo: configRepo, number: deploy.number, action: "opened" }),
  );
  print(
    `  GitHub → monobot: pull_request.opened on ${configRepo}, answered ${openedDeploy.status}`,
  );
  await act.settle(step6);
  const head = deployPull.head.sha;
  for (const r of runs(configRepo, head)) {
    print(
      `    ${r.conclusion === "success" ? "✔" : r.conclusion === "failure" ? "✘" : "○"} ${r.name.padEnd(20)} ${r.conclusion ?? "pending"}  ${r.output.title ?? ""}`,
    );
  }
  const gate = latest(configRepo, head, "monobot/deploy-gate");
  if (gate?.output.summary) print(indent(shown(gate.output.summary, 8), "      "));
  act.expectAll(step6, [
    [
      gate?.conclusion === "failure",
      `monobot/deploy-gate fails inside the window (seen ${gate?.conclusion ?? "none"})`,
    ],
    [
      latest(configRepo, head, "monobot/versions")?.conclusion === "success",
      "monobot/versions passes on the chart bumps",
    ],
  ]);
  print(`  ✔ as expected: the PR waits (the gate would turn green by itself when the window ends)`);

  // Step 7: an admin lets it through, and it merges.
  const step7 = "step 7 (alice, an admin, lets it through; it merges)";
  print(
    `\n━━ Step 7: alice, an admin of ${configRepo}, comments "/deploy-anyway hotfix for the demo"`,
  );
  const anyway = sandbox.comment(configRepo, deploy.number, {
    user: "alice",
    body: "/deploy-anyway hotfix for the demo",
  });
  const anywayAnswer = await sandbox.deliver(
    sandbox.events.issueComment({ repo: configRepo, commentId: anyway.id }),
  );
  print(`  GitHub → monobot: issue_comment.created, answered ${anywayAnswer.status}`);
  await act.settle(step7);
  const overridden = latest(configRepo, head, "monobot/deploy-gate");
  print(
    `    ○ monobot/deploy-gate  ${overridden?.conclusion ?? "none"}  ${overridden?.output.title ?? ""}`,
  );
  const configBefore = sandbox.branchSha(configRepo, "main") ?? "";
  const deployed = sandbox.mergePullRequest(configRepo, deploy.number, { user: "alice" });
  const configPush = await sandbox.deliver(
    sandbox.events.push({
      repo: configRepo,
      ref: "refs/heads/main",
      before: configBefore,
      after: deployed,
    }),
  );
  print(
    `  alice merges it; GitHub → monobot: push to ${configRepo} main, answered ${configPush.status}`,
  );
  await act.settle(step7);
  const values = sandbox.readFile(configRepo, "main", "charts/roc-api/values.yaml") ?? "";
  print(
    `  ${configRepo}@main charts/roc-api/values.yaml: ${values
      .split("\n")
      .find((l) => /tag:/.test(l))
      ?.trim()}`,
  );
  act.expectAll(step7, [
    [
      overridden?.conclusion === "neutral",
      `the gate is neutral after the override (seen ${overridden?.conclusion ?? "none"})`,
    ],
    [/tag: "1\.3\.0"/.test(values), "the config repo now runs roc-api 1.3.0"],
  ]);
  print(`  ✔ as expected`);

  // Step 8: an operator seals a secret; monobot provisions it into the monorepo's Actions secrets.
  const step8 = "step 8 (a sealed secret reaches its target)";
  print(`\n━━ Step 8: an operator seals DB_PASSWORD for ${repo} and merges it into ${configRepo}`);
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
    throw act.fail(step8, `monobot secrets public-key failed: ${err.join("")}`);
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
  if (sealed !== 0) throw act.fail(step8, `monobot secrets seal failed: ${err.join("")}`);
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
  await act.settle(step8);
  const sync = latest(configRepo, commit.sha, "monobot/secrets-sync");
  print(
    `    ${sync?.conclusion === "success" ? "✔" : "✘"} monobot/secrets-sync  ${sync?.conclusion ?? "none"}  ${sync?.output.title ?? ""}`,
  );
  const stored = sandbox.secrets(repo).DB_PASSWORD;
  print(
    `  ${repo}'s Actions secret DB_PASSWORD, decrypted by the sandbox with its own key: ${stored === act.secretValue ? "equal to the operator's value" : "NOT equal"}`,
  );
  act.expectAll(step8, [
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
        .comments(configRepo, deploy.number)
        .some((c) => String(c.body).includes(act.secretValue)) &&
        !JSON.stringify(runs(configRepo, commit.sha)).includes(act.secretValue),
      "the value appears in no comment or check run",
    ],
  ]);
  print(`  ✔ as expected`);
}
