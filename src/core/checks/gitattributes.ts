// .gitattributes for the static checks: GitHub's linguist-generated/-vendored and git's binary.
import { globMatcher, type PathMatcher } from "../glob.js";
import type { ChangeSnapshot } from "../types.js";
import { contentKey } from "../types.js";

interface AttributeRule {
  match: PathMatcher;
  attrs: Map<string, boolean>;
}

/** Generated, vendored and binary marks that `.gitattributes` files give paths. */
export interface GitAttributes {
  generated(path: string): boolean;
  vendored(path: string): boolean;
  binary(path: string): boolean;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function depth(path: string): number {
  return path.split("/").length;
}

/**
 * The `.gitattributes` files at the head that can apply to some changed file: those in the
 * folder of a changed file or in one of its parents.
 */
export function gitattributesFor(snapshot: Omit<ChangeSnapshot, "contents">): string[] {
  const folders = new Set<string>();
  for (const f of snapshot.files) {
    let d = dirOf(f.path);
    while (!folders.has(d)) {
      folders.add(d);
      if (d === "") break;
      d = dirOf(d);
    }
  }
  return snapshot.headPaths.filter(
    (p) => (p === ".gitattributes" || p.endsWith("/.gitattributes")) && folders.has(dirOf(p)),
  );
}

/** The attributes one line sets: `attr`, `-attr`, `!attr` (unset) or `attr=value`. */
function attributesOfLine(tokens: readonly string[]): Map<string, boolean> {
  const attrs = new Map<string, boolean>();
  for (const token of tokens) {
    if (token.startsWith("-") || token.startsWith("!")) attrs.set(token.slice(1), false);
    else {
      const eq = token.indexOf("=");
      if (eq < 0) attrs.set(token, true);
      else attrs.set(token.slice(0, eq), !/^(false|0)$/i.test(token.slice(eq + 1)));
    }
  }
  // The `binary` macro stands for `-diff -merge -text`.
  if (attrs.get("binary") === true) attrs.set("diff", false);
  return attrs;
}

/**
 * Parse `.gitattributes` files (shallowest first) into one matcher. Patterns follow gitignore
 * rules: without a slash they match a name at any depth below their file's folder; with one they
 * are relative to it. Later lines and deeper files win. As in git, a pattern never matches the
 * files inside a folder it names, so a pattern ending in `/` (which can only name a folder)
 * gives no file an attribute: `dir/**` is how to mark a folder's files.
 */
export function parseGitAttributes(
  files: readonly { path: string; text: string }[],
): GitAttributes {
  const ordered = [...files].sort((a, b) => depth(a.path) - depth(b.path));
  const rules: AttributeRule[] = [];
  for (const file of ordered) {
    const base = dirOf(file.path);
    for (const rawLine of file.text.split("\n")) {
      const line = rawLine.trim();
      if (line === "" || line.startsWith("#") || line.startsWith("[attr]")) continue;
      const [pattern, ...tokens] = line.split(/\s+/);
      // git refuses negative patterns, and a trailing slash matches folders only.
      if (!pattern || pattern.startsWith("!") || pattern.endsWith("/")) continue;
      rules.push({
        match: globMatcher([attributeGlob(base, pattern)]),
        attrs: attributesOfLine(tokens),
      });
    }
  }
  const lookup = (attr: string, path: string, when: boolean): boolean => {
    for (let i = rules.length - 1; i >= 0; i--) {
      const rule = rules[i] as AttributeRule;
      const value = rule.attrs.get(attr);
      if (value !== undefined && rule.match(path)) return value === when;
    }
    return false;
  };
  return {
    generated: (p) => lookup("linguist-generated", p, true),
    vendored: (p) => lookup("linguist-vendored", p, true),
    binary: (p) => lookup("diff", p, false),
  };
}

function attributeGlob(base: string, pattern: string): string {
  let p = pattern;
  const anchored = p.startsWith("/") || p.includes("/");
  if (p.startsWith("/")) p = p.slice(1);
  if (!anchored) p = `**/${p}`;
  return base === "" ? p : `${base}/${p}`;
}

/** The attributes from the `.gitattributes` files the snapshot holds. */
export function attributesOf(snapshot: ChangeSnapshot): GitAttributes {
  const files: { path: string; text: string }[] = [];
  for (const path of gitattributesFor(snapshot)) {
    const text = snapshot.contents.get(contentKey("head", path));
    if (typeof text === "string") files.push({ path, text });
  }
  return parseGitAttributes(files);
}
