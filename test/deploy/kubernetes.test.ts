// The Kubernetes manifests in deploy/kubernetes/: every document parses, passes the Kubernetes
// OpenAPI schemas (kubernetes-models, Kubernetes 1.27), names no field those schemas lack (a
// TypeScript check of each document against the models' types: kubectl's --validate=strict), and
// has what monobot needs: probes on /healthz and /readyz, the journal's volume at
// MONOBOT_STATE_DIR with one replica, non-root, resources.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigMap, PersistentVolumeClaim, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment, StatefulSet } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import ts from "typescript";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DIR = join(ROOT, "deploy/kubernetes");
const FILES = ["journal.yaml", "redis-replicas.yaml", "redis.yaml"];

type Doc = { apiVersion: string; kind: string; metadata?: { name?: string } } & Record<
  string,
  unknown
>;

/** The model of each kind the manifests use: its schema validator and its TypeScript type. */
const MODELS: Record<string, { validate(doc: Doc): void; type: [string, string] }> = {
  "v1/ServiceAccount": {
    validate: (d) => new ServiceAccount(d as never).validate(),
    type: ["kubernetes-models/v1/ServiceAccount", "IServiceAccount"],
  },
  "v1/PersistentVolumeClaim": {
    validate: (d) => new PersistentVolumeClaim(d as never).validate(),
    type: ["kubernetes-models/v1/PersistentVolumeClaim", "IPersistentVolumeClaim"],
  },
  "v1/Service": {
    validate: (d) => new Service(d as never).validate(),
    type: ["kubernetes-models/v1/Service", "IService"],
  },
  "v1/ConfigMap": {
    validate: (d) => new ConfigMap(d as never).validate(),
    type: ["kubernetes-models/v1/ConfigMap", "IConfigMap"],
  },
  "apps/v1/Deployment": {
    validate: (d) => new Deployment(d as never).validate(),
    type: ["kubernetes-models/apps/v1/Deployment", "IDeployment"],
  },
  "apps/v1/StatefulSet": {
    validate: (d) => new StatefulSet(d as never).validate(),
    type: ["kubernetes-models/apps/v1/StatefulSet", "IStatefulSet"],
  },
  "policy/v1/PodDisruptionBudget": {
    validate: (d) => new PodDisruptionBudget(d as never).validate(),
    type: ["kubernetes-models/policy/v1/PodDisruptionBudget", "IPodDisruptionBudget"],
  },
};

function load(file: string): Doc[] {
  const docs = parseAllDocuments(readFileSync(join(DIR, file), "utf8"));
  return docs.map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${file} document ${i + 1}: ${d.errors[0]?.message}`);
    return d.toJS() as Doc;
  });
}

/**
 * TypeScript's excess-property check over each document as an object literal of its model's
 * type: a field the schema does not have (a typo, a wrong level) is an error naming it.
 */
function unknownFields(docs: { file: string; doc: Doc }[]): string[] {
  const imports = new Map<string, string>();
  const lines: string[] = [];
  docs.forEach(({ doc }, i) => {
    const [module, type] = MODELS[`${doc.apiVersion}/${doc.kind}`]?.type ?? [];
    if (!module || !type) return;
    imports.set(type, module);
    lines.push(`export const doc${i}: ${type} = ${JSON.stringify(doc)};`);
  });
  const header = [...imports].map(([t, m]) => `import type { ${t} } from "${m}";`);
  const virtual = join(ROOT, "test/deploy/__manifests__.ts");
  const text = [...header, ...lines].join("\n");
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === virtual ? ts.createSourceFile(name, text, version) : read(name, version, ...rest);
  const exists = host.fileExists.bind(host);
  host.fileExists = (name) => name === virtual || exists(name);
  const program = ts.createProgram([virtual], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const index = line - header.length;
    const where = docs[index] ? `${docs[index].file} ${docs[index].doc.kind}` : "manifests";
    return `${where}: ${message}`;
  });
}

interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  envFrom?: { secretRef?: { name: string } }[];
  volumeMounts?: { name: string; mountPath: string }[];
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}

interface PodSpec {
  containers: Container[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
}

interface Workload {
  spec: {
    replicas?: number;
    strategy?: { type?: string };
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const env = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

/** The monobot container of a Deployment, and the checks every monobot pod must pass. */
function monobotPod(deployment: Doc): { pod: PodSpec; container: Container } {
  const { spec } = deployment as unknown as Workload;
  const pod = spec.template.spec;
  const container = pod.containers.find((c) => c.name === "monobot");
  if (!container) throw new Error(`${deployment.metadata?.name}: no container named monobot`);
  const port = Number(env(container, "PORT") ?? "3000");
  const portOf = (p: string | number) =>
    typeof p === "number" ? p : container.ports?.find((x) => x.name === p)?.containerPort;
  expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
  expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
  for (const probe of [container.livenessProbe, container.readinessProbe, container.startupProbe])
    if (probe?.httpGet) expect(portOf(probe.httpGet.port)).toBe(port);
  expect(pod.securityContext?.runAsNonRoot).toBe(true);
  expect(pod.securityContext?.runAsUser).not.toBe(0);
  expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
  expect(container.resources?.requests?.cpu).toBeDefined();
  expect(container.resources?.requests?.memory).toBeDefined();
  expect(container.resources?.limits?.memory).toBeDefined();
  // SIGTERM's drain must fit in the grace period, or the kubelet kills the work half-way.
  const drain = Number(env(container, "MONOBOT_DRAIN_SECONDS") ?? "25");
  expect(pod.terminationGracePeriodSeconds ?? 30).toBeGreaterThan(drain);
  // The App's credentials come from a Secret, never from the manifest.
  expect(container.envFrom?.some((e) => e.secretRef)).toBe(true);
  for (const secret of ["PRIVATE_KEY", "WEBHOOK_SECRET", "MONOBOT_SEALING_KEY", "REDIS_URL"])
    expect(env(container, secret)).toBeUndefined();
  expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
  return { pod, container };
}

describe("deploy/kubernetes", () => {
  const all = FILES.flatMap((file) => load(file).map((doc) => ({ file, doc })));

  it.each(all.map(({ file, doc }) => [file, doc.kind, doc.metadata?.name, doc] as const))(
    "%s: %s %s passes the Kubernetes schema",
    (_file, _kind, _name, doc) => {
      const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(model, `${doc.apiVersion} ${doc.kind} has no model in this test`).toBeDefined();
      expect(() => model?.validate(doc)).not.toThrow();
    },
  );

  it("names no field the Kubernetes types lack", () => {
    expect(unknownFields(all)).toEqual([]);
  });

  it("the checks catch a broken manifest (a wrong type, an unknown field)", () => {
    const [deployment] = byKind(load("journal.yaml"), "Deployment") as [Doc];
    const wrong = structuredClone(deployment) as unknown as Workload;
    (wrong.spec as Record<string, unknown>).replicas = "one";
    expect(() => MODELS["apps/v1/Deployment"]?.validate(wrong as unknown as Doc)).toThrow(
      /replicas must be integer/,
    );
    const typo = structuredClone(deployment) as unknown as Workload;
    (typo.spec as Record<string, unknown>).strategy = { typ: "Recreate" };
    const problems = unknownFields([{ file: "journal.yaml", doc: typo as unknown as Doc }]);
    expect(problems).toEqual([
      `journal.yaml Deployment: Object literal may only specify known properties, and '"typ"' does not exist in type 'IDeploymentStrategy'.`,
    ]);
  });

  it("journal mode: one replica, Recreate, the volume mounted at MONOBOT_STATE_DIR", () => {
    const docs = load("journal.yaml");
    const [deployment] = byKind(docs, "Deployment") as [Doc];
    const { spec } = deployment as unknown as Workload;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy?.type).toBe("Recreate");
    const { pod, container } = monobotPod(deployment);
    const stateDir = env(container, "MONOBOT_STATE_DIR");
    expect(stateDir).toMatch(/^\//);
    const mount = container.volumeMounts?.find((m) => m.mountPath === stateDir);
    const volume = pod.volumes?.find((v) => v.name === mount?.name);
    const claims = byKind(docs, "PersistentVolumeClaim").map((c) => c.metadata?.name);
    expect(claims).toContain(volume?.persistentVolumeClaim?.claimName);
    // The image runs as `node` (uid 1000): fsGroup makes the volume its own.
    expect(pod.securityContext?.fsGroup).toBe(pod.securityContext?.runAsGroup);
    expect(env(container, "REDIS_URL")).toBeUndefined();
  });

  it("Redis mode: several replicas, no journal volume, every replica runs the scheduler", () => {
    const docs = load("redis-replicas.yaml");
    const [deployment] = byKind(docs, "Deployment") as [Doc];
    const { spec } = deployment as unknown as Workload;
    expect(spec.replicas).toBeGreaterThanOrEqual(2);
    const { pod, container } = monobotPod(deployment);
    expect(pod.volumes?.some((v) => v.persistentVolumeClaim)).toBe(false);
    expect(env(container, "MONOBOT_SCHEDULER")).toBeUndefined();
    const [budget] = byKind(docs, "PodDisruptionBudget") as [Doc];
    expect((budget as unknown as Workload).spec.selector.matchLabels).toEqual(
      spec.selector.matchLabels,
    );
  });

  it("the Services reach the monobot pods' named port", () => {
    for (const file of ["journal.yaml", "redis-replicas.yaml"]) {
      const docs = load(file);
      const [deployment] = byKind(docs, "Deployment") as [Doc];
      const { spec } = deployment as unknown as Workload;
      const [service] = byKind(docs, "Service") as [Doc];
      const s = service as unknown as {
        spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
      };
      expect(spec.template.metadata.labels).toMatchObject(s.spec.selector);
      const names = spec.template.spec.containers.flatMap((c) => c.ports?.map((p) => p.name));
      for (const p of s.spec.ports) expect(names).toContain(p.targetPort);
    }
  });

  it("the Redis keeps an append-only file on its volume and never evicts", () => {
    const docs = load("redis.yaml");
    const [config] = byKind(docs, "ConfigMap") as [Doc];
    const conf = (config as unknown as { data: Record<string, string> }).data["redis.conf"] ?? "";
    expect(conf).toMatch(/^appendonly yes$/m);
    expect(conf).toMatch(/^maxmemory-policy noeviction$/m);
    const dir = /^dir (\S+)$/m.exec(conf)?.[1];
    const [set] = byKind(docs, "StatefulSet") as [Doc];
    const pod = (set as unknown as Workload).spec.template.spec;
    const mounts = pod.containers.flatMap((c) => c.volumeMounts ?? []);
    const claims = (
      set as unknown as { spec: { volumeClaimTemplates: { metadata: { name: string } }[] } }
    ).spec.volumeClaimTemplates.map((t) => t.metadata.name);
    expect(claims).toContain(mounts.find((m) => m.mountPath === dir)?.name);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
  });

  it("every variable the manifests set is one monobot documents", () => {
    // The operations guide lists every variable; the README links to it.
    const readme = readFileSync(join(ROOT, "docs", "operations.md"), "utf8");
    const names = all
      .filter(({ doc }) => doc.kind === "Deployment")
      .flatMap(({ doc }) => monobotPod(doc).container.env?.map((e) => e.name) ?? []);
    expect(names.length).toBeGreaterThan(0);
    for (const name of new Set(names)) expect(readme, name).toContain(`\`${name}\``);
  });
});
