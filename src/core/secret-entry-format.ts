// One sealed secrets file entry as `monobot secrets seal` prints it, ready to append to the file.
import { parseDocument } from "yaml";
import { canonicalSecretName } from "./secrets-file.js";

/** A YAML scalar for `text`: plain when YAML reads it back as that same string, else double-quoted. */
function yamlScalar(text: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_./@-]*$/.test(text)) {
    const doc = parseDocument(`k: ${text}\n`);
    if (doc.errors.length === 0 && (doc.toJS() as { k?: unknown } | null)?.k === text) return text;
  }
  return JSON.stringify(text);
}

/**
 * One entry of the secrets file, ready to append: it starts with a blank line, so appending it
 * to a file that lacks a final newline still gives a valid list.
 */
export function formatSecretEntry(entry: {
  name: string;
  targets: readonly string[];
  keyId: string;
  sealed: string;
}): string {
  return [
    "",
    `- name: ${JSON.stringify(canonicalSecretName(entry.name))}`,
    "  targets:",
    ...entry.targets.map((t) => `    - ${yamlScalar(t)}`),
    `  key_id: ${JSON.stringify(entry.keyId)}`,
    `  sealed: ${entry.sealed}`,
    "",
  ].join("\n");
}
