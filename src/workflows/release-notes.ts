// Gathers what a deploy or promotion PR says about a release from the monorepo: the release and the one before it, and the component's commits and pull requests between their tags.
import { discoverComponents } from "../core/components.js";
import type { Policy } from "../core/policy.js";
import type { LoadedPolicy } from "../forge/policy-loader.js";
import { shortSha } from "../core/sha.js";
import type { MonorepoChange } from "../core/deploy-pr.js";
import {
  changeOfCommit,
  commitsToLookUp,
  componentChanges,
  knowsClosure,
  notePaths,
  previousRelease,
  releaseTags,
  tagShape,
  type ReleaseTag,
} from "../core/release-notes.js";
import { releaseTag } from "../core/versions.js";
import { HISTORY_PAGE, type ReleaseHistoryPort } from "../forge/release-history.js";

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
  /** The version to list changes from (a promotion: what the target runs); else the release before. */
  from?: string;
  /**
   * The component's folders (see {@link componentNotePaths}), or how to find them at the release
   * tag (asked only when there are commits to filter): only commits touching them are listed.
   */
  paths?:
    | readonly string[]
    | ((tag: string, changed?: readonly string[]) => Promise<readonly string[] | undefined>);
}

export interface ReleaseNotes {
  version: string;
  tag: string;
  previous?: ReleaseTag;
  /** Commits between the two tags, oldest first (those touching `paths` when given). */
  changes: MonorepoChange[];
  /** The folders the changes were filtered by, and how many commits between the tags touched none. */
  filter?: { paths: readonly string[]; others: number };
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
 * With `query.paths`, only the commits that touched those folders (one history query for all).
 * Costs one tag listing (none when `from` is given), one compare, that query and those lookups,
 * whatever the number of components.
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
  // Both versions known (a promotion): their tags follow from the template, no listing needed.
  const known = query.version !== undefined && query.from !== undefined;
  const refs = known ? [] : await port.tags(shape.prefix);
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
  const previous =
    query.from !== undefined
      ? {
          tag: releaseTag(query.tagTemplate, query.component, query.from),
          version: query.from,
        }
      : previousRelease(tags, release.version);
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
  const paths =
    typeof query.paths === "function" && notes.changes.length > 0
      ? await query.paths(
          release.tag,
          // A complete list only: GitHub stops at 300 paths.
          compared.files && compared.files.length < 300 ? compared.files : undefined,
        )
      : query.paths;
  if (typeof paths === "object" && notes.changes.length > 0) {
    // One query: the newest commits that touched each folder, up to the release tag.
    const touched = await port.touching(release.tag, paths, HISTORY_PAGE);
    const { kept, others } = componentChanges(notes.changes, touched);
    notes.changes = kept;
    notes.filter = { paths, others };
  }
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

/** What finding a component's folders reads in the monorepo. */
export interface MonorepoTree {
  loadPolicy(ref?: string): Promise<LoadedPolicy>;
  paths(sha: string): Promise<string[]>;
}

/**
 * The folders of `component` and of the components it depends on, at `ref` (its release tag):
 * the policy (unless given), and one tree listing unless `changed` (the paths the two release
 * tags differ in) names them all: the component's VERSION changed between its releases, so its
 * folder is among them, and so are its dependencies' when they were released meanwhile.
 * Undefined when every commit counts (the root is among them) or the policy is invalid there.
 */
export async function componentNotePaths(
  repo: MonorepoTree & { readonly repo: string },
  component: string,
  ref: string,
  /** The monorepo's policy, when the caller read it already (one request less). */
  known?: Policy,
  changed?: readonly string[],
): Promise<string[] | undefined> {
  let policy = known;
  if (!policy) {
    const loaded = await repo.loadPolicy(ref);
    if (!loaded.result.ok) return undefined;
    policy = loaded.result.policy;
  }
  if (changed) {
    const quick = discoverComponents(changed, policy, repo.repo).components;
    // Discovery drops a dependency it cannot find: the policy's own list says what is missing.
    const declared = quick.map((c) => ({
      name: c.name,
      dependsOn: [...c.dependsOn, ...(policy.components.define[c.name]?.depends_on ?? [])],
    }));
    if (knowsClosure(declared, component)) return notePaths(quick, component);
  }
  const found = discoverComponents(await repo.paths(ref), policy, repo.repo);
  return notePaths(found.components, component);
}
