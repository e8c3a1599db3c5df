// The status page over HTTP: sign-in with the sandbox's OAuth flow, who sees what, and the security rules.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, openDeployPull, startStatusWorld, type StatusWorld } from "./world.js";

let world: StatusWorld;

beforeAll(async () => {
  world = await startStatusWorld();
  await openDeployPull(world);
  world.activity.record(
    { handler: "pull-request", deliveryId: "d-carol", key: "carol/notes#1" },
    "success",
    120,
  );
  world.activity.record(
    { handler: "push", deliveryId: "d-acme", key: "acme/mono@refs/heads/main" },
    "error",
    40,
    new Error("GitHub said 502 for token ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
  );
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("without a session", () => {
  it("shows aggregate health only: no repository data in HTML or JSON", async () => {
    const c = new Client(world.url);
    const html = await (await c.get("/")).text();
    expect(html).toContain("Sign in with GitHub");
    expect(html).toContain('data-view="health"');
    for (const name of ["carol/notes", "dave/tools", "acme/config", "acme/mono"])
      expect(html).not.toContain(name);
    const health = (await (await c.get("/api/monobot/status/health")).json()) as {
      data: { jobsRecorded: number };
    };
    expect(health.data.jobsRecorded).toBe(2);
    for (const view of ["deploys", "schedule", "activity", "queue", "environments"]) {
      const res = await c.get(`/api/monobot/status/${view}`);
      expect(res.status, view).toBe(401);
      expect(await res.text()).not.toContain("carol");
    }
  });

  it("sends a Content-Security-Policy without inline scripts, and the script as a file", async () => {
    const c = new Client(world.url);
    const res = await c.get("/");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    const html = await res.text();
    expect(html).toMatch(/<script src="\/status\/refresh\.js" defer><\/script>/);
    expect(html).not.toMatch(/<script>(?!<)/);
    const js = await c.get("/status/refresh.js");
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("visibilitychange");
  });
});

describe("signed in", () => {
  it("each user sees only their own repositories (JSON and HTML)", async () => {
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    const dave = new Client(world.url);
    await dave.signIn(world.sandbox, "dave");

    const carolHtml = await (await carol.get("/")).text();
    expect(carolHtml).toContain("carol/notes");
    expect(carolHtml).not.toContain("dave/tools");
    expect(carolHtml).not.toContain("acme/");
    const daveSchedule = (await (await dave.get("/api/monobot/status/schedule")).json()) as {
      data: { fires: { repository: string }[] };
    };
    expect(daveSchedule.data.fires.map((f) => f.repository)).toEqual(["dave/tools"]);
    const carolDeploys = (await (await carol.get("/api/monobot/status/deploys")).json()) as {
      data: { pulls: unknown[] };
    };
    expect(carolDeploys.data.pulls).toEqual([]);
  });

  it("shows open deploy PRs and why each waits to those who can read the config repo", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    const body = (await (await alice.get("/api/monobot/status/deploys")).json()) as {
      data: { pulls: { repository: string; kind: string; waiting: string[] }[] };
    };
    expect(body.data.pulls).toHaveLength(1);
    const [pull] = body.data.pulls;
    expect(pull?.repository).toBe("acme/config");
    expect(pull?.kind).toBe("deploy");
    expect(pull?.waiting).toEqual([
      "monobot/deploy-gate failed: Frozen: holiday freeze",
      "ci/web/verify pending: running",
      expect.stringContaining("deploy freeze (") as string,
    ]);
    const html = await (await alice.get("/")).text();
    expect(html).toContain("monobot/deploy-gate failed: Frozen: holiday freeze");
    const freezes = (await (await alice.get("/api/monobot/status/schedule")).json()) as {
      data: { freezes: { repository: string; frozen: boolean }[] };
    };
    expect(freezes.data.freezes).toEqual([
      expect.objectContaining({ repository: "acme/mono", frozen: false }),
    ]);
  });

  it("keeps the operator views for MONOBOT_ADMINS: 403 for others", async () => {
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    for (const view of ["activity", "queue"]) {
      const res = await carol.get(`/api/monobot/status/${view}`);
      expect(res.status, view).toBe(403);
    }
    expect(await (await carol.get("/")).text()).not.toContain('data-view="activity"');

    const opal = new Client(world.url);
    await opal.signIn(world.sandbox, "opal");
    const activity = (await (await opal.get("/api/monobot/status/activity")).json()) as {
      data: { entries: { event: string; repository: string; error: string | null }[] };
    };
    expect(activity.data.entries.map((e) => e.repository)).toEqual(["acme/mono", "carol/notes"]);
    // The token in the error message never reaches the page.
    expect(activity.data.entries[0]?.error).toContain("ghp_****");
    const html = await (await opal.get("/")).text();
    expect(html).toContain("opal (operator)");
    expect(html).not.toContain("abcdefghijklmnopqrstuvwxyz0123456789");
  });

  it("never renders the user's token", async () => {
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    const tokens = [...world.sandbox.state.userTokens.keys()];
    const pages = [await (await carol.get("/")).text()];
    for (const v of ["", "/health", "/deploys", "/schedule", "/environments"])
      pages.push(await (await carol.get(`/api/monobot/status${v}`)).text());
    for (const p of pages) for (const t of tokens) expect(p).not.toContain(t);
    expect(carol.header()).not.toMatch(/gh[pu]_/);
  });
});

describe("what runs where", () => {
  interface EnvJson {
    data: {
      boards: {
        repository: string;
        environments: { name: string }[];
        rows: { component: string; cells: ({ version?: string; state: string } | null)[] }[];
      }[];
      waiting: { repository: string; component: string; reason: string }[];
    };
  }

  /** The matrix rows of an HTML page: component, then each cell's version and state. */
  function htmlRows(html: string): string[][] {
    return [...html.matchAll(/<tr data-component="([^"]+)">(.*?)<\/tr>/g)].map((m) => [
      m[1] ?? "",
      ...[
        ...(m[2] ?? "").matchAll(
          /<td class="cell[^"]*"(?: data-env="[^"]*" data-state="([a-z]+)")?>(?:<span class="version">([^<]*)<\/span>)?/g,
        ),
      ].map((c) => `${c[2] ?? "-"} ${c[1] ?? "none"}`),
    ]);
  }

  it("shows each viewer only the boards of repositories they can read", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    const a = (await (await alice.get("/api/monobot/status/environments")).json()) as EnvJson;
    expect(a.data.boards.map((b) => b.repository)).toEqual(["acme/config"]);
    expect(a.data.waiting.map((w) => [w.component, w.reason])).toEqual([
      ["web", "freeze"],
      ["api", "verification"],
    ]);
    const c = (await (await carol.get("/api/monobot/status/environments")).json()) as EnvJson;
    expect(c.data.boards.map((b) => b.repository)).toEqual(["carol/notes"]);
    expect(c.data.waiting).toEqual([]);
    const carolHtml = await (await carol.get("/?repository=acme/config")).text();
    expect(carolHtml).not.toContain("acme/config");
    expect(carolHtml).toContain("No config repo matches these filters.");
  });

  it("takes the same filters in the page's URL and the JSON twin, with the same rows", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    for (const query of ["", "?environment=production", "?component=ap&state=failed"]) {
      const json = (await (
        await alice.get(`/api/monobot/status/environments${query}`)
      ).json()) as EnvJson;
      const fromJson = (json.data.boards[0]?.rows ?? []).map((r) => [
        r.component,
        ...r.cells.map((c) => `${c?.version ?? "-"} ${c?.state ?? "none"}`),
      ]);
      expect(fromJson.length, query).toBeGreaterThan(0);
      expect(htmlRows(await (await alice.get(`/${query}`)).text()), query).toEqual(fromJson);
      expect(htmlRows(await (await alice.get(`/status/views${query}`)).text()), query).toEqual(
        fromJson,
      );
    }
    const prod = (await (
      await alice.get("/api/monobot/status/environments?environment=production")
    ).json()) as EnvJson;
    expect(prod.data.boards[0]?.environments.map((e) => e.name)).toEqual(["production"]);
  });

  it("sends big pages gzip-compressed to clients that take it, plain to others", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    const zipped = await alice.get("/", { headers: { "accept-encoding": "gzip" } });
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    expect(zipped.headers.get("vary")).toBe("accept-encoding");
    const text = await zipped.text();
    expect(text).toContain('data-component="web"');
    const plain = await alice.get("/", { headers: { "accept-encoding": "identity" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(Number(plain.headers.get("content-length"))).toBe(Buffer.byteLength(await plain.text()));
    expect(Number(zipped.headers.get("content-length"))).toBeLessThan(Buffer.byteLength(text) / 2);
    const refused = await alice.get("/", { headers: { "accept-encoding": "gzip;q=0" } });
    expect(refused.headers.get("content-encoding")).toBeNull();
  });

  it("answers an unchanged refresh poll with an empty 304, a changed one in full", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    const first = await alice.get("/status/views?component=web");
    const etag = first.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await alice.get("/status/views?component=web", {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const other = await alice.get("/status/views?component=api", {
      headers: { "if-none-match": etag },
    });
    expect(other.status).toBe(200);
    world.boards.update("acme/config", "web", "staging", "1.2.9");
    const changed = await alice.get("/status/views?component=web", {
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain("1.2.9");
    expect(changed.headers.get("etag")).not.toBe(etag);
  });

  it("answers a bad filter with 400 and what to fix", async () => {
    const alice = new Client(world.url);
    await alice.signIn(world.sandbox, "alice");
    const res = await alice.get("/api/monobot/status/environments?state=green");
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain(
      'state "green" is not one of pinned, verifying, soaking, verified, failed, held',
    );
    const html = await (await alice.get("/?state=green")).text();
    expect(html).toContain("Ignored: state &quot;green&quot;");
    expect(html).toContain('data-component="web"');
  });
});

describe("sessions and sign-in", () => {
  it("refuses a forged or unsigned session cookie", async () => {
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    const value = decodeURIComponent(carol.cookies.get("monobot_session") ?? "");
    const [id] = value.split(".");
    for (const forged of [id ?? "", `${id}.AAAA`, `${id}x.${value.split(".")[1]}`]) {
      const res = await fetch(`${world.url}/api/monobot/status/deploys`, {
        headers: { cookie: `monobot_session=${encodeURIComponent(forged)}` },
      });
      expect(res.status).toBe(401);
    }
  });

  it("sets the session cookie HttpOnly and SameSite=Lax", async () => {
    const c = new Client(world.url);
    world.sandbox.signInAs("carol");
    const start = await c.get("/status/login");
    expect(start.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Lax/);
    const back = await fetch(
      (await fetch(start.headers.get("location") ?? "", { redirect: "manual" })).headers.get(
        "location",
      ) ?? "",
      { redirect: "manual", headers: { cookie: c.header() } },
    );
    const session = back.headers.getSetCookie().find((s) => s.startsWith("monobot_session="));
    expect(session).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+/);
  });

  it("refuses a callback whose state is not the one this browser started (CSRF)", async () => {
    const victim = new Client(world.url);
    world.sandbox.signInAs("dave");
    const attacker = new Client(world.url);
    const start = await attacker.get("/status/login");
    const authorize = await fetch(start.headers.get("location") ?? "", { redirect: "manual" });
    // The attacker's callback URL, opened in the victim's browser (no state cookie there).
    const res = await victim.get(authorize.headers.get("location") ?? "");
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("sign-in state does not match");
    expect(victim.cookies.has("monobot_session")).toBe(false);
  });

  it("logs out with a POST", async () => {
    const carol = new Client(world.url);
    await carol.signIn(world.sandbox, "carol");
    expect((await carol.get("/api/monobot/status/deploys")).status).toBe(200);
    const out = await carol.get("/status/logout", { method: "POST" });
    expect(out.status).toBe(303);
    expect((await carol.get("/api/monobot/status/deploys")).status).toBe(401);
  });
});

describe("the sandbox", () => {
  it("served the OAuth and user endpoints within GitHub's OpenAPI description", () => {
    expect(world.sandbox.server.violations).toEqual([]);
    const ops = new Set(world.sandbox.server.log.map((e) => e.operationId));
    expect(ops).toContain("apps/list-installations-for-authenticated-user");
    expect(ops).toContain("apps/list-installation-repos-for-authenticated-user");
    expect(ops).toContain("users/get-authenticated");
  });
});

describe("without OAuth configured", () => {
  it("offers no sign-in and shows health only", async () => {
    const w = await startStatusWorld({ oauth: false });
    try {
      const html = await (await fetch(`${w.url}/`)).text();
      expect(html).toContain("Sign-in is not configured");
      expect((await fetch(`${w.url}/status/login`)).status).toBe(404);
      expect((await fetch(`${w.url}/api/monobot/status/deploys`)).status).toBe(401);
    } finally {
      await w.close();
    }
  });
});
