// The Octokit type the forge adapters share, and the reads more than one adapter needs.
import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

/** Tag names starting with `prefix` ("" for all), from ONE matching-refs request. */
export async function listTagNames(
  octokit: Octokit,
  owner: string,
  repo: string,
  prefix: string,
): Promise<string[]> {
  // GitHub answers every matching ref in one response; the operation takes no paging parameters.
  const { data: refs } = await octokit.rest.git.listMatchingRefs({
    owner,
    repo,
    ref: `tags/${prefix}`,
  });
  return refs.map((r) => r.ref.replace(/^refs\/tags\//, ""));
}
