// The config repo's dashboard issue: read the state, build the board, write the issue only when its text changed (spaced per repository); a ticked box runs its command as the person who ticked it.
import type { BackendDeps } from "../ci/backend.js";
import {
  ENVIRONMENT_COMMANDS,
  environmentCommandRules,
  mayRunCommand,
} from "../core/command-access.js";
import { commandTeams } from "../core/access-commands.js";
import { commandTable, type CommandName, type ParsedCommand } from "../core/commands.js";
import {
  actionText,
  boardActions,
  DASHBOARD_TITLE,
  dashboardEnabled,
  isDashboard,
  newTicks,
  renderDashboard,
  tickedActions,
  type DashboardAction,
} from "../core/dashboard.js";
import {
  buildEnvBoard,
  type BoardPromotionPull,
  type BoardPull,
  type EnvBoard,
} from "../core/env-board.js";
import { environmentMatrix, pinFiles } from "../core/env-matrix.js";
import { DEPLOY_TASK, deployOf, type DeploymentRecord } from "../core/env-record.js";
import { findEnvironment } from "../core/environments.js";
import type { Policy } from "../core/policy.js";
import { parsePromotionMarker } from "../core/promotion-pr.js";
import { parseDeployMarker, repliedTo, replyMarker } from "../core/pr-state.js";
import type { GitHubRepo } from "../forge/github.js";
import { jobSpec } from "../runtime/job.js";
import { readTeams } from "./access-check.js";
import { dispatchVerification } from "./env-deployments.js";
import { runEnvironmentCommands } from "./environment-commands.js";
import { eventInstallation, type JobContext, type RepoRef } from "./job-context.js";
import { deploymentsOf, readEnvironmentPins } from "./promotion-check.js";

export const DASHBOARD_HANDLER = "dashboard";
/** At most one edit of a repository's dashboard this often, whatever the event rate. */
export const DASHBOARD_GAP_MS = 5_000;
/** Open promotion pull requests whose checks are read to say what they wait for. */
const PROMOTIONS_READ = 20;
/** Recent pull requests of the config repo read for the releases and the cells' links. */
const PULLS_READ = 50;

/** Render the dashboard again (an event that may change it); `paced`: the spacing's own follow-up. */
export interface RenderSpec {
  kind: "render";
  repo: RepoRef;
  paced?: boolean;
  /** A push's head: its policy read is the one the event's other jobs share. */
  sha?: string;
}

/** Someone edited the dashboard: run the boxes they ticked. */
export interface TickSpec {
  kind: "ticks";
  repo: RepoRef;
  issue: number;
  sender: string;
  before: string;
  after: string;
}

export type DashboardSpec = RenderSpec | TickSpec;

/** Every dashboard job of a repository runs alone; queued renders replace each other. */
export function dashboardKey(repo: { owner: string; name: string }): string {
  return `${repo.owner}/${repo.name}@dashboard`;
}

interface IssueData {
  number: number;
  body: string;
  updatedAt: string;
  url: string;
}

function issueData(i: {
  number: number;
  body?: string | null;
  updated_at: string;
  html_url: string;
}): IssueData {
  return { number: i.number, body: i.body ?? "", updatedAt: i.updated_at, url: i.html_url };
}

/** The bot's dashboard issue (open or closed), found by its marker among the bot's issues. */
async function findIssue(port: GitHubRepo, botLogin: string): Promise<IssueData | undefined> {
  const { data } = await port.octokit.rest.issues.listForRepo({
    owner: port.owner,
    repo: port.repo,
    creator: botLogin,
    state: "all",
    // Oldest first: the dashboard is among the first issues monobot opens on a config repo.
    sort: "created",
    direction: "asc",
    per_page: 100,
  });
  const found = data
    .filter((i) => !i.pull_request && isDashboard(i.body))
    .sort((a, b) => a.number - b.number)[0];
  return found ? issueData(found) : undefined;
}

async function readIssue(port: GitHubRepo, number: number): Promise<IssueData> {
  const { data } = await port.octokit.rest.issues.get({
    owner: port.owner,
    repo: port.repo,
    issue_number: number,
  });
  return issueData(data);
}

/** The config repo's recent deploy and promotion pull requests, from their markers: one listing. */
async function readPulls(
  port: GitHubRepo,
): Promise<{ pulls: BoardPull[]; heads: Map<number, string> }> {
  const { data } = await port.octokit.rest.pulls.list({
    owner: port.owner,
    repo: port.repo,
    state: "all",
    sort: "updated",
    direction: "desc",
    per_page: PULLS_READ,
  });
  const pulls: BoardPull[] = [];
  const heads = new Map<number, string>();
  for (const p of data) {
    const state = p.state === "open" ? "open" : p.merged_at ? "merged" : "closed";
    const base = { number: p.number, url: p.html_url, state, at: p.updated_at } as const;
    const promotion = parsePromotionMarker(p.body ?? "");
    const deploy = promotion ? undefined : parseDeployMarker(p.body);
    if (promotion) {
      pulls.push({
        ...base,
        kind: "promotion",
        component: promotion.component,
        version: promotion.version,
        environment: promotion.environment,
      });
    } else if (deploy) {
      pulls.push({ ...base, kind: "deploy", component: deploy.component, version: deploy.version });
    } else continue;
    heads.set(p.number, p.head.sha);
  }
  return { pulls, heads };
}

/** What each open promotion pull request waits for: the access check's title, other failing checks. */
async function readPromotions(
  port: GitHubRepo,
  pulls: readonly BoardPull[],
  heads: ReadonlyMap<number, string>,
): Promise<BoardPromotionPull[]> {
  const out: BoardPromotionPull[] = [];
  const open = pulls.filter((p) => p.kind === "promotion" && p.state === "open" && p.environment);
  for (const p of open.slice(0, PROMOTIONS_READ)) {
    const sha = heads.get(p.number);
    const promotion: BoardPromotionPull = {
      component: p.component,
      environment: p.environment as string,
      version: p.version,
      number: p.number,
      url: p.url,
    };
    if (sha) {
      const { data } = await port.octokit.rest.checks.listForRef({
        owner: port.owner,
        repo: port.repo,
        ref: sha,
        per_page: 100,
      });
      const failing = data.check_runs.filter(
        (r) =>
          r.status === "completed" &&
          (r.conclusion === "failure" || r.conclusion === "action_required"),
      );
      const access = failing.find((r) => r.name === "monobot/access");
      if (access) promotion.missingApprovals = access.output.title ?? "monobot/access fails";
      const others = failing.filter(
        (r) => r.name !== "monobot/access" && r.name !== "monobot/deploy-gate",
      );
      if (others.length > 0) promotion.failingChecks = others.map((r) => r.name);
    }
    out.push(promotion);
  }
  return out;
}

/** Every read the board needs: the matrix at the default branch, the deployments, the pull requests. */
async function readBoard(
  port: GitHubRepo,
  policy: Policy,
  defaultBranch: string,
  context: JobContext,
  head?: string,
): Promise<{ board: EnvBoard; records: DeploymentRecord[]; sha: string }> {
  const sha = head ?? (await port.branchSha(defaultBranch));
  const { components, pins, charts } = await readEnvironmentPins(port, sha, policy);
  const wanted = pinFiles(pins);
  const texts = await port.readFiles(wanted.map((path) => ({ sha, path })));
  const files = new Map(charts);
  for (const path of wanted) {
    const text = texts.get(`${sha}:${path}`);
    if (typeof text === "string") files.set(path, text);
  }
  const matrix = environmentMatrix({ policy, files, components });
  const deployments = deploymentsOf(port);
  const records: DeploymentRecord[] = [];
  for (const env of matrix.environments) {
    records.push(...(await deployments.listDeployments({ environment: env.name, limit: 100 })));
  }
  const { pulls, heads } = await readPulls(port);
  const promotions = await readPromotions(port, pulls, heads);
  const { serverUrl } = context.services.backend;
  const board = buildEnvBoard({
    repository: `${port.owner}/${port.repo}`,
    installationId: context.installationId ?? 0,
    matrix,
    deploy: policy.deploy,
    records,
    pulls,
    promotions,
    now: context.services.now(),
    ...(serverUrl ? { serverUrl } : {}),
  });
  context.services.boards?.put(board);
  return { board, records, sha };
}

/** What one write of the dashboard did. */
export type DashboardWrite = "created" | "updated" | "unchanged" | "deferred" | "off";

/**
 * Writes the board into the issue: re-reads the body right before, carries over the boxes ticked
 * there (except `untick`, the ones just answered), and writes only a changed text.
 */
async function writeIssue(
  port: GitHubRepo,
  board: EnvBoard,
  known: { number: number } | undefined,
  untick: readonly DashboardAction[],
): Promise<DashboardWrite> {
  const current = known ? await readIssue(port, known.number) : undefined;
  const answered = new Set(untick.map(actionText));
  const ticked = tickedActions(current?.body).filter((a) => !answered.has(actionText(a)));
  const body = renderDashboard(board, { ticked });
  if (!current) {
    await port.octokit.rest.issues.create({
      owner: port.owner,
      repo: port.repo,
      title: DASHBOARD_TITLE,
      body,
    });
    return "created";
  }
  if (current.body.replace(/\r\n/g, "\n") === body) return "unchanged";
  await port.octokit.rest.issues.update({
    owner: port.owner,
    repo: port.repo,
    issue_number: current.number,
    body,
  });
  return "updated";
}

/** The render job's follow-up at the end of the spacing: it replaces any earlier one of the repository. */
async function defer(spec: RenderSpec, context: JobContext, lastWrite: number): Promise<void> {
  const due = lastWrite + DASHBOARD_GAP_MS;
  const key = `dashboard:${spec.repo.owner}/${spec.repo.name}`;
  await context.services.followUps.at(key, due, {
    handler: DASHBOARD_HANDLER,
    deliveryId: `${key}:${due}`,
    key: dashboardKey(spec.repo),
    supersedeKey: dashboardKey(spec.repo),
    ...(context.installationId !== undefined ? { installationId: context.installationId } : {}),
    // Later, the default branch's head is read again (a pushed head may be old by then).
    spec: jobSpec({ kind: "render", repo: spec.repo, paced: true } satisfies RenderSpec),
  });
}

/**
 * Renders the dashboard from the current state. At most one write per repository every
 * {@link DASHBOARD_GAP_MS}: a render sooner after the issue's last change than that leaves a
 * follow-up at the end of the gap instead (one per repository: a later one replaces it).
 */
export async function refreshDashboard(
  spec: RenderSpec,
  context: JobContext,
): Promise<DashboardWrite> {
  const { services, log } = context;
  const port = await services.clients.forRepo(
    spec.repo.owner,
    spec.repo.name,
    eventInstallation(context),
  );
  const loaded = await port.loadPolicy(spec.sha ?? spec.repo.defaultBranch);
  if (!loaded.result.ok || !dashboardEnabled(loaded.result.policy)) return "off";
  const botLogin = await services.clients.botLogin();
  const issue = await findIssue(port, botLogin);
  const lastWrite = issue ? Date.parse(issue.updatedAt) : NaN;
  if (!spec.paced && services.now().getTime() - lastWrite < DASHBOARD_GAP_MS) {
    await defer(spec, context, lastWrite);
    log.info(
      { issue: issue?.number },
      "dashboard: written moments ago, rendered again after the gap",
    );
    return "deferred";
  }
  const { board } = await readBoard(
    port,
    loaded.result.policy,
    spec.repo.defaultBranch,
    context,
    spec.sha,
  );
  const outcome = await writeIssue(port, board, issue, []);
  log.info({ issue: issue?.number, outcome, waiting: board.waiting.length }, "dashboard rendered");
  return outcome;
}

/** The command a box stands for, to decide who may run it as from a comment. */
function commandOf(action: DashboardAction): { name: CommandName; command: ParsedCommand } {
  // A retry starts CI, as /retest does: the same trust decides it.
  const name: CommandName = action.kind === "promote" ? "promote" : "retest";
  const args =
    action.kind === "promote" ? [action.component, action.environment] : [action.component];
  return { name, command: { name, args, line: 1, raw: actionText(action) } };
}

/** Whether `sender` may run the box's command, with the sentence to answer when not. */
async function mayTick(
  port: GitHubRepo,
  policy: Policy,
  sender: string,
  action: DashboardAction,
): Promise<{ allowed: boolean; reason: string }> {
  const { name, command } = commandOf(action);
  const spec = commandTable.find((c) => c.name === name);
  if (!spec) return { allowed: false, reason: `monobot knows no \`${name}\` command.` };
  // An edit carries no author association: the permission API decides.
  const permission = await port.permission(sender);
  const teamNames = ENVIRONMENT_COMMANDS.has(name)
    ? commandTeams(environmentCommandRules(command, policy))
    : [];
  const teams = teamNames.length > 0 ? await readTeams(port, teamNames) : new Map();
  return mayRunCommand(
    spec,
    { login: sender, association: "NONE", permission, isPrAuthor: false, prFromFork: false, teams },
    policy,
    command,
  );
}

/** Dispatches the environment's verification of the deployment again (the box "retry verification"). */
async function retry(
  port: GitHubRepo,
  policy: Policy,
  repo: RepoRef,
  records: readonly DeploymentRecord[],
  action: DashboardAction,
  sender: string,
  context: JobContext,
): Promise<string> {
  const env = findEnvironment(policy.deploy.environments, action.environment);
  const d = deployOf(records, action.environment, action.component, action.version);
  if (!env || !d || d.task !== DEPLOY_TASK) {
    return `found no deployment of ${action.component} ${action.version} in ${action.environment} to verify again.`;
  }
  const jobs = env.verify?.jobs ?? [];
  await port.setDeploymentStatus(d.id, {
    state: "in_progress",
    description:
      jobs.length > 0
        ? `verifying again (@${sender}): ${jobs.join(", ")}`
        : `waiting for a deployment status again (@${sender})`,
  });
  const deps: BackendDeps = {
    ...context.services.backend,
    github: port.requester(),
    owner: repo.owner,
    repo: repo.name,
  };
  const installation = context.installationId;
  await dispatchVerification({
    port,
    policy,
    repo,
    sha: d.sha,
    environment: env,
    component: action.component,
    chart: typeof d.payload.chart === "string" ? d.payload.chart : "",
    version: action.version,
    deps,
    ...(installation !== undefined
      ? { tracker: context.services.timeouts.forInstallation(installation) }
      : {}),
    log: context.log,
  });
  return jobs.length > 0
    ? `verifying ${action.component} ${action.version} in ${action.environment} again: ${jobs.map((j) => `\`${j}\``).join(", ")} dispatched.`
    : `${action.component} ${action.version} in ${action.environment} waits for a deployment status again (the environment names no verify.jobs).`;
}

/** Runs one ticked box as `sender`; the reply's sentence. */
async function runTick(
  input: {
    port: GitHubRepo;
    policy: Policy;
    spec: TickSpec;
    board: EnvBoard;
    records: DeploymentRecord[];
    context: JobContext;
  },
  action: DashboardAction,
): Promise<string> {
  const { port, policy, spec, context } = input;
  const text = actionText(action);
  const access = await mayTick(port, policy, spec.sender, action);
  if (!access.allowed) return `"${text}" was not run, and the box is cleared: ${access.reason}`;
  if (!boardActions(input.board).some((a) => actionText(a) === text)) {
    return `"${text}" was not run: the dashboard no longer offers it (the state moved on; see the boxes as they are now).`;
  }
  if (action.kind === "retry")
    return retry(port, policy, spec.repo, input.records, action, spec.sender, context);
  const config = await context.services.clients.configRepo(
    spec.repo.owner,
    spec.repo.name,
    eventInstallation(context),
  );
  const replies = await runEnvironmentCommands({
    port,
    config,
    deployments: deploymentsOf(port),
    policy,
    actions: [{ kind: "promote", component: action.component, environment: action.environment }],
    by: spec.sender,
    log: context.log,
  });
  return replies.join(" ");
}

/**
 * An edit of the dashboard: each newly ticked box runs as its author would run the command from
 * a comment (the same access rules), one comment answers them all, and the issue is written
 * again with those boxes cleared (other ticks made meanwhile carried over).
 */
export async function answerTicks(spec: TickSpec, context: JobContext): Promise<void> {
  const { services, log } = context;
  const ticks = newTicks(spec.before, spec.after);
  if (ticks.length === 0) return;
  const port = await services.clients.forRepo(
    spec.repo.owner,
    spec.repo.name,
    eventInstallation(context),
  );
  const botLogin = await services.clients.botLogin();
  if (spec.sender === botLogin) return;
  const loaded = await port.loadPolicy(spec.repo.defaultBranch);
  if (!loaded.result.ok) {
    log.info("dashboard ticks ignored: the configuration is invalid");
    return;
  }
  const policy = loaded.result.policy;
  if (!dashboardEnabled(policy)) return;
  const comments = await port.listComments(spec.issue);
  const answered = repliedTo(comments, botLogin, context.deliveryId);
  const read = await readBoard(port, policy, spec.repo.defaultBranch, context);
  const replies: string[] = [];
  if (!answered) {
    for (const action of ticks) {
      replies.push(
        await runTick(
          { port, policy, spec, board: read.board, records: read.records, context },
          action,
        ),
      );
    }
    await port.createComment(
      spec.issue,
      `${replies.map((r) => `@${spec.sender} ${r}`).join("\n\n")}\n${replyMarker(context.deliveryId)}`,
    );
  }
  const after = await readBoard(port, policy, spec.repo.defaultBranch, context);
  const outcome = await writeIssue(port, after.board, { number: spec.issue }, ticks);
  log.info({ issue: spec.issue, ticks: ticks.length, outcome }, "dashboard ticks answered");
}

export async function runDashboardJob(spec: DashboardSpec, context: JobContext): Promise<void> {
  if (spec.kind === "ticks") return answerTicks(spec, context);
  await refreshDashboard(spec, context);
}
