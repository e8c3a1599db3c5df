// Glob matching for policy paths: one compiled matcher per list, dotfiles included.
import picomatch from "picomatch";

export type PathMatcher = (path: string) => boolean;

const never: PathMatcher = () => false;

/** A matcher for a list of globs (picomatch syntax, `dot: true`); an empty list matches nothing. */
export function globMatcher(globs: readonly string[]): PathMatcher {
  if (globs.length === 0) return never;
  return picomatch([...globs], { dot: true });
}
