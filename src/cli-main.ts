// Entry point of the `monobot` binary.
import { runCli } from "./cli.js";

runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`monobot: internal error: ${(e as Error).message}\n`);
    process.exitCode = 2;
  },
);
