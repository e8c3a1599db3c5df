// The status page in a real browser (Debian's Chromium through playwright-core): sign-in, isolation, live refresh.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDeployPull, startStatusWorld, type StatusWorld } from "../status/world.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

if (!existsSync(CHROMIUM)) {
  const why = `Chromium is missing at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`;
  // In CI a missing browser is a failure, never a silent skip.
  if (process.env.CI) throw new Error(why);
  process.stderr.write(`test/browser: ${why}; skipped outside CI\n`);
}

const dirs: string[] = [];
const contexts: BrowserContext[] = [];
let world: StatusWorld;

/** A fresh browser profile (its own empty --user-data-dir), signed in as `login`. */
async function signedIn(login: string): Promise<Page> {
  const dir = mkdtempSync(join(tmpdir(), "monobot-chromium-"));
  dirs.push(dir);
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
  });
  contexts.push(context);
  const page = context.pages()[0] ?? (await context.newPage());
  world.sandbox.signInAs(login);
  await page.goto(world.url);
  await page.getByTestId("sign-in").click();
  await page.waitForURL(`${world.url}/`);
  await expect.poll(() => page.getByTestId("viewer").textContent()).toContain(login);
  return page;
}

describe.skipIf(!existsSync(CHROMIUM))("status page in Chromium", () => {
  beforeAll(async () => {
    world = await startStatusWorld();
    await openDeployPull(world);
    world.activity.record(
      { handler: "pull-request", deliveryId: "d1", key: "carol/notes#1" },
      "success",
      320,
    );
    world.activity.record(
      { handler: "push", deliveryId: "d2", key: "dave/tools@refs/heads/main" },
      "error",
      1800,
      new Error("GitHub answered 502 Bad Gateway"),
    );
  }, 60_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    await world?.close();
  });

  it("shows each signed-in user only their repositories", async () => {
    const carol = await signedIn("carol");
    const dave = await signedIn("dave");
    const carolText = (await carol.locator("main").textContent()) ?? "";
    const daveText = (await dave.locator("main").textContent()) ?? "";
    expect(carolText).toContain("carol/notes");
    expect(carolText).not.toContain("dave/tools");
    expect(daveText).toContain("dave/tools");
    expect(daveText).not.toContain("carol/notes");
    // Neither is an operator: no activity view.
    expect(await carol.locator('[data-view="activity"]').count()).toBe(0);
  }, 60_000);

  it("agrees with its JSON twin", async () => {
    const carol = await signedIn("carol");
    const res = await carol.request.get(`${world.url}/api/monobot/status/schedule`);
    expect(res.status()).toBe(200);
    const json = (await res.json()) as { data: { fires: { at: string; repository: string }[] } };
    const rows = await carol
      .locator('[data-view="schedule"] table')
      .first()
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.querySelector("time")?.getAttribute("datetime"),
          tr.querySelectorAll("td")[1]?.textContent,
        ]),
      );
    expect(rows).toEqual(json.data.fires.map((f) => [f.at, f.repository]));
  }, 60_000);

  it("refreshes itself without a reload, and keeps a screenshot", async () => {
    const opal = await signedIn("opal");
    await opal.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    expect(await opal.getByTestId("queue-depth").textContent()).toBe("0");
    world.queued.size = 3;
    world.queued.oldestMs = 4200;
    world.activity.record(
      { handler: "ci-result", deliveryId: "live", key: "carol/notes#7" },
      "success",
      95,
    );
    await expect
      .poll(() => opal.getByTestId("queue-depth").textContent(), { timeout: 15_000 })
      .toBe("3");
    await expect
      .poll(() => opal.locator('[data-view="activity"] tbody tr').first().textContent(), {
        timeout: 15_000,
      })
      .toContain("ci-result");
    expect(
      await opal.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    mkdirSync(ARTIFACTS, { recursive: true });
    await opal.screenshot({ path: join(ARTIFACTS, "status-page.png"), fullPage: true });
    const carol = await signedIn("carol");
    await carol.screenshot({ path: join(ARTIFACTS, "status-page-carol.png"), fullPage: true });
    expect(existsSync(join(ARTIFACTS, "status-page.png"))).toBe(true);
  }, 60_000);

  it("updates the matrix live after a merge, agrees with its JSON, keeps filters in the URL", async () => {
    const alice = await signedIn("alice");
    await alice.goto(`${world.url}/?repository=acme/config#view-environments`);
    await alice.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const webDev = alice.locator(
      '[data-view="environments"] tr[data-component="web"] td[data-env="dev"]',
    );
    expect(await webDev.locator(".version").textContent()).toBe("1.3.0");
    // What waits is listed before the matrix.
    const order = await alice
      .locator('[data-view="environments"]')
      .evaluate((s) =>
        [...s.querySelectorAll('[data-testid="waiting"], table.matrix')].map((e) => e.tagName),
      );
    expect(order).toEqual(["DIV", "TABLE"]);

    // A promotion PR merges: the store gets a new board, the open page shows it without a reload.
    world.boards.update("acme/config", "web", "dev", {
      version: "1.4.0",
      state: "verifying",
      since: new Date().toISOString(),
      pull: { number: 43, url: "https://github.com/acme/config/pull/43" },
    });
    await expect
      .poll(() => webDev.locator(".version").textContent(), { timeout: 15_000 })
      .toBe("1.4.0");
    expect(await webDev.locator(".badge").textContent()).toBe("verifying");
    expect(
      await alice.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded),
    ).toBe(true);
    expect(new URL(alice.url()).searchParams.get("repository")).toBe("acme/config");

    const res = await alice.request.get(
      `${world.url}/api/monobot/status/environments?repository=acme/config`,
    );
    const json = (await res.json()) as {
      data: {
        boards: { rows: { component: string; cells: ({ version?: string } | null)[] }[] }[];
      };
    };
    const fromJson = (json.data.boards[0]?.rows ?? []).map((r) => [
      r.component,
      ...r.cells.map((c) => c?.version ?? "not deployed"),
    ]);
    const fromPage = await alice
      .locator('[data-view="environments"] table.matrix tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [
          tr.getAttribute("data-component"),
          ...[...tr.querySelectorAll("td")].map(
            (td) => td.querySelector(".version")?.textContent ?? td.textContent,
          ),
        ]),
      );
    expect(fromPage).toEqual(fromJson);
    expect(fromPage[0]).toEqual(["web", "1.4.0", "1.2.0", "1.2.0"]);

    mkdirSync(ARTIFACTS, { recursive: true });
    await alice.screenshot({
      path: join(ARTIFACTS, "status-page-environments.png"),
      fullPage: true,
    });

    // Choosing a filter navigates to a bookmarkable URL.
    await alice.locator('select[name="environment"]').selectOption("production");
    await alice.waitForURL(/environment=production/);
    expect(await alice.locator("table.matrix thead th").allTextContents()).toEqual([
      "component",
      "production",
    ]);

    // A capped matrix says how much it shows and links to the next rows, filters kept.
    await alice.goto(`${world.url}/?environment=staging&rows=1`);
    expect(await alice.locator("table.matrix tbody tr").count()).toBe(1);
    expect(await alice.locator(".more").textContent()).toContain("Showing 1 of 3 components");
    await alice.getByTestId("show-more").click();
    await alice.waitForURL(/rows=51/);
    expect(new URL(alice.url()).searchParams.get("environment")).toBe("staging");
    expect(await alice.locator("table.matrix tbody tr").count()).toBe(3);
  }, 60_000);
});
