// Runs the sandbox as its own process (`node dist/sandbox/main.js [--port N] [--webhook-url URL]`), driven over /_sandbox/.
import { startSandbox } from "./driver.js";

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const port = Number(argValue(args, "--port") ?? process.env.SANDBOX_PORT ?? "0");
  const webhookUrl = argValue(args, "--webhook-url") ?? process.env.SANDBOX_WEBHOOK_URL;
  const sandbox = await startSandbox({ port, ...(webhookUrl ? { webhookUrl } : {}) });
  // One JSON line that a parent process can read; the private key is at GET /_sandbox/info.
  process.stdout.write(
    `${JSON.stringify({
      url: sandbox.url,
      apiBaseUrl: sandbox.apiBaseUrl,
      control: `${sandbox.url}/_sandbox/`,
      appId: sandbox.appId,
      webhookSecret: sandbox.webhookSecret,
    })}\n`,
  );
  const stop = (): void => {
    void sandbox.stop().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
