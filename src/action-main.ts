// Entry point of the GitHub Action (action.yml runs it through bin/action.js).
import { escapeData, runAction } from "./action.js";

runAction(process.env, {
  stdout: (t) => process.stdout.write(t),
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    const message = escapeData(`monobot: internal error: ${(e as Error).message}`);
    process.stdout.write(`::error title=monobot::${message}\n`);
    process.exitCode = 2;
  },
);
