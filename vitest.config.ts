import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The end-to-end files mostly wait on Probot's spacing of writes: run a few side by side.
    maxWorkers: 3,
  },
});
