// Glob matching for policy paths: picomatch's syntax (dotfiles included), matched by re2js in linear
// time, because a file name is written by whoever opens the pull request.
import picomatch from "picomatch";
import { RE2JS } from "re2js";

export type PathMatcher = (path: string) => boolean;

/** Options of picomatch's syntax that some callers turn off (`.helmignore` has no braces). */
export interface GlobOptions {
  nobrace?: boolean;
  noextglob?: boolean;
  /** A leading `!` is a literal character, not a negation. */
  nonegate?: boolean;
}

/** One glob as the linear engine runs it. */
export interface CompiledGlob {
  glob: string;
  negated: boolean;
  /** The RE2 source of the glob without its negation. */
  source: string;
  engine: RE2JS;
}

/** A glob the linear engine cannot run, with a message saying what to write instead. */
export class GlobError extends Error {
  override name = "GlobError";
}

const never: PathMatcher = () => false;

// Compiling for re2js costs far more than matching, and a policy's globs come back with every
// event: compiled programs are kept, keyed by their text (bounded, cleared when full).
const CACHE_LIMIT = 2000;
const compiledGlobs = new Map<string, CompiledGlob>();
const compiledLists = new Map<string, RE2JS>();

function remember<T>(cache: Map<string, T>, key: string, make: () => T): T {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const value = make();
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

// picomatch's lookarounds: `*` and `**` never match a `.` or `..` segment, nor an empty name.
// Repository paths have neither, so the guards are dropped and such paths are refused up front.
const GUARDS = ["(?!(?:^|\\/)\\.{1,2}(?:\\/|$))", "(?!\\.{1,2}(?:\\/|$))", "(?=.)"];
const DOT_SEGMENT = /(?:^|\/)\.{1,2}(?:\/|$)/;

/**
 * Compile one glob to the linear engine. Throws a {@link GlobError} for what needs backtracking:
 * the negated extglob `!(…)` (a leading `!` negating the whole glob is fine).
 */
export function compileGlob(glob: string, options: GlobOptions = {}): CompiledGlob {
  const key = `${options.nobrace === true ? "b" : ""}${options.noextglob === true ? "e" : ""}${options.nonegate === true ? "n" : ""}:${glob}`;
  return remember(compiledGlobs, key, () => compileGlobNow(glob, options));
}

function compileGlobNow(glob: string, options: GlobOptions): CompiledGlob {
  const negated = options.nonegate !== true && glob.startsWith("!") && !glob.startsWith("!(");
  const body = negated ? glob.slice(1) : glob;
  let source: string;
  try {
    source = picomatch.makeRe(body, {
      dot: true,
      nonegate: true,
      nobrace: options.nobrace === true,
      noextglob: options.noextglob === true,
    }).source;
  } catch (e) {
    throw new GlobError(`${JSON.stringify(glob)} is not a valid glob (${(e as Error).message})`);
  }
  for (const guard of GUARDS) source = source.split(guard).join("");
  try {
    return { glob, negated, source, engine: RE2JS.compile(source) };
  } catch {
    throw new GlobError(
      `${JSON.stringify(glob)} uses a negated pattern such as "!(name)", which monobot cannot match in linear time; list what to match instead, or start the whole glob with "!"`,
    );
  }
}

/**
 * A matcher for a list of globs (picomatch syntax, `dot: true`): a path matches when one glob does,
 * and a glob starting with `!` matches every path it does not. An empty list matches nothing. A
 * glob the linear engine cannot run matches nothing; policy validation reports it.
 */
export function globMatcher(globs: readonly string[], options: GlobOptions = {}): PathMatcher {
  const compiled = globs.flatMap((glob) => {
    try {
      return [compileGlob(glob, options)];
    } catch {
      return [];
    }
  });
  if (compiled.length === 0) return never;
  const positive = compiled.filter((g) => !g.negated);
  const negated = compiled.filter((g) => g.negated);
  // picomatch's own shortcut: a glob equal to the path matches it, brackets and all.
  const literal = new Set(positive.map((g) => g.glob));
  // One automaton for all the positive globs: one pass over the path, however long the list.
  const combined = positive.map((g) => `(?:${g.source})`).join("|");
  const any =
    positive.length === 0
      ? undefined
      : remember(compiledLists, combined, () => RE2JS.compile(combined));
  return (path) => {
    if (path === "" || DOT_SEGMENT.test(path)) return false;
    if (literal.has(path) || any?.test(path)) return true;
    return negated.some((g) => path !== g.glob.slice(1) && !g.engine.test(path));
  };
}
