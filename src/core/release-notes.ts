// What a deploy or promotion PR says about a release: a component's release tags, and the commits (those touching its paths) and pull requests between two of them.
import type { MonorepoChange } from "./deploy-pr.js";
import type { Component } from "./types.js";
import { releaseTag } from "./versions.js";
import { compareVersions, isPrerelease, isSemver } from "./versions.js";

/** A component's release tag, with its version. */
export interface ReleaseTag {
  tag: string;
  version: string;
}

/** How a component's release tags are spelt: the fixed text before and after the version. */
export interface TagShape {
  prefix: string;
  suffix: string;
}

const HOLE = "\u0000";

/** The shape of `component`'s tags under `versions.tag` (e.g. `roc-api/v` + version + ``). */
export function tagShape(template: string, component: string): TagShape | undefined {
  const parts = releaseTag(template, component, HOLE).split(HOLE);
  if (parts.length !== 2) return undefined;
  return { prefix: parts[0] as string, suffix: parts[1] as string };
}

/** The release tags among `names` (tags with the shape's prefix), by version. */
export function releaseTags(names: readonly string[], shape: TagShape): ReleaseTag[] {
  const out: ReleaseTag[] = [];
  for (const tag of names) {
    if (!tag.startsWith(shape.prefix) || !tag.endsWith(shape.suffix)) continue;
    const version = tag.slice(shape.prefix.length, tag.length - shape.suffix.length);
    if (isSemver(version)) out.push({ tag, version });
  }
  return out.sort((a, b) => compareVersions(a.version, b.version));
}

/** The release before `version`: the highest release tag (no pre-release) below it. */
export function previousRelease(
  tags: readonly ReleaseTag[],
  version: string,
): ReleaseTag | undefined {
  let best: ReleaseTag | undefined;
  for (const t of tags) {
    if (isPrerelease(t.version) || compareVersions(t.version, version) >= 0) continue;
    if (!best || compareVersions(t.version, best.version) > 0) best = t;
  }
  return best;
}

/** A commit as the compare API lists it. */
export interface HistoryCommit {
  sha: string;
  message: string;
  author?: string;
}

const SQUASH = /^(.*\S)\s+\(#([1-9][0-9]{0,9})\)$/;
const MERGE = /^Merge pull request #([1-9][0-9]{0,9}) from \S+/;

/**
 * The pull request a commit message names: a squash merge's title ends with `(#123)` (the
 * title is the PR's), a merge commit says `Merge pull request #123 from owner/branch` with the
 * PR's title as its first body line. Undefined when the message names none.
 */
export function pullOfMessage(message: string): { number: number; title: string } | undefined {
  const lines = message.split(/\r?\n/);
  const first = (lines[0] ?? "").trim();
  const squash = SQUASH.exec(first);
  if (squash) return { number: Number(squash[2]), title: squash[1] as string };
  const merge = MERGE.exec(first);
  if (merge) {
    const title = lines
      .slice(1)
      .map((l) => l.trim())
      .find((l) => l !== "");
    return { number: Number(merge[1]), title: title ?? first };
  }
  return undefined;
}

/** A commit as the deploy PR lists it: its title, author and pull request when the message names one. */
export function changeOfCommit(commit: HistoryCommit): MonorepoChange {
  const title = (commit.message.split(/\r?\n/)[0] ?? "").trim();
  const change: MonorepoChange = { sha: commit.sha, title };
  if (commit.author) change.author = commit.author;
  const pr = pullOfMessage(commit.message);
  if (pr) change.pr = pr;
  return change;
}

/**
 * Which commits to ask GitHub for their pull request: none when the messages name pull
 * requests already (squash or merge commits; the others are those PRs' own commits), else the
 * newest `max` (a rebase-merged history names none), so the cost stays bounded.
 */
export function commitsToLookUp(changes: readonly MonorepoChange[], max: number): string[] {
  if (changes.some((c) => c.pr)) return [];
  return changes
    .slice(-max)
    .map((c) => c.sha)
    .reverse();
}

/**
 * The folders whose commits belong in `name`'s release notes: its own and those of the
 * components it depends on (transitively), a folder inside another left out. Undefined when
 * every commit counts: the component is unknown, or it or a dependency is the repository root.
 */
export function notePaths(
  components: readonly Pick<Component, "name" | "path" | "dependsOn">[],
  name: string,
): string[] | undefined {
  const byName = new Map(components.map((c) => [c.name, c]));
  if (!byName.has(name)) return undefined;
  const folders = new Set<string>();
  const seen = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    const c = byName.get(queue.shift() as string);
    if (!c || seen.has(c.name)) continue;
    seen.add(c.name);
    if (c.path === "") return undefined;
    folders.add(c.path);
    queue.push(...c.dependsOn);
  }
  const sorted = [...folders].sort();
  return sorted.filter((f) => !sorted.some((o) => o !== f && f.startsWith(`${o}/`)));
}

/** Whether `name` and every component it depends on (transitively) are among `components`. */
export function knowsClosure(
  components: readonly Pick<Component, "name" | "dependsOn">[],
  name: string,
): boolean {
  const byName = new Map(components.map((c) => [c.name, c]));
  const seen = new Set<string>();
  const queue = [name];
  while (queue.length > 0) {
    const n = queue.shift() as string;
    if (seen.has(n)) continue;
    seen.add(n);
    const c = byName.get(n);
    if (!c) return false;
    queue.push(...c.dependsOn);
  }
  return true;
}

/** The changes that touched the component's paths (`touched`: commit ids), and how many did not. */
export function componentChanges(
  changes: readonly MonorepoChange[],
  touched: ReadonlySet<string>,
): { kept: MonorepoChange[]; others: number } {
  const kept = changes.filter((c) => touched.has(c.sha));
  return { kept, others: changes.length - kept.length };
}
