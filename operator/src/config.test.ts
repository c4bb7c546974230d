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
});
