// The shipped defaults, `policies/default.yml`, read and parsed from disk. The CLI bundle swaps this
// module for the same object embedded as JSON at build time (scripts/build-cli.ts).
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

const DEFAULT_POLICY_URL = new URL("../../policies/default.yml", import.meta.url);

export function readDefaultPolicy(): Record<string, unknown> {
  return parseDocument(readFileSync(DEFAULT_POLICY_URL, "utf8")).toJS() as Record<string, unknown>;
}
