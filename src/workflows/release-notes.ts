// Gathers what a deploy PR says about a release from the monorepo: the release and the one before it, and the commits and pull requests between their tags.
import { shortSha } from "../core/sha.js";
import type { MonorepoChange } from "../core/deploy-pr.js";
import {
  changeOfCommit,
  commitsToLookUp,
  previousRelease,
  releaseTags,
  tagShape,
  type ReleaseTag,
} from "../core/release-notes.js";
import { releaseTag } from "../core/versions.js";
import type { ReleaseHistoryPort } from "../forge/release-history.js";

/** Commits whose pull request is asked for, at most, when no message names one. */
export const MAX_PULL_LOOKUPS = 10;

export interface ReleaseQuery {
  component: string;
  /** `versions.tag` of the monorepo's policy, e.g. `{component}/v{version}`. */
  tagTemplate: string;
  /** The version released, when known (a release tag, a deploy PR's marker). */
  version?: string;
  /** Otherwise: the commit the publish job built; its release tag gives the version. */
  sha?: string;
}

export interface ReleaseNotes {
  version: string;
  tag: string;
  previous?: ReleaseTag;
  /** Commits between the two tags, oldest first. */
  changes: MonorepoChange[];
  /** Web address of the code host (from the compare page), for links; absent when unknown. */
  webUrl?: string;
}

export type ReleaseLookup = { ok: true; notes: ReleaseNotes } | { ok: false; reason: string };

/** The web host of a compare page's address (`https://github.com/o/r/compare/a...b` -> `https://github.com`). */
function webHost(url: string | undefined, owner: string, name: string): string | undefined {
  if (!url) return undefined;
  const at = url.indexOf(`/${owner}/${name}/compare/`);
  return at > 0 ? url.slice(0, at) : undefined;
}

async function releaseAt(
  port: ReleaseHistoryPort,
  tags: readonly ReleaseTag[],
  annotated: ReadonlySet<string>,
  shaOf: ReadonlyMap<string, string>,
  sha: string,
): Promise<ReleaseTag | undefined> {
  // Newest first: a commit carrying two release tags deploys the higher one.
  for (const t of [...tags].reverse()) {
    if (!annotated.has(t.tag) && shaOf.get(t.tag) === sha) return t;
  }
  // Annotated tags point at tag objects; monobot's own tags are lightweight, so this is rare.
  for (const t of [...tags].reverse().slice(0, 5)) {
    if (annotated.has(t.tag) && (await port.tagCommit(t.tag)) === sha) return t;
  }
  return undefined;
}

/**
 * The release of `query.component` and its notes: the version (given, or the release tag at
 * `query.sha`), the previous release (the highest release tag below it), and the commits between
 * the two tags with their pull requests, from the messages (`(#123)`, `Merge pull request #123`)
 * or, when no message names one, from the pulls API for at most {@link MAX_PULL_LOOKUPS} commits.
 * Costs one tag listing, one compare and those lookups, whatever the number of components.
 */
export async function gatherReleaseNotes(
  port: ReleaseHistoryPort,
  query: ReleaseQuery,
): Promise<ReleaseLookup> {
  const shape = tagShape(query.tagTemplate, query.component);
  if (!shape) {
    return {
      ok: false,
      reason: `versions.tag "${query.tagTemplate}" must contain {version} once, e.g. {component}/v{version}`,
    };
  }
  const refs = await port.tags(shape.prefix);
  const tags = releaseTags(
    refs.map((r) => r.name),
    shape,
  );
  let release: ReleaseTag | undefined;
  if (query.version !== undefined) {
    release = {
      tag: releaseTag(query.tagTemplate, query.component, query.version),
      version: query.version,
    };
  } else if (query.sha !== undefined) {
    const annotated = new Set(refs.filter((r) => r.annotated).map((r) => r.name));
    const shaOf = new Map(refs.map((r) => [r.name, r.sha]));
    release = await releaseAt(port, tags, annotated, shaOf, query.sha);
    if (!release) {
      return {
        ok: false,
        reason: `no release tag of ${query.component} (${shape.prefix}VERSION${shape.suffix}) points at ${shortSha(query.sha)}, the commit its publish job built`,
      };
    }
  } else {
    return { ok: false, reason: "neither a version nor a commit was given" };
  }
  const previous = previousRelease(tags, release.version);
  const notes: ReleaseNotes = { version: release.version, tag: release.tag, changes: [] };
  if (!previous) return { ok: true, notes };
  notes.previous = previous;
  let compared: Awaited<ReturnType<ReleaseHistoryPort["compare"]>>;
  try {
    compared = await port.compare(previous.tag, release.tag);
  } catch (e) {
    // A tag deleted meanwhile: the deploy goes ahead without the list of changes.
    if ((e as { status?: number }).status === 404) return { ok: true, notes };
    throw e;
  }
  notes.changes = compared.commits.map(changeOfCommit);
  const web = webHost(compared.url, port.owner, port.name);
  if (web) notes.webUrl = web;
  const lookups = commitsToLookUp(notes.changes, MAX_PULL_LOOKUPS);
  for (const sha of lookups) {
    const [pull] = await port.pullsOfCommit(sha);
    const change = notes.changes.find((c) => c.sha === sha);
    if (pull && change) change.pr = pull;
  }
  return { ok: true, notes };
}
