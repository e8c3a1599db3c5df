// Loads a repository's policy through Probot's config loader (so `_extends` works), with located errors.
import {
  mergePolicy,
  resolvePolicy,
  validatePolicyObject,
  defaultPolicyObject,
} from "../core/policy.js";
import type { PolicyError, PolicyResult, PolicySource } from "../core/policy.js";
import type { Octokit } from "./octokit.js";

export const CONFIG_PATH = ".github/monobot.yml";
export const DEFAULTS_FILE = "policies/default.yml";

export interface LoadedPolicy {
  result: PolicyResult;
  /** Files merged, lowest precedence first, as shown to users. */
  files: string[];
  /** The repository's own config file path. */
  repoFile: string;
}

interface ConfigFile {
  owner: string;
  repo: string;
  path: string;
  config: Record<string, unknown> | null;
}

function displayName(
  file: { owner: string; repo: string; path: string },
  owner: string,
  repo: string,
): string {
  return file.owner === owner && file.repo === repo
    ? file.path
    : `${file.owner}/${file.repo}:${file.path}`;
}

async function rawText(
  octokit: Octokit,
  file: { owner: string; repo: string; path: string },
  ref?: string,
) {
  try {
    const res = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", {
      owner: file.owner,
      repo: file.repo,
      path: file.path,
      ...(ref ? { ref } : {}),
      mediaType: { format: "raw" },
    });
    return typeof res.data === "string" ? res.data : null;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return null;
    throw e;
  }
}

/**
 * The policy of `owner/repo` at `ref`: defaults <- extended files <- the repository's file.
 * Never throws for a bad file: problems come back as errors with file and line.
 */
export async function loadPolicy(
  octokit: Octokit,
  owner: string,
  repo: string,
  ref?: string,
): Promise<LoadedPolicy> {
  const here = { owner, repo, path: CONFIG_PATH };
  let files: ConfigFile[];
  try {
    const got = await octokit.config.get({
      owner,
      repo,
      path: CONFIG_PATH,
      ...(ref ? { branch: ref } : {}),
    });
    files = got.files as ConfigFile[];
  } catch (e) {
    // Unparsable YAML or a broken `_extends` chain: locate what we can in the repository's own file.
    const text = await rawText(octokit, here, ref);
    if (text !== null) {
      const located = resolvePolicy([{ file: CONFIG_PATH, text }]);
      if (!located.ok && located.errors.some((err) => err.message.startsWith("invalid YAML"))) {
        return { result: located, files: [DEFAULTS_FILE, CONFIG_PATH], repoFile: CONFIG_PATH };
      }
    }
    const error: PolicyError = {
      file: CONFIG_PATH,
      line: 1,
      column: 1,
      key: "_extends",
      message: `could not load the configuration: ${firstLine((e as Error).message)}`,
    };
    return {
      result: { ok: false, errors: [error] },
      files: [DEFAULTS_FILE, CONFIG_PATH],
      repoFile: CONFIG_PATH,
    };
  }
  const present = files.filter((f) => f.config !== null).reverse();
  const names = [DEFAULTS_FILE, ...present.map((f) => displayName(f, owner, repo))];
  let merged: unknown = defaultPolicyObject();
  for (const f of present) merged = mergePolicy(merged, f.config);
  const quick = validatePolicyObject(merged, () => ({ file: CONFIG_PATH, line: 1, column: 1 }));
  if (quick.ok) return { result: quick, files: names, repoFile: CONFIG_PATH };
  // Invalid: read the raw texts (only now, only on failure) so errors carry their lines.
  const sources: PolicySource[] = [];
  for (const f of present) {
    const text = await rawText(octokit, f, f.owner === owner && f.repo === repo ? ref : undefined);
    if (text !== null) sources.push({ file: displayName(f, owner, repo), text });
  }
  return { result: resolvePolicy(sources), files: names, repoFile: CONFIG_PATH };
}

function firstLine(s: string): string {
  return s.split("\n")[0] ?? s;
}
