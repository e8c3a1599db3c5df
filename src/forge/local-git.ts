// The forge port's reading side over a local git checkout, for the CLI: git only, no network.
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import type { ChangedFile, CommitInfo } from "../core/types.js";
import { fileAtKey, type ChangeReader, type FileAt } from "./port.js";

const run = promisify(execFile);

/** A git failure the CLI reports as a usage error (bad path, unknown ref). */
export class GitError extends Error {}

export class LocalGit {
  constructor(readonly dir: string) {}

  async git(args: string[]): Promise<string> {
    try {
      const { stdout } = await run("git", ["-c", "core.quotePath=false", ...args], {
        cwd: this.dir,
        maxBuffer: 1024 * 1024 * 1024,
        encoding: "utf8",
      });
      return stdout;
    } catch (e) {
      const err = e as { stderr?: string; code?: string | number; message: string };
      if (err.code === "ENOENT")
        throw new GitError(`cannot run git in ${this.dir}: ${err.message}`);
      const detail = (err.stderr ?? err.message).trim().split("\n")[0];
      throw new GitError(`git ${args[0]} failed in ${this.dir}: ${detail}`);
    }
  }

  /** The full SHA of a ref, or a GitError naming the ref. */
  async resolve(ref: string): Promise<string> {
    try {
      return (await this.git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`])).trim();
    } catch {
      throw new GitError(`unknown git ref "${ref}" in ${this.dir}`);
    }
  }

  async mergeBase(a: string, b: string): Promise<string> {
    return (await this.git(["merge-base", a, b])).trim();
  }

  /** The remote-less repository name: the checkout folder's name. */
  async topLevel(): Promise<string> {
    return (await this.git(["rev-parse", "--show-toplevel"])).trim();
  }

  /** A reader of the change from `baseSha` (already a merge base) to `headSha`. */
  reader(baseSha: string, headSha: string): ChangeReader {
    return {
      changedFiles: () => this.changedFiles(baseSha, headSha),
      commits: () => this.commits(baseSha, headSha),
      paths: (sha) => this.paths(sha),
      readFiles: (files) => this.readFiles(files),
      tags: (prefix) => this.tags(prefix),
    };
  }

  async changedFiles(
    base: string,
    head: string,
  ): Promise<{ files: ChangedFile[]; truncated: boolean }> {
    const [nameStatus, numstat, patch] = await Promise.all([
      this.git(["diff", "--no-color", "--no-ext-diff", "-M", "--name-status", "-z", base, head]),
      this.git(["diff", "--no-color", "--no-ext-diff", "-M", "--numstat", "-z", base, head]),
      this.git(["diff", "--no-color", "--no-ext-diff", "-M", "-U3", base, head]),
    ]);
    const entries = parseNameStatus(nameStatus);
    const counts = parseNumstat(numstat);
    const patches = splitPatches(patch);
    const files = entries.map((e, i): ChangedFile => {
      const count = counts[i];
      const file: ChangedFile = {
        path: e.path,
        status: e.status,
        additions: count?.additions ?? 0,
        deletions: count?.deletions ?? 0,
      };
      if (e.previousPath) file.previousPath = e.previousPath;
      if (count?.binary) file.binary = true;
      const p = patches[i];
      if (!count?.binary && p) file.patch = p;
      return file;
    });
    return { files, truncated: false };
  }

  async commits(base: string, head: string): Promise<CommitInfo[]> {
    const out = await this.git([
      "log",
      "--reverse",
      "--format=%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%B%x1e",
      `${base}..${head}`,
    ]);
    return out
      .split("\x1e")
      .map((r) => r.replace(/^\n/, ""))
      .filter((r) => r.length > 0)
      .map((r) => {
        const [sha = "", parents = "", an = "", ae = "", cn = "", ce = "", ...rest] = r.split("\0");
        return {
          sha,
          parents: parents.trim() ? parents.trim().split(" ").length : 0,
          author: { name: an, email: ae },
          committer: { name: cn, email: ce },
          message: rest.join("\0").replace(/\n$/, ""),
        };
      });
  }

  async tags(prefix: string): Promise<string[]> {
    // for-each-ref patterns match whole path segments, and the prefix may end inside one.
    const out = await this.git(["for-each-ref", "--format=%(refname:strip=2)", "refs/tags/"]);
    return out.split("\n").filter((t) => t.length > 0 && t.startsWith(prefix));
  }

  async paths(sha: string): Promise<string[]> {
    const out = await this.git(["ls-tree", "-r", "-z", "--name-only", sha]);
    return out.split("\0").filter((p) => p.length > 0);
  }

  /** Reads many files with one `git cat-file --batch` process. */
  readFiles(files: readonly FileAt[]): Promise<Map<string, string | null>> {
    const unique = [...new Map(files.map((f) => [fileAtKey(f), f])).values()];
    const result = new Map<string, string | null>();
    if (unique.length === 0) return Promise.resolve(result);
    return new Promise((resolve, reject) => {
      const child = spawn("git", ["cat-file", "--batch"], { cwd: this.dir });
      const chunks: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => chunks.push(c));
      child.on("error", (e) => reject(new GitError(`cannot run git cat-file: ${e.message}`)));
      child.on("close", (code) => {
        if (code !== 0) return reject(new GitError(`git cat-file exited with ${code}`));
        const buf = Buffer.concat(chunks);
        let pos = 0;
        for (const f of unique) {
          const nl = buf.indexOf(10, pos);
          const header = buf.subarray(pos, nl).toString("utf8");
          pos = nl + 1;
          const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
          if (!m) {
            result.set(fileAtKey(f), null);
            continue;
          }
          const size = Number(m[2]);
          const body = buf.subarray(pos, pos + size);
          pos += size + 1;
          result.set(
            fileAtKey(f),
            m[1] === "blob" && !isBinary(body) ? body.toString("utf8") : null,
          );
        }
        resolve(result);
      });
      // Paths with newlines cannot be asked for on this protocol; they read as missing.
      for (const f of unique) child.stdin.write(`${f.sha}:${f.path.replace(/\n/g, "")}\n`);
      child.stdin.end();
    });
  }
}

function isBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8000).includes(0);
}

const STATUS: Record<string, ChangedFile["status"]> = {
  A: "added",
  M: "modified",
  D: "removed",
  R: "renamed",
  C: "copied",
  T: "changed",
};

function parseNameStatus(
  out: string,
): { status: ChangedFile["status"]; path: string; previousPath?: string }[] {
  const parts = out.split("\0");
  const entries: { status: ChangedFile["status"]; path: string; previousPath?: string }[] = [];
  for (let i = 0; i < parts.length - 1;) {
    const code = parts[i++] ?? "";
    const letter = code[0] ?? "";
    if (letter === "R" || letter === "C") {
      const from = parts[i++] ?? "";
      const to = parts[i++] ?? "";
      entries.push({ status: STATUS[letter] ?? "modified", path: to, previousPath: from });
    } else {
      entries.push({ status: STATUS[letter] ?? "modified", path: parts[i++] ?? "" });
    }
  }
  return entries;
}

function parseNumstat(out: string): { additions: number; deletions: number; binary: boolean }[] {
  const parts = out.split("\0");
  const counts: { additions: number; deletions: number; binary: boolean }[] = [];
  for (let i = 0; i < parts.length - 1;) {
    const entry = parts[i++] ?? "";
    const [a = "0", d = "0", path = ""] = entry.split("\t");
    // Renames print "a\td\t" then the two paths as separate NUL-terminated fields.
    if (path === "") i += 2;
    counts.push({
      additions: a === "-" ? 0 : Number(a),
      deletions: d === "-" ? 0 : Number(d),
      binary: a === "-",
    });
  }
  return counts;
}

/** Splits `git diff` output into one patch per file, each starting at its first hunk like GitHub's. */
function splitPatches(out: string): (string | undefined)[] {
  const blocks = out.split(/^diff --git /m).slice(1);
  return blocks.map((block) => {
    const at = block.search(/^@@ /m);
    if (at < 0) return undefined;
    return block.slice(at).replace(/\n$/, "");
  });
}
