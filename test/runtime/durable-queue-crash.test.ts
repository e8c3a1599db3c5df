// A real process accepts jobs into the durable queue and is SIGKILLed; the test recovers them.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { DurableQueue } from "../../src/runtime/durable-queue.js";
import type { QueuedJob } from "../../src/runtime/job.js";
import { cleanup, stateDir } from "./helpers.js";

afterEach(cleanup);

const child = fileURLToPath(new URL("./fixtures/durable-child.ts", import.meta.url));

/** Starts the child; `until` resolves once its output satisfies `ready`, then SIGKILLs it. */
function runAndKill(dir: string, mode: string, ready: (out: string) => boolean) {
  const proc = spawn(process.execPath, ["--import", "tsx", child, dir, mode], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stderr.on("data", (c: Buffer) => (err += c.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    proc.on("exit", (code, signal) => resolve(signal ?? code)),
  );
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`the child never got ready; stderr: ${err}`));
    }, 15_000);
    proc.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (ready(out)) {
        clearTimeout(timer);
        proc.kill("SIGKILL");
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      if (how === "SIGKILL") resolve(out);
      else reject(new Error(`the child exited on its own (${how}); stderr: ${err}`));
    });
  });
}

/** Opens the directory in this process and returns the jobs recovered, in the order they ran. */
async function recover(dir: string): Promise<{ count: number; ran: number[] }> {
  const ran: number[] = [];
  const queue = await DurableQueue.open(dir, async (j: QueuedJob) => {
    ran.push((j.spec as { n: number }).n);
  });
  const count = await queue.recover();
  await queue.idle();
  await queue.close();
  return { count, ran };
}

describe("DurableQueue across a SIGKILL of a real process", () => {
  it("recovers exactly the jobs accepted and not finished, the lock of the dead process no obstacle", async () => {
    const dir = stateDir();
    await runAndKill(dir, "mid-work", (out) => out.includes("ready\n"));
    const { count, ran } = await recover(dir);
    expect(count).toBe(30);
    expect(ran).toEqual(Array.from({ length: 30 }, (_, i) => i + 10));
  });

  it("killed in the middle of intake, loses no job whose enqueue had resolved", async () => {
    const dir = stateDir();
    const out = await runAndKill(
      dir,
      "intake",
      (text) => (text.match(/^accepted /gm)?.length ?? 0) >= 300,
    );
    const numbers = (prefix: string) =>
      out
        .split("\n")
        .filter((l) => l.startsWith(prefix))
        .flatMap((l) => l.slice(prefix.length).split(" ").map(Number));
    const tried = new Set(numbers("trying "));
    const accepted = numbers("accepted ");
    const { ran } = await recover(dir);
    const recovered = new Set(ran);
    // Every odd job (they never finish) whose enqueue resolved comes back...
    const lost = accepted.filter((n) => n % 2 === 1 && !recovered.has(n));
    expect(lost).toEqual([]);
    // ...and nothing comes back that the child did not try to enqueue.
    expect(ran.filter((n) => !tried.has(n))).toEqual([]);
    expect(recovered.size).toBe(ran.length);
  });
});
