// What a handler is: the events it takes, how it turns one into plain job specs, how it runs one.
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { BackendDeps } from "../ci/backend.js";
import type { CheckDefinition } from "../core/checks/registry.js";
import type { ClientFactory } from "../forge/factory.js";
import type { Log } from "../log.js";
import type { RunTimeouts } from "../runtime/run-timeouts.js";
import type { FollowUps } from "../runtime/follow-ups.js";
import type { Scheduler } from "../runtime/scheduler.js";
import type { KeyRing } from "../secrets/sealing.js";

/** A webhook event as intake hands it to a handler (the payload is GitHub's, untyped here). */
export interface HandlerEvent {
  id: string;
  name: string;
  payload: unknown;
}

/** One job a handler asks for; the queue adds the handler's name. */
export interface JobDraft<S> {
  /** Jobs with the same key never run at the same time (`owner/repo#12`). */
  key: string;
  /** Queued jobs with the same supersede key replace each other (a newer head). */
  supersedeKey?: string;
  /** Defaults to the event's delivery id; a handler making several jobs of one event sets it. */
  deliveryId?: string;
  installationId?: number;
  /** Plain, JSON-serialisable data: it may be written to a journal or to Redis. */
  spec: S;
}

/** How CI backends are reached (credentials come from the server's environment). */
export type BackendOptions = Omit<BackendDeps, "github" | "owner" | "repo">;

/** What handlers are given to do their work: clients and the process's services. */
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
}

/** What one job runs with. */
export interface JobContext {
  deliveryId: string;
  installationId: number | undefined;
  services: Services;
  log: Log;
}

export interface Handler<S> {
  /** The name jobs carry in the queue; never change it (journaled jobs refer to it). */
  name: string;
  /** The webhook events it subscribes to. */
  events: readonly EmitterWebhookEventName[];
  /**
   * Turns an event into jobs, or none. No I/O: intake must answer GitHub at once. It may tell
   * the services what it saw (the scheduler learns repositories from events).
   */
  plan(event: HandlerEvent, services: Services): JobDraft<S>[];
  run(spec: S, context: JobContext): Promise<void>;
}

/** A handler as the registry holds it: its spec type erased behind its own `run`. */
export interface RegisteredHandler {
  name: string;
  events: readonly EmitterWebhookEventName[];
  plan(event: HandlerEvent, services: Services): JobDraft<unknown>[];
  run(spec: unknown, context: JobContext): Promise<void>;
}

/** Registers a handler; its specs come back to its own `run` only. */
export function defineHandler<S>(handler: Handler<S>): RegisteredHandler {
  return {
    name: handler.name,
    events: handler.events,
    plan: (event, services) => handler.plan(event, services),
    run: (spec, context) => handler.run(spec as S, context),
  };
}

/** The repository fields of a webhook payload that handlers use. */
export interface RepoPayload {
  owner: { login: string };
  name: string;
  default_branch: string;
}

export interface RepoRef {
  owner: string;
  name: string;
  defaultBranch: string;
}

export function repoRef(repository: RepoPayload): RepoRef {
  return {
    owner: repository.owner.login,
    name: repository.name,
    defaultBranch: repository.default_branch,
  };
}

/** The queue key of a pull request: its jobs never run at the same time. */
export function pullRequestKey(repo: { owner: string; name: string }, pull: number): string {
  return `${repo.owner}/${repo.name}#${pull}`;
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
