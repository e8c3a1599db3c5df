// The policy schema's validator. Compiled by Ajv on first use here; the CLI bundle swaps this module
// for the same validator compiled at build time from policy-schema.ts (scripts/build-cli.ts).
import { Ajv, type ErrorObject, type Options } from "ajv";
import { policySchema } from "./policy-schema.js";

/** Options of the one Ajv instance, shared with the build-time compilation so both agree. */
// Union types: `deploy.environments` is a list or (the older form) a map.
export const POLICY_AJV_OPTIONS: Options = {
  allErrors: true,
  strict: true,
  verbose: true,
  allowUnionTypes: true,
};

/** A compiled schema check: true when valid, otherwise `errors` holds every problem found. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

let compiled: SchemaValidator | undefined;

export function policyValidator(): SchemaValidator {
  compiled ??= new Ajv(POLICY_AJV_OPTIONS).compile(policySchema);
  return compiled;
}
