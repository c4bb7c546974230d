import { readFile } from "node:fs/promises";

const established = "01";

/**
 * Established TCP connections whose local port is `port`, from /proc/net/tcp and tcp6 (the kernel's
 * own table, what `ss` reads): the server side of its clients' sockets. Read instead of running `ss`
 * because tests poll it every few milliseconds. Linux only.
 */
export async function establishedConnections(port: number): Promise<number> {
  const tables = await Promise.all(
    ["/proc/net/tcp", "/proc/net/tcp6"].map((path) => readFile(path, "utf8").catch(() => "")),
  );
  return tables.reduce((sum, table) => sum + countEstablished(table, port), 0);
}

/** Rows of a /proc/net/tcp table in state ESTABLISHED with local port `port`. Pure. */
export function countEstablished(table: string, port: number): number {
  const portHex = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const line of table.split("\n").slice(1)) {
    // "  sl  local_address rem_address   st ...": address is HEXIP:HEXPORT.
    const [, local, , state] = line.trim().split(/\s+/);
    if (state === established && local?.endsWith(`:${portHex}`)) count += 1;
  }
  return count;
}
