// Diffs between two git trees as GitHub lists them: per-file status, line counts and unified-diff hunks.
import type { EntryMode, EntryType, ObjectStore, TreeEntry } from "./git-objects.js";

export type FileStatus = "added" | "removed" | "modified" | "renamed" | "changed";

export interface FileChange {
  path: string;
  previousPath?: string;
  status: FileStatus;
  /** Blob id at the new side (at the old side for removed files). */
  sha: string;
  oldSha?: string;
  mode?: EntryMode;
  additions: number;
  deletions: number;
  /** Hunks without file headers, as GitHub's `patch` field; absent for binary or too large files. */
  patch?: string;
  binary: boolean;
}

/** Git's binary test: a NUL byte within the first 8000 bytes. */
export function isBinary(content: Buffer): boolean {
  const n = Math.min(content.length, 8000);
  for (let i = 0; i < n; i++) if (content[i] === 0) return true;
  return false;
}

/** Splits text into lines that keep their `\n`, so a last line without one differs from the same line with one. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf("\n", start);
    if (nl < 0) {
      if (start < text.length) lines.push(text.slice(start));
      break;
    }
    lines.push(text.slice(start, nl + 1));
    start = nl + 1;
  }
  return lines;
}

type Op = { kind: "equal" | "delete" | "insert"; oldIndex: number; newIndex: number };

/** Beyond this many differing lines the patch is left out, as GitHub does for very large diffs. */
const MAX_EDIT_DISTANCE = 4_000;

/**
 * Myers' O(ND) shortest edit script between two line arrays (common prefix and suffix trimmed first).
 * Returns undefined when the edit distance exceeds the limit.
 */
export function diffLines(a: string[], b: string[], maxD = MAX_EDIT_DISTANCE): Op[] | undefined {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  )
    suffix++;
  // Intern the middle part so comparisons are integer comparisons.
  const ids = new Map<string, number>();
  const intern = (s: string): number => {
    let id = ids.get(s);
    if (id === undefined) ids.set(s, (id = ids.size));
    return id;
  };
  const A = a.slice(prefix, a.length - suffix).map(intern);
  const B = b.slice(prefix, b.length - suffix).map(intern);
  const N = A.length;
  const M = B.length;
  const ops: Op[] = [];
  for (let i = 0; i < prefix; i++) ops.push({ kind: "equal", oldIndex: i, newIndex: i });
  const middle = myers(A, B, N, M, maxD);
  if (!middle) return undefined;
  for (const op of middle)
    ops.push({ kind: op.kind, oldIndex: op.oldIndex + prefix, newIndex: op.newIndex + prefix });
  for (let i = 0; i < suffix; i++)
    ops.push({ kind: "equal", oldIndex: a.length - suffix + i, newIndex: b.length - suffix + i });
  return ops;
}

function myers(A: number[], B: number[], N: number, M: number, maxD: number): Op[] | undefined {
  if (N === 0 && M === 0) return [];
  const max = N + M;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  // trace[d] holds the frontier before round d, for diagonals -d..d (index k + d): O(D^2) memory.
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    if (d > maxD) return undefined;
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      let x: number;
      if (k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)))
        x = v[offset + k + 1] as number;
      else x = (v[offset + k - 1] as number) + 1;
      let y = x - k;
      while (x < N && y < M && A[x] === B[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= N && y >= M) {
        found = d;
        break;
      }
    }
  }
  const ops: Op[] = [];
  let x = N;
  let y = M;
  for (let d = found; d > 0; d--) {
    const prev = trace[d] as Int32Array;
    const at = (k: number): number => prev[k + d] as number;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ kind: "equal", oldIndex: x, newIndex: y });
    }
    if (x === prevX) {
      y--;
      ops.push({ kind: "insert", oldIndex: x, newIndex: y });
    } else {
      x--;
      ops.push({ kind: "delete", oldIndex: x, newIndex: y });
    }
  }
  while (x > 0 && y > 0) {
    x--;
    y--;
    ops.push({ kind: "equal", oldIndex: x, newIndex: y });
  }
  ops.reverse();
  // Within a run of changes, git lists deletions before insertions.
  return groupChanges(ops);
}

function groupChanges(ops: Op[]): Op[] {
  const out: Op[] = [];
  let i = 0;
  while (i < ops.length) {
    const op = ops[i] as Op;
    if (op.kind === "equal") {
      out.push(op);
      i++;
      continue;
    }
    const dels: Op[] = [];
    const ins: Op[] = [];
    while (i < ops.length && (ops[i] as Op).kind !== "equal") {
      const o = ops[i] as Op;
      (o.kind === "delete" ? dels : ins).push(o);
      i++;
    }
    out.push(...dels, ...ins);
  }
  return out;
}

/** Git's default hunk-header context: the nearest earlier line starting with a letter, `_` or `$`. */
function functionContext(oldLines: string[], before: number): string {
  for (let i = before - 1; i >= 0; i--) {
    const line = oldLines[i] as string;
    if (/^[A-Za-z_$]/.test(line)) {
      const text = line.replace(/\s+$/, "");
      // git copies at most 80 bytes of the line.
      const buf = Buffer.from(text, "utf8");
      return buf.length > 80
        ? buf
            .subarray(0, 80)
            .toString("utf8")
            .replace(/\uFFFD$/, "")
        : text;
    }
  }
  return "";
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

export interface LinePatch {
  patch: string;
  additions: number;
  deletions: number;
}

/**
 * The unified diff hunks (3 lines of context) between two texts, in the form of GitHub's `patch` field:
 * hunks only, lines joined by `\n`, no trailing newline. Undefined when the diff is too large.
 */
export function unifiedPatch(oldText: string, newText: string, context = 3): LinePatch | undefined {
  const a = splitLines(oldText);
  const b = splitLines(newText);
  const ops = diffLines(a, b);
  if (!ops) return undefined;
  let additions = 0;
  let deletions = 0;
  for (const op of ops) {
    if (op.kind === "insert") additions++;
    else if (op.kind === "delete") deletions++;
  }
  if (additions === 0 && deletions === 0) return { patch: "", additions, deletions };
  // Group changes into hunks: changes closer than 2*context lines share a hunk.
  const changeIdx: number[] = [];
  ops.forEach((op, i) => {
    if (op.kind !== "equal") changeIdx.push(i);
  });
  const hunks: Array<[number, number]> = [];
  let start = Math.max(0, (changeIdx[0] as number) - context);
  let end = Math.min(ops.length - 1, (changeIdx[0] as number) + context);
  for (const idx of changeIdx.slice(1)) {
    if (idx - context <= end + 1) end = Math.min(ops.length - 1, idx + context);
    else {
      hunks.push([start, end]);
      start = Math.max(0, idx - context);
      end = Math.min(ops.length - 1, idx + context);
    }
  }
  hunks.push([start, end]);

  // Line numbers before each op, counted in the (regrouped) order; runs keep their totals.
  const oldBefore = new Int32Array(ops.length + 1);
  const newBefore = new Int32Array(ops.length + 1);
  ops.forEach((op, i) => {
    oldBefore[i + 1] = (oldBefore[i] as number) + (op.kind === "insert" ? 0 : 1);
    newBefore[i + 1] = (newBefore[i] as number) + (op.kind === "delete" ? 0 : 1);
  });
  const out: string[] = [];
  for (const [s, e] of hunks) {
    const body: string[] = [];
    for (let i = s; i <= e; i++) {
      const op = ops[i] as Op;
      const line = (op.kind === "insert" ? b[op.newIndex] : a[op.oldIndex]) as string;
      const mark = op.kind === "equal" ? " " : op.kind === "delete" ? "-" : "+";
      if (line.endsWith("\n")) body.push(mark + line.slice(0, -1));
      else body.push(mark + line, "\\ No newline at end of file");
    }
    const oldCount = (oldBefore[e + 1] as number) - (oldBefore[s] as number);
    const newCount = (newBefore[e + 1] as number) - (newBefore[s] as number);
    const oldStart = (oldBefore[s] as number) + (oldCount === 0 ? 0 : 1);
    const newStart = (newBefore[s] as number) + (newCount === 0 ? 0 : 1);
    const fn = functionContext(a, oldBefore[s] as number);
    out.push(
      `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@${fn ? ` ${fn}` : ""}`,
      ...body,
    );
  }
  return { patch: out.join("\n"), additions, deletions };
}

interface RawChange {
  path: string;
  old?: TreeEntry;
  new?: TreeEntry;
}

/** Entries that differ between two trees, in git's path order; identical subtrees are skipped unread. */
export function diffTreeEntries(
  store: ObjectStore,
  oldTree: string | null,
  newTree: string | null,
): RawChange[] {
  const out: RawChange[] = [];
  const walk = (a: string | null, b: string | null, base: string): void => {
    if (a === b) return;
    const ea = new Map((a ? (store.tree(a) ?? []) : []).map((e) => [e.name, e]));
    const eb = new Map((b ? (store.tree(b) ?? []) : []).map((e) => [e.name, e]));
    const names = [...new Set([...ea.keys(), ...eb.keys()])].sort((x, y) => {
      const kx = (ea.get(x) ?? eb.get(x))?.type === "tree" ? `${x}/` : x;
      const ky = (ea.get(y) ?? eb.get(y))?.type === "tree" ? `${y}/` : y;
      return Buffer.compare(Buffer.from(kx), Buffer.from(ky));
    });
    for (const name of names) {
      const x = ea.get(name);
      const y = eb.get(name);
      const path = base + name;
      if (x && y && x.sha === y.sha && x.mode === y.mode) continue;
      const xTree = x?.type === "tree";
      const yTree = y?.type === "tree";
      if (xTree || yTree)
        walk(xTree ? (x as TreeEntry).sha : null, yTree ? (y as TreeEntry).sha : null, `${path}/`);
      const xf = x && !xTree ? x : undefined;
      const yf = y && !yTree ? y : undefined;
      if (xf || yf) out.push({ path, ...(xf ? { old: xf } : {}), ...(yf ? { new: yf } : {}) });
    }
  };
  walk(oldTree, newTree, "");
  return out;
}

function lineSimilarity(a: string, b: string): number {
  const la = splitLines(a);
  const lb = splitLines(b);
  if (la.length === 0 && lb.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const l of la) counts.set(l, (counts.get(l) ?? 0) + 1);
  let common = 0;
  for (const l of lb) {
    const c = counts.get(l) ?? 0;
    if (c > 0) {
      common++;
      counts.set(l, c - 1);
    }
  }
  return common / Math.max(la.length, lb.length);
}

/** Renames are looked for among at most this many added x removed pairs, as git caps its rename search. */
const RENAME_PAIR_LIMIT = 250_000;

export interface DiffOptions {
  /** Leave out `patch` (faster when only names and counts are needed). */
  withoutPatches?: boolean;
}

/** The changed files between two trees, with rename detection (exact, or >= 50% similar lines) and patches. */
export function diffTrees(
  store: ObjectStore,
  oldTree: string | null,
  newTree: string | null,
  options: DiffOptions = {},
): FileChange[] {
  const raw = diffTreeEntries(store, oldTree, newTree);
  const removed = raw.filter((r) => r.old && !r.new);
  const added = raw.filter((r) => r.new && !r.old);
  const renamedFrom = new Map<string, RawChange>();
  const usedOld = new Set<string>();
  // Exact renames first (same blob), then similar content.
  for (const add of added) {
    const match = removed.find((r) => !usedOld.has(r.path) && r.old?.sha === add.new?.sha);
    if (match) {
      renamedFrom.set(add.path, match);
      usedOld.add(match.path);
    }
  }
  if (removed.length * added.length <= RENAME_PAIR_LIMIT) {
    for (const add of added) {
      if (renamedFrom.has(add.path)) continue;
      const newContent = store.blob((add.new as TreeEntry).sha);
      if (!newContent || isBinary(newContent)) continue;
      let best: RawChange | undefined;
      let bestScore = 0.5;
      for (const rem of removed) {
        if (usedOld.has(rem.path)) continue;
        const oldContent = store.blob((rem.old as TreeEntry).sha);
        if (!oldContent || isBinary(oldContent)) continue;
        const score = lineSimilarity(oldContent.toString("utf8"), newContent.toString("utf8"));
        if (score >= bestScore) {
          best = rem;
          bestScore = score;
        }
      }
      if (best) {
        renamedFrom.set(add.path, best);
        usedOld.add(best.path);
      }
    }
  }
  const out: FileChange[] = [];
  for (const r of raw) {
    if (r.old && !r.new && usedOld.has(r.path)) continue;
    const from = renamedFrom.get(r.path);
    const oldEntry = from ? from.old : r.old;
    const newEntry = r.new;
    let status: FileStatus;
    if (from) status = "renamed";
    else if (!oldEntry) status = "added";
    else if (!newEntry) status = "removed";
    else if (oldEntry.sha === newEntry.sha) status = "changed";
    else status = "modified";
    out.push(fileChange(store, r.path, status, oldEntry, newEntry, from?.path, options));
  }
  return out;
}

function blobText(store: ObjectStore, entry: TreeEntry | undefined): Buffer {
  if (!entry || entry.type !== "blob") return Buffer.alloc(0);
  return store.blob(entry.sha) ?? Buffer.alloc(0);
}

function fileChange(
  store: ObjectStore,
  path: string,
  status: FileStatus,
  oldEntry: TreeEntry | undefined,
  newEntry: TreeEntry | undefined,
  previousPath: string | undefined,
  options: DiffOptions,
): FileChange {
  const oldBuf = blobText(store, oldEntry);
  const newBuf = blobText(store, newEntry);
  const binary =
    isBinary(oldBuf) || isBinary(newBuf) || isGitlink(oldEntry?.type) || isGitlink(newEntry?.type);
  const change: FileChange = {
    path,
    status,
    sha: (newEntry ?? oldEntry)?.sha ?? "",
    additions: 0,
    deletions: 0,
    binary,
  };
  if (oldEntry) change.oldSha = oldEntry.sha;
  if (newEntry) change.mode = newEntry.mode;
  if (previousPath !== undefined) change.previousPath = previousPath;
  if (!binary) {
    const p = unifiedPatch(oldBuf.toString("utf8"), newBuf.toString("utf8"));
    if (p) {
      change.additions = p.additions;
      change.deletions = p.deletions;
      if (!options.withoutPatches && p.patch !== "") change.patch = p.patch;
    }
  }
  return change;
}

function isGitlink(type: EntryType | undefined): boolean {
  return type === "commit";
}
