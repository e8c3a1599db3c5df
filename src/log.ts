// The logging interface the workflows need: a subset of pino's, so tests can pass a fake; and the
// destination that masks secrets in every log line.
import { redactSecrets } from "./core/redact.js";

export interface Log {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Log;
}

/** A logger that drops everything (for the CLI and tests). */
export const silentLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLog,
};

/** Where log lines go: pino's destination shape. */
export interface LogSink {
  write(line: string): unknown;
}

/**
 * A pino destination that masks every secret the secret rules recognise before a line is written:
 * it sees the serialised line, so messages, bound fields and error stacks are all covered.
 */
export function redactingDestination(out: LogSink = process.stdout): LogSink {
  return { write: (line) => out.write(redactSecrets(line)) };
}
