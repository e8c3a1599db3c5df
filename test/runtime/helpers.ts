// Shared helpers of the runtime tests: temporary state directories, jobs, processes by pid.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QueuedJob } from "../../src/runtime/job.js";

/** A fresh state directory; `cleanup()` removes every one made. */
const made: string[] = [];
export function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "monobot-state-"));
  made.push(dir);
  return dir;
}
export function cleanup(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function job(deliveryId: string, key = `k-${deliveryId}`, supersedeKey?: string): QueuedJob {
  return {
    handler: "test",
    deliveryId,
    key,
    installationId: 1,
    spec: { id: deliveryId, files: ["a/VERSION", "b/VERSION"] },
    ...(supersedeKey ? { supersedeKey } : {}),
  };
}

export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A live process (idle node) to hold a pid; `stop()` ends it and resolves once it is gone. */
export function liveProcess(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"], {
    stdio: "ignore",
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  if (child.pid === undefined) throw new Error("could not start a child process");
  return {
    pid: child.pid,
    stop: async () => {
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** The pid of a process that ran and exited. */
export async function deadPid(): Promise<number> {
  const p = liveProcess();
  await p.stop();
  return p.pid;
}
