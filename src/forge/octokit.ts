// The Octokit type the forge adapters share, and the reads more than one adapter needs.
import type { ProbotOctokit } from "probot";

export type Octokit = InstanceType<typeof ProbotOctokit>;

/** Tag names starting with `prefix` ("" for all), from ONE matching-refs listing. */
export async function listTagNames(
  octokit: Octokit,
  owner: string,
  repo: string,
  prefix: string,
): Promise<string[]> {
  const refs = await octokit.paginate(octokit.rest.git.listMatchingRefs, {
    owner,
    repo,
    ref: `tags/${prefix}`,
    per_page: 100,
  });
  return refs.map((r) => r.ref.replace(/^refs\/tags\//, ""));
}
