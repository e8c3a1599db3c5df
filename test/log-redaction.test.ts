// Log lines pass through the secret rules before they are written: messages, fields and errors.
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { redactingDestination } from "../src/log.js";

// Fake credentials assembled at run time, so this file holds nothing that looks like a secret.
const TOKEN = "gh" + "p_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4";
const STRIPE = "sk" + "_live_" + "Zx8Cv7Bn6Mq5Wr4Et3Yu2Io1Pa0Sd";
const DB_PASSWORD = "Vb7Nm3Kq9Lz2Xw5R";

describe("the redacting log destination", () => {
  it("masks secrets in messages, bound fields and error stacks", () => {
    const lines: string[] = [];
    const log = pino({ name: "monobot" }, redactingDestination({ write: (l) => lines.push(l) }));
    const child = log.child({ url: `postgres://app:${DB_PASSWORD}@db:5432/app` });
    child.info(`pushing with ${TOKEN}`);
    child.error({ err: new Error(`Stripe said no to ${STRIPE}`) }, "payment setup failed");
    const text = lines.join("");
    expect(lines).toHaveLength(2);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(STRIPE.slice(8));
    expect(text).not.toContain(DB_PASSWORD);
    expect(text).toContain("ghp_****");
    expect(text).toContain("sk_live_****");
    expect(text).toContain("postgres://app:****@db:5432/app");
    expect(text).toContain("payment setup failed");
  });

  it("leaves a line without secrets as it was", () => {
    const lines: string[] = [];
    const log = pino(
      { base: null, timestamp: false },
      redactingDestination({ write: (l) => lines.push(l) }),
    );
    log.info({ delivery: "abc-123", pr: 42 }, "check run posted");
    expect(JSON.parse(lines[0] ?? "{}")).toEqual({
      level: 30,
      delivery: "abc-123",
      pr: 42,
      msg: "check run posted",
    });
  });
});
