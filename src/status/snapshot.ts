// The status page's input: one plain snapshot of the bot, which every view reads and none changes.
import type { EnvBoard } from "../core/env-board.js";
import type { ActivityEntry } from "../runtime/activity.js";

/** Who looks at the page: null when nobody signed in. */
export interface Viewer {
  login: string;
  /** Listed in MONOBOT_ADMINS: sees the operator views and every installation. */
  admin: boolean;
}

export interface ScheduleFire {
  repository: string;
  job: string;
  component: string;
  /** ISO time of the next fire. */
  at: string;
  cron: string;
  timezone: string;
}

export interface FreezeChange {
  repository: string;
  /** ISO time the deploy gate next opens or closes. */
  at: string;
  /** The same moment in the window's own time zone. */
  local: string;
  /** Whether deploys are frozen from then on. */
  frozen: boolean;
  window: string;
}

/** An open deploy or promotion PR on a config repo and what it waits for. */
export interface DeployPull {
  repository: string;
  number: number;
  title: string;
  url: string;
  branch: string;
  kind: "deploy" | "promotion";
  /** Why it cannot merge yet, in words; empty when nothing holds it. */
  waiting: string[];
}

export interface StatusSnapshot {
  /** ISO time the snapshot was taken. */
  now: string;
  viewer: Viewer | null;
  /** Whether sign-in with GitHub is configured (GITHUB_CLIENT_ID and _SECRET). */
  signInAvailable: boolean;
  /** `all` for admins; otherwise the `owner/name`s the viewer's token can read (none signed out). */
  visible: "all" | ReadonlySet<string>;
  runtime: {
    mode: string;
    startedAt: string;
    queueDepth: number;
    oldestJobAgeMs: number | null;
    jobsRecorded: number;
  };
  /** Newest first. */
  activity: readonly ActivityEntry[];
  schedules: readonly ScheduleFire[];
  freezes: readonly FreezeChange[];
  deployPulls: readonly DeployPull[];
  /** Why the deploy PRs could not be read, if they could not. */
  deployPullsError: string | null;
  installations: readonly { id: number; repositories: number }[];
  /** Every config repo's environment board (none for a signed-out viewer); views filter per viewer. */
  boards: readonly EnvBoard[];
  /** Why the boards could not be read, if they could not. */
  boardsError: string | null;
}

/** Whether the viewer may see a repository's data. */
export function canSee(snapshot: Pick<StatusSnapshot, "visible">, repository: string): boolean {
  if (snapshot.visible === "all") return true;
  return snapshot.visible.has(repository.toLowerCase());
}
