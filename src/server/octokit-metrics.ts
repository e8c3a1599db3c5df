// An Octokit plugin counting GitHub API requests by method and status for /metrics.
import type { Octokit } from "@octokit/core";
import type { Metrics } from "./metrics.js";

export function metricsPlugin(metrics: Metrics) {
  return (octokit: Octokit): void => {
    octokit.hook.after("request", (response, options) => {
      metrics.githubRequests.inc({ method: options.method, status: String(response.status) });
    });
    octokit.hook.error("request", (error, options) => {
      const status = (error as { status?: number }).status;
      metrics.githubRequests.inc({
        method: options.method,
        status: status ? String(status) : "network",
      });
      throw error;
    });
  };
}
