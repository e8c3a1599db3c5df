// GitHub's refusal of a git write (a tree, a commit, a ref, a pull request), as a sentence for the user.

/** The sentence for a refusal the user can fix (403, 404, 409, 422); undefined for other errors. */
export function refusedWrite(e: unknown, what = "the write"): string | undefined {
  const err = e as { status?: number; message?: string };
  if (err.status === 403 || err.status === 404 || err.status === 409 || err.status === 422) {
    const message = (err.message ?? "").split("\n")[0]?.slice(0, 200) ?? "";
    return `GitHub refused ${what} (HTTP ${err.status}${message ? `: ${message}` : ""})`;
  }
  return undefined;
}
