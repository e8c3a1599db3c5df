// A realistic GitOps config repo for the deploy tests: service charts, umbrellas (file://, embedded, Helm 2,
// a chart repository), comments, flow style, quoted values, CRLF and odd indentation; plus line diffs.

const lines = (...l: string[]) => l.join("\n");
const crlf = (...l: string[]) => l.join("\r\n");

/** Files of acme/aether-config at its default branch. */
export function configRepo(): Record<string, string> {
  return {
    "README.md": "# aether-config\n",
    "charts/roc-api/Chart.yaml": lines(
      "# roc-api: the ROC REST API",
      "apiVersion: v2",
      "name: roc-api",
      "description: ROC API service",
      "type: application",
      "version: 0.4.1   # bumped by monobot",
      'appVersion: "1.2.3"',
      "",
    ),
    "charts/roc-api/values.yaml": lines(
      "# Default values for roc-api.",
      "replicaCount: 2",
      "",
      "image:",
      "  repository: ghcr.io/acme/roc-api",
      "  # The tag is written by monobot on each release.",
      "  tag: 1.2.3  # roc-api release",
      "  pullPolicy: IfNotPresent",
      "",
      "service: {type: ClusterIP, port: 8080}",
      "",
    ),
    "charts/roc-api/templates/deployment.yaml":
      "image: {{ .Values.image.repository }}:{{ .Values.image.tag }}\n",
    "charts/roc-web/Chart.yaml": lines("apiVersion: v2", "name: roc-web", "version: 0.2.7", ""),
    "charts/roc-web/values.yaml": lines(
      "image: {repository: ghcr.io/acme/roc-web, tag: '2.0.1'}",
      "ingress:",
      "     enabled: true",
      "",
    ),
    // The umbrella: packages roc-api (exact pin) and roc-web (a range), takes redis from a repository.
    "charts/aether/Chart.yaml": lines(
      "apiVersion: v2",
      "name: aether",
      "description: Aether control plane",
      "version: 1.4.0",
      "dependencies:",
      "  - name: roc-api",
      "    version: 0.4.1",
      '    repository: "file://../roc-api"',
      "  - name: roc-web",
      "    version: ^0.2.0",
      "    repository: file://../roc-web",
      "  - name: redis",
      "    version: 17.x",
      "    repository: https://charts.bitnami.com/bitnami",
      "    condition: redis.enabled",
      "",
    ),
    "charts/aether/values.yaml": lines("redis:", "  enabled: true", ""),
    // Embedded under aether/charts/, not listed in dependencies: packaged into aether anyway.
    "charts/aether/charts/metrics-agent/Chart.yaml": lines(
      "apiVersion: v2",
      "name: metrics-agent",
      "version: 0.1.0",
      "",
    ),
    "charts/aether/charts/metrics-agent/values.yaml": lines("image:", '  tag: "0.9.0"', ""),
    // A Helm 2 chart (apiVersion v1) with requirements.yaml, CRLF line endings.
    "charts/legacy/Chart.yaml": crlf("apiVersion: v1", "name: legacy", "version: 0.9.0", ""),
    "charts/legacy/requirements.yaml": crlf(
      "dependencies:",
      "- name: roc-api",
      '  version: "=0.4.1"',
      "  repository: file://../roc-api",
      "",
    ),
    // The root: aether (a range that admits patch versions) and legacy.
    "charts/platform/Chart.yaml": lines(
      "apiVersion: v2",
      "name: platform",
      "version: 2.0.0",
      "dependencies:",
      "- name: aether",
      "  version: ~1.4.0",
      "  repository: file://../aether",
      "- name: legacy",
      "  version: 0.9.0",
      "  repository: file://../legacy",
      "",
    ),
    // platform's values override the tag roc-api gets through aether.
    "charts/platform/values.yaml": lines(
      "aether:",
      "  roc-api:",
      "    image:",
      "      tag: 1.2.3",
      "legacy: {}",
      "",
    ),
  };
}

/** A chart that takes roc-api from a chart repository: its pin can only move once roc-api is published. */
export function withEdge(files: Record<string, string>): Record<string, string> {
  return {
    ...files,
    "charts/edge/Chart.yaml": lines(
      "apiVersion: v2",
      "name: edge",
      "version: 3.1.0",
      "dependencies:",
      "  - name: roc-api",
      "    version: 0.4.x",
      "    repository: oci://ghcr.io/acme/charts",
      "",
    ),
  };
}

/** Changed lines of one file: `-old` and `+new` per line (in place), or the differing middle. */
export function lineDiff(before: string, after: string): string[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length === b.length) {
    const out: string[] = [];
    a.forEach((line, i) => {
      if (line !== b[i]) out.push(`${i + 1}: -${line}`, `${i + 1}: +${b[i] ?? ""}`);
    });
    return out;
  }
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  return [
    ...a.slice(head, a.length - tail).map((l, i) => `${head + i + 1}: -${l}`),
    ...b.slice(head, b.length - tail).map((l, i) => `${head + i + 1}: +${l}`),
  ];
}

/** Fleet bundles of the config repo: the platform umbrella to every group, roc-api alone to canaries. */
export function fleetFiles(): Record<string, string> {
  return {
    "fleet/aether/fleet.yaml": [
      "# Deploys the platform umbrella; clusters carry the labels below.",
      "defaultNamespace: aether",
      "helm:",
      "  releaseName: platform",
      "  chart: ../../charts/platform",
      "  values:",
      "    aether:",
      "      redis:",
      "        enabled: true",
      "targetCustomizations:",
      "  - name: staging",
      "    clusterGroup: staging",
      "  - name: production-eu",
      "    clusterSelector:",
      "      matchLabels:",
      "        env: production",
      "        region: eu-west-1",
      "  - name: production-us",
      "    clusterGroupSelector:",
      "      matchExpressions:",
      "        - key: region",
      "          operator: In",
      "          values: [us-east-1, us-west-2]",
      "    helm:",
      "      values:",
      "        aether:",
      "          roc-api:",
      "            image:",
      "              tag: 1.2.3   # held back until INC-7 closes",
      "  - name: lab",
      "    clusterName: lab-01",
      "    doNotDeploy: true",
      "",
    ].join("\n"),
    "fleet/redis/fleet.yaml": [
      "helm:",
      "  repo: https://charts.bitnami.com/bitnami",
      "  chart: redis",
      "  version: 17.11.3",
      "",
    ].join("\n"),
    "fleet/roc-api-canary/fleet.yaml": [
      "helm:",
      "  chart: ../../charts/roc-api",
      "targetCustomizations:",
      "- name: canary",
      "  clusterSelector:",
      "    matchLabels: {canary: 'true'}",
      "    matchExpressions:",
      "    - {key: quarantine, operator: DoesNotExist}",
      "",
    ].join("\n"),
  };
}
