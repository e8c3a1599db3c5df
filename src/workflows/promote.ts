// Promotion: a version verified (and soaked) in one environment becomes ONE pull request
// `monobot/promote-{component}-{environment}` that moves only the next environment's pins.
import { CHART_FILE, parseChart } from "../core/charts.js";
import { holdOf, HOLD_TASK, type DeploymentRecord } from "../core/env-record.js";
import { applyPinEdits, changedPins, planPinMove, type PinChange } from "../core/env-pin-edits.js";
import { expandPin } from "../core/env-pin-key.js";
import {
  configRepoComponents,
  expandEnvironmentPins,
  pinFiles,
  type EnvComponent,
  type EnvPin,
} from "../core/env-matrix.js";
import { findEnvironment, nextEnvironment, type EnvironmentConfig } from "../core/environments.js";
import { statusContext } from "../core/jobs.js";
import type { Policy } from "../core/policy.js";
import {
  parsePromotionMarker,
  promotionBody,
  promotionBranch,
  promotionCommitMessage,
  promotionTargets,
  promotionTitle,
  type PromotionText,
} from "../core/promotion-pr.js";
import type { GitHubConfigRepo } from "../forge/config-repo.js";
import type { GitHubRepo } from "../forge/github.js";
import type { CommitStatus } from "../forge/port.js";
import type { Log } from "../log.js";
import { DEPLOY_SOURCE_TRAILER } from "./open-deploy-pr.js";
import type { NotesSource } from "./promotion-notes.js";

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

const chartFile = (folder: string) => (folder === "" ? CHART_FILE : `${folder}/${CHART_FILE}`);

/** Reads `paths` at `sha` in one request, into `into`. */
async function readInto(
  port: GitHubRepo,
  sha: string,
  paths: readonly string[],
  into: Map<string, string>,
): Promise<void> {
  if (paths.length === 0) return;
  const texts = await port.readFiles(paths.map((path) => ({ sha, path })));
  for (const path of paths) {
    const text = texts.get(`${sha}:${path}`);
    if (typeof text === "string") into.set(path, text);
  }
}

/** The charts of a component and the files its pins in one environment are read from. */
interface PinReads {
  folders: string[];
  /** Chart.yaml of each folder and every pin file not named by `{chart_name}`. */
  paths: string[];
}

/**
 * What to read for one component's pins in one environment: its charts (from
 * `components.define`, else the chart its deployment names) and the pin files, so they come in
 * the same request as the heads, whatever the number of components. Undefined when no chart is known.
 */
function pinReads(
  policy: Policy,
  env: EnvironmentConfig,
  component: string,
  chart: unknown,
): PinReads | undefined {
  const defined = policy.components.define[component]?.chart;
  const folders =
    defined !== undefined
      ? typeof defined === "string"
        ? [defined]
        : [...defined]
      : typeof chart === "string"
        ? [chart]
        : [];
  if (folders.length === 0) return undefined;
  const named = env.pins.flatMap((pin) =>
    folders.map((folder) =>
      expandPin(pin.file, { environment: env.name, component, chart: folder }),
    ),
  );
  const early = named.filter((f) => !f.includes("{chart_name}"));
  return { folders, paths: [...new Set([...folders.map(chartFile), ...early])] };
}

/**
 * The pins of `component` in `env` at `sha` and their files, from what `pinReads` named (read
 * already: `read`), plus pin files named by `{chart_name}` (one more read); the whole tree only
 * when a chart is not where the policy or the deployment says.
 */
async function pinsToMove(
  port: GitHubRepo,
  policy: Policy,
  sha: string,
  env: EnvironmentConfig,
  component: string,
  reads: PinReads | undefined,
  read: ReadonlyMap<string, string>,
): Promise<{ pins: EnvPin[]; files: Map<string, string> }> {
  const files = new Map(read);
  const charts: EnvComponent["charts"] = [];
  for (const folder of reads?.folders ?? []) {
    const text = files.get(chartFile(folder));
    if (text === undefined) break;
    const parsed = parseChart(text, chartFile(folder));
    const name = parsed.ok ? parsed.chart.name : undefined;
    charts.push({ folder, name: name ?? folder.slice(folder.lastIndexOf("/") + 1) });
  }
  const targeted = reads !== undefined && charts.length === reads.folders.length;
  const pins = (
    targeted
      ? expandEnvironmentPins(policy.deploy.environments, [{ name: component, charts }])
      : await environmentPinsAt(port, policy, sha)
  ).filter((p) => p.environment === env.name && p.component === component);
  await readInto(
    port,
    sha,
    pinFiles(pins).filter((f) => !files.has(f)),
    files,
  );
  return { pins, files };
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
  /** The component's release notes between two versions (see promotion-notes.ts). */
  notes?: NotesSource;
  log: Log;
}

/** What the promotion PR says: the evidence from `from`, the pins moved, where, and the notes. */
async function promotionText(
  input: PromoteInput,
  moves: {
    from: EnvironmentConfig;
    to: string;
    pins: readonly EnvPin[];
    moved: readonly PinChange[];
    /** The pin files after the move. */
    after: ReadonlyMap<string, string>;
    replaced?: string;
  },
): Promise<PromotionText> {
  const { port, deployment: d } = input;
  const { from, to, pins, moved } = moves;
  const component = String(d.payload.component ?? "");
  const version = String(d.payload.version ?? "");
  const statuses = input.statuses ?? (await port.statuses(d.sha));
  const contexts = (from.verify?.jobs ?? []).map((j) => statusContext(component, j, from.name));
  const supersedes = moved[0]?.from;
  return {
    component,
    from: from.name,
    to,
    version,
    ...(supersedes !== undefined ? { supersedes } : {}),
    ...(moves.replaced !== undefined ? { replaced: moves.replaced } : {}),
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
    targets: promotionTargets(
      to,
      moved.flatMap((m) => {
        const pin = pins.find((p) => p.file === m.file && p.key === m.key);
        return pin ? [{ file: m.file, line: m.line, layout: pin.layout, steps: pin.steps }] : [];
      }),
      moves.after,
    ),
    ...(input.notes
      ? {
          notes: await input.notes({
            source: d.payload.source,
            component,
            ...(supersedes !== undefined ? { from: supersedes } : {}),
            to: version,
            environment: to,
          }),
        }
      : {}),
  };
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
  const reads = pinReads(policy, next, component, d.payload.chart);
  const heads = await config.heads([branch], reads?.paths ?? []);
  const tip = heads.branches.get(branch);
  // GitHub closes a pull request whose head branch is deleted: no branch, no open PR to read.
  const open = tip
    ? (await config.pullsForBranch(branch)).find((p) => p.state === "open")
    : undefined;
  const pending = parsePromotionMarker(open?.body);
  if (open && pending && pending.deployment >= d.id)
    return { kind: "pending-newer", pull: open.number };
  const base = heads.defaultBranch.sha;
  const { pins, files } = await pinsToMove(
    port,
    policy,
    base,
    next,
    component,
    reads,
    heads.files ?? new Map(),
  );
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
  const text = await promotionText(input, {
    from,
    to: next.name,
    pins,
    moved,
    after: new Map([...files, ...applied.changed]),
    ...(pending ? { replaced: pending.version } : {}),
  });
  const tree = await config.git.createTree(
    heads.defaultBranch.treeSha,
    [...applied.changed].map(([path, content]) => ({ path, content })),
  );
  // The monorepo travels with the version: the next environment's Deployment records it again.
  const source = typeof d.payload.source === "string" ? d.payload.source : undefined;
  const commit = await config.git.createCommit({
    message: `${promotionCommitMessage(text)}${source ? `\n\n${DEPLOY_SOURCE_TRAILER}: ${source}` : ""}`,
    tree,
    parents: [base],
  });
  // The branch is monobot's own, rebuilt as one commit on the default branch: moved only from
  // the commit read (compare-and-swap), so a push made meanwhile is never overwritten.
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
