// PR state in the bot's own comments: every hidden `<!-- monobot:... -->` marker, parsed and
// rendered here only. State is read back from comments written by the bot's login only, so a
// marker pasted by anyone else does nothing.

/** The first line of monobot's ONE summary comment on a pull request. */
export const SUMMARY_MARKER = "<!-- monobot:summary -->";

/** A comment as the forge lists it. */
export interface StateComment {
  id: number;
  body: string;
  author: string;
}

/** An `/ok-to-test` approval: CI may run on this head SHA, approved by this user. */
export interface Approval {
  sha: string;
  by: string;
}

/** The last head CI ran for, with its patch fingerprint (trivial-rebase reuse). */
export interface CiState {
  sha: string;
  fingerprint: string;
}

/**
 * A `/deploy-anyway` override of the deployment gate: granted by an admin for ONE head commit
 * (a new push needs a new override, as it deploys something else).
 */
export interface DeployOverrideState {
  sha: string;
  by: string;
  reason: string;
}

/** Everything monobot remembers of a pull request between events. */
export interface PrState {
  /** The head SHA monobot last verified. */
  verifiedSha: string | null;
  approval: Approval | null;
  ci: CiState | null;
  /** Absent in writers that do not know it; kept by those that spread what they read. */
  deployOverride?: DeployOverrideState | null;
}

const SHA = /^[0-9a-f]{40}$/;
// GitHub logins: letters, digits and single inner hyphens, at most 39 characters.
const LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const OK_TO_TEST_LINE = /^<!-- monobot:ok-to-test sha=(\S+) by=(\S+) -->$/;
const VERIFIED_LINE = /^<!-- monobot:verified sha=([0-9a-f]{40}) -->$/m;
const CI_LINE = /^<!-- monobot:ci sha=([0-9a-f]{40}) fp=(fp1:[0-9a-f]{40}) -->$/m;

export function isSummaryComment(body: string): boolean {
  return body.startsWith(SUMMARY_MARKER);
}

/** The bot's own summary comments, oldest first (normally one). */
export function ownSummaries<C extends StateComment>(
  comments: readonly C[],
  botLogin: string,
): C[] {
  return comments.filter((c) => c.author === botLogin && isSummaryComment(c.body));
}

/** The PR state recorded in the bot's summary comments; empty when there is none. */
export function readPrState(comments: readonly StateComment[], botLogin: string): PrState {
  const mine = ownSummaries(comments, botLogin);
  return {
    verifiedSha: mine.map((c) => readVerifiedSha(c.body)).find((s) => s) ?? null,
    approval: mine.map((c) => readOkToTestMarker(c.body)).find((a) => a) ?? null,
    ci: mine.map((c) => readCiMarker(c.body)).find((s) => s) ?? null,
    deployOverride: mine.map((c) => readDeployOverrideMarker(c.body)).find((o) => o) ?? null,
  };
}

/** The hidden lines that record `state` at the end of the summary comment. */
export function renderPrState(state: PrState): string[] {
  const lines: string[] = [];
  if (state.verifiedSha) lines.push(verifiedMarker(state.verifiedSha));
  if (state.approval) lines.push(okToTestMarker(state.approval));
  if (state.ci) lines.push(ciMarker(state.ci));
  if (state.deployOverride) lines.push(deployOverrideMarker(state.deployOverride));
  return lines;
}

export function verifiedMarker(sha: string): string {
  if (!SHA.test(sha)) throw new Error(`verified marker: "${sha}" is not a full commit SHA`);
  return `<!-- monobot:verified sha=${sha} -->`;
}

export function readVerifiedSha(text: string): string | null {
  return VERIFIED_LINE.exec(text)?.[1] ?? null;
}

export function ciMarker(state: CiState): string {
  return `<!-- monobot:ci sha=${state.sha} fp=${state.fingerprint} -->`;
}

export function readCiMarker(text: string): CiState | null {
  const m = CI_LINE.exec(text);
  return m && m[1] && m[2] ? { sha: m[1], fingerprint: m[2] } : null;
}

/** The hidden line that records an `/ok-to-test` approval in the bot's summary comment. */
export function okToTestMarker(approval: Approval): string {
  const sha = approval.sha.toLowerCase();
  if (!SHA.test(sha)) {
    throw new Error(`ok-to-test marker: "${approval.sha}" is not a full 40-character commit SHA`);
  }
  if (!LOGIN.test(approval.by)) {
    throw new Error(`ok-to-test marker: "${approval.by}" is not a GitHub login`);
  }
  return `<!-- monobot:ok-to-test sha=${sha} by=${approval.by} -->`;
}

/**
 * The approval recorded in `text`, or null when there is none, a marker is malformed, or two
 * markers disagree (nothing ambiguous approves anything). A marker must sit on its own line.
 */
export function readOkToTestMarker(text: string): Approval | null {
  let found: Approval | null = null;
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.includes("monobot:ok-to-test")) continue;
    const m = OK_TO_TEST_LINE.exec(trimmed);
    const sha = m?.[1];
    const by = m?.[2];
    if (sha === undefined || by === undefined || !SHA.test(sha) || !LOGIN.test(by)) return null;
    if (found && (found.sha !== sha || found.by.toLowerCase() !== by.toLowerCase())) return null;
    found = { sha, by };
  }
  return found;
}

const DEPLOY_OVERRIDE_LINE = /^<!-- monobot:deploy-anyway sha=(\S+) by=(\S+) reason=(\S*) -->$/;
const DEPLOY_OVERRIDE_REASON_MAX = 300;

/**
 * The reason, percent-encoded so that it stays on one line and cannot end the HTML comment
 * (`-` is encoded too, so no `--` appears inside it).
 */
function encodeReason(reason: string): string {
  return encodeURIComponent(reason).replace(
    /[-!'()*~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The hidden line that records a `/deploy-anyway` override in the bot's summary comment. */
export function deployOverrideMarker(override: DeployOverrideState): string {
  const sha = override.sha.toLowerCase();
  if (!SHA.test(sha)) {
    throw new Error(
      `deploy-anyway marker: "${override.sha}" is not a full 40-character commit SHA`,
    );
  }
  if (!LOGIN.test(override.by)) {
    throw new Error(`deploy-anyway marker: "${override.by}" is not a GitHub login`);
  }
  const reason = override.reason.replace(/\s+/g, " ").trim();
  if (reason === "" || reason.length > DEPLOY_OVERRIDE_REASON_MAX) {
    throw new Error(
      `deploy-anyway marker: the reason must have 1 to ${DEPLOY_OVERRIDE_REASON_MAX} characters`,
    );
  }
  return `<!-- monobot:deploy-anyway sha=${sha} by=${override.by} reason=${encodeReason(reason)} -->`;
}

/**
 * The override recorded in `text`, or null when there is none, a marker is malformed, or two
 * markers disagree (nothing ambiguous overrides the gate). A marker must sit on its own line.
 */
export function readDeployOverrideMarker(text: string): DeployOverrideState | null {
  let found: DeployOverrideState | null = null;
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const trimmed = line.trim();
    if (!trimmed.includes("monobot:deploy-anyway")) continue;
    const m = DEPLOY_OVERRIDE_LINE.exec(trimmed);
    const [sha, by, encoded] = [m?.[1], m?.[2], m?.[3]];
    if (sha === undefined || by === undefined || encoded === undefined) return null;
    if (!SHA.test(sha) || !LOGIN.test(by)) return null;
    let reason: string;
    try {
      reason = decodeURIComponent(encoded);
    } catch {
      return null;
    }
    if (reason === "" || reason.length > DEPLOY_OVERRIDE_REASON_MAX || /[\r\n]/.test(reason)) {
      return null;
    }
    const here = { sha, by, reason };
    if (
      found &&
      (found.sha !== sha || found.by.toLowerCase() !== by.toLowerCase() || found.reason !== reason)
    ) {
      return null;
    }
    found = here;
  }
  return found;
}

/**
 * The summary comment's body with `override` recorded: an earlier override line is replaced, the
 * new one goes last (with the other state lines). Without a summary yet, a minimal one that the
 * next verification fills in.
 */
export function withDeployOverride(body: string | null, override: DeployOverrideState): string {
  const marker = deployOverrideMarker(override);
  if (body === null) {
    return `${SUMMARY_MARKER}\n### monobot\n\nThis pull request is not verified yet.\n\n${marker}`;
  }
  const kept = body
    .replace(/\r\n?/g, "\n")
    .split("\n")
    .filter((line) => !line.trim().includes("monobot:deploy-anyway"));
  while (kept.length > 1 && kept[kept.length - 1]?.trim() === "") kept.pop();
  return [...kept, marker].join("\n");
}

/** The hidden line a reply carries, so a redelivery after a restart does not answer twice. */
export function replyMarker(deliveryId: string): string {
  return `<!-- monobot:reply delivery=${deliveryId.replace(/[^A-Za-z0-9._-]/g, "")} -->`;
}

/** Whether the bot already replied to this delivery. */
export function repliedTo(
  comments: readonly StateComment[],
  botLogin: string,
  deliveryId: string,
): boolean {
  const marker = replyMarker(deliveryId);
  return comments.some((c) => c.author === botLogin && c.body.includes(marker));
}

// ---- deploy PRs: what a monobot deploy PR on the config repo proposes, in its own body.

/** What a deploy PR proposes, as its hidden marker carries it. */
export interface DeployMarker {
  component: string;
  version: string;
}

const DEPLOY_LINE = /^<!-- monobot:deploy component=(\S+) version=(\S+) -->$/m;
const SUPERSEDES_LINE = /^<!-- monobot:deploy-supersedes ((?:\S+ ?)+) -->$/m;

/** The marker line: `<!-- monobot:deploy component=NAME version=X.Y.Z -->`. */
export function deployMarker(marker: DeployMarker): string {
  return `<!-- monobot:deploy component=${marker.component} version=${marker.version} -->`;
}

/** What an existing deploy PR proposes, from its body; undefined when it is not one. */
export function parseDeployMarker(body: string | null | undefined): DeployMarker | undefined {
  const m = DEPLOY_LINE.exec(body ?? "");
  return m ? { component: m[1] as string, version: m[2] as string } : undefined;
}

/** Versions a deploy PR proposed before its current one, oldest first. */
export function parseSupersedes(body: string | null | undefined): string[] {
  const m = SUPERSEDES_LINE.exec(body ?? "");
  return m ? (m[1] as string).trim().split(" ") : [];
}

/** The marker line of the versions a deploy PR proposed before its current one. */
export function supersedesMarker(versions: readonly string[]): string {
  return `<!-- monobot:deploy-supersedes ${versions.join(" ")} -->`;
}
