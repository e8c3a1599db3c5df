// The App webhook's delivery log: every delivery recorded with GitHub's fields, listed newest first
// with cursor pages, and redelivered on request with the same guid and body.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/driver.js";
import { loadOpenApi } from "../../src/sandbox/openapi.js";
import {
  appJwt,
  appOctokit,
  installationOctokit,
  standardSandbox,
  webhookReceiver,
  type Octokit,
} from "./helpers.js";

describe("the App webhook's deliveries", () => {
  let sandbox: Sandbox;
  let repo: string;
  let installationId: number;
  let app: Octokit;
  let receiver: Awaited<ReturnType<typeof webhookReceiver>>;
  /** Status the receiver answers for a guid's first attempt (202 unless listed). */
  const firstAnswer = new Map<string, number>();

  beforeAll(async () => {
    ({ sandbox, repo, installationId } = await standardSandbox());
    receiver = await webhookReceiver((guid, seenBefore) =>
      seenBefore === 0 ? (firstAnswer.get(guid) ?? 202) : 200,
    );
    sandbox.webhookUrl = receiver.url;
    app = await appOctokit(sandbox);
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.close();
  });
  beforeEach(() => {
    sandbox.resetViolations();
  });

  const push = () => sandbox.events.push({ repo, ref: "main" });

  it("records each delivery with GitHub's fields, in GitHub's shape", async () => {
    firstAnswer.set("aaaaaaaa-0000-4000-8000-000000000001", 503);
    const failed = await sandbox.deliver(push(), {
      deliveryId: "aaaaaaaa-0000-4000-8000-000000000001",
    });
    const ok = await sandbox.deliver(push());
    expect(failed.redelivery).toBe(false);
    expect(failed.hookDeliveryId).toEqual(expect.any(Number));
    const res = await app.request("GET /app/hook/deliveries", { per_page: 100 });
    expect(loadOpenApi().responseProblems("apps/list-webhook-deliveries", 200, res.data)).toEqual(
      [],
    );
    const repoId = sandbox.state.requireRepo(repo).id;
    const [newest, older] = res.data;
    expect(newest).toMatchObject({
      id: ok.hookDeliveryId,
      guid: ok.id,
      event: "push",
      status: "OK",
      status_code: 202,
      redelivery: false,
      installation_id: installationId,
      repository_id: repoId,
      delivered_at: ok.deliveredAt,
    });
    expect(older).toMatchObject({
      id: failed.hookDeliveryId,
      guid: "aaaaaaaa-0000-4000-8000-000000000001",
      status: "Invalid HTTP Response: 503",
      status_code: 503,
    });
    expect(Date.parse(newest?.delivered_at ?? "")).not.toBeNaN();
    expect(sandbox.violations()).toEqual([]);
  });

  it("records a delivery nobody answered as status 0, and keeps forged ones out", async () => {
    const down = await sandbox.deliver(push(), { url: "http://127.0.0.1:9/api/github/webhooks" });
    const forged = await sandbox.deliver(push(), { secret: "not-the-secret" });
    expect(forged.hookDeliveryId).toBeUndefined();
    const { data } = await app.request("GET /app/hook/deliveries", { per_page: 5 });
    expect(data[0]).toMatchObject({ guid: down.id, status_code: 0, status: "failed to connect" });
    expect(data.map((d) => d.guid)).not.toContain(forged.id);
  });

  it("pages newest first with a cursor in the next link, and filters by status", async () => {
    const all = sandbox
      .hookDeliveries()
      .map((d) => d.guid)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const res = await app.request("GET /app/hook/deliveries", {
        per_page: 2,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...res.data.map((d) => d.guid));
      const next = /<([^>]+)>; rel="next"/.exec(res.headers.link ?? "")?.[1];
      if (!next) break;
      const url = new URL(next);
      expect(url.searchParams.get("per_page")).toBe("2");
      expect(url.searchParams.get("page")).toBeNull();
      cursor = url.searchParams.get("cursor") ?? undefined;
      expect(cursor).toMatch(/^v1_\d+$/);
    }
    expect(seen).toEqual(all);
    const failures = await app.request("GET /app/hook/deliveries", { status: "failure" });
    expect(failures.data.length).toBeGreaterThan(0);
    expect(failures.data.every((d) => d.status_code < 200 || d.status_code >= 300)).toBe(true);
    expect(sandbox.violations()).toEqual([]);
  });

  it("redelivers an attempt: 202 at once, then the same guid and body, recorded as a redelivery", async () => {
    const guid = "aaaaaaaa-0000-4000-8000-000000000002";
    firstAnswer.set(guid, 500);
    const original = await sandbox.deliver(push(), { deliveryId: guid });
    const res = await app.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: original.hookDeliveryId as number,
    });
    expect(res.status).toBe(202);
    expect(
      loadOpenApi().responseProblems("apps/redeliver-webhook-delivery", 202, res.data),
    ).toEqual([]);
    await sandbox.settleRedeliveries();
    const got = receiver.received.filter((r) => r.guid === guid);
    expect(got).toHaveLength(2);
    expect(got[1]?.body).toBe(original.body);
    expect(got[1]?.event).toBe("push");
    const attempts = sandbox.hookDeliveries().filter((d) => d.guid === guid);
    expect(attempts.map((a) => [a.redelivery, a.statusCode])).toEqual([
      [false, 500],
      [true, 200],
    ]);
    expect(sandbox.deliveries().at(-1)).toMatchObject({ id: guid, redelivery: true, status: 200 });
    expect(sandbox.violations()).toEqual([]);
  });

  it("answers 404 for an unknown delivery, and only to the App's JWT", async () => {
    await expect(
      app.request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 1 }),
    ).rejects.toMatchObject({ status: 404 });
    const installation = await installationOctokit(sandbox, installationId);
    await expect(installation.request("GET /app/hook/deliveries")).rejects.toMatchObject({
      status: 401,
    });
    const res = await fetch(`${sandbox.apiBaseUrl}/app/hook/deliveries?per_page=1`, {
      headers: { authorization: `Bearer ${appJwt(sandbox)}` },
    });
    expect(res.status).toBe(200);
  });

  it("is readable over the control API, a delivery's time settable", async () => {
    const fourDaysAgo = new Date(Date.now() - 4 * 24 * 3600_000);
    const res = await fetch(`${sandbox.url}/_sandbox/deliveries`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        event: "push",
        repo,
        ref: "main",
        deliveredAt: fourDaysAgo.toISOString(),
      }),
    });
    expect(res.status).toBe(200);
    const made = (await res.json()) as { id: string; hookDeliveryId: number; deliveredAt: string };
    expect(made.deliveredAt).toBe(fourDaysAgo.toISOString().replace(/\.\d{3}Z$/, "Z"));
    const list = (await (await fetch(`${sandbox.url}/_sandbox/deliveries`)).json()) as {
      id: string;
      hookDeliveryId: number | null;
      redelivery: boolean;
    }[];
    expect(list.at(-1)).toMatchObject({
      id: made.id,
      hookDeliveryId: made.hookDeliveryId,
      redelivery: false,
    });
    const settle = await fetch(`${sandbox.url}/_sandbox/deliveries/settle`, { method: "POST" });
    expect(settle.status).toBe(200);
  });
});
