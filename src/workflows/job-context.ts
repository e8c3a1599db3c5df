// What a queued job runs with: the process's services, its delivery, and the keys that order jobs.
import type { BackendDeps } from "../ci/backend.js";
import type { CheckDefinition } from "../core/checks/registry.js";
import type { EnvBoard } from "../core/env-board.js";
import type { ClientFactory } from "../forge/factory.js";
import type { Log } from "../log.js";
import type { FollowUps } from "../runtime/follow-ups.js";
import type { RunTimeouts } from "../runtime/run-timeouts.js";
import type { Scheduler } from "../runtime/scheduler.js";
import type { KeyRing } from "../secrets/sealing.js";

/** How CI backends are reached (credentials come from the server's environment). */
export type BackendOptions = Omit<BackendDeps, "github" | "owner" | "repo">;

/** What jobs are given to do their work: clients and the process's services. */
export interface Services {
  clients: ClientFactory;
  checks: readonly CheckDefinition[];
  backend: BackendOptions;
  timeouts: RunTimeouts;
  scheduler: Scheduler;
  /** Jobs a job asks for, now or at a time (durable). */
  followUps: FollowUps;
  /** The clock (tests set it). */
  now: () => Date;
  /**
   * monobot's sealing keys (MONOBOT_SEALING_KEY, _PREVIOUS), or undefined when none is set. A
   * function, so that logging or serialising the services can never carry the private keys.
   */
  sealingKeys: () => KeyRing | undefined;
  /** Where each config repo's latest board goes (the status page reads it); none: not kept. */
  boards?: { put(board: EnvBoard): void };
}

/** What one job runs with. */
export interface JobContext {
  deliveryId: string;
  installationId: number | undefined;
  services: Services;
  log: Log;
}

/** A repository as a job names it. */
export interface RepoRef {
  owner: string;
  name: string;
  defaultBranch: string;
}

/** The queue key of a pull request: its jobs never run at the same time. */
export function pullRequestKey(repo: { owner: string; name: string }, pull: number): string {
  return `${repo.owner}/${repo.name}#${pull}`;
}

/** Work for a newer head replaces queued verification of an older head of the same PR. */
export function verifySupersedeKey(key: string): string {
  return `verify:${key}`;
}

/**
 * The installation a webhook's job acts for. GitHub puts it in every App delivery; one without
 * it is not acted on (the job fails and says so), rather than guessed from the repository.
 */
export function eventInstallation(context: JobContext): number {
  if (context.installationId === undefined) {
    throw new Error("the event carried no installation: monobot acts only for its installations");
  }
  return context.installationId;
}

// GitHub's delivery ids are GUIDs; a job of an event that fans out carries one followed by its own
// suffix (`:deploy-gate`, `.secrets`, `/deploy-scan`, `#12`).
const EVENT_DELIVERY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=$|[:./#])/i;

/**
 * The webhook delivery a job's delivery id comes from, so the jobs of one event share its reads;
 * a job of no webhook (a timer, a CI callback, a follow-up) is an event of its own.
 */
export function eventDeliveryOf(deliveryId: string): string {
  return EVENT_DELIVERY.exec(deliveryId)?.[0].toLowerCase() ?? deliveryId;
}
