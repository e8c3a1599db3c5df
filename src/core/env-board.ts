// What runs where in one config repo, as plain data: read by the dashboard issue and the status page alike.

/** The state of one component in one environment, as people name it. */
export type BoardCellState =
  /** Pinned by git, no Deployment recorded yet (a hand edit before monobot saw it, or no environments flow). */
  | "pinned"
  /** Deployment recorded, verification running. */
  | "verifying"
  /** Verified, waiting for the soak time to pass. */
  | "soaking"
  /** Verified and soaked (the deployment is `success`). */
  | "verified"
  /** Verification failed or a failing deployment status was posted. */
  | "failed"
  /** On hold (by `/hold` or `/rollback`): automation does not promote it. */
  | "held";

export interface BoardLink {
  number?: number;
  url: string;
}

/** One component in one environment. */
export interface BoardCell {
  component: string;
  environment: string;
  /** The version git pins; undefined when none is pinned or the pins disagree. */
  version?: string;
  /** The environment's pins of this component disagree. */
  mixed: boolean;
  state: BoardCellState;
  /** ISO time the version arrived (its Deployment's creation). */
  since?: string;
  /** ISO time the soak ends (state `soaking`). */
  soakUntil?: string;
  /** The Deployment (its environment page or status log). */
  deployment?: BoardLink;
  /** The pull request that brought the version (deploy or promotion PR). */
  pull?: BoardLink;
  /** Failed state: the run or status that failed. */
  failedRun?: BoardLink;
  /** Held state: why and by whom. */
  hold?: { reason: string; by: string };
}

/** Why a version does not move on to an environment. */
export type BoardWaitReason = "freeze" | "approvals" | "verification" | "hold" | "soak";

/** Something waiting, listed first (what needs action). */
export interface BoardWait {
  component: string;
  /** The environment the version would move to. */
  environment: string;
  version: string;
  reason: BoardWaitReason;
  /** In words: "frozen by `weekend` until Mon 06:00 UTC", "needs 1 approval from @acme/sre". */
  detail: string;
  /** ISO time it stops waiting on its own (freeze end, soak end). */
  until?: string;
  /** The promotion PR, when one is open. */
  pull?: BoardLink;
  /** The run that failed (reason `verification`). */
  run?: BoardLink;
}

/** A release of a monorepo component and its deploy PR. */
export interface BoardRelease {
  component: string;
  version: string;
  /** ISO time of the release (tag or deploy PR). */
  at: string;
  deployPull?: BoardLink & { state: "open" | "merged" | "closed" };
}

/** One config repo's board. */
export interface EnvBoard {
  /** `owner/name` of the config repo. */
  repository: string;
  installationId: number;
  environments: Array<{ name: string; production: boolean }>;
  components: string[];
  /** Component-major, like the environment matrix. */
  cells: BoardCell[];
  waiting: BoardWait[];
  releases: BoardRelease[];
  /** ISO time the board was computed. */
  updatedAt: string;
}

/** Where the boards computed by the bot are kept, for the status page to read. */
export interface BoardSource {
  /** Every config repo's latest board. */
  boards(): readonly EnvBoard[];
}
