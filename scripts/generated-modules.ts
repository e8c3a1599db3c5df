// Modules the CLI bundle gets generated at build time instead of computing them at each start-up:
// the policy validator (Ajv standalone code from policy-schema.ts) and the parsed shipped defaults.
import { Ajv } from "ajv";
import standalone from "ajv/dist/standalone/index.js";
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
