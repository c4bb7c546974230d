import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { SidecarConfig } from "./config.js";
import { stdioBridgeMcpPath } from "./contract.js";
import { type BridgeLoad, UpstreamHealth, upstreamEndpoint } from "./health/upstream-health.js";
import { createLogger, type Logger } from "./logger.js";
import { ExchangeObserver } from "./observer/exchange-observer.js";
import { buildProxyApp } from "./proxy/app.js";
import { releaseStartupMemory } from "./release-startup-memory.js";
import { replicaPeers } from "./replicas/peers.js";
import { replicaTagOf } from "./replicas/session-id.js";
import type { StdioBridge } from "./stdio-bridge/bridge.js";
import { createMcpInstruments } from "./telemetry/instruments.js";
import { type MetricsPipeline, startMetricsPipeline } from "./telemetry/meter-provider.js";
import { SidecarErrorReason } from "./telemetry/semconv.js";
import { observeSloObjectives, requestDurationBuckets } from "./telemetry/slo-instruments.js";
import { createMcpTracer } from "./telemetry/spans.js";
import { startTracing, type TracingPipeline } from "./telemetry/trace-provider.js";
import { withoutCredentials } from "./upstream-label.js";
import { mcpscopeVersion } from "./version.js";

export interface RunningSidecar {
  /** e.g. http://127.0.0.1:4001 */
  proxyUrl: string;
  metricsUrl: string;
  app: FastifyInstance;
  observer: ExchangeObserver;
  /** Stops accepting, lets open exchanges finish for up to the grace period, flushes metrics. */
  close(): Promise<void>;
}

export interface SidecarRuntime {
  /** Environment handed to a stdio upstream (command mode). */
  childEnv: Record<string, string>;
  logger?: Logger;
}

const sweepIntervalMs = 10_000;
const maxPendingRequests = 50_000;

/** Starts the whole sidecar: metrics pipeline, optional stdio bridge, health checker and proxy. */
export async function startSidecar(config: SidecarConfig, runtime: SidecarRuntime): Promise<RunningSidecar> {
  const logger = runtime.logger ?? createLogger(config.logLevel);
  const metrics: MetricsPipeline = await startMetricsPipeline({
    serviceName: config.otel.serviceName,
    resourceAttributes: { ...config.otel.resourceAttributes, "mcp.server.name": config.serverName },
    prometheus: config.metrics,
    otlpMetricsUrl: config.otel.metricsUrl,
    exportIntervalMs: config.otel.exportIntervalMs,
  });
  let bridge: StdioBridge | undefined;
  let tracing: TracingPipeline | undefined;
  let app: FastifyInstance | undefined;
  let health: UpstreamHealth | undefined;
  try {
    await metrics.ready;
    if (config.otel.tracing) {
      tracing = await startTracing({
        serviceName: config.otel.serviceName,
        resourceAttributes: { ...config.otel.resourceAttributes, "mcp.server.name": config.serverName },
        version: mcpscopeVersion,
      });
    }
    const meter = metrics.meterProvider.getMeter("mcpscope-sidecar", mcpscopeVersion);
    const instruments = createMcpInstruments(
      meter,
      config.serverName,
      requestDurationBuckets(config.slo),
      config.toolLatency,
    );
    observeSloObjectives(meter, config.serverName, config.slo);
    const observer = new ExchangeObserver({
      instruments,
      now: () => performance.now(),
      maxToolNames: config.limits.maxToolNames,
      contextCost: config.contextCost,
      maxObservedBytes: config.limits.maxBodyBytes,
      maxPendingRequests,
      sessionIdleTimeoutMs: config.limits.sessionIdleTimeoutMs,
      // A request answered 202 whose answer never came on its stream is given up like a time-out.
      acceptedTimeoutMs: config.upstream.timeoutMs,
      networkTransport: config.upstream.command === undefined ? "tcp" : "pipe",
      tracer: tracing ? createMcpTracer(tracing.tracer, config.serverName) : undefined,
    });

    let upstreamUrl = config.upstream.url;
    let mcpPath = config.upstream.mcpPath;
    let transport = config.upstream.transport;
    if (config.upstream.command !== undefined) {
      // Loaded only in command mode: the bridge needs the MCP SDK, which URL mode does without.
      const { startStdioBridge } = await import("./stdio-bridge/bridge.js");
      bridge = await startStdioBridge({
        command: config.upstream.command,
        env: runtime.childEnv,
        maxSessions: config.stdio.maxSessions,
        sessionIdleMs: config.stdio.sessionIdleMs,
        logger,
        onFull: () => instruments.recordSidecarError(SidecarErrorReason.bridgeFull),
      });
      upstreamUrl = bridge.url;
      mcpPath = stdioBridgeMcpPath;
      transport = "streamable-http";
    }
    if (upstreamUrl === undefined) throw new Error("unreachable: config guarantees a URL or a command");
    // Error messages reach clients: never echo a command line or URL credentials (e.g. a database URL).
    const upstreamLabel =
      config.upstream.command !== undefined ? "(stdio MCP server)" : withoutCredentials(upstreamUrl);

    health = new UpstreamHealth({
      endpoint: upstreamEndpoint(upstreamUrl, mcpPath),
      label: withoutCredentials(upstreamEndpoint(upstreamUrl, mcpPath).href),
      transport,
      timeoutMs: config.health.timeoutMs,
      cacheMs: config.health.cacheMs,
      clientVersion: mcpscopeVersion,
      ...(bridge ? { bridge: bridgeLoad(bridge) } : {}),
    });
    app = await buildProxyApp(
      {
        upstreamUrl,
        upstreamLabel,
        maxBodyBytes: config.limits.maxBodyBytes,
        upstreamTimeoutMs: config.upstream.timeoutMs,
        connectTimeoutMs: config.upstream.connectTimeoutMs,
        requestTimeoutMs: config.limits.requestTimeoutMs,
      },
      {
        observer,
        health,
        logger,
        replicas: config.replicas && {
          selfIp: config.replicas.podIp,
          tag: replicaTagOf(config.replicas.podIp),
          port: config.listen.port,
          peers: replicaPeers({ source: config.replicas.peers }),
          forwarded: () => instruments.replicaForwarded(),
        },
      },
    );
    await app.listen({ host: config.listen.host, port: config.listen.port });
    // A background probe feeds mcp_upstream_up, so "upstream down" alerts need no prober of their own.
    const healthNow = health;
    instruments.observeUpstreamUp(() => healthNow.lastReport?.upstream.reachable);
    const releaseMemory = () => {
      const released = releaseStartupMemory();
      if (released) logger.debug(released, "startup memory released");
    };
    void healthNow
      .check()
      .then(releaseMemory, releaseMemory)
      .catch((error: unknown) => logger.warn({ err: error }, "releasing startup memory failed"));
    const healthTimer = setInterval(() => void healthNow.check(), config.health.intervalMs);
    healthTimer.unref();
    const sweep = setInterval(() => observer.sweep(), sweepIntervalMs);
    sweep.unref();

    const address = app.server.address() as AddressInfo;
    const proxyHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const runningApp = app;
    const runningHealth = health;
    logger.info(
      {
        upstream: upstreamLabel,
        serverName: config.serverName,
        port: address.port,
        metricsPort: config.metrics.port,
      },
      "mcpscope sidecar listening",
    );
    return {
      proxyUrl: `http://${proxyHost === "0.0.0.0" || proxyHost === "[::]" ? "127.0.0.1" : proxyHost}:${address.port}`,
      metricsUrl: `http://${reachableHost(config.metrics.host)}:${config.metrics.port}/metrics`,
      app: runningApp,
      observer,
      async close() {
        clearInterval(sweep);
        clearInterval(healthTimer);
        const force = setTimeout(() => runningApp.server.closeAllConnections(), config.shutdownGraceMs);
        await runningApp.close();
        clearTimeout(force);
        await runningHealth.close();
        await bridge?.close();
        await tracing?.shutdown();
        await metrics.shutdown();
        logger.info("mcpscope sidecar stopped");
      },
    };
  } catch (error) {
    await app?.close().catch(() => {});
    await health?.close().catch(() => {});
    await bridge?.close().catch(() => {});
    await tracing?.shutdown().catch(() => {});
    await metrics.shutdown().catch(() => {});
    throw error;
  }
}

/** Where a local client reaches a listener bound to `host` (a wildcard address is reached on loopback). */
function reachableHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

function bridgeLoad(bridge: StdioBridge): () => BridgeLoad {
  return () => ({ sessions: bridge.sessions(), busy: bridge.busySessions(), maxSessions: bridge.maxSessions });
}
