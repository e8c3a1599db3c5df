// Git's object model for the sandbox: blobs, trees, commits and tags stored under the SHA-1 ids git itself computes.
import { createHash } from "node:crypto";

export type ObjectType = "blob" | "tree" | "commit" | "tag";

/** Modes as the REST API spells them (trees are `040000` there, `40000` inside git's tree format). */
export type EntryMode = "100644" | "100755" | "120000" | "160000" | "040000";
export type EntryType = "blob" | "tree" | "commit";

export interface TreeEntry {
  name: string;
  mode: EntryMode;
  type: EntryType;
  sha: string;
}

/** An author, committer or tagger line: time in Unix seconds and a `+hhmm` offset, as git stores it. */
export interface Signature {
  name: string;
  email: string;
  /** Unix time in seconds. */
  time: number;
  /** Offset such as `+0000` or `-0130`. */
  tz: string;
}

export interface CommitData {
  tree: string;
  parents: string[];
  author: Signature;
  committer: Signature;
  message: string;
}

export interface TagData {
  object: string;
  type: ObjectType;
  tag: string;
  tagger: Signature;
  message: string;
}

export type GitObject =
  | { type: "blob"; sha: string; content: Buffer }
  | { type: "tree"; sha: string; entries: TreeEntry[] }
  | { type: "commit"; sha: string; commit: CommitData }
  | { type: "tag"; sha: string; tag: TagData };

/** A change to one path of a tree: `null` deletes it. */
export type PathChange = null | { mode: EntryMode; type: EntryType; sha: string };

export const EMPTY_TREE_SHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

export function hashObject(type: ObjectType, body: Buffer): string {
  const header = Buffer.from(`${type} ${body.length}\0`, "utf8");
  return createHash("sha1").update(header).update(body).digest("hex");
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

function treeModeBytes(mode: EntryMode): string {
  return mode === "040000" ? "40000" : mode;
}

/** Git sorts tree entries by name bytes, comparing a subtree's name as if it ended with `/`. */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const ka = Buffer.from(a.type === "tree" ? `${a.name}/` : a.name, "utf8");
  const kb = Buffer.from(b.type === "tree" ? `${b.name}/` : b.name, "utf8");
  return Buffer.compare(ka, kb);
}

export function encodeTree(entries: TreeEntry[]): Buffer {
  const sorted = [...entries].sort(compareTreeEntries);
  const parts: Buffer[] = [];
  for (const e of sorted) {
    parts.push(Buffer.from(`${treeModeBytes(e.mode)} ${e.name}\0`, "utf8"));
    parts.push(Buffer.from(e.sha, "hex"));
  }
  return Buffer.concat(parts);
}

export function formatSignature(s: Signature): string {
  return `${s.name} <${s.email}> ${s.time} ${s.tz}`;
}

export function encodeCommit(c: CommitData): Buffer {
  let text = `tree ${c.tree}\n`;
  for (const p of c.parents) text += `parent ${p}\n`;
  text += `author ${formatSignature(c.author)}\n`;
  text += `committer ${formatSignature(c.committer)}\n`;
  text += `\n${c.message}`;
  return Buffer.from(text, "utf8");
}

export function encodeTag(t: TagData): Buffer {
  const text =
    `object ${t.object}\ntype ${t.type}\ntag ${t.tag}\ntagger ${formatSignature(t.tagger)}\n\n` +
    t.message;
  return Buffer.from(text, "utf8");
}

/** Formats a signature's time as the REST API does: ISO 8601 in UTC, without milliseconds. */
export function signatureDate(s: Signature): string {
  return new Date(s.time * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Parses an ISO 8601 date into a signature time and offset (the offset of the text, `+0000` for `Z`). */
export function parseSignatureDate(date: string): { time: number; tz: string } | undefined {
  const ms = Date.parse(date);
  if (Number.isNaN(ms)) return undefined;
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(date);
  const tz = m ? `${m[1]}${m[2]}${m[3]}` : "+0000";
  return { time: Math.floor(ms / 1000), tz };
}

export function validPathSegment(name: string): boolean {
  return (
    name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\0")
  );
}

/** One flattened file of a tree. */
export interface FileEntry {
  path: string;
  mode: EntryMode;
  type: EntryType;
  sha: string;
}

/** Content-addressed storage of git objects: what is written gets the same id git would give it. */
export class ObjectStore {
  private readonly objects = new Map<string, GitObject>();

  get size(): number {
    return this.objects.size;
  }

  has(sha: string): boolean {
    return this.objects.has(sha);
  }

  get(sha: string): GitObject | undefined {
    return this.objects.get(sha);
  }

  putBlob(content: Buffer | string): string {
    const buf = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    const sha = hashObject("blob", buf);
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "blob", sha, content: buf });
    return sha;
  }

  putTree(entries: TreeEntry[]): string {
    const names = new Set<string>();
    for (const e of entries) {
      if (!validPathSegment(e.name))
        throw new Error(`invalid tree entry name ${JSON.stringify(e.name)}`);
      if (names.has(e.name)) throw new Error(`duplicate tree entry ${JSON.stringify(e.name)}`);
      names.add(e.name);
    }
    const sorted = [...entries].sort(compareTreeEntries);
    const sha = hashObject("tree", encodeTree(sorted));
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "tree", sha, entries: sorted });
    return sha;
  }

  putCommit(commit: CommitData): string {
    const sha = hashObject("commit", encodeCommit(commit));
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "commit", sha, commit });
    return sha;
  }

  putTag(tag: TagData): string {
    const sha = hashObject("tag", encodeTag(tag));
    if (!this.objects.has(sha)) this.objects.set(sha, { type: "tag", sha, tag });
    return sha;
  }

  blob(sha: string): Buffer | undefined {
    const o = this.objects.get(sha);
    return o?.type === "blob" ? o.content : undefined;
  }

  tree(sha: string): TreeEntry[] | undefined {
    const o = this.objects.get(sha);
    return o?.type === "tree" ? o.entries : undefined;
  }

  commit(sha: string): CommitData | undefined {
    const o = this.objects.get(sha);
    return o?.type === "commit" ? o.commit : undefined;
  }

  tag(sha: string): TagData | undefined {
    const o = this.objects.get(sha);
    return o?.type === "tag" ? o.tag : undefined;
  }

  /** Follows annotated tags down to the object they point at. */
  peel(sha: string): string {
    let cur = sha;
    for (let i = 0; i < 10; i++) {
      const t = this.tag(cur);
      if (!t) return cur;
      cur = t.object;
    }
    return cur;
  }

  /** The entry at `path` inside a tree; the empty path names the tree itself. */
  lookup(treeSha: string, path: string): TreeEntry | undefined {
    const parts = path.split("/").filter((p) => p !== "");
    if (parts.length === 0) return { name: "", mode: "040000", type: "tree", sha: treeSha };
    let cur = treeSha;
    for (let i = 0; i < parts.length; i++) {
      const entries = this.tree(cur);
      if (!entries) return undefined;
      const e = entries.find((x) => x.name === parts[i]);
      if (!e) return undefined;
      if (i === parts.length - 1) return e;
      if (e.type !== "tree") return undefined;
      cur = e.sha;
    }
    return undefined;
  }

  /** Every non-tree entry below a tree, in git's order, with full paths. */
  listFiles(treeSha: string, prefix = ""): FileEntry[] {
    const out: FileEntry[] = [];
    const walk = (sha: string, base: string): void => {
      for (const e of this.tree(sha) ?? []) {
        const path = base + e.name;
        if (e.type === "tree") walk(e.sha, `${path}/`);
        else out.push({ path, mode: e.mode, type: e.type, sha: e.sha });
      }
    };
    walk(treeSha, prefix);
    return out;
  }

  /** Every entry below a tree, trees included (as `GET /git/trees?recursive=1` lists them). */
  listRecursive(treeSha: string): FileEntry[] {
    const out: FileEntry[] = [];
    const walk = (sha: string, base: string): void => {
      for (const e of this.tree(sha) ?? []) {
        const path = base + e.name;
        out.push({ path, mode: e.mode, type: e.type, sha: e.sha });
        if (e.type === "tree") walk(e.sha, `${path}/`);
      }
    };
    walk(treeSha, "");
    return out;
  }

  /**
   * Writes the tree that results from applying `changes` (path -> entry or null to delete) to a base tree,
   * rewriting only the directories on the changed paths. Emptied directories disappear, as in git.
   */
  applyChanges(baseTree: string | null, changes: Map<string, PathChange>): string {
    const normalized = new Map<string, PathChange>();
    for (const [path, change] of changes) {
      const parts = path.split("/").filter((p) => p !== "");
      if (parts.length === 0 || !parts.every(validPathSegment))
        throw new Error(`invalid path ${JSON.stringify(path)}`);
      normalized.set(parts.join("/"), change);
    }
    return this.applyLevel(baseTree, normalized) ?? this.putTree([]);
  }

  private applyLevel(treeSha: string | null, changes: Map<string, PathChange>): string | null {
    const entries = new Map<string, TreeEntry>();
    for (const e of treeSha ? (this.tree(treeSha) ?? []) : []) entries.set(e.name, e);
    const nested = new Map<string, Map<string, PathChange>>();
    for (const [path, change] of changes) {
      const slash = path.indexOf("/");
      if (slash < 0) {
        if (change === null) entries.delete(path);
        else entries.set(path, { name: path, ...change });
      } else {
        const dir = path.slice(0, slash);
        let sub = nested.get(dir);
        if (!sub) nested.set(dir, (sub = new Map()));
        sub.set(path.slice(slash + 1), change);
      }
    }
    for (const [dir, sub] of nested) {
      const existing = entries.get(dir);
      const subSha = this.applyLevel(existing?.type === "tree" ? existing.sha : null, sub);
      if (subSha === null) entries.delete(dir);
      else entries.set(dir, { name: dir, mode: "040000", type: "tree", sha: subSha });
    }
    if (entries.size === 0) return null;
    return this.putTree([...entries.values()]);
  }

  /** Commits reachable from `sha` (itself included), newest first in breadth-first order. */
  ancestors(sha: string, limit = Number.POSITIVE_INFINITY): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length > 0 && seen.size < limit) {
      const cur = queue.shift() as string;
      if (seen.has(cur)) continue;
      const c = this.commit(cur);
      if (!c) continue;
      seen.add(cur);
      queue.push(...c.parents);
    }
    return seen;
  }

  isAncestor(ancestor: string, descendant: string): boolean {
    if (ancestor === descendant) return true;
    return this.ancestors(descendant).has(ancestor);
  }

  /** The best common ancestor of two commits (the first one met walking back from `b` by date), if any. */
  mergeBase(a: string, b: string): string | undefined {
    const fromA = this.ancestors(a);
    if (fromA.has(b)) return b;
    // Walk b's history newest-first by committer time so the nearest common ancestor is met first.
    const seen = new Set<string>();
    const frontier = [b];
    while (frontier.length > 0) {
      frontier.sort(
        (x, y) => (this.commit(y)?.committer.time ?? 0) - (this.commit(x)?.committer.time ?? 0),
      );
      const cur = frontier.shift() as string;
      if (seen.has(cur)) continue;
      seen.add(cur);
      if (fromA.has(cur)) return cur;
      frontier.push(...(this.commit(cur)?.parents ?? []));
    }
    return undefined;
  }

  /** Commits reachable from `head` but not from `base`, oldest first (parents before children). */
  commitsBetween(base: string | undefined, head: string): string[] {
    const exclude = base ? this.ancestors(base) : new Set<string>();
    const included = new Set<string>();
    const stack = [head];
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      if (included.has(cur) || exclude.has(cur)) continue;
      const c = this.commit(cur);
      if (!c) continue;
      included.add(cur);
      stack.push(...c.parents);
    }
    // Topological order: a commit after all of its included parents, ties by committer time.
    const order: string[] = [];
    const done = new Set<string>();
    const visit = (sha: string): void => {
      const pending: Array<{ sha: string; expanded: boolean }> = [{ sha, expanded: false }];
      while (pending.length > 0) {
        const top = pending[pending.length - 1] as { sha: string; expanded: boolean };
        if (done.has(top.sha)) {
          pending.pop();
          continue;
        }
        if (top.expanded) {
          pending.pop();
          done.add(top.sha);
          order.push(top.sha);
          continue;
        }
        top.expanded = true;
        const parents = this.commit(top.sha)?.parents ?? [];
        for (let i = parents.length - 1; i >= 0; i--) {
          const p = parents[i] as string;
          if (included.has(p) && !done.has(p)) pending.push({ sha: p, expanded: false });
        }
      }
    };
    const byTime = [...included].sort(
      (x, y) => (this.commit(x)?.committer.time ?? 0) - (this.commit(y)?.committer.time ?? 0),
    );
    for (const sha of byTime) visit(sha);
    return order;
  }
}
