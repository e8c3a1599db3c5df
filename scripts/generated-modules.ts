// Modules the CLI bundle gets generated at build time instead of computing them at each start-up:
// the policy validator (Ajv standalone code from policy-schema.ts) and the parsed shipped defaults.
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";
import { readDefaultPolicy } from "../src/core/policy-defaults.js";
import { policySchema } from "../src/core/policy-schema.js";
import { POLICY_AJV_OPTIONS } from "../src/core/policy-validator.js";

/**
 * CommonJS source of the policy validator, compiled now from the schema in src/ (so a key added to
 * the schema is in the next build). Its `require`s name Ajv's small runtime helpers.
 */
export function policyValidatorStandalone(): string {
  const ajv = new Ajv({ ...POLICY_AJV_OPTIONS, code: { source: true } });
  // A CommonJS module whose `default` is the function (TypeScript sees the module namespace).
  return standalone.default(ajv, ajv.compile(policySchema));
}

/** ESM stand-in for src/core/policy-validator.ts: the same export, nothing compiled at start-up. */
export function policyValidatorModule(standaloneSpecifier: string): string {
  return [
    `import validate from ${JSON.stringify(standaloneSpecifier)};`,
    `export const POLICY_AJV_OPTIONS = ${JSON.stringify(POLICY_AJV_OPTIONS)};`,
    "export function policyValidator() {",
    "  return validate;",
    "}",
    "",
  ].join("\n");
}

/** ESM stand-in for src/core/policy-defaults.ts: the defaults as JSON, read without a YAML parse. */
export function defaultPolicyModule(): string {
  const defaults = readDefaultPolicy();
  const json = JSON.stringify(defaults);
  if (!isDeepStrictEqual(JSON.parse(json), defaults)) {
    throw new Error(
      "policies/default.yml holds a value JSON cannot carry (a date, NaN...): quote it",
    );
  }
  return [
    `const text = ${JSON.stringify(json)};`,
    "export function readDefaultPolicy() {",
    "  return JSON.parse(text);",
    "}",
    "",
  ].join("\n");
}

/**
 * ESM stand-in for a package (or Node built-in) that loads it on first use instead of at start-up:
 * each export is a proxy that requires `name` when touched. Only object and function exports can
 * be proxied; importing any other export of `name` fails the build ("No matching export").
 */
export function lazyModule(name: string): string {
  const real = createRequire(import.meta.url)(name) as Record<string, unknown>;
  const proxied = (value: unknown) =>
    typeof value === "function" ? "fn" : typeof value === "object" && value !== null ? "obj" : null;
  const lines = [
    "let loaded;",
    `const load = () => (loaded ??= require(${JSON.stringify(name)}));`,
    "function lazy(kind, get) {",
    "  const target = kind === 'fn' ? function () {} : {};",
    "  return new Proxy(target, {",
    "    get(_, key) {",
    "      const real = get();",
    "      const value = Reflect.get(real, key, real);",
    "      return typeof value === 'function' && key !== 'constructor' ? value.bind(real) : value;",
    "    },",
    "    set: (_, key, value) => Reflect.set(get(), key, value),",
    "    has: (_, key) => Reflect.has(get(), key),",
    "    ownKeys: () => Reflect.ownKeys(get()),",
    "    getOwnPropertyDescriptor(_, key) {",
    "      const d = Reflect.getOwnPropertyDescriptor(get(), key);",
    "      return d && { ...d, configurable: true };",
    "    },",
    "    getPrototypeOf: () => Reflect.getPrototypeOf(get()),",
    "    apply: (_, self, args) => Reflect.apply(get(), self, args),",
    "    construct: (_, args, newTarget) => Reflect.construct(get(), args),",
    "  });",
    "}",
    `export default lazy(${JSON.stringify(proxied(real) ?? "obj")}, load);`,
  ];
  for (const [key, value] of Object.entries(real)) {
    const kind = proxied(value);
    if (!kind || key === "default" || !/^[A-Za-z_$][\w$]*$/.test(key)) continue;
    lines.push(`export const ${key} = lazy("${kind}", () => load()[${JSON.stringify(key)}]);`);
  }
  return `${lines.join("\n")}\n`;
}
