// Lints the Dockerfile (no Docker engine here): dockerfile-utils' validation plus our house rules.
import { readFileSync } from "node:fs";
import { validate } from "dockerfile-utils";

const file = "Dockerfile";
const text = readFileSync(file, "utf8");
const problems: string[] = validate(text).map(
  (d) => `${file}:${d.range.start.line + 1}: ${d.message}`,
);
// Continuation lines belong to their instruction.
const lines = text.replace(/\\\n/g, " ").split("\n");
const has = (re: RegExp) => lines.some((l) => re.test(l));
const stages = lines.filter((l) => /^FROM\s/i.test(l));
if (stages.length < 2)
  problems.push(`${file}: expected a multi-stage build (build and runtime stages)`);
if (!has(/npm ci --omit=dev/))
  problems.push(`${file}: the runtime stage must install with npm ci --omit=dev`);
const lastUser = [...lines].reverse().find((l) => /^USER\s/i.test(l));
if (!lastUser || /^USER\s+(root|0)\b/i.test(lastUser))
  problems.push(`${file}: the image must run as a non-root USER`);
if (!has(/^HEALTHCHECK\s.*\/healthz/)) problems.push(`${file}: HEALTHCHECK must probe /healthz`);
if (stages.some((l) => /:latest\b|^FROM\s+[^:\s]+(\s|$)/i.test(l)))
  problems.push(`${file}: pin base image tags`);
// Node.js 20 reached its end of life in April 2026: the image runs a supported LTS line (the code
// keeps to what Node 20 has too, since the tests run there).
for (const l of stages) {
  const major = /^FROM\s+node:(\d+)/i.exec(l)?.[1];
  if (major !== undefined && Number(major) < 22)
    problems.push(`${file}: node:${major} is past its end of life; use node:22 (LTS) or later`);
}

if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`${file}: ok (${stages.length} stages)\n`);
