// Policy regexes compiled for re2js, a linear-time engine: a pattern written by one repository and a
// text written by anyone (a comment, a file name) can never stall the process on backtracking.
import { RE2JS } from "re2js";

/**
 * A RegExp whose matching runs in re2js. It stays a RegExp so that `test`, `exec`, `match`,
 * `search` and `replace` keep working for callers, but the JavaScript engine never sees the
 * pattern: those built-in methods all call `exec`, which is the linear one here.
 */
export class LinearRegExp extends RegExp {
  readonly #linear: RE2JS;
  readonly #pattern: string;

  constructor(pattern: string, flags: string, compiled: RE2JS) {
    // A pattern that matches nothing: if some path ever bypassed `exec`, it finds no match
    // instead of running the policy's pattern with backtracking.
    super("[^\\s\\S]", flags);
    this.#pattern = pattern;
    this.#linear = compiled;
  }

  override get source(): string {
    return this.#pattern;
  }

  override exec(text: string): RegExpExecArray | null {
    const found = this.#linear.exec(text) as RegExpExecArray | null;
    if (found === null) return null;
    found.index ??= 0;
    found.input = text;
    return found;
  }
}

/** A policy pattern that cannot be compiled, with a message saying what to write instead. */
export class PatternError extends Error {
  override name = "PatternError";

  /** `problem` completes a sentence whose subject is the pattern: "is not a valid ...". */
  constructor(readonly problem: string) {
    super(`the pattern ${problem}`);
  }

  /** The problem with the policy key as its subject, e.g. `triggers.recheck uses ...`. */
  describe(key: string): string {
    return `${key} ${this.problem}`;
  }
}

/** Why a pattern that JavaScript accepts is refused by the linear engine, in the user's words. */
function unsupportedFeature(pattern: string): string | undefined {
  if (/\(\?<?[=!]/.test(pattern)) return "lookahead and lookbehind (`(?=`, `(?!`, `(?<=`, `(?<!`)";
  if (/\\[1-9]|\\k</.test(pattern)) return "backreferences (`\\1`, `\\k<name>`)";
  if (/[*+?}][+]/.test(pattern)) return "possessive quantifiers (`a++`)";
  return undefined;
}

function acceptedByJavaScript(body: string): boolean {
  try {
    // Only compiled, never run: compiling a JavaScript regex is linear in the pattern.
    new RegExp(body);
    return true;
  } catch {
    return false;
  }
}

/**
 * Compile a policy regex in RE2 syntax (the syntax of Go, Gerrit and JJB patterns). Inline flags
 * such as a leading `(?i)`, `(?s)` or `(?m)` work anywhere, as in RE2. Throws a
 * {@link PatternError} naming the problem when the pattern is not valid or needs backtracking.
 */
export function compilePattern(pattern: string): LinearRegExp {
  // A leading flag group is shown as the RegExp's flags, as JavaScript users expect to read them.
  const inline = /^\(\?([ims]+)\)/.exec(pattern);
  const flags = [...new Set(inline?.[1] ?? "")].sort().join("");
  const body = inline ? pattern.slice(inline[0].length) : pattern;
  let compiled: RE2JS;
  try {
    compiled = compiledOnce(body, flags);
  } catch (e) {
    const detail = (e as Error).message.replace(/^error parsing regexp: /, "");
    const feature = unsupportedFeature(pattern);
    if (feature !== undefined || acceptedByJavaScript(body)) {
      throw new PatternError(
        `uses ${feature ?? "syntax"} that monobot cannot match in linear time (${detail}); ` +
          "policy patterns use RE2 syntax, so rewrite it without that feature",
      );
    }
    throw new PatternError(`is not a valid regular expression: ${detail}`);
  }
  return new LinearRegExp(body, flags, compiled);
}

// Compiling costs far more than matching and a policy's patterns come back with every event.
const compiledPatterns = new Map<string, RE2JS>();

function compiledOnce(body: string, flags: string): RE2JS {
  const key = `${flags}:${body}`;
  const hit = compiledPatterns.get(key);
  if (hit !== undefined) return hit;
  const compiled = RE2JS.compile(body, engineFlags(flags));
  if (compiledPatterns.size >= 500) compiledPatterns.clear();
  compiledPatterns.set(key, compiled);
  return compiled;
}

function engineFlags(flags: string): number {
  let out = 0;
  if (flags.includes("i")) out |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes("s")) out |= RE2JS.DOTALL;
  if (flags.includes("m")) out |= RE2JS.MULTILINE;
  return out;
}
