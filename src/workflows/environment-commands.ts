// `/promote`, `/rollback`, `/hold` and `/unhold` on the config repo: read what runs where and what is verified, plan in the core, then write the pull request or the hold record.
import type { EnvironmentAction } from "../core/commands.js";
import { environmentMatrix, pinFiles } from "../core/env-matrix.js";
import { applyPinEdits } from "../core/env-pin-edits.js";
import { HOLD_TASK, type DeploymentRecord } from "../core/env-record.js";
import { previousEnvironment } from "../core/environments.js";
import type { Policy } from "../core/policy.js";
import {
  environmentCommandProblem,
  planPromotion,
  planRollback,
  type EnvironmentPrPlan,
} from "../core/promotion-plan.js";
import type { ConfigRepoPort } from "../forge/config-repo.js";
import type { DeploymentsPort } from "../forge/deployments.js";
import type { GitHubRepo } from "../forge/github.js";
import type { Log } from "../log.js";
import { readEnvironmentPins } from "./promotion-check.js";

export interface EnvironmentCommandsInput {
  /** The config repo (the repository the comment is on). */
  port: Pick<GitHubRepo, "paths" | "readFiles">;
  config: ConfigRepoPort;
  deployments: DeploymentsPort;
  /** Its default branch's policy. */
  policy: Policy;
  actions: readonly EnvironmentAction[];
  by: string;
  log: Log;
}

/** What runs where on the default branch, and the deployments of the environments involved. */
async function readState(input: EnvironmentCommandsInput, sha: string) {
  const { components, pins, charts } = await readEnvironmentPins(input.port, sha, input.policy);
  const wanted = pinFiles(pins);
  const texts = await input.port.readFiles(wanted.map((path) => ({ sha, path })));
  const files = new Map(charts);
  for (const path of wanted) {
    const text = texts.get(`${sha}:${path}`);
    if (typeof text === "string") files.set(path, text);
  }
  const { cells } = environmentMatrix({ policy: input.policy, files, components });
  const environments = new Set<string>();
  for (const a of input.actions) {
    environments.add(a.environment);
    const previous = previousEnvironment(input.policy.deploy.environments, a.environment);
    if (previous) environments.add(previous.name);
  }
  const records: DeploymentRecord[] = [];
  for (const environment of [...environments].sort()) {
    records.push(...(await input.deployments.listDeployments({ environment, limit: 100 })));
  }
  return { pins, cells, files, records };
}

/** Puts `environment` on hold for `component`, or lifts the hold: one deployment record. */
async function writeHold(
  input: EnvironmentCommandsInput,
  ref: string,
  action: { component: string; environment: string; hold: boolean; reason: string },
): Promise<void> {
  const record = await input.deployments.createDeployment({
    ref,
    environment: action.environment,
    task: HOLD_TASK,
    payload: {
      component: action.component,
      hold: action.hold,
      reason: action.reason,
      by: input.by,
    },
    description: `${action.hold ? "hold" : "unhold"} ${action.component}: ${action.reason}`.slice(
      0,
      140,
    ),
    transientEnvironment: false,
  });
  await input.deployments.setDeploymentStatus(record.id, {
    state: "success",
    description: action.hold ? "on hold" : "hold lifted",
  });
}

/** Writes the planned pull request: ONE commit on the default branch, its branch, the pull request. */
async function writePull(
  config: ConfigRepoPort,
  plan: Extract<EnvironmentPrPlan, { ok: true }>,
  files: ReadonlyMap<string, string>,
): Promise<string> {
  const applied = applyPinEdits(files, plan.edits);
  if (!applied.ok) return `monobot cannot write the pin: ${applied.reason}`;
  if (applied.changed.size === 0)
    return `the pins hold ${plan.version} already; nothing to change.`;
  const heads = await config.heads([plan.branch]);
  const base = heads.defaultBranch;
  const tree = await config.git.createTree(
    base.treeSha,
    [...applied.changed].map(([path, content]) => ({ path, content })),
  );
  const commit = await config.git.createCommit({
    message: plan.commitMessage,
    tree,
    parents: [base.sha],
  });
  // The branch is monobot's own: rebuilt as one commit on the default branch each time.
  // Moved only from the commit read (compare-and-swap), never forced over someone's push.
  const tip = heads.branches.get(plan.branch);
  if (!tip) await config.createBranch(plan.branch, commit);
  else if ((await config.git.replaceBranch(plan.branch, tip.sha, commit)) === "rejected") {
    return `GitHub refused to move \`${plan.branch}\` (it changed since monobot read it); try again.`;
  }
  const open = (await config.pullsForBranch(plan.branch)).find((p) => p.state === "open");
  if (open) {
    await config.updatePull(open.number, { title: plan.title, body: plan.body });
    return `${plan.title}: updated ${open.url}.`;
  }
  const pull = await config.createPull({
    head: plan.branch,
    base: base.name,
    title: plan.title,
    body: plan.body,
  });
  return pull === "exists"
    ? `${plan.title}: the pull request of \`${plan.branch}\` was opened meanwhile.`
    : `${plan.title}: opened ${pull.url}.`;
}

/** Runs the comment's environment commands in order; one reply each. */
export async function runEnvironmentCommands(input: EnvironmentCommandsInput): Promise<string[]> {
  if (input.actions.length === 0) return [];
  const heads = await input.config.heads([]);
  const ref = heads.defaultBranch.name;
  const state = await readState(input, heads.defaultBranch.sha);
  const replies: string[] = [];
  for (const action of input.actions) {
    const facts = {
      environments: input.policy.deploy.environments,
      pins: state.pins,
      cells: state.cells,
      records: state.records,
      component: action.component,
      environment: action.environment,
      by: input.by,
    };
    if (action.kind === "hold" || action.kind === "unhold") {
      const problem = environmentCommandProblem(facts, action.kind);
      if (problem && !problem.ok) {
        replies.push(problem.reply);
        continue;
      }
      const hold = action.kind === "hold";
      await writeHold(input, ref, {
        ...action,
        hold,
        reason: hold ? action.reason : `lifted by @${input.by}`,
      });
      replies.push(
        hold
          ? `${action.environment} is on hold for ${action.component}: automation promotes no version of it there until \`/unhold ${action.component} ${action.environment}\`.`
          : `${action.environment} is no longer on hold for ${action.component}.`,
      );
      continue;
    }
    const plan =
      action.kind === "promote"
        ? planPromotion(facts)
        : planRollback({ ...facts, ...(action.version ? { version: action.version } : {}) });
    if (!plan.ok) {
      replies.push(plan.reply);
      continue;
    }
    const written = await writePull(input.config, plan, state.files);
    if (action.kind === "rollback") {
      await writeHold(input, ref, {
        component: action.component,
        environment: action.environment,
        hold: true,
        reason: `rolled back to ${plan.version} by @${input.by}`,
      });
    }
    input.log.info({ action: action.kind, version: plan.version }, "environment command");
    replies.push(
      action.kind === "rollback"
        ? `${written} ${action.environment} is on hold for ${action.component} until \`/unhold ${action.component} ${action.environment}\`.`
        : written,
    );
  }
  return replies;
}
