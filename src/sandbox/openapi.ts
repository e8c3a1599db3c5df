// GitHub's OpenAPI description for the sandbox: maps each request to its documented operation and checks the body.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface Operation {
  method: string;
  /** The description's path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}`. */
  template: string;
  operationId: string;
  regex: RegExp;
  paramNames: string[];
  /** Literal characters in the template: the most specific template wins when several match. */
  literalLength: number;
  spec: JsonObject;
}

export interface MatchedOperation {
  operation: Operation;
  /** Path parameters, percent-decoded. */
  params: Record<string, string>;
}

export type PathMatch =
  | { kind: "operation"; match: MatchedOperation }
  /** The path exists in the description, but not with this method. */
  | { kind: "method"; templates: string[] }
  | { kind: "none" };

export interface OpenApiStats {
  /** Time to read and parse the description file, in milliseconds (once per process). */
  loadMs: number;
  /** Time to build the path index, in milliseconds. */
  indexMs: number;
  operations: number;
  /** Request body validators compiled so far (compiled lazily, once per operation). */
  compiledValidators: number;
}

/** Parameters that GitHub lets span several path segments (`contents/a/b.txt`, `git/ref/heads/x/y`). */
const MULTI_SEGMENT_PARAMS = new Set(["path", "ref", "basehead", "branch"]);

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function compileTemplate(template: string): {
  regex: RegExp;
  paramNames: string[];
  literalLength: number;
} {
  const paramNames: string[] = [];
  let pattern = "";
  let literalLength = 0;
  let last = 0;
  for (const m of template.matchAll(/\{([^}]+)\}/g)) {
    let literal = template.slice(last, m.index);
    const name = m[1] as string;
    const end = (m.index as number) + m[0].length;
    // A trailing `/{path}` may be absent: Octokit sends `contents/{path}` with an empty path as
    // `/repos/o/r/contents`, which GitHub serves as the root directory.
    const optionalTail = name === "path" && end === template.length && literal.endsWith("/");
    if (optionalTail) literal = literal.slice(0, -1);
    pattern += escapeRegex(literal);
    literalLength += literal.length;
    paramNames.push(name);
    if (optionalTail) pattern += "(?:/(.*))?";
    else pattern += MULTI_SEGMENT_PARAMS.has(name) ? "(.+?)" : "([^/]+?)";
    last = end;
  }
  const tail = template.slice(last);
  pattern += escapeRegex(tail);
  literalLength += tail.length;
  return { regex: new RegExp(`^${pattern}$`), paramNames, literalLength };
}

function firstSegment(path: string): string {
  const seg = path.split("/")[1] ?? "";
  return seg.startsWith("{") ? "*" : seg;
}

/** Converts an OpenAPI 3.0 schema to JSON Schema for Ajv: `$ref`s inlined, `nullable` turned into a null type. */
function toJsonSchema(schema: Json, root: JsonObject, stack: string[] = []): Json {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s, root, stack));
  if (!schema || typeof schema !== "object") return schema;
  const ref = schema.$ref;
  if (typeof ref === "string") {
    // A recursive schema is cut at its second appearance: permissive there, exact everywhere else.
    if (stack.includes(ref)) return {};
    return toJsonSchema(resolvePointer(root, ref), root, [...stack, ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "example" || key === "examples" || key === "description" || key === "discriminator")
      continue;
    if (key.startsWith("x-") || key === "nullable" || key === "deprecated") continue;
    if (key === "properties" && value && typeof value === "object" && !Array.isArray(value)) {
      const props: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) props[name] = toJsonSchema(sub, root, stack);
      out.properties = props;
    } else {
      out[key] = toJsonSchema(value, root, stack);
    }
  }
  if (schema.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.type) && !out.type.includes("null"))
      out.type = [...out.type, "null"];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (out.type === undefined) return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

function resolvePointer(root: JsonObject, ref: string): Json {
  if (!ref.startsWith("#/")) throw new Error(`external $ref not supported: ${ref}`);
  let cur: Json = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!cur || typeof cur !== "object" || Array.isArray(cur)) throw new Error(`bad $ref ${ref}`);
    cur = (cur as JsonObject)[key] ?? null;
  }
  return cur;
}

/** The path of GitHub's REST description inside the installed @octokit/openapi package (its index is never loaded). */
export function openApiFile(): string {
  const require = createRequire(import.meta.url);
  // Resolve the package's own package.json to find its folder without executing anything in it.
  let dir: string;
  try {
    dir = dirname(require.resolve("@octokit/openapi/package.json"));
  } catch {
    dir = join(process.cwd(), "node_modules", "@octokit", "openapi");
  }
  return join(dir, "generated", "api.github.com.json");
}

/** An index of GitHub's REST operations with lazily compiled request-body validators. */
export class OpenApiIndex {
  readonly stats: OpenApiStats;
  private readonly byMethod = new Map<string, Map<string, Operation[]>>();
  private readonly allByFirst = new Map<string, Operation[]>();
  private readonly validators = new Map<string, ValidateFunction | null>();
  private readonly responseValidators = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv;

  constructor(
    private readonly root: JsonObject,
    loadMs: number,
  ) {
    const t0 = performance.now();
    let count = 0;
    const paths = (root.paths ?? {}) as JsonObject;
    for (const [template, item] of Object.entries(paths)) {
      if (!item || typeof item !== "object" || Array.isArray(item)) continue;
      const compiled = compileTemplate(template);
      for (const [method, op] of Object.entries(item)) {
        if (
          !op ||
          typeof op !== "object" ||
          Array.isArray(op) ||
          typeof op.operationId !== "string"
        )
          continue;
        const operation: Operation = {
          method: method.toUpperCase(),
          template,
          operationId: op.operationId,
          ...compiled,
          spec: op,
        };
        count++;
        let perMethod = this.byMethod.get(operation.method);
        if (!perMethod) this.byMethod.set(operation.method, (perMethod = new Map()));
        const first = firstSegment(template);
        const list = perMethod.get(first) ?? [];
        list.push(operation);
        perMethod.set(first, list);
        const all = this.allByFirst.get(first) ?? [];
        all.push(operation);
        this.allByFirst.set(first, all);
      }
    }
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateSchema: false });
    this.ajv.addFormat(
      "date-time",
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i,
    );
    this.stats = {
      loadMs,
      indexMs: performance.now() - t0,
      operations: count,
      compiledValidators: 0,
    };
  }

  /** Whether the description has an operation with this id. */
  hasOperation(operationId: string): boolean {
    for (const list of this.allByFirst.values())
      if (list.some((op) => op.operationId === operationId)) return true;
    return false;
  }

  private candidates(list: Operation[] | undefined, path: string): MatchedOperation | undefined {
    let best: MatchedOperation | undefined;
    for (const op of list ?? []) {
      const m = op.regex.exec(path);
      if (!m) continue;
      if (best && best.operation.literalLength >= op.literalLength) continue;
      const params: Record<string, string> = {};
      let ok = true;
      op.paramNames.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1] ?? "");
        } catch {
          ok = false;
        }
      });
      if (ok) best = { operation: op, params };
    }
    return best;
  }

  /** Maps a method and a raw (still percent-encoded) path without the `/api/v3` prefix to its operation. */
  match(method: string, rawPath: string): PathMatch {
    const path = rawPath.length > 1 ? rawPath.replace(/\/+$/, "") : rawPath;
    const first = firstSegment(path);
    const perMethod = this.byMethod.get(method.toUpperCase());
    const found =
      this.candidates(perMethod?.get(first), path) ?? this.candidates(perMethod?.get("*"), path);
    if (found) return { kind: "operation", match: found };
    const templates = new Set<string>();
    for (const op of [...(this.allByFirst.get(first) ?? []), ...(this.allByFirst.get("*") ?? [])])
      if (op.regex.test(path)) templates.add(op.template);
    return templates.size > 0 ? { kind: "method", templates: [...templates] } : { kind: "none" };
  }

  /**
   * Problems of a response body against the operation's JSON schema for that status (for tests of
   * the sandbox's own answers; requests are what the server checks). Empty when it conforms.
   */
  responseProblems(operationId: string, status: number, body: unknown): string[] {
    let op: Operation | undefined;
    for (const list of this.allByFirst.values()) {
      op = list.find((o) => o.operationId === operationId);
      if (op) break;
    }
    if (!op) return [`no operation ${operationId} in the description`];
    const responses = op.spec.responses;
    let response =
      responses && typeof responses === "object" && !Array.isArray(responses)
        ? responses[String(status)]
        : undefined;
    if (
      response &&
      typeof response === "object" &&
      !Array.isArray(response) &&
      typeof response.$ref === "string"
    )
      response = resolvePointer(this.root, response.$ref);
    if (!response || typeof response !== "object" || Array.isArray(response))
      return [`${operationId} documents no ${status} response`];
    const content = response.content;
    const json =
      content && typeof content === "object" && !Array.isArray(content)
        ? content["application/json"]
        : undefined;
    const schema =
      json && typeof json === "object" && !Array.isArray(json) ? json.schema : undefined;
    if (schema === undefined) return [];
    const key = `${operationId} ${status}`;
    let validate = this.responseValidators.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema, this.root) as object);
      this.responseValidators.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || "body"} ${e.message ?? "is invalid"}`,
    );
  }

  private validatorFor(op: Operation): ValidateFunction | null {
    if (this.validators.has(op.operationId)) return this.validators.get(op.operationId) ?? null;
    let validator: ValidateFunction | null = null;
    const schema = this.jsonBodySchema(op);
    if (schema !== undefined) {
      validator = this.ajv.compile(toJsonSchema(schema, this.root) as object);
      this.stats.compiledValidators++;
    }
    this.validators.set(op.operationId, validator);
    return validator;
  }

  private requestBody(op: Operation): JsonObject | undefined {
    let rb = op.spec.requestBody;
    if (rb && typeof rb === "object" && !Array.isArray(rb) && typeof rb.$ref === "string")
      rb = resolvePointer(this.root, rb.$ref);
    return rb && typeof rb === "object" && !Array.isArray(rb) ? rb : undefined;
  }

  private jsonBodySchema(op: Operation): Json | undefined {
    const content = this.requestBody(op)?.content;
    if (!content || typeof content !== "object" || Array.isArray(content)) return undefined;
    const json = content["application/json"];
    if (!json || typeof json !== "object" || Array.isArray(json)) return undefined;
    return json.schema ?? undefined;
  }

  /**
   * Problems with a request against its operation: a missing required body, a JSON body that does not match
   * the schema, a query parameter the operation does not define, or a documented one with a value of the
   * wrong type. Empty when it conforms.
   */
  check(op: Operation, body: unknown, hasBody: boolean, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const rb = this.requestBody(op);
    if (rb?.required === true && !hasBody) problems.push("request body is required but missing");
    if (hasBody) {
      const validate = this.validatorFor(op);
      if (validate && !validate(body)) {
        for (const e of validate.errors ?? []) {
          const where = e.instancePath || "body";
          const extra =
            e.keyword === "enum" &&
            Array.isArray((e.params as { allowedValues?: unknown }).allowedValues)
              ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)})`
              : e.keyword === "additionalProperties"
                ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})`
                : "";
          problems.push(`${where} ${e.message ?? "is invalid"}${extra}`);
        }
      }
    }
    problems.push(...this.checkQuery(op, query));
    return problems;
  }

  /** The operation's query parameters, `$ref`s resolved. */
  private queryParameters(op: Operation): JsonObject[] {
    const out: JsonObject[] = [];
    const params = Array.isArray(op.spec.parameters) ? op.spec.parameters : [];
    for (let p of params) {
      if (p && typeof p === "object" && !Array.isArray(p) && typeof p.$ref === "string")
        p = resolvePointer(this.root, p.$ref);
      if (p && typeof p === "object" && !Array.isArray(p) && p.in === "query") out.push(p);
    }
    return out;
  }

  private checkQuery(op: Operation, query: URLSearchParams): string[] {
    const problems: string[] = [];
    const params = this.queryParameters(op);
    // A parameter the description does not define is one GitHub ignores at best: flag it, as
    // an unknown body field is flagged.
    const known = new Set(params.map((p) => p.name).filter((n) => typeof n === "string"));
    for (const name of new Set(query.keys())) {
      if (!known.has(name))
        problems.push(
          `query parameter ${name} is not defined for ${op.operationId}${known.size > 0 ? ` (it takes ${[...known].join(", ")})` : " (it takes none)"}`,
        );
    }
    for (const p of params) {
      if (typeof p.name !== "string") continue;
      const value = query.get(p.name);
      if (value === null) continue;
      const schema =
        p.schema && typeof p.schema === "object" && !Array.isArray(p.schema) ? p.schema : {};
      if (schema.type === "integer" && !/^-?\d+$/.test(value))
        problems.push(`query parameter ${p.name} must be an integer, got ${JSON.stringify(value)}`);
      else if (schema.type === "boolean" && value !== "true" && value !== "false")
        problems.push(
          `query parameter ${p.name} must be true or false, got ${JSON.stringify(value)}`,
        );
      else if (Array.isArray(schema.enum) && !schema.enum.includes(value))
        problems.push(
          `query parameter ${p.name} must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`,
        );
    }
    return problems;
  }
}

let cached: OpenApiIndex | undefined;

/** Loads GitHub's REST description once per process (about 13 MB of JSON) and indexes its paths. */
export function loadOpenApi(file = openApiFile()): OpenApiIndex {
  if (cached) return cached;
  const t0 = performance.now();
  const root = JSON.parse(readFileSync(file, "utf8")) as JsonObject;
  cached = new OpenApiIndex(root, performance.now() - t0);
  return cached;
}
