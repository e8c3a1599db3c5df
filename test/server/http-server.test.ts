import { request } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { signBody } from "../helpers/keys.js";
import { afterEach, describe, expect, it } from "vitest";
import { createMonobotServer, type MonobotServer } from "../../src/server/http-server.js";
import { silentLog } from "../../src/log.js";
import { InProcessQueue } from "../../src/runtime/in-process-queue.js";
import type { JobQueue } from "../../src/runtime/job.js";
import { makeProbot, WEBHOOK_SECRET } from "../helpers/probot.js";

let running: MonobotServer | undefined;

afterEach(async () => {
  await running?.shutdown(100);
  running = undefined;
});

async function start(slowQueue?: JobQueue) {
  const made = await makeProbot();
  const { probot, metrics } = made;
  const queue = slowQueue ?? made.queue;
  let received = 0;
  probot.webhooks.onAny(() => {
    received++;
  });
  running = createMonobotServer({
    probot,
    queue,
    metrics,
    log: silentLog,
    webhookPath: "/api/github/webhooks",
  });
  await new Promise<void>((r) => running?.server.listen(0, "127.0.0.1", () => r()));
  const { port } = running.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received: () => received, queue };
}

const ping = JSON.stringify({ zen: "Keep it logically awesome.", hook_id: 1 });

async function post(url: string, body: string, headers: Record<string, string>) {
  return fetch(`${url}/api/github/webhooks`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json", ...headers },
  });
}

describe("webhook intake over HTTP", () => {
  it("accepts a correctly signed delivery with 202", async () => {
    const s = await start();
    const res = await post(s.url, ping, {
      "x-github-event": "ping",
      "x-github-delivery": "d-1",
      "x-hub-signature-256": signBody(WEBHOOK_SECRET, ping),
    });
    expect(res.status).toBe(202);
    expect(s.received()).toBe(1);
  });

  it.each([
    {
      name: "a wrong signature",
      signature: async () => signBody("other-secret", ping),
      status: 401,
    },
    {
      name: "a signature of another body",
      signature: async () => signBody(WEBHOOK_SECRET, ping + " "),
      status: 401,
    },
    { name: "a malformed signature", signature: async () => "sha256=zz", status: 401 },
    { name: "no signature", signature: async () => "", status: 400 },
  ])("rejects $name with $status and runs nothing", async ({ signature, status }) => {
    const s = await start();
    const sig = await signature();
    const res = await post(s.url, ping, {
      "x-github-event": "ping",
      "x-github-delivery": "d-2",
      ...(sig ? { "x-hub-signature-256": sig } : {}),
    });
    expect(res.status).toBe(status);
    expect(s.received()).toBe(0);
  });

  it("answers a signed but malformed payload with 400 and keeps serving", async () => {
    const s = await start();
    const bad = "{not json";
    const res = await post(s.url, bad, {
      "x-github-event": "pull_request",
      "x-github-delivery": "d-3",
      "x-hub-signature-256": signBody(WEBHOOK_SECRET, bad),
    });
    expect(res.status).toBe(400);
    const broken = JSON.stringify({ action: "opened", repository: null });
    const res2 = await post(s.url, broken, {
      "x-github-event": "pull_request",
      "x-github-delivery": "d-4",
      "x-hub-signature-256": signBody(WEBHOOK_SECRET, broken),
    });
    expect(res2.status).toBe(400);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });

  it("serves health, readiness and Prometheus metrics", async () => {
    const s = await start();
    await post(s.url, ping, {
      "x-github-event": "ping",
      "x-github-delivery": "d-5",
      "x-hub-signature-256": signBody("wrong", ping),
    });
    expect(await (await fetch(`${s.url}/healthz`)).text()).toBe("ok\n");
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
    const metrics = await fetch(`${s.url}/metrics`);
    expect(metrics.headers.get("content-type")).toContain("text/plain");
    const text = await metrics.text();
    expect(text).toContain('monobot_webhook_events_total{event="ping",outcome="bad_signature"} 1');
    expect(text).toContain("monobot_handler_duration_seconds");
    expect(text).toContain("monobot_github_requests_total");
    expect((await fetch(`${s.url}/nope`)).status).toBe(404);
  });

  it("drains on shutdown: readiness fails, work in flight finishes, new deliveries are refused", async () => {
    let finished = false;
    const slow = new InProcessQueue(
      () =>
        new Promise<void>((r) =>
          setTimeout(() => {
            finished = true;
            r();
          }, 100),
        ),
    );
    const s = await start(slow);
    await s.queue.enqueue({ handler: "pull-request", deliveryId: "slow", key: "o/r#1", spec: {} });
    const server = running;
    running = undefined;
    const result = await server?.shutdown(5_000);
    expect(result).toEqual({ finished: true, handedBack: [] });
    expect(finished).toBe(true);
    expect(server?.server.listening).toBe(false);
  });

  it("labels the metrics of unauthenticated deliveries only with events it knows", async () => {
    const s = await start();
    for (const [i, event] of ["made-up-1", "made-up-2", "pull_request"].entries()) {
      await post(s.url, ping, {
        "x-github-event": event,
        "x-github-delivery": `d-label-${i}`,
        "x-hub-signature-256": signBody("wrong", ping),
      });
    }
    const bad = "{not json";
    await post(s.url, bad, {
      "x-github-event": "made-up-3",
      "x-github-delivery": "d-label-3",
      "x-hub-signature-256": signBody(WEBHOOK_SECRET, bad),
    });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toContain('monobot_webhook_events_total{event="other",outcome="bad_signature"} 2');
    expect(text).toContain(
      'monobot_webhook_events_total{event="pull_request",outcome="bad_signature"} 1',
    );
    expect(text).toContain('monobot_webhook_events_total{event="other",outcome="malformed"} 1');
    expect(text).not.toContain("made-up");
  });
});

/** Sends raw HTTP/1.1 and reads what comes back until the server closes (or `ms` pass). */
function rawExchange(url: string, head: string, ms: number) {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  let answer = "";
  socket.on("data", (c: Buffer) => (answer += c.toString()));
  socket.on("error", () => undefined);
  const closed = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  socket.write(head);
  return { closed, answer: () => answer, socket };
}

const signedHeaders = (length: number, extra = "") =>
  "POST /api/github/webhooks HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
  "x-github-event: ping\r\nx-github-delivery: big\r\nx-hub-signature-256: sha256=00\r\n" +
  `content-length: ${length}\r\n${extra}\r\n`;

describe("a body over GitHub's 25 MB limit", () => {
  const over = 25 * 1024 * 1024 + 1;

  it("is answered 413 at once when its length is announced, and the connection closes", async () => {
    const s = await start();
    // The client sends the headers and does not wait for `100 Continue`: no body comes yet.
    const x = rawExchange(s.url, signedHeaders(over), 3000);
    expect(await x.closed).toBe(true);
    expect(x.answer()).toMatch(/^HTTP\/1\.1 413 /);
    expect(x.answer()).toMatch(/connection: close/i);
    expect(x.answer()).toContain("larger than 25 MB");
    expect(s.received()).toBe(0);
  });

  it("is refused before `100 Continue` when the client asks first", async () => {
    const s = await start();
    const x = rawExchange(s.url, signedHeaders(over, "expect: 100-continue\r\n"), 3000);
    expect(await x.closed).toBe(true);
    expect(x.answer()).toMatch(/^HTTP\/1\.1 413 /);
    expect(x.answer()).not.toContain("100 Continue");
  });

  it("is answered 413 when a chunked body grows past it, and the server keeps serving", async () => {
    const s = await start();
    const { port } = new URL(s.url);
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/api/github/webhooks",
          headers: {
            "x-github-event": "ping",
            "x-github-delivery": "chunked",
            "x-hub-signature-256": "sha256=00",
          },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      let sent = 0;
      const pump = () => {
        while (sent < 40) {
          sent++;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    expect(answer.status).toBe(413);
    expect(answer.body).toContain("larger than 25 MB");
    expect(s.received()).toBe(0);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  });
});
