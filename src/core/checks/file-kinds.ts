// Which changed files the text checks skip (removed, binary, generated), shared by lint, license, secrets.
import { globMatcher } from "../glob.js";
import type { Policy } from "../policy.js";
import type { ChangedFile } from "../types.js";
import type { GitAttributes } from "./gitattributes.js";

export type SkipReason = "removed" | "binary" | "generated";

/** Compiled lists from `checks.lint` that say which files are binary or generated. */
export interface FileKinds {
  skipReason(file: ChangedFile): SkipReason | undefined;
}

export function fileKinds(lint: Policy["checks"]["lint"], attributes?: GitAttributes): FileKinds {
  const binary = globMatcher(lint.binary);
  const generated = globMatcher(lint.generated);
  return {
    skipReason(file) {
      if (file.status === "removed") return "removed";
      if (file.binary === true || binary(file.path) || attributes?.binary(file.path)) {
        return "binary";
      }
      if (
        generated(file.path) ||
        attributes?.generated(file.path) ||
        attributes?.vendored(file.path)
      ) {
        return "generated";
      }
      return undefined;
    },
  };
}

/** True when the change shows the file has no content change (a pure rename, an empty file). */
export function unchangedOrEmpty(file: ChangedFile): boolean {
  return file.patch === undefined && file.additions === 0 && file.deletions === 0;
}
