// Promotion: a version verified (and soaked) in one environment becomes ONE pull request
// `monobot/promote-{component}-{environment}` that moves only the next environment's pins.
import { holdOf, HOLD_TASK, type DeploymentRecord } from "../core/env-record.js";
import { applyPinEdits, changedPins, planPinMove } from "../core/env-pin-edits.js";
import { configRepoComponents, expandEnvironmentPins, type EnvPin } from "../core/env-matrix.js";
import { findEnvironment, nextEnvironment } from "../core/environments.js";
import { statusContext } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import {
  parsePromotionMarker,
  promotionBody,
  promotionBranch,
  promotionCommitMessage,
  promotionTitle,
  type PromotionText,
} from "../core/promotion-pr.js";
import type { GitHubConfigRepo } from "../forge/config-repo.js";
import type { GitHubRepo } from "../forge/github.js";
import type { CommitStatus } from "../forge/port.js";
import type { Log } from "../log.js";

/** Every environment's pins at `sha`: the charts read once (two requests), the pins expanded. */
export async function environmentPinsAt(
  port: GitHubRepo,
  policy: Policy,
  sha: string,
): Promise<EnvPin[]> {
  const paths = await port.paths(sha);
  const charts = paths.filter((p) => p === "Chart.yaml" || p.endsWith("/Chart.yaml"));
  const texts = await port.readFiles(charts.map((path) => ({ sha, path })));
  const files = new Map<string, string>();
  for (const path of charts) {
    const text = texts.get(`${sha}:${path}`);
    if (typeof text === "string") files.set(path, text);
  }
  return expandEnvironmentPins(policy.deploy.environments, configRepoComponents(policy, files));
}

export type PromotionOutcome =
  | { kind: "last" }
  | { kind: "held"; environment: string; reason: string }
  | { kind: "refused"; reason: string }
  | { kind: "current"; environment: string }
  | { kind: "pending-newer"; pull: number }
  | { kind: "proposed"; pull: number; replaced?: string };

interface PromoteInput {
  port: GitHubRepo;
  config: GitHubConfigRepo;
  policy: Policy;
  /** The upstream deployment, verified and soaked. */
  deployment: DeploymentRecord;
  soak?: string;
  /** The upstream commit's statuses, when the caller read them already. */
  statuses?: CommitStatus[];
  log: Log;
}

/** Opens or updates the promotion PR of a verified deployment, unless held, current or outdated. */
export async function promote(input: PromoteInput): Promise<PromotionOutcome> {
  const { port, config, policy, deployment: d, log } = input;
  const component = String(d.payload.component ?? "");
  const version = String(d.payload.version ?? "");
  // Never propose what is not verified upstream.
  if (d.state !== "success") return { kind: "refused", reason: `deployment ${d.id} is ${d.state}` };
  const from = findEnvironment(policy.deploy.environments, d.environment);
  const next = nextEnvironment(policy.deploy.environments, d.environment);
  if (!from || !next) return { kind: "last" };
  const hold = holdOf(
    await port.listDeployments({ environment: next.name, task: HOLD_TASK, limit: 5 }),
    next.name,
    component,
  );
  if (hold?.held) {
    log.info({ component, environment: next.name, reason: hold.reason }, "promotion held");
    return { kind: "held", environment: next.name, reason: hold.reason };
  }
  const branch = promotionBranch(component, next.name);
  const [heads, open] = await Promise.all([
    config.heads([branch]),
    config.pullsForBranch(branch).then((ps) => ps.find((p) => p.state === "open")),
  ]);
  const pending = parsePromotionMarker(open?.body);
  if (open && pending && pending.deployment >= d.id)
    return { kind: "pending-newer", pull: open.number };
  const base = heads.defaultBranch.sha;
  const pins = (await environmentPinsAt(port, policy, base)).filter(
    (p) => p.environment === next.name && p.component === component,
  );
  const files = await config.readFiles(base, [...new Set(pins.map((p) => p.file))]);
  const applied = applyPinEdits(
    files,
    planPinMove(pins, { environment: next.name, component, version }),
  );
  if (!applied.ok) return { kind: "refused", reason: applied.reason };
  if (applied.changed.size === 0) return { kind: "current", environment: next.name };
  const moved = changedPins(
    pins,
    [...applied.changed].map(([path, after]) => ({ path, before: files.get(path), after })),
  );
  const statuses = input.statuses ?? (await port.statuses(d.sha));
  const contexts = (from.verify?.jobs ?? []).map((j) => statusContext(component, j, from.name));
  const text: PromotionText = {
    component,
    from: from.name,
    to: next.name,
    version,
    ...(moved[0]?.from !== undefined ? { supersedes: moved[0].from } : {}),
    ...(pending ? { replaced: pending.version } : {}),
    deployment: { id: d.id, ...(input.soak ? { soak: input.soak } : {}) },
    runs: statuses
      .filter((s) => contexts.includes(s.context))
      .map((s) => ({
        context: s.context,
        state: s.state,
        ...(s.targetUrl ? { url: s.targetUrl } : {}),
      })),
    pins: moved.map((m) => ({
      file: m.file,
      key: m.key,
      line: m.line,
      ...(m.from ? { before: m.from } : {}),
    })),
  };
  const tree = await config.git.createTree(
    heads.defaultBranch.treeSha,
    [...applied.changed].map(([path, content]) => ({ path, content })),
  );
  const commit = await config.git.createCommit({
    message: promotionCommitMessage(text),
    tree,
    parents: [base],
  });
  // The branch is monobot's own, rebuilt as one commit on the default branch: moved only from
  // the commit read (compare-and-swap), so a push made meanwhile is never overwritten.
  const tip = heads.branches.get(branch);
  if (tip) {
    if ((await config.git.replaceBranch(branch, tip.sha, commit)) === "rejected") {
      throw new Error(
        `GitHub refused to move ${branch}: it changed since monobot read it (a push there is never overwritten); /promote opens it again`,
      );
    }
  } else await config.createBranch(branch, commit);
  const title = promotionTitle(text);
  const body = promotionBody(text);
  if (open) {
    await config.updatePull(open.number, { title, body });
    return {
      kind: "proposed",
      pull: open.number,
      ...(pending ? { replaced: pending.version } : {}),
    };
  }
  const created = await config.createPull({
    head: branch,
    base: heads.defaultBranch.name,
    title,
    body,
  });
  if (created === "exists") return { kind: "pending-newer", pull: 0 };
  return { kind: "proposed", pull: created.number };
}
