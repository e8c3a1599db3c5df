// How a commit is named to people: its SHA's first seven characters, as GitHub shows it.

/** The short form of a commit SHA (`abc1234`). */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}
