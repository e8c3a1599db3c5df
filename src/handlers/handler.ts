// What a handler is: the events it takes, how it turns one into plain job specs, how it runs one.
import type { EmitterWebhookEventName } from "@octokit/webhooks";
import type { JobContext, RepoRef, Services } from "../workflows/job-context.js";

// What jobs run with lives beside the workflows, which use it too; handlers and the runtime take it from here.
export {
  eventInstallation,
  pullRequestKey,
  verifySupersedeKey,
  type BackendOptions,
  type JobContext,
  type RepoRef,
  type Services,
} from "../workflows/job-context.js";

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

export function repoRef(repository: RepoPayload): RepoRef {
  return {
    owner: repository.owner.login,
    name: repository.name,
    defaultBranch: repository.default_branch,
  };
}
