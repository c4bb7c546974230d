import { Pool } from "undici";
import {
  answerIn,
  discoverRequest,
  discoverVersion,
  initializedNotification,
  initializeRequest,
  type ProbeAnswer,
  type ProbeMessage,
  type ProbeResult,
  pingRequest,
  supportedVersionsOf,
} from "./probe-messages.js";

interface Answer {
  statusCode: number;
  sessionId: string | undefined;
  answer: ProbeAnswer;
}

/**
 * Probes a Streamable HTTP upstream with raw JSON-RPC (no MCP SDK in URL mode): `server/discover`
 * first (2026-07-28, stateless), else initialize + ping for sessionful servers, keeping that one
 * session between probes so a server sees one initialize, not one per probe.
 */
export class StreamableHttpProbe {
  readonly #endpoint: URL;
  readonly #clientVersion: string;
  readonly #pool: Pool;
  #nextId = 1;
  #session: { id: string | undefined; version: string } | undefined;

  readonly #headers: Record<string, string>;

  /** `headers` go on every probe request (the stdio bridge's probe marker). */
  constructor(endpoint: URL, clientVersion: string, headers: Record<string, string> = {}) {
    this.#endpoint = endpoint;
    this.#clientVersion = clientVersion;
    this.#headers = headers;
    this.#pool = new Pool(endpoint.origin, { connections: 2 });
  }

  async probe(signal: AbortSignal): Promise<ProbeResult> {
    if (this.#session) {
      const ping = await this.#post(pingRequest(this.#id()), signal, this.#session).catch(() => undefined);
      if (ping?.answer.kind === "result") return { probe: "ping", protocolVersions: [this.#session.version] };
      this.#session = undefined;
    }
    const id = this.#id();
    const discover = await this.#post(discoverRequest(id), signal, undefined, {
      "mcp-protocol-version": discoverVersion,
      "mcp-method": "server/discover",
    });
    if (discover.answer.kind === "result") {
      const versions = supportedVersionsOf(discover.answer.result);
      if (versions) return { probe: "server/discover", protocolVersions: versions };
    }
    return this.#initializeAndPing(signal, discover);
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => {});
  }

  async #initializeAndPing(signal: AbortSignal, discover: Answer): Promise<ProbeResult> {
    const init = await this.#post(initializeRequest(this.#id(), this.#clientVersion), signal);
    if (init.answer.kind !== "result") {
      throw new Error(
        `neither server/discover (${describe(discover)}) nor initialize (${describe(init)}) was answered`,
      );
    }
    const version = typeof init.answer.result.protocolVersion === "string" ? init.answer.result.protocolVersion : "";
    const session = { id: init.sessionId, version };
    await this.#post(initializedNotification, signal, session);
    const ping = await this.#post(pingRequest(this.#id()), signal, session);
    if (ping.answer.kind !== "result") throw new Error(`ping after initialize: ${describe(ping)}`);
    this.#session = session;
    return { probe: "initialize+ping", protocolVersions: version ? [version] : [] };
  }

  async #post(
    message: ProbeMessage,
    signal: AbortSignal,
    session?: { id: string | undefined; version: string },
    extraHeaders: Record<string, string> = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...this.#headers,
      ...extraHeaders,
    };
    if (session?.id) headers["mcp-session-id"] = session.id;
    if (session?.version) headers["mcp-protocol-version"] = session.version;
    const response = await this.#pool.request({
      path: `${this.#endpoint.pathname}${this.#endpoint.search}`,
      method: "POST",
      headers,
      body: message.body,
      signal,
    });
    const text = await response.body.text();
    const contentType = response.headers["content-type"];
    const sessionId = response.headers["mcp-session-id"];
    return {
      statusCode: response.statusCode,
      sessionId: typeof sessionId === "string" ? sessionId : undefined,
      answer:
        message.id === undefined
          ? { kind: "none" }
          : answerIn(typeof contentType === "string" ? contentType : undefined, text, message.id),
    };
  }

  #id(): number {
    return this.#nextId++;
  }
}

function describe(answer: Answer): string {
  if (answer.answer.kind === "error")
    return `HTTP ${answer.statusCode}, JSON-RPC ${answer.answer.code} ${answer.answer.message}`;
  return `HTTP ${answer.statusCode}`;
}
