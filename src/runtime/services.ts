// Builds the process's services from a Probot instance: the client factory, run timeouts and the
// scheduler. One place holds per-process state; handlers only receive it.
import { allChecks } from "../core/checks/index.js";
import type { CheckDefinition } from "../core/checks/registry.js";
import { jobTriggers } from "../core/job-templates.js";
import { ClientFactory, type AppAuth } from "../forge/factory.js";
import type { BackendOptions, Services } from "../workflows/job-context.js";
import type { Log } from "../log.js";
import type { KeyRing } from "../secrets/sealing.js";
import { runTimedOut } from "../workflows/verify-job.js";
import { RunTimeouts, type TrackedRun } from "./run-timeouts.js";
import {
  MemoryFireStore,
  Scheduler,
  type ScheduledRepo,
  type SharedRepositories,
} from "./scheduler.js";
import { createBoardStore, type BoardStore } from "./board-store.js";
import { FollowUps } from "./follow-ups.js";
import type { FireStore, TimerStore } from "./stores.js";
import { MemoryTimerStore } from "./timer-store.js";

export interface ServiceOptions {
  app: AppAuth;
  log: Log;
  checks?: readonly CheckDefinition[];
  /** The App's bot login (`slug[bot]`), to recognise its own comments; asked once when absent. */
  botLogin?: string;
  /** Where CI backend credentials are read from (MONOBOT_CI_*); never the repository. */
  env?: NodeJS.ProcessEnv;
  /** monobot's public callback URL, given to Jenkins and webhook jobs to report their result. */
  callbackUrl?: string;
  /** GitHub's web address, for links (a GHE host's; default https://github.com). */
  serverUrl?: string;
  /** Run timeouts that survive a restart (the journal or Redis); in memory when absent. */
  timers?: TimerStore;
  /** The scheduler's last fires (the journal or Redis); in memory when absent. */
  fires?: FireStore;
  /** Redis mode: the repositories every replica schedules. */
  repositories?: SharedRepositories;
  /** Timers of follow-up jobs (the journal or Redis); in memory when absent. */
  later?: TimerStore;
  /** monobot's sealing keys, to open sealed secrets; absent: sealed secrets are not provisioned. */
  sealingKeys?: KeyRing;
  /** Where the dashboard keeps each config repo's latest board (createBoardStore); a new one when absent. */
  boards?: BoardStore;
}

export function createServices(options: ServiceOptions): Services {
  const { log, sealingKeys } = options;
  const clients = new ClientFactory(options.app, {
    ...(options.botLogin ? { botLogin: options.botLogin } : {}),
  });
  const backend: BackendOptions = {
    env: options.env ?? {},
    ...(options.callbackUrl ? { callbackUrl: options.callbackUrl } : {}),
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
  };
  // The services the timeout handler works with, set once they all exist.
  const ready: { services?: Services } = {};
  const timeouts = new RunTimeouts(
    async (run: TrackedRun) => {
      const services = ready.services;
      if (!services) return;
      await runTimedOut(run, {
        deliveryId: `timeout:${RunTimeouts.key(run)}`,
        installationId: run.installationId,
        services,
        log,
      });
    },
    log,
    options.timers,
  );
  const scheduler = new Scheduler({
    source: {
      load: async (t: ScheduledRepo) => {
        const port = await clients.forRepo(t.owner, t.repo, t.installationId);
        // An installation event names the repository but not its default branch.
        const defaultBranch =
          t.defaultBranch ||
          (await port.octokit.rest.repos.get({ owner: t.owner, repo: t.repo })).data.default_branch;
        const loaded = await port.loadPolicy(defaultBranch);
        if (!loaded.result.ok) return null;
        // Most repositories schedule nothing: spare them the branch and tree reads.
        const templates = Object.values(loaded.result.policy.jobs.templates);
        if (!templates.some((j) => jobTriggers(j).includes("schedule"))) return null;
        const headSha = await port.branchSha(defaultBranch);
        return {
          policy: loaded.result.policy,
          paths: await port.paths(headSha),
          headSha,
          defaultBranch,
        };
      },
      port: (t: ScheduledRepo) => clients.forRepo(t.owner, t.repo, t.installationId),
    },
    store: options.fires ?? new MemoryFireStore(),
    ...(options.repositories ? { repositories: options.repositories } : {}),
    backend,
    log,
  });
  const followUps = new FollowUps(options.later ?? new MemoryTimerStore(log), log);
  const services: Services = {
    clients,
    checks: options.checks ?? allChecks,
    backend,
    timeouts,
    scheduler,
    followUps,
    now: () => new Date(),
    sealingKeys: () => sealingKeys,
    boards: options.boards ?? createBoardStore(),
  };
  ready.services = services;
  return services;
}

/** Registers every repository of every installation with the scheduler (start-up only). */
export async function registerInstalledRepositories(services: Services): Promise<number> {
  const repos = await services.clients.installedRepositories();
  for (const r of repos) services.scheduler.register(r);
  return repos.length;
}
