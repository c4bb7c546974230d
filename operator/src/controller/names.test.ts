import { describe, expect, it } from "vitest";
import { objectNameFor, peerServiceNameFor, shellJoin } from "./names.js";

const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A seeded generator of valid McpServer names: DNS-1123 subdomains of 1 to 253 characters. */
function* validNames(count: number): Generator<string> {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const alnum = "abcdefghijklmnopqrstuvwxyz0123456789";
  const pick = (chars: string) => chars[Math.floor(random() * chars.length)] ?? "a";
  for (let i = 0; i < count; i++) {
    const length = random() < 0.2 ? 200 + Math.floor(random() * 54) : 1 + Math.floor(random() * 70);
    let name = pick(alnum);
    while (name.length < length) {
      const c = random() < 0.15 ? pick("-.") : pick(alnum);
      // A dot or hyphen never ends a label, and a dot never follows one.
      if (c === "." && /[.-]$/.test(name)) continue;
      name += c;
    }
    yield name.replace(/[.-]+$/, "") || "a";
  }
}

describe("objectNameFor", () => {
  it("keeps names that already are DNS-1035 labels", () => {
    expect(objectNameFor("weather")).toBe("weather");
    expect(objectNameFor(`a${"b".repeat(62)}`)).toHaveLength(63);
  });

  it("tells a.b from a-b, and gives names with a leading digit or over 63 characters a valid label", () => {
    expect(objectNameFor("a-b")).toBe("a-b");
    expect(objectNameFor("a.b")).toMatch(/^a-b-[0-9a-f]{10}$/);
    expect(objectNameFor("1weather")).toMatch(/^weather-[0-9a-f]{10}$/);
    expect(objectNameFor("123")).toMatch(/^mcp-[0-9a-f]{10}$/);
    expect(objectNameFor("x".repeat(253))).toMatch(dns1035Label);
  });

  it("is total and injective over 20,000 valid McpServer names, 253-character ones included", () => {
    const seen = new Map<string, string>();
    for (const name of validNames(20_000)) {
      const object = objectNameFor(name);
      expect({ name, valid: object.length <= 63 && dns1035Label.test(object) }).toEqual({ name, valid: true });
      const previous = seen.get(object);
      if (previous !== undefined) expect(previous).toBe(name);
      seen.set(object, name);
      // Stable: the same McpServer always maps to the same objects.
      expect(objectNameFor(name)).toBe(object);
    }
  });
});

describe("peerServiceNameFor", () => {
  it("names the peer Service readably, apart from every McpServer's own Service", () => {
    expect(peerServiceNameFor("weather")).toMatch(/^weather-peers-[0-9a-f]{10}$/);
    // An McpServer may itself be called "weather.peers" or "weather-peers": neither meets it.
    expect(peerServiceNameFor("weather")).not.toBe(objectNameFor("weather.peers"));
    expect(peerServiceNameFor("weather")).not.toBe(objectNameFor("weather-peers"));
  });

  it("is total and injective, and never one of the McpServers' object names, over 20,000 names", () => {
    const objects = new Set<string>();
    const peers = new Map<string, string>();
    const names = [...validNames(20_000)];
    for (const name of names) objects.add(objectNameFor(name));
    for (const name of names) {
      const peer = peerServiceNameFor(name);
      expect({ name, valid: peer.length <= 63 && dns1035Label.test(peer) }).toEqual({ name, valid: true });
      expect({ name, clash: objects.has(peer) }).toEqual({ name, clash: false });
      const previous = peers.get(peer);
      if (previous !== undefined) expect(previous).toBe(name);
      peers.set(peer, name);
    }
  });
});

describe("shellJoin", () => {
  it("quotes only the words the shell would split", () => {
    expect(shellJoin(["npx", "-y", "@scope/pkg@1.0", "a b"])).toBe("npx -y @scope/pkg@1.0 'a b'");
  });
});
