import type { V1Pod } from "@kubernetes/client-node";
import jsonPatch from "fast-json-patch";
import { describe, expect, it } from "vitest";
import { decideInjection, injectionPatch, injectSidecar, readSidecarAnnotations } from "./injection.js";

const settings = { sidecarImage: "ghcr.io/mcpscope/sidecar:0.1.0", nativeSidecars: true };

function pod(annotations: Record<string, string> = {}, port = 3001): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "weather-abc", labels: { app: "weather" }, annotations },
    spec: { containers: [{ name: "server", image: "weather:1", ports: [{ containerPort: port }] }] },
  };
}

describe("decideInjection", () => {
  it("injects a pod annotated mcpscope.dev/inject: true", () => {
    expect(decideInjection(pod({ "mcpscope.dev/inject": "true" }), {})).toEqual({ inject: true });
  });

  it("injects every pod of a namespace labelled mcpscope.dev/inject=enabled unless the pod opts out", () => {
    expect(decideInjection(pod(), { "mcpscope.dev/inject": "enabled" })).toEqual({ inject: true });
    expect(decideInjection(pod({ "mcpscope.dev/inject": "false" }), { "mcpscope.dev/inject": "enabled" })).toEqual({
      inject: false,
      reason: "opted out by annotation",
    });
  });

  it("leaves an unannotated pod alone", () => {
    expect(decideInjection(pod(), {})).toEqual({ inject: false, reason: "not requested" });
  });

  it("does not inject twice", () => {
    const once = injectSidecar(pod({ "mcpscope.dev/inject": "true" }), settings);
    expect(decideInjection(once, {})).toEqual({ inject: false, reason: "already injected" });
  });

  it("refuses a bad annotation value with a warning", () => {
    expect(decideInjection(pod({ "mcpscope.dev/inject": "yes" }), {})).toEqual({
      inject: false,
      reason: "bad annotation",
      warning: 'mcpscope.dev/inject must be "true" or "false", got "yes"; not injected',
    });
  });
});

describe("readSidecarAnnotations", () => {
  it("defaults the upstream port to the first containerPort and the name to the app label", () => {
    expect(readSidecarAnnotations(pod())).toEqual({
      upstreamPort: 3001,
      upstreamPath: "/mcp",
      serverName: "weather",
      transport: "streamable-http",
      sidecarPort: 4000,
      metricsPort: 9464,
      resources: { requests: {}, limits: {} },
      slo: {},
    });
  });

  it.each([
    [{ "mcpscope.dev/upstream-port": "http" }, 'mcpscope.dev/upstream-port must be a port number 1-65535, got "http"'],
    [{ "mcpscope.dev/upstream-path": "mcp" }, 'mcpscope.dev/upstream-path must start with /, got "mcp"'],
    [
      { "mcpscope.dev/server-name": "my server" },
      `mcpscope.dev/server-name must be 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit, got "my server"`,
    ],
    [{ "mcpscope.dev/transport": "ws" }, 'mcpscope.dev/transport must be streamable-http or sse, got "ws"'],
  ])("explains a bad annotation %j", (annotations, message) => {
    expect(() => readSidecarAnnotations(pod(annotations))).toThrow(message);
  });
});

describe("injectSidecar and injectionPatch", () => {
  it("adds a native sidecar (initContainer, restartPolicy Always) configured from annotations", () => {
    const original = pod({
      "mcpscope.dev/inject": "true",
      "mcpscope.dev/server-name": "wx",
      "mcpscope.dev/upstream-port": "8080",
    });
    const mutated = injectSidecar(original, settings);
    const sidecar = mutated.spec?.initContainers?.[0];
    expect(sidecar?.restartPolicy).toBe("Always");
    expect(sidecar?.env?.find((e) => e.name === "MCP_UPSTREAM_URL")?.value).toBe("http://127.0.0.1:8080");
    expect(sidecar?.env?.find((e) => e.name === "MCP_UPSTREAM_NAME")?.value).toBe("wx");
    expect(mutated.metadata?.annotations?.["mcpscope.dev/injected"]).toBe("true");
    expect(original.spec?.initContainers).toBeUndefined();
  });

  it("adds a regular container where native sidecars are not available", () => {
    const mutated = injectSidecar(pod({ "mcpscope.dev/inject": "true" }), { ...settings, nativeSidecars: false });
    expect(mutated.spec?.containers.map((c) => c.name)).toEqual(["server", "mcpscope-sidecar"]);
  });

  it("refuses when the sidecar's port is taken by the pod or the two sidecar ports clash", () => {
    expect(() => injectSidecar(pod({ "mcpscope.dev/inject": "true" }, 4000), settings)).toThrow(
      "the server's port 4000 is the sidecar's; set mcpscope.dev/sidecar-port or mcpscope.dev/metrics-port",
    );
    expect(() =>
      injectSidecar(pod({ "mcpscope.dev/inject": "true", "mcpscope.dev/sidecar-port": "9464" }), settings),
    ).toThrow("mcpscope.dev/sidecar-port and mcpscope.dev/metrics-port must differ, both are 9464");
  });

  it("keeps an app's own prometheus.io annotations, and takes the sidecar's resources from annotations", () => {
    const mutated = injectSidecar(
      pod({
        "mcpscope.dev/inject": "true",
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "8080",
        "mcpscope.dev/sidecar-memory-limit": "192Mi",
        "mcpscope.dev/sidecar-cpu-limit": "300m",
      }),
      settings,
    );
    expect(mutated.metadata?.annotations).toMatchObject({ "prometheus.io/port": "8080" });
    const sidecar = [...(mutated.spec?.initContainers ?? []), ...(mutated.spec?.containers ?? [])].find(
      (c) => c.name === "mcpscope-sidecar",
    );
    expect(sidecar?.resources?.limits).toEqual({ memory: "192Mi", cpu: "300m" });
    expect(() =>
      injectSidecar(pod({ "mcpscope.dev/inject": "true", "mcpscope.dev/sidecar-memory-limit": "lots" }), settings),
    ).toThrow('mcpscope.dev/sidecar-memory-limit must be a quantity such as 100m or 128Mi, got "lots"');
  });

  it("produces a JSON patch that turns the original into the mutated pod", () => {
    const original = pod({ "mcpscope.dev/inject": "true" });
    const mutated = injectSidecar(original, settings);
    const patch = injectionPatch(original, mutated);
    expect(jsonPatch.applyPatch(structuredClone(original), patch).newDocument).toEqual(mutated);
  });
});

describe("SLO annotations (mcpscope.dev/slo-*)", () => {
  const sidecarEnvOf = (p: V1Pod) =>
    Object.fromEntries(
      (p.spec?.initContainers?.find((c) => c.name === "mcpscope-sidecar")?.env ?? []).map((e) => [e.name, e.value]),
    );
  const sloKeys = (env: Record<string, string | undefined>) =>
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith("MCP_SLO_")));

  it("gives the sidecar the annotated objectives as its MCP_SLO_* env", () => {
    const injected = injectSidecar(
      pod({
        "mcpscope.dev/inject": "true",
        "mcpscope.dev/slo-availability": "99.5",
        "mcpscope.dev/slo-latency-threshold": "300ms",
        "mcpscope.dev/slo-latency-objective": "99",
      }),
      { ...settings, sloDefaults: { availability: "99.9" } },
    );
    expect(sloKeys(sidecarEnvOf(injected))).toEqual({
      MCP_SLO_AVAILABILITY: "99.5",
      MCP_SLO_LATENCY_THRESHOLD: "300ms",
      MCP_SLO_LATENCY_OBJECTIVE: "99",
    });
  });

  it("gives a pod that annotates none the installation's defaults, and one objective keeps the other's default", () => {
    const defaults = { availability: "99.9", latency: { threshold: "1s", objective: "95" } };
    const plain = injectSidecar(pod({ "mcpscope.dev/inject": "true" }), { ...settings, sloDefaults: defaults });
    expect(sloKeys(sidecarEnvOf(plain))).toEqual({
      MCP_SLO_AVAILABILITY: "99.9",
      MCP_SLO_LATENCY_THRESHOLD: "1s",
      MCP_SLO_LATENCY_OBJECTIVE: "95",
    });
    const own = injectSidecar(pod({ "mcpscope.dev/inject": "true", "mcpscope.dev/slo-availability": "90" }), {
      ...settings,
      sloDefaults: defaults,
    });
    expect(sloKeys(sidecarEnvOf(own))).toMatchObject({ MCP_SLO_AVAILABILITY: "90", MCP_SLO_LATENCY_THRESHOLD: "1s" });
    expect(sloKeys(sidecarEnvOf(injectSidecar(pod({ "mcpscope.dev/inject": "true" }), settings)))).toEqual({});
  });

  it.each([
    [
      { "mcpscope.dev/slo-availability": "100" },
      'mcpscope.dev/slo-availability must be a percent strictly between 0 and 100, such as "99.9", got "100"',
    ],
    [
      { "mcpscope.dev/slo-latency-threshold": "fast", "mcpscope.dev/slo-latency-objective": "99" },
      'mcpscope.dev/slo-latency-threshold must be a positive duration such as "500ms", "1.5s" or "2m", got "fast"',
    ],
    [
      { "mcpscope.dev/slo-latency-threshold": "500ms", "mcpscope.dev/slo-latency-objective": "0" },
      'mcpscope.dev/slo-latency-objective must be a percent strictly between 0 and 100, such as "99.9", got "0"',
    ],
    [
      { "mcpscope.dev/slo-latency-objective": "99" },
      "mcpscope.dev/slo-latency-objective needs mcpscope.dev/slo-latency-threshold too: a latency objective is a threshold and a percent",
    ],
  ])(
    "refuses a bad value with a readable reason (the webhook then admits the pod untouched, with a warning and an Event): %j",
    (annotations, message) => {
      expect(() => injectSidecar(pod({ "mcpscope.dev/inject": "true", ...annotations }), settings)).toThrow(message);
    },
  );
});

describe("mcpscope.dev/replica-peers", () => {
  it("turns session routing on: the pod IP from the downward API, the named headless Service in the pod's namespace", () => {
    const mutated = injectSidecar(
      pod({ "mcpscope.dev/inject": "true", "mcpscope.dev/replica-peers": "weather-peers" }),
      settings,
      undefined,
      "team-a",
    );
    const env = mutated.spec?.initContainers?.[0]?.env ?? [];
    expect(env).toContainEqual({ name: "MCP_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } });
    expect(env).toContainEqual({ name: "MCP_REPLICA_PEERS", value: "weather-peers.team-a.svc" });
  });

  it("leaves routing off without it", () => {
    const env = injectSidecar(pod({ "mcpscope.dev/inject": "true" }), settings).spec?.initContainers?.[0]?.env ?? [];
    expect(env.map((e) => e.name)).not.toContain("MCP_POD_IP");
    expect(env.map((e) => e.name)).not.toContain("MCP_REPLICA_PEERS");
  });

  it("refuses a value that cannot be a Service's name, naming the annotation", () => {
    for (const bad of ["Weather", "peers.other-ns", "9peers", "", "a".repeat(64)]) {
      expect(() =>
        injectSidecar(pod({ "mcpscope.dev/inject": "true", "mcpscope.dev/replica-peers": bad }), settings),
      ).toThrow(/mcpscope\.dev\/replica-peers must name a headless Service/);
    }
  });
});
