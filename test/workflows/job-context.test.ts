// The event a job's delivery id comes from: the jobs of one webhook share it, other jobs stand alone.
import { describe, expect, it } from "vitest";
import { eventDeliveryOf } from "../../src/workflows/job-context.js";

const GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

describe("eventDeliveryOf", () => {
  it.each([
    [GUID, GUID],
    [`${GUID}:deploy-gate`, GUID],
    [`${GUID}.secrets`, GUID],
    [`${GUID}/deploy-scan`, GUID],
    [`${GUID}#12`, GUID],
    [`${GUID.toUpperCase()}:deploy-gate`, GUID],
    // Jobs of no webhook are events of their own: two timers never share a read.
    [
      "deploy-gate@2026-12-05T17:00:00.000Z:acme/config#3",
      "deploy-gate@2026-12-05T17:00:00.000Z:acme/config#3",
    ],
    ["callback:1234:success", "callback:1234:success"],
    [`${GUID}x`, `${GUID}x`],
  ])("%s -> %s", (id, event) => {
    expect(eventDeliveryOf(id)).toBe(event);
  });
});
