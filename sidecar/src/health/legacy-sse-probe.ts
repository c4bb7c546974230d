import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { ProbeResult } from "./probe-messages.js";

/**
 * Probes a legacy HTTP+SSE upstream with the MCP SDK's client (loaded only for this transport): the
 * answer comes on a GET stream, which a raw request cannot follow as simply. One client session is
 * kept between probes; any failure drops it.
 */
export class LegacySseProbe {
  readonly #endpoint: URL;
  readonly #clientVersion: string;
  #client: Client | undefined;
  #version = "";

  constructor(endpoint: URL, clientVersion: string) {
    this.#endpoint = endpoint;
    this.#clientVersion = clientVersion;
  }

  async probe(signal: AbortSignal, timeoutMs: number): Promise<ProbeResult> {
    try {
      if (!this.#client) {
        const [{ Client }, { SSEClientTransport }] = await Promise.all([
          import("@modelcontextprotocol/sdk/client/index.js"),
          import("@modelcontextprotocol/sdk/client/sse.js"),
        ]);
        const client = new Client({ name: "mcpscope-health", version: this.#clientVersion });
        this.#client = client;
        const transport = new SSEClientTransport(this.#endpoint);
        // The negotiated revision is where the SDK's transport keeps it (for its own headers).
        const original = transport.setProtocolVersion.bind(transport);
        transport.setProtocolVersion = (version: string) => {
          this.#version = version;
          original(version);
        };
        await untilAborted(client.connect(transport, { timeout: timeoutMs }), signal);
      }
      await this.#client.ping({ timeout: timeoutMs, signal });
      return { probe: "ping", protocolVersions: this.#version ? [this.#version] : [] };
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => {});
  }
}

/** connect() has no overall deadline of its own when the TCP connection hangs. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error("aborted"));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
