import { describe, expect, it } from "vitest";
import { routeRequest } from "./route.js";
import { replicaTagOf, wrapSessionId } from "./session-id.js";

const self = "10.0.0.1";
const peer = "10.0.0.2";
const stranger = "169.254.169.254";
const isPeer = (ip: string) => ip === peer;
const idOn = (ip: string, upstream = "u-1") => wrapSessionId(replicaTagOf(ip), upstream);

describe("routeRequest", () => {
  it("serves stateless requests here, whatever replica the Service picked", () => {
    expect(routeRequest({ clientSessionId: undefined, selfIp: self, forwarded: false, isPeer })).toEqual({
      to: "local",
      upstreamSessionId: undefined,
    });
  });

  it("serves this replica's sessions here with the upstream's own id", () => {
    expect(routeRequest({ clientSessionId: idOn(self), selfIp: self, forwarded: false, isPeer })).toEqual({
      to: "local",
      upstreamSessionId: "u-1",
    });
  });

  it("serves a session this replica holds even when a peer forwarded it", () => {
    expect(routeRequest({ clientSessionId: idOn(self), selfIp: self, forwarded: true, isPeer })).toEqual({
      to: "local",
      upstreamSessionId: "u-1",
    });
  });

  it("passes an id no replica minted to the upstream unchanged", () => {
    expect(routeRequest({ clientSessionId: "plain-uuid", selfIp: self, forwarded: false, isPeer })).toEqual({
      to: "local",
      upstreamSessionId: "plain-uuid",
    });
  });

  it("forwards a live peer's session to that peer", () => {
    expect(routeRequest({ clientSessionId: idOn(peer), selfIp: self, forwarded: false, isPeer })).toEqual({
      to: "peer",
      replicaIp: peer,
    });
  });

  it("never connects to an address that is not a live peer, however the id was made", () => {
    expect(routeRequest({ clientSessionId: idOn(stranger), selfIp: self, forwarded: false, isPeer })).toEqual({
      to: "gone",
      replicaIp: stranger,
      why: "not_a_peer",
    });
  });

  it("never forwards a second time", () => {
    expect(routeRequest({ clientSessionId: idOn(peer), selfIp: self, forwarded: true, isPeer })).toEqual({
      to: "gone",
      replicaIp: peer,
      why: "already_forwarded",
    });
  });
});
