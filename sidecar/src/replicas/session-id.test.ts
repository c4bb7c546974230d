import { describe, expect, it } from "vitest";
import { canonicalIp, replicaTagOf, unwrapSessionId, wrapSessionId } from "./session-id.js";

describe("replica session ids", () => {
  it("round-trips an upstream id through an IPv4 replica's tag", () => {
    const id = wrapSessionId(replicaTagOf("10.244.1.17"), "0b1c-uuid");
    expect(id).toBe("mcps.0af40111.0b1c-uuid");
    expect(unwrapSessionId(id)).toEqual({ replicaIp: "10.244.1.17", upstreamSessionId: "0b1c-uuid" });
  });

  it("round-trips through an IPv6 replica's tag, in canonical form", () => {
    const id = wrapSessionId(replicaTagOf("fd00:0:0::0a"), "abc");
    expect(id).toBe("mcps.fd00000000000000000000000000000a.abc");
    expect(unwrapSessionId(id)).toEqual({ replicaIp: "fd00::a", upstreamSessionId: "abc" });
  });

  it("keeps an upstream id that itself contains dots or the prefix", () => {
    const upstream = "mcps.ffffffff.x.y";
    expect(unwrapSessionId(wrapSessionId(replicaTagOf("127.0.0.2"), upstream))).toEqual({
      replicaIp: "127.0.0.2",
      upstreamSessionId: upstream,
    });
  });

  it("treats ids no replica minted as foreign", () => {
    for (const id of ["", "3f2a-uuid", "mcps.", "mcps.0af40111", "mcps.0af40111.", "mcps.zzzzzzzz.a", "mcps.0af401.a"])
      expect({ id, parsed: unwrapSessionId(id) }).toEqual({ id, parsed: undefined });
  });

  it("gives an IPv4-mapped IPv6 address the IPv4 replica's identity", () => {
    expect(canonicalIp("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(replicaTagOf("::ffff:10.0.0.1")).toBe(replicaTagOf("10.0.0.1"));
  });

  it("refuses a pod IP that is not an IP", () => {
    for (const value of ["pod-a", "10.1", "0xa.0.0.1", ""]) expect(canonicalIp(value)).toBeUndefined();
    expect(() => replicaTagOf("pod-a")).toThrow(/not an IP address: pod-a/);
  });
});
