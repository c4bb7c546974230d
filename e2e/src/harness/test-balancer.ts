import { connect, createServer, type Server, type Socket } from "node:net";

export interface BalancerBackend {
  host: string;
  port: number;
}

export interface TestBalancer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Connections handed to each backend so far, by `host:port`. */
  connections(): Record<string, number>;
  close(): Promise<void>;
}

const keyOf = (b: BalancerBackend) => `${b.host}:${b.port}`;

/**
 * A test stand-in for a Service's kube-proxy, for loopback tests only: a TCP balancer that hands each
 * new connection to the next backend in turn, skipping one that refuses (an endpoint that is gone),
 * with no affinity of any kind — every request of a session may land on another replica.
 */
export async function startTestBalancer(backends: BalancerBackend[]): Promise<TestBalancer> {
  let next = 0;
  const counts: Record<string, number> = Object.fromEntries(backends.map((b) => [keyOf(b), 0]));
  const open = new Set<Socket>();
  const track = (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  };

  function relay(client: Socket, attempt: number) {
    if (attempt >= backends.length || client.destroyed) {
      client.destroy();
      return;
    }
    const backend = backends[next++ % backends.length] as BalancerBackend;
    const upstream = connect(backend.port, backend.host);
    track(upstream);
    let connected = false;
    upstream.once("error", () => {
      // Refused: try the next backend, as kube-proxy stops sending to a removed endpoint.
      if (!connected) relay(client, attempt + 1);
    });
    upstream.once("connect", () => {
      connected = true;
      counts[keyOf(backend)] = (counts[keyOf(backend)] ?? 0) + 1;
      client.pipe(upstream);
      upstream.pipe(client);
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
      client.resume();
    });
  }

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    client.on("error", () => client.destroy());
    relay(client, 0);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => ({ ...counts }),
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
