// The forge port's reading side over a local git checkout, for the CLI: git only, no network.
import { execFile, spawn, type ChildProcessByStdio } from "node:child_process";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { promisify } from "node:util";
import type { ChangedFile, CommitInfo } from "../core/types.js";
import { fileAtKey, type ChangeReader, type FileAt } from "./port.js";

const run = promisify(execFile);

/** A git failure the CLI reports as a usage error (bad path, unknown ref). */
export class GitError extends Error {}

/** A change opened for reading: its refs resolved, its listings already under way. */
export interface OpenedChange {
  /** The checkout's top folder. */
  root: string;
  /** The base ref's commit, and the merge base of it and head (what the change is compared to). */
  baseTip: string;
  baseSha: string;
  headSha: string;
  /** Every read of the change goes through one `git cat-file --batch` process. */
  reader: ChangeReader;
  /** Ends that process (an open one never keeps the program from exiting). */
  close(): void;
}

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

interface TreeListing {
  paths: string[];
  /** Path -> object id. */
  objects: Map<string, string>;
}

interface DiffListing {
  files: ChangedFile[];
  truncated: boolean;
  /** Path -> its object at base, for the paths the change touches (null: not there). */
  baseObjects: Map<string, string | null>;
}

interface Resolved {
  root: string;
  baseTip: string;
  headSha: string;
  tags: string[];
}

/** `rev-parse --show-toplevel BASE HEAD --symbolic-full-name --tags`, or null when it is not that. */
function parseResolved(out: string | null): Resolved | null {
  if (out === null) return null;
  const [root = "", baseTip = "", headSha = "", ...refs] = out.split("\n");
  const tagRefs = refs.filter((r) => r.length > 0);
  // A "ref" git read as a range or a path prints other lines: the caller asks again, one by one.
  if (!root || !OID.test(baseTip) || !OID.test(headSha)) return null;
  if (!tagRefs.every((r) => r.startsWith("refs/tags/"))) return null;
  return { root, baseTip, headSha, tags: tagRefs.map((r) => r.slice("refs/tags/".length)) };
}

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

  /**
   * Opens the change from `baseRef` to `headRef` (compared from their merge base, as GitHub
   * compares a pull request) in as few git processes as the data allows, all started at once:
   * one `rev-parse` for both refs, the top folder and the tag names; one `log --boundary` for the
   * commits and, from the commit it stops at, the merge base; one three-dot `diff` for statuses,
   * counts and patches; one `ls-tree` for the head's files; and, for every file read, one
   * `cat-file --batch`. The listings run while the caller reads the policy.
   */
  async openChange(baseRef: string, headRef: string): Promise<OpenedChange> {
    // Started now, so that git has loaded the repository when the first read comes.
    const batch = new CatFileBatch(this.dir).started();
    try {
      const wave =
        baseRef.startsWith("-") || headRef.startsWith("-")
          ? null
          : this.wave(baseRef, headRef, batch);
      const fast = await wave;
      if (fast && "reader" in fast) return fast;
      // Refs that look like options, a failure (its error must name the wrong ref) or several
      // merge bases: one question at a time, as git answers it.
      const { root, baseTip, headSha, tags } =
        fast ?? (await this.resolveOneByOne(baseRef, headRef));
      const tree = quiet(this.tree(headSha));
      const baseSha = await this.mergeBase(baseTip, headSha);
      return this.opened({ root, baseTip, baseSha, headSha, tags }, batch, {
        tree,
        listing: quiet(this.diffListing(baseSha, headSha)),
        commits: quiet(this.commits(baseSha, headSha)),
      });
    } catch (e) {
      batch.close();
      throw e;
    }
  }

  /** The one-wave read of `openChange`; only the resolved refs when the merge base is not plain. */
  private async wave(
    baseRef: string,
    headRef: string,
    batch: CatFileBatch,
  ): Promise<OpenedChange | Resolved | null> {
    const base = `${baseRef}^{commit}`;
    const head = `${headRef}^{commit}`;
    const resolving = this.git([
      "rev-parse",
      "--show-toplevel",
      base,
      head,
      "--symbolic-full-name",
      "--tags",
    ]).catch(() => null);
    const history = quiet(this.log(`${base}..${head}`, true));
    const listing = quiet(this.diffListing(`${base}...${head}`));
    const tree = quiet(this.tree(head));
    const resolved = parseResolved(await resolving);
    if (!resolved) return null;
    const log = await history.catch(() => null);
    if (!log) return resolved;
    // The merge base is the one commit the walk from head stops at; none when head is in base.
    // Several (a merged base branch, or criss-cross merges) need git's own answer.
    let baseSha: string | undefined;
    if (log.commits.length === 0) baseSha = resolved.headSha;
    else if (log.boundary.length === 1) baseSha = log.boundary[0];
    if (!baseSha) return resolved;
    return this.opened({ ...resolved, baseSha }, batch, {
      tree,
      listing,
      commits: Promise.resolve(log.commits),
    });
  }

  private opened(
    refs: Resolved & { baseSha: string },
    batch: CatFileBatch,
    started: {
      tree: Promise<TreeListing>;
      listing: Promise<DiffListing>;
      commits: Promise<CommitInfo[]>;
    },
  ): OpenedChange {
    const { root, baseTip, baseSha, headSha, tags } = refs;
    const paths = quiet(started.tree.then((t) => t.paths));
    const listing = quiet(started.listing.then(({ files, truncated }) => ({ files, truncated })));
    return {
      root,
      baseTip,
      baseSha,
      headSha,
      close: () => batch.close(),
      reader: {
        readFiles: async (files) => {
          const [tree, diff] = await Promise.all([started.tree, started.listing]);
          return batch.readFiles(files, (f) => {
            // The change's two sides by object id: no tree walk per file.
            if (f.sha === headSha) return tree.objects.get(f.path) ?? null;
            if (f.sha !== baseSha) return undefined;
            const changed = diff.baseObjects.get(f.path);
            return changed !== undefined ? changed : (tree.objects.get(f.path) ?? null);
          });
        },
        changedFiles: () => listing,
        commits: () => started.commits,
        paths: (sha) => (sha === headSha ? paths : this.paths(sha)),
        tags: (prefix) => Promise.resolve(tags.filter((t) => t.startsWith(prefix))),
      },
    };
  }

  /** Each ref with its own `rev-parse --verify`, so that an error names the ref that is wrong. */
  private async resolveOneByOne(baseRef: string, headRef: string): Promise<Resolved> {
    const root = await this.topLevel();
    const baseTip = await this.resolve(baseRef);
    const headSha = await this.resolve(headRef);
    return { root, baseTip, headSha, tags: await this.tags("") };
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
    const { files, truncated } = await this.diffListing(base, head);
    return { files, truncated };
  }

  /** One diff (of two commits, or of a three-dot range): statuses, counts and patches. */
  private async diffListing(...revs: string[]): Promise<DiffListing> {
    // Raw records, then numstat records (both NUL-separated), then a NUL, then the patches.
    const out = await this.git([
      "diff",
      "--no-color",
      "--no-ext-diff",
      "-M",
      "-U3",
      "--raw",
      "--numstat",
      "--patch",
      "--no-abbrev",
      "-z",
      ...revs,
    ]);
    const { entries, counts, patch } = parseCombinedDiff(out);
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
    // The base side's object of every path the change touches (the rest is as at head).
    const baseObjects = new Map<string, string | null>();
    for (const e of entries) {
      if (e.previousPath) {
        baseObjects.set(e.previousPath, e.oldObject);
        baseObjects.set(e.path, null);
      } else baseObjects.set(e.path, e.oldObject);
    }
    return { files, truncated: false, baseObjects };
  }

  async commits(base: string, head: string): Promise<CommitInfo[]> {
    return (await this.log(`${base}..${head}`, false)).commits;
  }

  /** The commits of a range, oldest first; with `boundary`, also the commits the walk stopped at. */
  private async log(
    range: string,
    boundary: boolean,
  ): Promise<{ commits: CommitInfo[]; boundary: string[] }> {
    const out = await this.git([
      "log",
      "--reverse",
      ...(boundary ? ["--boundary"] : []),
      "--format=%m%x00%H%x00%P%x00%an%x00%ae%x00%cn%x00%ce%x00%B%x1e",
      range,
    ]);
    const commits: CommitInfo[] = [];
    const stops: string[] = [];
    for (const record of out.split("\x1e")) {
      const r = record.replace(/^\n/, "");
      if (r.length === 0) continue;
      const [mark = "", sha = "", parents = "", an = "", ae = "", cn = "", ce = "", ...rest] =
        r.split("\0");
      if (mark === "-") {
        stops.push(sha);
        continue;
      }
      commits.push({
        sha,
        parents: parents.trim() ? parents.trim().split(" ").length : 0,
        author: { name: an, email: ae },
        committer: { name: cn, email: ce },
        message: rest.join("\0").replace(/\n$/, ""),
      });
    }
    return { commits, boundary: stops };
  }

  async tags(prefix: string): Promise<string[]> {
    // for-each-ref patterns match whole path segments, and the prefix may end inside one.
    const out = await this.git(["for-each-ref", "--format=%(refname:strip=2)", "refs/tags/"]);
    return out.split("\n").filter((t) => t.length > 0 && t.startsWith(prefix));
  }

  async paths(sha: string): Promise<string[]> {
    return (await this.tree(sha)).paths;
  }

  /** Every file path at a commit, and the object each names (blob, or commit for a submodule). */
  private async tree(rev: string): Promise<TreeListing> {
    const out = await this.git(["ls-tree", "-r", "-z", rev]);
    const paths: string[] = [];
    const objects = new Map<string, string>();
    for (const entry of out.split("\0")) {
      // "<mode> SP <type> SP <object> TAB <path>"
      const tab = entry.indexOf("\t");
      if (tab < 0) continue;
      const path = entry.slice(tab + 1);
      paths.push(path);
      objects.set(path, entry.slice(0, tab).split(" ")[2] ?? "");
    }
    return { paths, objects };
  }

  /** Reads many files with one `git cat-file --batch` process. */
  async readFiles(files: readonly FileAt[]): Promise<Map<string, string | null>> {
    const batch = new CatFileBatch(this.dir);
    try {
      return await batch.readFiles(files);
    } finally {
      batch.close();
    }
  }
}

/** An object as `git cat-file --batch` prints it, or null when it names none. */
type CatFileObject = { type: string; body: Buffer } | null;

/**
 * One `git cat-file --batch` process for every file read of a change, the reads pipelined on it.
 * While no read is pending it keeps nothing alive, so a caller that never closes it cannot make
 * the process hang; `close()` ends it at once.
 */
export class CatFileBatch {
  private child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  private readonly waiting: { resolve: (o: CatFileObject) => void; reject: (e: Error) => void }[] =
    [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The object whose body is being received. */
  private current: { type: string; size: number } | undefined;
  private failure: GitError | undefined;

  constructor(readonly dir: string) {}

  /**
   * Reads files by `commit:path`, or by object id where `objectOf` knows it (null: the file is not
   * there; undefined: ask git for `commit:path`).
   */
  async readFiles(
    files: readonly FileAt[],
    objectOf: (f: FileAt) => string | null | undefined = () => undefined,
  ): Promise<Map<string, string | null>> {
    const unique = [...new Map(files.map((f) => [fileAtKey(f), f])).values()];
    const asked = new Map<string, Promise<CatFileObject>>();
    const ask = (spec: string) => {
      let answer = asked.get(spec);
      if (!answer) asked.set(spec, (answer = this.read(spec)));
      return answer;
    };
    const objects = await Promise.all(
      unique.map((f) => {
        const object = objectOf(f);
        if (object === null) return null;
        // Paths with newlines cannot be asked for on this protocol; they read as missing.
        return ask(object ?? `${f.sha}:${f.path.replace(/\n/g, "")}`);
      }),
    );
    const result = new Map<string, string | null>();
    unique.forEach((f, i) => {
      const o = objects[i];
      result.set(
        fileAtKey(f),
        o && o.type === "blob" && !isBinary(o.body) ? o.body.toString("utf8") : null,
      );
    });
    return result;
  }

  read(spec: string): Promise<CatFileObject> {
    if (this.failure) return Promise.reject(this.failure);
    const child = this.start();
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.hold(true);
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${spec}\n`);
    });
  }

  /** Starts git now rather than at the first read; idle, it keeps nothing alive. */
  started(): this {
    this.start();
    if (this.waiting.length === 0) this.hold(false);
    return this;
  }

  close(): void {
    this.child?.stdin.end();
  }

  private start(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.child) return this.child;
    const child = spawn("git", ["cat-file", "--batch"], {
      cwd: this.dir,
      stdio: ["pipe", "pipe", "ignore"],
    });
    child.stdout.on("data", (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
    });
    child.on("error", (e) => this.fail(new GitError(`cannot run git cat-file: ${e.message}`)));
    child.on("close", (code) => this.fail(new GitError(`git cat-file exited with ${code}`)));
    // A read after close() (or a failed start) gets the failure, not a write to a closed pipe.
    child.stdin.on("error", (e) => this.fail(new GitError(`git cat-file: ${e.message}`)));
    this.child = child;
    return child;
  }

  /** Keeps the event loop alive only while a read waits for its answer. */
  private hold(on: boolean): void {
    const child = this.child;
    if (!child) return;
    // A child's pipes are sockets, which Node's types show as plain streams.
    const pipes = [child.stdin, child.stdout] as unknown as Socket[];
    for (const handle of [child, ...pipes]) {
      if (on) handle.ref();
      else handle.unref();
    }
  }

  private fail(error: GitError): void {
    this.failure ??= error;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }

  /** The buffered output as one buffer. */
  private joined(): Buffer {
    if (this.chunks.length !== 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(bytes: number): Buffer {
    const all = this.joined();
    this.chunks = [all.subarray(bytes)];
    this.buffered = all.length - bytes;
    return all.subarray(0, bytes);
  }

  /** Answers the waiting reads, oldest first, from what git printed so far. */
  private drain(): void {
    for (;;) {
      const next = this.waiting[0];
      if (!next) return;
      if (!this.current) {
        const all = this.joined();
        const nl = all.indexOf(10);
        if (nl < 0) return;
        const header = this.consume(nl + 1)
          .toString("utf8")
          .trimEnd();
        const m = /^[0-9a-f]+ (\w+) (\d+)$/.exec(header);
        if (!m) {
          // `<name> missing`, `<name> ambiguous`: nothing by that name.
          this.answer(null);
          continue;
        }
        this.current = { type: m[1] ?? "", size: Number(m[2]) };
      }
      // The body and the newline after it.
      if (this.buffered < this.current.size + 1) return;
      const body = this.consume(this.current.size + 1).subarray(0, this.current.size);
      const type = this.current.type;
      this.current = undefined;
      this.answer({ type, body });
    }
  }

  private answer(object: CatFileObject): void {
    this.waiting.shift()?.resolve(object);
    if (this.waiting.length === 0) this.hold(false);
  }
}

/** Started ahead of being awaited: a failure surfaces where it is awaited, not as unhandled. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
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

type DiffEntry = {
  status: ChangedFile["status"];
  path: string;
  previousPath?: string;
  /** The object at base (null for an added file), from the raw record. */
  oldObject: string | null;
};
type DiffCount = { additions: number; deletions: number; binary: boolean };

/**
 * Parses `git diff --raw --numstat --patch -z`: a raw record per file (`:modes oids status`, then
 * one path, or two for a rename or copy), a numstat record per file in the same order, then the
 * patch text after one empty field.
 */
export function parseCombinedDiff(out: string): {
  entries: DiffEntry[];
  counts: DiffCount[];
  patch: string;
} {
  const entries: DiffEntry[] = [];
  const counts: DiffCount[] = [];
  let pos = 0;
  const field = (): string => {
    const end = out.indexOf("\0", pos);
    const value = end < 0 ? out.slice(pos) : out.slice(pos, end);
    pos = end < 0 ? out.length : end + 1;
    return value;
  };
  while (pos < out.length && out[pos] === ":") {
    const [, , old = "", , status = ""] = field().split(" ");
    const letter = status[0] ?? "";
    const oldObject = OID.test(old) && !/^0+$/.test(old) ? old : null;
    if (letter === "R" || letter === "C") {
      const from = field();
      const to = field();
      entries.push({
        status: STATUS[letter] ?? "modified",
        path: to,
        previousPath: from,
        oldObject,
      });
    } else {
      entries.push({ status: STATUS[letter] ?? "modified", path: field(), oldObject });
    }
  }
  for (let i = 0; i < entries.length && pos < out.length; i++) {
    const [a = "0", d = "0", path = ""] = field().split("\t");
    // Renames print "a\td\t" then the two paths as separate fields.
    if (path === "") {
      field();
      field();
    }
    counts.push({
      additions: a === "-" ? 0 : Number(a),
      deletions: d === "-" ? 0 : Number(d),
      binary: a === "-",
    });
  }
  if (out[pos] === "\0") pos++;
  return { entries, counts, patch: out.slice(pos) };
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
