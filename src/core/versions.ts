// Component versions: strict VERSION-file parsing with line-precise errors, SemVer order, bump levels, level hints.
import semver from "semver";
import type { BumpLevel } from "./commands.js";
import type { CommitInfo } from "./types.js";

export type { BumpLevel } from "./commands.js";

/** The level order used to pick the strongest hint and to list choices: patch first. */
export const releaseLevels = ["patch", "minor", "major"] as const;
export type ReleaseLevel = (typeof releaseLevels)[number];

// SemVer 2.0.0, written from the grammar of semver.org: numeric identifiers without leading
// zeros, pre-release identifiers that are numeric or contain a letter or hyphen, build metadata.
const NUMERIC = "(?:0|[1-9][0-9]*)";
const PRE_ID = `(?:${NUMERIC}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)`;
const BUILD_ID = "[0-9A-Za-z-]+";
const SEMVER = new RegExp(
  `^${NUMERIC}\\.${NUMERIC}\\.${NUMERIC}(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+${BUILD_ID}(?:\\.${BUILD_ID})*)?$`,
);

/** Whether `text` is exactly one SemVer 2.0.0 version: no `v`, no spaces, no range. */
export function isSemver(text: string): boolean {
  if (!SEMVER.test(text)) return false;
  // semver refuses numbers past Number.MAX_SAFE_INTEGER; so must we, to compare them.
  return semver.parse(text) !== null;
}

/** Whether a valid version has a pre-release part (`1.4.0-dev`). */
export function isPrerelease(version: string): boolean {
  return (semver.prerelease(version)?.length ?? 0) > 0;
}

/**
 * Whether a change to a component whose VERSION at the base is `base` needs a new VERSION: a
 * release always does; a pre-release (an in-development version such as 1.4.3-dev, which
 * collects changes until a release commit sets 1.4.3) only with `every_change: true`, or where
 * pre-releases are forbidden (then the change must leave the pre-release for a release).
 */
export function needsNewVersion(
  base: string,
  versions: { every_change: boolean; prerelease: "allow" | "forbid" },
): boolean {
  return versions.every_change || versions.prerelease === "forbid" || !isPrerelease(base);
}

/**
 * The release a VERSION change makes, or undefined: the head is a release version (no
 * pre-release part) above the base (release -> release, or a pre-release released). A version
 * that did not change or went down, or a pre-release, releases nothing. Without a valid base (a
 * new component) a release version at the head is its first release.
 */
export function releasedVersion(
  base: string | null | undefined,
  head: string | null | undefined,
): string | undefined {
  if (!head || !isSemver(head) || isPrerelease(head)) return undefined;
  if (base && isSemver(base) && compareVersions(head, base) <= 0) return undefined;
  return head;
}

/** SemVer precedence: negative, zero or positive. Build metadata does not count. */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}

/** `major.minor.patch` of a version, without pre-release and build. */
export function releasePart(version: string): string {
  const v = semver.parse(version);
  return v ? `${v.major}.${v.minor}.${v.patch}` : version;
}

export type VersionFileResult =
  | { ok: true; version: string }
  | {
      ok: false;
      /** 1-based line of the problem. */
      line: number;
      /** What is wrong and what to write instead, without the file name. */
      message: string;
      /** The version the file seems to mean, when one can be read (e.g. `v1.2.3` gives 1.2.3). */
      meant?: string;
    };

/** A readable rendering of a short piece of text for a message: quotes, escapes, length cap. */
function shown(text: string): string {
  const short = text.length > 40 ? `${text.slice(0, 39)}…` : text;
  return JSON.stringify(short);
}

/** The version a line seems to mean once the usual slips (a `v`, spaces, quotes) are removed. */
function guess(line: string): string | undefined {
  const cleaned = line
    .trim()
    .replace(/^["']|["']$/g, "")
    .replace(/^[vV=]\s*/, "")
    .trim();
  if (isSemver(cleaned)) return cleaned;
  // Leading zeros (`01.2.3`) are the usual slip semver's coerce does not forgive.
  const unpadded = cleaned.replace(/(^|\.)0+(?=\d)/g, "$1");
  if (isSemver(unpadded)) return unpadded;
  const coerced = semver.coerce(unpadded);
  return coerced ? coerced.version : undefined;
}

/**
 * `text` without the spaces, tabs and line endings at its end: what `$(cat VERSION)` in a shell
 * or a Makefile drops. Other invisible characters stay, to be reported. A loop rather than a
 * regular expression, which would take quadratic time on a huge file of spaces.
 */
function withoutTrailingWhitespace(text: string): string {
  let end = text.length;
  while (end > 0 && " \t\r\n".includes(text[end - 1] as string)) end--;
  return text.slice(0, end);
}

function isBlank(line: string): boolean {
  return withoutTrailingWhitespace(line) === "";
}

function invalid(line: number, message: string, meant?: string): VersionFileResult {
  return meant === undefined ? { ok: false, line, message } : { ok: false, line, message, meant };
}

/**
 * Reads a VERSION file: exactly one SemVer 2.0.0 version on line 1. What follows it on line 1 and
 * on blank lines after it is only whitespace, read as the tools that `cat` or `strip()` the file
 * read it (`0.5.8-dev` and an empty line is 0.5.8-dev; monobot/lint points the stray line out).
 * Anything else (a second version, words, a blank line before the version) is an error naming
 * the line and what to write.
 */
export function parseVersionFile(text: string): VersionFileResult {
  if (text.charCodeAt(0) === 0xfeff) {
    const rest = parseVersionFile(text.slice(1));
    const meant = rest.ok ? rest.version : rest.meant;
    return invalid(
      1,
      `starts with a byte order mark (BOM); save it as UTF-8 without BOM${meant ? `, holding just ${meant}` : ""}`,
      meant,
    );
  }
  if (text.trim() === "") {
    return invalid(1, "is empty; write one version such as 0.1.0 on line 1");
  }
  const body = withoutTrailingWhitespace(text);
  const lines = body.split(/\r?\n/);
  const first = lines[0] ?? "";
  if (first.trim() === "") {
    const firstText = lines.findIndex((l) => l.trim() !== "");
    const meant = guess(lines[firstText] ?? "");
    return invalid(
      1,
      `has an empty line 1; the version must be on line 1${meant ? `: write ${meant} there and nothing else` : ""}`,
      meant,
    );
  }
  const meant = guess(first);
  if (lines.length > 1) {
    // Blank lines between are not the problem: the first line holding something more is.
    const extra = lines.findIndex((l, i) => i > 0 && !isBlank(l));
    return invalid(
      extra + 1,
      `has ${lines.length} lines; a VERSION file holds one version on one line${meant ? `: keep only ${meant}` : ""}`,
      meant,
    );
  }
  if (isSemver(first)) return { ok: true, version: first };
  const trimmed = first.trim();
  if (trimmed !== first && isSemver(trimmed)) {
    return invalid(1, `has spaces around the version (${shown(first)}); write ${trimmed}`, trimmed);
  }
  if (/^[vV]/.test(trimmed) && isSemver(trimmed.slice(1))) {
    return invalid(
      1,
      `holds ${shown(first)}, which starts with "v"; write ${trimmed.slice(1)} (the release tag adds the v)`,
      trimmed.slice(1),
    );
  }
  if (SEMVER.test(trimmed)) {
    return invalid(
      1,
      `holds ${shown(first)}, whose numbers are too large to compare; use smaller numbers`,
    );
  }
  return invalid(
    1,
    `holds ${shown(first)}, which is not a SemVer 2.0.0 version (MAJOR.MINOR.PATCH, optionally -PRERELEASE)${
      meant ? `; write ${meant}` : "; write a version such as 1.0.0"
    }`,
    meant,
  );
}

/** The next pre-release of `version` with the identifier `preid` (e.g. `dev`), always greater. */
function nextPrerelease(version: string, preid: string): string {
  const parsed = semver.parse(version);
  if (!parsed) throw new RangeError(`not a version: ${version}`);
  const pre = parsed.prerelease;
  const release = `${parsed.major}.${parsed.minor}.${parsed.patch}`;
  if (pre.length === 0) {
    return `${semver.inc(release, "patch") ?? release}-${preid}`;
  }
  if (pre[0] === preid) {
    const last = pre[pre.length - 1];
    if (pre.length > 1 && typeof last === "number") {
      return `${release}-${[...pre.slice(0, -1), last + 1].join(".")}`;
    }
    return `${release}-${[...pre, 1].join(".")}`;
  }
  const fresh = `${release}-${preid}`;
  if (semver.gt(fresh, version)) return fresh;
  return semver.inc(version, "prerelease") ?? `${release}-${[...pre, 0].join(".")}`;
}

/**
 * The version a bump of `level` gives, from `version`:
 * - `patch`, `minor`, `major` as SemVer increments; on a pre-release such as `1.4.0-dev` they
 *   release it first (`patch` and `minor` give `1.4.0` when those parts are zero already);
 * - `prerelease`: `1.2.3` -> `1.2.4-dev`, `1.2.4-dev` -> `1.2.4-dev.1` -> `1.2.4-dev.2`.
 * Build metadata is dropped.
 */
export function bumpVersion(version: string, level: BumpLevel, preid = "dev"): string {
  if (level === "prerelease") return nextPrerelease(version, preid);
  const next = semver.inc(version, level);
  if (next === null) throw new RangeError(`cannot bump ${version} by ${level}`);
  return next;
}

/** Each level's next version from `base`, identical results merged ("1.4.0 (patch or minor)"). */
export function bumpChoices(
  base: string,
  first: BumpLevel,
  options: { preid?: string; prerelease?: boolean } = {},
): { version: string; levels: BumpLevel[] }[] {
  const order: BumpLevel[] = [first, ...releaseLevels.filter((l) => l !== first)];
  if (options.prerelease && !order.includes("prerelease")) order.push("prerelease");
  const out: { version: string; levels: BumpLevel[] }[] = [];
  for (const level of order) {
    const version = bumpVersion(base, level, options.preid);
    const same = out.find((c) => c.version === version);
    if (same) same.levels.push(level);
    else out.push({ version, levels: [level] });
  }
  return out;
}

/** "1.2.4 (patch), 1.3.0 (minor) or 2.0.0 (major)", with `render` shaping each version. */
export function describeChoices(
  choices: readonly { version: string; levels: readonly BumpLevel[] }[],
  render: (version: string) => string = (v) => v,
): string {
  const parts = choices.map((c) => `${render(c.version)} (${c.levels.join(" or ")})`);
  if (parts.length <= 1) return parts.join("");
  return `${parts.slice(0, -1).join(", ")} or ${parts[parts.length - 1]}`;
}

/**
 * Whether going from `base` to `head` (head greater) skips a version: the head's release part is
 * none of the base's next patch, minor or major, nor the base's own release part (a pre-release
 * being released or iterated). Returns the version that was skipped over, for the notice.
 */
export function skippedVersion(base: string, head: string): string | undefined {
  const target = releasePart(head);
  if (target === releasePart(base)) return undefined;
  const nexts = releaseLevels.map((l) => bumpVersion(base, l));
  if (nexts.includes(target)) return undefined;
  // The greatest next version below the head names what was skipped over.
  const below = nexts.filter((n) => semver.lt(n, target));
  return below[below.length - 1] ?? nexts[0];
}

// Conventional Commits: `type(scope)!: description`; a `BREAKING CHANGE:` footer anywhere after.
const CONVENTIONAL = /^([A-Za-z]+)(?:\([^()\r\n]*\))?(!)?: \S/;
const BREAKING_FOOTER = /^BREAKING[ -]CHANGE: /m;

/** The level one commit message asks for, or undefined when it is not a Conventional Commit. */
export function commitLevel(message: string): ReleaseLevel | undefined {
  const title = message.split(/\r?\n/, 1)[0] ?? "";
  const m = CONVENTIONAL.exec(title);
  if (!m) return undefined;
  const body = message.slice(title.length);
  if (m[2] === "!" || BREAKING_FOOTER.test(body)) return "major";
  return (m[1] ?? "").toLowerCase() === "feat" ? "minor" : "patch";
}

export interface LevelSuggestion {
  level: ReleaseLevel;
  /** Why, as a short phrase for the summary, e.g. "commit 1a2b3c4 is `feat: ...`". */
  reason: string;
}

/**
 * The bump level the change's commits suggest: `feat` -> minor, `fix` and other types -> patch,
 * `!` or a `BREAKING CHANGE:` footer -> major; patch when no commit follows Conventional Commits.
 * Merge commits are skipped.
 */
export function suggestLevel(commits: readonly CommitInfo[]): LevelSuggestion {
  let best: { level: ReleaseLevel; commit: CommitInfo } | undefined;
  for (const commit of commits) {
    if (commit.parents > 1) continue;
    const level = commitLevel(commit.message);
    if (level === undefined) continue;
    if (!best || releaseLevels.indexOf(level) > releaseLevels.indexOf(best.level)) {
      best = { level, commit };
    }
  }
  if (!best) {
    return { level: "patch", reason: "no commit title follows Conventional Commits" };
  }
  const title = (best.commit.message.split(/\r?\n/, 1)[0] ?? "").slice(0, 72);
  return {
    level: best.level,
    reason: `commit ${best.commit.sha.slice(0, 7)} is \`${title.replace(/`/g, "'")}\``,
  };
}

/** The release tag of a component's version, from the policy's template (`{component}/v{version}`). */
export function releaseTag(template: string, component: string, version: string): string {
  return template.replaceAll("{component}", component).replaceAll("{version}", version);
}

/**
 * The fixed start of every tag the template can produce: the prefix for ONE matching-refs
 * listing (`GET /repos/{o}/{r}/git/matching-refs/tags/{prefix}`) that serves all components.
 */
export function releaseTagPrefix(template: string): string {
  const open = template.indexOf("{");
  return open < 0 ? template : template.slice(0, open);
}

/** Tag names from matching-refs entries (`refs/tags/api/v1.2.3` -> `api/v1.2.3`). */
export function tagNamesFromRefs(refs: readonly string[]): string[] {
  return refs.map((r) => (r.startsWith("refs/tags/") ? r.slice("refs/tags/".length) : r));
}
