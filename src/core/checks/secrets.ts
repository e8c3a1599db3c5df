// monobot/secrets: private keys, token formats and high-entropy assignments in added lines, and
// the sealed secrets file (secrets.file) when a change touches it.
import { globMatcher } from "../glob.js";
import { patchOf, type PatchLine } from "../patch.js";
import type { Policy } from "../policy.js";
import {
  ALLOW_MARKER,
  redactResult,
  scanLine,
  type ScanOptions,
  type SecretFinding,
} from "../redact.js";
import { checkSecretsFile, type SecretsFileContext } from "../secrets-file.js";
import { secretsFileAnnotations, secretsFileSummary } from "../secrets-file-report.js";
import type { Annotation, ChangeSnapshot, CheckResult, FileRequest } from "../types.js";
import { contentKey } from "../types.js";
import {
  capAnnotations,
  conclusionOf,
  describeCounts,
  fitSummary,
  omittedLine,
  plural,
  truncatedLine,
} from "./annotations.js";
import { fileKinds, unchangedOrEmpty } from "./lint.js";
import type { CheckDefinition, CheckInput } from "./registry.js";

type SecretsPolicy = Policy["checks"]["secrets"];

// ---------------------------------------------------------------------------------------------
// The check.

function scanOptions(secrets: SecretsPolicy): ScanOptions {
  return { minLength: secrets.min_length, minEntropy: secrets.min_entropy };
}

function secretsNeeds(input: {
  snapshot: Omit<ChangeSnapshot, "contents">;
  policy: Policy;
}): FileRequest[] {
  const { secrets, lint } = input.policy.checks;
  const allowed = globMatcher(secrets.allow);
  const binary = globMatcher(lint.binary);
  const out: FileRequest[] = [];
  for (const f of input.snapshot.files) {
    if (f.status === "removed" || f.patch !== undefined || f.binary === true) continue;
    if (unchangedOrEmpty(f) || binary(f.path) || allowed(f.path)) continue;
    out.push({ side: "head", path: f.path });
  }
  const sealed = sealedFileChange(input.snapshot, input.policy);
  if (sealed && !out.some((r) => r.path === sealed)) out.push({ side: "head", path: sealed });
  return out;
}

/** The path of the policy's sealed secrets file when the change adds or modifies it. */
function sealedFileChange(
  snapshot: Pick<ChangeSnapshot, "files">,
  policy: Policy,
): string | undefined {
  const path = policy.secrets.file;
  return snapshot.files.some((f) => f.path === path && f.status !== "removed") ? path : undefined;
}

/** Validation of the sealed secrets file, with what the shell knows about keys and targets. */
function sealedFileVerdict(
  snapshot: ChangeSnapshot,
  policy: Policy,
): { annotations: Annotation[]; summary: string } | undefined {
  const path = sealedFileChange(snapshot, policy);
  if (!path) return undefined;
  const text = snapshot.contents.get(contentKey("head", path));
  if (typeof text !== "string") {
    return {
      annotations: [],
      summary: `Sealed secrets file \`${path}\` could not be read, so it was not validated.`,
    };
  }
  const context: SecretsFileContext = { keyIds: [] };
  if (policy.secrets.key_ids.length > 0) {
    context.keyIds?.push({ ids: policy.secrets.key_ids, source: "secrets.key_ids of the policy" });
  }
  const known = snapshot.sealedSecrets;
  if (known?.keyIds) context.keyIds?.push({ ids: known.keyIds, source: "monobot's keys" });
  if (known?.targets) context.targets = known.targets;
  const file = checkSecretsFile(text, context);
  const skipped = known?.notChecked ?? [];
  const bounded =
    skipped.length === 0
      ? ""
      : ` ${plural(skipped.length, "target")} not looked up (monobot looks up a bounded number per event): ${skipped.slice(0, 10).join(", ")}${skipped.length > 10 ? ", …" : ""}.`;
  return {
    annotations: secretsFileAnnotations(path, file),
    summary: secretsFileSummary(path, file, known?.targets !== undefined) + bounded,
  };
}

function advice(finding: SecretFinding): string {
  switch (finding.rule) {
    case "private_key":
      return "Remove the key from the change, consider it compromised and replace it, and load keys from a secret store or a sealed secret at run time.";
    case "token":
      return "Remove it from the change and revoke it now (anything pushed to a PR must be treated as leaked), then read it from a secret store or an environment variable.";
    case "assignment":
      return "If this is a real credential, remove it, rotate it and read it from a secret store or an environment variable.";
  }
}

function runSecrets({ snapshot, policy }: CheckInput): CheckResult {
  const { secrets, lint } = policy.checks;
  const options = scanOptions(secrets);
  const allowed = globMatcher(secrets.allow);
  const kinds = fileKinds(lint);
  const annotations: Annotation[] = [];
  const byKind = new Map<string, number>();
  let scannedFiles = 0;
  let scannedLines = 0;
  let allowListedFiles = 0;
  let allowListedLines = 0;
  let binaryCount = 0;
  const readWhole: string[] = [];
  const unreadable: string[] = [];

  for (const file of snapshot.files) {
    if (file.status === "removed") continue;
    if (kinds.skipReason(file) === "binary") {
      binaryCount++;
      continue;
    }
    if (allowed(file.path)) {
      allowListedFiles++;
      continue;
    }
    let lines: PatchLine[];
    const parsed = patchOf(file);
    if (parsed) lines = parsed.added;
    else if (unchangedOrEmpty(file)) continue;
    else {
      const content = snapshot.contents.get(contentKey("head", file.path));
      if (typeof content !== "string") {
        unreadable.push(file.path);
        continue;
      }
      if (content.includes("\u0000")) {
        binaryCount++;
        continue;
      }
      readWhole.push(file.path);
      lines = content.split("\n").map((text, i) => ({ line: i + 1, text }));
    }
    scannedFiles++;
    scannedLines += lines.length;

    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as PatchLine;
      const found = scanLine(l.text, options);
      if (found.length === 0) continue;
      if (l.text.includes(ALLOW_MARKER)) {
        allowListedLines++;
        // The marker on a BEGIN line allows the whole PEM block.
        if (found.some((f) => f.pemLabel !== undefined)) i = pemEnd(lines, i, found) ?? i;
        continue;
      }
      for (const f of found) {
        const level = secrets.rules[f.rule];
        if (level === "off") continue;
        let endLine = l.line;
        if (f.pemLabel !== undefined) {
          const endIndex = pemEnd(lines, i, [f]);
          if (endIndex !== undefined) {
            endLine = (lines[endIndex] as PatchLine).line;
            i = Math.max(i, endIndex);
          }
        }
        byKind.set(f.kind, (byKind.get(f.kind) ?? 0) + 1);
        annotations.push({
          path: file.path,
          start_line: l.line,
          end_line: endLine,
          level,
          title: `Possible secret: ${f.kind}`,
          message:
            `${endLine === l.line ? `Line ${l.line}` : `Lines ${l.line}-${endLine}`} of ${file.path} ` +
            `hold what looks like a ${f.kind} (\`${f.masked}\`). ${advice(f)} ` +
            `If it is a test fixture, add \`${ALLOW_MARKER}\` in a comment on the line or its path to checks.secrets.allow.`,
        });
      }
    }
  }

  const scanFindings = annotations.length;
  const sealed = sealedFileVerdict(snapshot, policy);
  if (sealed) annotations.push(...sealed.annotations);
  const capped = capAnnotations(annotations, policy.checks.max_annotations);
  const out: string[] = [];
  out.push(
    `Scanned ${plural(scannedLines, "added line")} in ${plural(scannedFiles, "file")}: ${
      scanFindings === 0
        ? "no possible secrets"
        : describeCounts(annotations.slice(0, scanFindings))
    }.`,
  );
  if (sealed) out.push("", sealed.summary);
  if (byKind.size > 0) {
    out.push("");
    out.push("| kind | findings |");
    out.push("|---|---|");
    for (const [kind, n] of [...byKind].sort((a, b) => b[1] - a[1])) out.push(`| ${kind} | ${n} |`);
    out.push("");
    out.push(
      "**How to fix**: a secret pushed to a pull request is leaked even if a later commit removes it. Revoke or rotate it first, then remove it from the branch (rewrite the commits that added it, e.g. with `git rebase -i`) and load it at run time from a secret store or a sealed secret. The annotations never repeat the secret itself.",
    );
  }
  const notes: string[] = [];
  if (binaryCount > 0) notes.push(`${plural(binaryCount, "binary file")} not scanned`);
  if (allowListedFiles > 0) {
    notes.push(`${plural(allowListedFiles, "file")} allowed by checks.secrets.allow`);
  }
  if (allowListedLines > 0) {
    notes.push(`${plural(allowListedLines, "line")} allowed by \`${ALLOW_MARKER}\``);
  }
  if (readWhole.length > 0) {
    notes.push(
      `${plural(readWhole.length, "file")} read whole because GitHub gave no patch (findings there may predate this PR)`,
    );
  }
  if (unreadable.length > 0) {
    notes.push(`${plural(unreadable.length, "file")} without patch or content, not scanned`);
  }
  if (notes.length > 0) {
    out.push("");
    out.push(`Also: ${notes.join("; ")}.`);
  }
  const partial = truncatedLine(snapshot.truncated);
  if (partial) out.push("", partial);
  const more = omittedLine(capped.omitted);
  if (more) out.push("", more);

  return redactResult({
    name: "monobot/secrets",
    conclusion: conclusionOf(annotations),
    title: secretsTitle(scanFindings, annotations.length - scanFindings),
    summary: fitSummary(out.join("\n")),
    annotations: capped.shown,
  });
}

function secretsTitle(findings: number, sealedProblems: number): string {
  if (sealedProblems === 0) {
    return findings === 0
      ? "No possible secrets in added lines"
      : `${plural(findings, "possible secret")} found`;
  }
  const file = `${plural(sealedProblems, "problem")} in the sealed secrets file`;
  return findings === 0 ? file : `${plural(findings, "possible secret")} found, ${file}`;
}

/** Index of the line ending the PEM block that starts at `from`, when the block is in `lines`. */
function pemEnd(lines: PatchLine[], from: number, found: SecretFinding[]): number | undefined {
  const label = found.find((f) => f.pemLabel !== undefined)?.pemLabel;
  if (label === undefined) return undefined;
  const start = lines[from] as PatchLine;
  const endMarker = `-----END ${label}-----`;
  if (start.text.includes(endMarker)) return from;
  for (let j = from + 1; j < lines.length && j < from + 200; j++) {
    const l = lines[j] as PatchLine;
    // Only a contiguous run of added lines belongs to the same block.
    if (l.line !== start.line + (j - from)) return undefined;
    if (l.text.includes(endMarker)) return j;
  }
  return undefined;
}

export const secretsCheck: CheckDefinition = {
  id: "secrets",
  name: "monobot/secrets",
  needs: secretsNeeds,
  run: runSecrets,
};
