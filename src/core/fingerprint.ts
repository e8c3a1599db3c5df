// Fingerprints of a change's code, to tell a trivial rebase or a message-only push from a real change.
//
// Two pushes with the same fingerprint make the same edits: the same files, statuses and renames,
// and per file the same hunks (added, removed and context lines, in order). What does not count:
// hunk header line numbers (a rebase onto a base with lines inserted above moves them) and
// everything outside the files (commit messages, authors, dates). This is Gerrit's
// exclude-trivial-rebase / exclude-no-code-change, like `git patch-id` but whitespace-exact.
//
// Context lines do count: when the base changed right next to an edit the patch is not the same
// patch any more, and CI runs again. Limitations, both erring towards "same" only where the forge
// gives nothing better: a file without a patch (binary, or too large for GitHub to show one)
// counts by path, status and line counts, so two different binary contents with the same counts
// look the same; and a mode change (chmod) is seen only when the patch text carries git's
// `old mode`/`new mode` lines. Callers should not use the fingerprint of a truncated file list.
import { createHash } from "node:crypto";
import type { ChangedFile } from "./types.js";

const FORMAT = "fp1";

/** Header lines of a full `git diff` patch that say something about the file, not its position. */
const KEPT_HEADER = /^(?:old mode|new mode|new file mode|deleted file mode|Binary files) /;

/** The lines of a patch that make it what it is: hunk bodies, hunk boundaries, mode lines. */
function normalizedPatch(patch: string): string[] {
  const out: string[] = [];
  let inHunk = false;
  for (const raw of patch.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.startsWith("@@")) {
      // "@@ -12,7 +14,8 @@ function heading": numbers and heading depend on the lines above.
      inHunk = true;
      out.push("@@");
      continue;
    }
    if (!inHunk) {
      // Before the first hunk only a full `git diff` has lines (diff --git, index, ---, +++):
      // the index line's blob ids change on every rebase, the paths are counted separately.
      if (KEPT_HEADER.test(line)) out.push(line);
      else if (line.startsWith("index ")) {
        const mode = /^index \S+ (\d{6})$/.exec(line);
        if (mode) out.push(`mode ${mode[1]}`);
      }
      continue;
    }
    if (line.startsWith("diff --git ")) {
      // A second file's diff pasted into one patch: stop at it rather than mix it in.
      break;
    }
    if (line === "" || /^[ +\-\\]/.test(line)) out.push(line);
  }
  // A trailing empty line is the split of a final newline, not a context line.
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

function fileEntry(file: ChangedFile): unknown[] {
  const base = [file.path, file.previousPath ?? null, file.status];
  if (typeof file.patch === "string" && file.patch.length > 0) {
    return [...base, "patch", normalizedPatch(file.patch)];
  }
  return [...base, "counts", file.additions, file.deletions, file.binary === true];
}

/**
 * A fingerprint of the change's code (see the module comment): equal for a rebase that keeps the
 * same patches and for a push that changes only commit messages; different when any added,
 * removed or context line, path, rename or status changes.
 */
export function changeFingerprint(files: readonly ChangedFile[]): string {
  const entries = files
    .filter((f) => f.status !== "unchanged")
    .map(fileEntry)
    .sort((a, b) => {
      const pa = String(a[0]);
      const pb = String(b[0]);
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    });
  const hash = createHash("sha256");
  // JSON with one entry per file is unambiguous: no line can pass for a file boundary.
  hash.update(JSON.stringify(entries));
  return `${FORMAT}:${hash.digest("hex").slice(0, 40)}`;
}
