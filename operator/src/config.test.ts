import { describe, expect, it } from "vitest";
import { loadOperatorConfig, type OperatorConfigError } from "./config.js";

describe("loadOperatorConfig", () => {
  it("has in-cluster defaults", () => {
    const c = loadOperatorConfig({ POD_NAME: "op-1" });
    expect(c).toMatchObject({
      identity: "op-1",
      LEADER_ELECTION: true,
      WEBHOOK_PORT: 9443,
      WEBHOOK_CERT_MODE: "self-managed",
      NATIVE_SIDECARS: "auto",
    });
  });

  it("names each bad variable", () => {
    try {
      loadOperatorConfig({ WEBHOOK_PORT: "x", LEADER_ELECTION: "yes" });
      expect.unreachable();
    } catch (error) {
      expect((error as OperatorConfigError).problems).toEqual([
        'LEADER_ELECTION must be "true" or "false", got "yes"',
        'WEBHOOK_PORT must be a port number, got "x"',
      ]);
    }
  });

  it("reads the chart's JSON values and refuses what is not a JSON object, naming the variable", () => {
    const c = loadOperatorConfig({
      SIDECAR_RESOURCES: '{"limits":{"memory":"192Mi"}}',
      MCPSERVER_POD_DEFAULTS: '{"serviceAccountName":"mcp"}',
    });
    expect(c.SIDECAR_RESOURCES).toEqual({ limits: { memory: "192Mi" } });
    expect(c.MCPSERVER_POD_DEFAULTS).toEqual({ serviceAccountName: "mcp" });
    expect(() => loadOperatorConfig({ MCPSERVER_POD_DEFAULTS: "[1]", OTLP_ENDPOINT: "http://" })).toThrow(
      'ConfigError: MCPSERVER_POD_DEFAULTS must be a JSON object of pod spec fields, got "[1]"',
    );
    expect(() => loadOperatorConfig({ OTLP_ENDPOINT: "http://" })).toThrow(
      'ConfigError: OTLP_ENDPOINT must be an http(s) URL with a host, got "http://"',
    );
  });

  it("reads the chart's default objectives (slo.defaults), none when unset, and refuses what the sidecar would", () => {
    expect(loadOperatorConfig({}).sloDefaults).toEqual({});
    expect(
      loadOperatorConfig({
        SLO_DEFAULT_AVAILABILITY: "99.9",
        SLO_DEFAULT_LATENCY_THRESHOLD: "1s",
        SLO_DEFAULT_LATENCY_OBJECTIVE: "95",
      }).sloDefaults,
    ).toEqual({ availability: "99.9", latency: { threshold: "1s", objective: "95" } });
    try {
      loadOperatorConfig({ SLO_DEFAULT_AVAILABILITY: "101" });
      expect.unreachable();
    } catch (error) {
      expect((error as OperatorConfigError).problems).toEqual([
        'SLO_DEFAULT_AVAILABILITY must be a percent strictly between 0 and 100, such as "99.9", got "101"',
      ]);
    }
    try {
      loadOperatorConfig({ SLO_DEFAULT_LATENCY_THRESHOLD: "1s" });
      expect.unreachable();
    } catch (error) {
      expect((error as OperatorConfigError).problems).toEqual([
        "SLO_DEFAULT_LATENCY_OBJECTIVE is required with SLO_DEFAULT_LATENCY_THRESHOLD",
      ]);
    }
  });
});
