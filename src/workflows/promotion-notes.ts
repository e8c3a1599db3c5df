// The release notes of a promotion PR: the component's commits in its monorepo between the version the target environment runs and the promoted one.
import type { ReleaseNotesInput } from "../core/deploy-pr.js";
import { releaseTag } from "../core/versions.js";
import type { GitHubRepo } from "../forge/github.js";
import type { ReleaseHistoryPort } from "../forge/release-history.js";
import { DEPLOY_SOURCE_TRAILER, parseDeploySource } from "./open-deploy-pr.js";
import { componentNotePaths, gatherReleaseNotes } from "./release-notes.js";

export interface NotesQuery {
  /** `owner/name` of the monorepo, as the upstream Deployment's payload records it. */
  source: unknown;
  component: string;
  /** The version the target environment runs; undefined when it runs none yet. */
  from?: string;
  to: string;
  environment: string;
}

export type NotesSource = (q: NotesQuery) => Promise<ReleaseNotesInput | { missing: string }>;

/** How the notes reach the monorepo: its port and release history (the config repo's installation first). */
export interface MonorepoPorts {
  repo(owner: string, name: string): Promise<GitHubRepo>;
  history(owner: string, name: string): Promise<ReleaseHistoryPort>;
}

/**
 * Release notes from the monorepo the Deployment names: its policy (the tag template, the
 * component's folders), one tree listing at the promoted tag, one compare and one history
 * query; four requests whatever the number of components. A Deployment without a source (a
 * hand edit of the pins), a first version or an unreadable monorepo gives a sentence instead.
 */
export function monorepoNotes(ports: MonorepoPorts): NotesSource {
  return async (q) => {
    const repo =
      typeof q.source === "string"
        ? parseDeploySource(`${DEPLOY_SOURCE_TRAILER}: ${q.source}`)
        : undefined;
    if (!repo) {
      return {
        missing: `No release notes: the change that deployed ${q.component} ${q.to} does not name its monorepo (monobot's deploy commits carry a \`${DEPLOY_SOURCE_TRAILER}\` trailer; a hand edit of the pins does not).`,
      };
    }
    if (q.from === undefined) {
      return {
        missing: `No release notes: ${q.environment} runs no version of ${q.component} yet, so every release up to ${q.to} is new there.`,
      };
    }
    try {
      const mono = await ports.repo(repo.owner, repo.name);
      const loaded = await mono.loadPolicy();
      if (!loaded.result.ok) {
        return {
          missing: `No release notes: the configuration of ${repo.owner}/${repo.name} is invalid (see its monobot/config check).`,
        };
      }
      const policy = loaded.result.policy;
      const found = await gatherReleaseNotes(await ports.history(repo.owner, repo.name), {
        component: q.component,
        tagTemplate: policy.versions.tag,
        version: q.to,
        from: q.from,
        paths: (tag, changed) => componentNotePaths(mono, q.component, tag, policy, changed),
      });
      if (!found.ok) return { missing: `No release notes: ${found.reason}.` };
      const n = found.notes;
      return {
        component: { name: q.component },
        version: { from: q.from, to: q.to },
        monorepo: repo,
        tags: { from: releaseTag(policy.versions.tag, q.component, q.from), to: n.tag },
        changes: n.changes,
        ...(n.filter ? { changesFilter: n.filter } : {}),
        ...(n.webUrl ? { webUrl: n.webUrl } : {}),
      };
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status !== 403 && status !== 404) throw e;
      return {
        missing: `No release notes: monobot cannot read ${repo.owner}/${repo.name} (HTTP ${status}); install the App there to see them.`,
      };
    }
  };
}
