import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { countEstablished, establishedConnections } from "./tcp-connections.js";

describe("establishedConnections", () => {
  it("counts the server side of each open client connection, and none once they close", async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    try {
      const clients = await Promise.all(
        Array.from({ length: 5 }, async () => {
          const socket = connect(port, "127.0.0.1");
          await once(socket, "connect");
          return socket;
        }),
      );
      await expect.poll(() => accepted.length).toBe(5);
      expect(await establishedConnections(port)).toBe(5);
      for (const socket of clients) socket.destroy();
      await expect.poll(() => establishedConnections(port)).toBe(0);
    } finally {
      for (const socket of accepted) socket.destroy();
      server.close();
    }
  });

  it("reads the local port of established rows only", () => {
    const table = [
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1",
      "   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2",
      "   2: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 3",
      "   3: 0100007F:1F90 0100007F:C351 06 00000000:00000000 00:00000000 00000000     0        0 4",
    ].join("\n");
    // Port 8080 (1F90): the listener (0A) and the TIME_WAIT row (06) are not connections; 50000's
    // row is the client side.
    expect(countEstablished(table, 8080)).toBe(1);
    expect(countEstablished(table, 50000)).toBe(1);
  });
});
