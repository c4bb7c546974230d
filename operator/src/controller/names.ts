import { createHash } from "node:crypto";

const dns1035Label = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const maxLabel = 63;

/**
 * The Deployment and Service name (and the instance label value) for an McpServer. Total over every
 * valid McpServer name (DNS-1123 subdomains up to 253 characters, dots and leading digits included)
 * and injective: a name that already is a DNS-1035 label stays as it is; any other keeps a readable
 * prefix and gains a hash of the whole name, so "a.b" and "a-b", or two long names sharing a prefix,
 * never meet in one object (and a second McpServer never takes over the first's Service). Pure.
 */
export function objectNameFor(mcpServerName: string): string {
  if (mcpServerName.length <= maxLabel && dns1035Label.test(mcpServerName)) return mcpServerName;
  const hash = createHash("sha256").update(mcpServerName).digest("hex").slice(0, 10);
  const readable = mcpServerName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, maxLabel - hash.length - 1)
    .replace(/-+$/, "");
  return `${readable || "mcp"}-${hash}`;
}

/**
 * The headless Service through which an McpServer's sidecars find each other (session routing among
 * replicas). Built by objectNameFor from a key no McpServer can be named ("/" is not allowed in
 * names), so it never meets another McpServer's Service: readable as "<name>-peers-<hash>". Pure.
 */
export function peerServiceNameFor(mcpServerName: string): string {
  return objectNameFor(`${mcpServerName}/peers`);
}

/** Quotes words for /bin/sh -c, so a command array survives as a command line. */
export function shellJoin(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ");
}
