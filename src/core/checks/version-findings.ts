// What monobot/versions' rules share: the snapshot they read, the findings they report, the versions a fix may write.
import type { Policy } from "../policy.js";
import { contentKey, type AnnotationLevel, type ChangeSnapshot } from "../types.js";
import { bumpChoices, describeChoices, isPrerelease, type BumpLevel } from "../versions.js";

/**
 * The snapshot as this check reads it: `releaseTags` are the repository's tag names that the
 * policy's template can produce (one matching-refs listing per event), or absent when the
 * pipeline did not list them: tag existence is then reported as not checked.
 */
export type VersionsSnapshot = ChangeSnapshot & { releaseTags?: readonly string[] };

/** One problem or note, on the line that must change. */
export interface Finding {
  path: string;
  line: number;
  level: AnnotationLevel;
  message: string;
}

/** A file's text on one side of the change, or null when it was not read or is not text. */
export function snapshotText(
  snapshot: ChangeSnapshot,
  side: "base" | "head",
  path: string,
): string | null {
  return snapshot.contents.get(contentKey(side, path)) ?? null;
}

/** "1.2.4 (patch), 1.3.0 (minor) or 2.0.0 (major)": the versions a fix may write after `base`. */
export function choicesText(
  base: string,
  suggestion: BumpLevel,
  policy: Policy,
  render?: (v: string) => string,
): string {
  const choices = bumpChoices(base, suggestion, {
    preid: policy.versions.preid,
    prerelease: isPrerelease(base) && policy.versions.prerelease === "allow",
  });
  return describeChoices(choices, render);
}
