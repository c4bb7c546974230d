import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** /healthz (the process answers) and /readyz (it can do its job), for the kubelet's probes. */
export async function startHealthServer(
  host: string,
  port: number,
  ready: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = req.url?.split("?")[0];
    if (path === "/healthz") res.writeHead(200).end("ok");
    else if (path === "/readyz") {
      const ok = ready();
      res.writeHead(ok ? 200 : 503).end(ok ? "ok" : "not ready");
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
