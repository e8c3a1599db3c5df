// YAML and JSON syntax for monobot/lint: js-yaml decides what valid YAML is, jsonc-parser JSON.
import {
  CORE_SCHEMA,
  EVENT_ID,
  SCALAR_STYLE,
  YAMLException,
  defineMappingTag,
  defineScalarTag,
  defineSequenceTag,
  getScalarValue,
  loadAll,
  mergeTag,
  parseEvents,
  realMapTag,
  type Event,
} from "js-yaml";
import { createScanner, visit } from "jsonc-parser";
import type { PathMatcher } from "../glob.js";
import { redactSecrets } from "../redact.js";

export interface SyntaxProblem {
  line: number;
  column: number;
  message: string;
}

export type Format = "yaml" | "json" | "jsonc";

export function formatOf(path: string, jsonc: PathMatcher): Format | undefined {
  const lower = path.toLowerCase();
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  if (jsonc(path)) return "jsonc";
  if (lower.endsWith(".json")) return "json";
  return undefined;
}

/** The first syntax error of a YAML or JSON text, or `undefined` when it parses. */
export function syntaxProblem(text: string, format: Format): SyntaxProblem | undefined {
  if (format === "yaml") return yamlProblem(text);
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  return jsonProblem(body, format === "jsonc");
}

// ---------------------------------------------------------------------------------------------
// YAML: js-yaml, with the YAML 1.2 core schema plus merge keys (`<<`), as Helm's loader reads them.

// Application tags such as CloudFormation's `!Ref` or `!GetAtt` are not errors: their meaning
// belongs to the tool that reads the file, and the file is valid YAML whatever they mean.
const localScalar = defineScalarTag("!", {
  matchByTagPrefix: true,
  resolve: (source) => source,
  identify: () => false,
});
const localSequence = defineSequenceTag("!", {
  matchByTagPrefix: true,
  create: (): unknown[] => [],
  addItem: (carrier, item) => {
    carrier.push(item);
  },
  identify: () => false,
});
const localMapping = defineMappingTag("!", {
  matchByTagPrefix: true,
  create: () => new Map<unknown, unknown>(),
  addPair: (carrier, key, value) => {
    carrier.set(key, value);
    return "";
  },
  has: (carrier, key) => carrier.has(key),
  keys: (result) => result.keys(),
  get: (result, key) => result.get(key),
  identify: () => false,
});

/** The schema monobot/lint reads YAML with: `Map`s, so that complex keys (`? [a]`) load. */
const LINT_YAML_SCHEMA = CORE_SCHEMA.withTags(
  realMapTag,
  mergeTag,
  localScalar,
  localSequence,
  localMapping,
);

const DUPLICATE_KEY = "duplicated mapping key";

/** Where a js-yaml error points, as a problem that does not quote the file. */
function yamlErrorProblem(e: unknown): SyntaxProblem {
  if (e instanceof YAMLException) {
    const mark = e.mark;
    return {
      line: (mark?.line ?? 0) + 1,
      column: (mark?.column ?? 0) + 1,
      message: redactSecrets(e.reason),
    };
  }
  // js-yaml documents that any exception may come out (a stack overflow, say): still an answer.
  return { line: 1, column: 1, message: "the YAML parser could not read this file" };
}

/** The first syntax error of a YAML text by js-yaml, or `undefined` when it loads. */
function yamlProblem(text: string): SyntaxProblem | undefined {
  try {
    loadAll(text, { schema: LINT_YAML_SCHEMA });
    return undefined;
  } catch (e) {
    if (!(e instanceof YAMLException) || e.reason !== DUPLICATE_KEY) return yamlErrorProblem(e);
  }
  // A duplicate key: Helm's loader keeps the last value, and so does js-yaml's `json` mode.
  // Such a file is valid; `duplicateKeyLines` points at the duplicates for a warning.
  try {
    loadAll(text, { schema: LINT_YAML_SCHEMA, json: true });
    return undefined;
  } catch (e) {
    return yamlErrorProblem(e);
  }
}

/** Where a mapping node is in the walk: which keys it has seen, and whether a key comes next. */
interface MappingFrame {
  kind: "mapping";
  keys: Set<string>;
  expectKey: boolean;
}
type Frame = MappingFrame | { kind: "other" };

/**
 * The 1-based lines of every repeated key of a YAML text (the second occurrence and later),
 * in order; empty when no mapping repeats a key or the text does not parse.
 */
export function duplicateKeyLines(text: string): number[] {
  let events: Event[];
  try {
    events = parseEvents(text, {});
  } catch {
    return [];
  }
  const offsets: number[] = [];
  const stack: Frame[] = [];
  for (const event of events) {
    if (event.type === EVENT_ID.POP) {
      stack.pop();
      continue;
    }
    if (event.type === EVENT_ID.DOCUMENT) {
      stack.push({ kind: "other" });
      continue;
    }
    const parent = stack[stack.length - 1];
    if (parent?.kind === "mapping") {
      if (parent.expectKey && event.type === EVENT_ID.SCALAR) {
        const tag = event.tagStart >= 0 ? text.slice(event.tagStart, event.tagEnd) : "";
        const key = `${tag} ${getScalarValue(text, event)}`;
        // Repeated merge keys (`<<: *a`) merge, they do not override one another.
        const merge = key === " <<" && event.style === SCALAR_STYLE.PLAIN;
        if (!merge && parent.keys.has(key)) offsets.push(event.valueStart);
        else parent.keys.add(key);
      }
      parent.expectKey = !parent.expectKey;
    }
    if (event.type === EVENT_ID.MAPPING)
      stack.push({ kind: "mapping", keys: new Set(), expectKey: true });
    else if (event.type === EVENT_ID.SEQUENCE) stack.push({ kind: "other" });
  }
  return offsets.map((o) => positionOf(text, o).line);
}

// ---------------------------------------------------------------------------------------------
// JSON and JSONC: jsonc-parser, with messages that say what to fix and never quote the text.

function positionOf(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

// jsonc-parser's token kinds and error codes are `const enum`s, which isolated modules cannot
// read: their values, from its documented API.
const TOKEN = { openBrace: 1, closeBrace: 2, openBracket: 3, closeBracket: 4, eof: 17 } as const;
const E = {
  InvalidSymbol: 1,
  PropertyNameExpected: 3,
  ValueExpected: 4,
  ColonExpected: 5,
  CommaExpected: 6,
  CloseBraceExpected: 7,
  CloseBracketExpected: 8,
  EndOfFileExpected: 9,
  InvalidCommentToken: 10,
  UnexpectedEndOfComment: 11,
  UnexpectedEndOfString: 12,
  InvalidUnicode: 14,
  InvalidEscapeCharacter: 15,
  InvalidCharacter: 16,
} as const;

// jsonc-parser descends recursively, so very deep nesting is measured first, with its scanner.
const MAX_JSON_DEPTH = 2000;

type Bracket = "object" | "array";

function unclosed(stack: readonly Bracket[]): string {
  const top = stack[stack.length - 1] ?? "array";
  return `unexpected end of file: ${stack.length} unclosed ${top}${stack.length > 1 ? "s" : ""}`;
}

/** The brackets left open at the end of the text, and where it nests deepest. */
function bracketsOf(text: string): { open: Bracket[]; deepest: number; deepAt: number } {
  const scanner = createScanner(text, true);
  const open: Bracket[] = [];
  let deepest = 0;
  let deepAt = 0;
  for (let kind: number = scanner.scan(); kind !== TOKEN.eof; kind = scanner.scan()) {
    if (kind === TOKEN.openBrace || kind === TOKEN.openBracket) {
      open.push(kind === TOKEN.openBrace ? "object" : "array");
      if (open.length > deepest) {
        deepest = open.length;
        deepAt = scanner.getTokenOffset();
      }
    } else if (kind === TOKEN.closeBrace || kind === TOKEN.closeBracket) open.pop();
  }
  return { open, deepest, deepAt };
}

/** A problem for text nested deeper than jsonc-parser can follow, else `undefined`. */
function tooDeep(text: string, jsonc: boolean): SyntaxProblem | undefined {
  const { open, deepest, deepAt } = bracketsOf(text);
  if (deepest <= MAX_JSON_DEPTH) return undefined;
  if (open.length > 0) return { ...positionOf(text, text.length), message: unclosed(open) };
  if (!jsonc) {
    try {
      JSON.parse(text);
      return undefined;
    } catch {
      // Fall through: report the depth.
    }
  }
  return {
    ...positionOf(text, deepAt),
    message: `nested more than ${MAX_JSON_DEPTH} levels deep: monobot checks JSON up to that depth`,
  };
}

/** What a parse error means in the words of someone fixing the file. */
function jsonMessage(
  code: number,
  text: string,
  offset: number,
  stack: readonly Bracket[],
  expectKey: boolean,
): string {
  const at = text.charAt(offset);
  const inObject = stack[stack.length - 1] === "object";
  const valueExpected = "expected a value (object, array, string, number, true, false or null)";
  switch (code) {
    case E.InvalidSymbol:
      if (expectKey) return "expected a property name in double quotes";
      return at === "'" ? "strings must use double quotes" : valueExpected;
    case E.PropertyNameExpected:
      return at === "}"
        ? "trailing comma before '}' (not allowed in JSON)"
        : "expected a property name in double quotes";
    case E.ValueExpected:
      if (text.trim() === "")
        return "the file is empty: a JSON file needs a value such as {} or []";
      return at === "]" ? "trailing comma before ']' (not allowed in JSON)" : valueExpected;
    case E.ColonExpected:
      return "expected ':' after the property name";
    case E.CommaExpected:
      return inObject ? "expected ',' or '}' after a value" : "expected ',' or ']'";
    case E.CloseBraceExpected:
    case E.CloseBracketExpected:
      // jsonc-parser has closed the brackets by now: count the ones the text leaves open.
      if (offset >= text.length) {
        const { open } = bracketsOf(text);
        if (open.length > 0) return unclosed(open);
      }
      return inObject ? "expected ',' or '}' after a value" : "expected ',' or ']'";
    case E.EndOfFileExpected:
      return "unexpected text after the end of the JSON value";
    case E.InvalidCommentToken:
      return "comments are not allowed in JSON (list the file in checks.lint.jsonc if it is JSONC)";
    case E.UnexpectedEndOfComment:
      return "comment is not closed with */";
    case E.UnexpectedEndOfString:
      return at === "\n" || at === "\r"
        ? "string is not closed on this line"
        : "string is not closed";
    case E.InvalidUnicode:
      return "invalid \\u escape: expected four hex digits";
    case E.InvalidEscapeCharacter:
      return "invalid escape in a string";
    case E.InvalidCharacter:
      return "control character in a string";
    default:
      return "invalid number";
  }
}

/** The first error of a JSON (or JSONC: comments and trailing commas) text. */
function jsonProblem(text: string, jsonc: boolean): SyntaxProblem | undefined {
  if (!jsonc) {
    try {
      JSON.parse(text);
      return undefined;
    } catch {
      // Node's own message quotes the text around the error; locate it with jsonc-parser.
    }
  }
  const stack: Bracket[] = [];
  let expectKey = false;
  let problem: SyntaxProblem | undefined;
  // Thrown out of the visitor: at the first error (the rest is noise), or before jsonc-parser's
  // recursion gets deep enough to overflow the stack.
  const stop = { reason: "first error" };
  const tooDeepToFollow = { reason: "too deep" };
  const open = (bracket: Bracket): void => {
    stack.push(bracket);
    if (stack.length > MAX_JSON_DEPTH) throw tooDeepToFollow;
  };
  try {
    visit(
      text,
      {
        onObjectBegin: () => {
          open("object");
          expectKey = true;
        },
        onArrayBegin: () => {
          open("array");
          expectKey = false;
        },
        onObjectEnd: () => void stack.pop(),
        onArrayEnd: () => void stack.pop(),
        onObjectProperty: () => {
          expectKey = false;
        },
        onSeparator: (character) => {
          if (character === ",") expectKey = stack[stack.length - 1] === "object";
        },
        onError: (code, offset, length) => {
          // An unclosed string is reported at its start; the place to fix is where it breaks off.
          const where = (code as number) === E.UnexpectedEndOfString ? offset + length : offset;
          problem = {
            ...positionOf(text, where),
            message: jsonMessage(code as number, text, where, stack, expectKey),
          };
          throw stop;
        },
      },
      { disallowComments: !jsonc, allowTrailingComma: jsonc, allowEmptyContent: false },
    );
  } catch (e) {
    if (e === tooDeepToFollow) return tooDeep(text, jsonc);
    if (e !== stop) throw e;
  }
  if (problem || jsonc) return problem;
  // JSON.parse refused what jsonc-parser accepts (a lone surrogate, say): still not valid JSON.
  return { line: 1, column: 1, message: "not valid JSON (JSON.parse refuses it)" };
}
