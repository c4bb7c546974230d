import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { Pool } from "undici";
import { describe, expect, it, vi } from "vitest";
import { CancelSignal, flushHeadersSoon, outgoingCancellation, quietStreamHeadersDelayMs } from "./reply-lifetime.js";
import { ClientGoneError, UpstreamHeadTimeoutError } from "./upstream-error.js";

/** A real server whose handler hands its response to `onRequest`; the client is a real socket. */
async function withServer(
  onRequest: (raw: import("node:http").ServerResponse) => void,
  client: (port: number) => Promise<void>,
) {
  const server = createServer((_req, res) => onRequest(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await client((server.address() as AddressInfo).port);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("CancelSignal", () => {
  it("cancels a real undici request that has no answer yet, with its reason, and leaves no listener behind", async () => {
    let served = 0;
    await withServer(
      () => {
        served++; // never answers
      },
      async (port) => {
        const pool = new Pool(`http://127.0.0.1:${port}`);
        const signal = new CancelSignal();
        const pending = pool.request({ method: "GET", path: "/", signal });
        await expect.poll(() => served).toBe(1);
        expect(signal.listenerCount("abort")).toBe(1);
        const reason = new ClientGoneError();
        signal.abort(reason);
        await expect(pending).rejects.toBe(reason);
        expect(signal.listenerCount("abort")).toBe(0);
        await pool.destroy();
      },
    );
  });
});

describe("outgoing cancellation", () => {
  it("aborts with ClientGoneError when the client leaves before its reply ends", async () => {
    let cancellation: ReturnType<typeof outgoingCancellation> | undefined;
    const aborted = new Promise<unknown>((resolve) => {
      void withServer(
        (raw) => {
          cancellation = outgoingCancellation({ raw }, 60_000);
          cancellation.signal.once("abort", () => resolve(cancellation?.signal.reason));
          raw.writeHead(200, { "content-type": "text/event-stream" });
          raw.flushHeaders();
        },
        async (port) => {
          const req = request({ port, host: "127.0.0.1", path: "/" });
          req.on("error", () => {});
          req.end();
          await new Promise<void>((resolve) => req.on("response", () => resolve()));
          req.destroy();
          await new Promise((resolve) => setTimeout(resolve, 100));
        },
      );
    });
    expect(await aborted).toBeInstanceOf(ClientGoneError);
    expect(cancellation?.clientGone()).toBe(true);
  });

  it("aborts with UpstreamHeadTimeoutError when no head comes in time, and not for a finished reply", async () => {
    await withServer(
      (raw) => {
        const timedOut = outgoingCancellation({ raw }, 20);
        const finished = outgoingCancellation({ raw }, 60_000);
        timedOut.signal.once("abort", () => {
          expect(timedOut.signal.reason).toBeInstanceOf(UpstreamHeadTimeoutError);
          expect(timedOut.clientGone()).toBe(false);
          raw.end("done");
          raw.once("close", () => expect(finished.signal.aborted).toBe(false));
        });
      },
      async (port) => {
        const body = await new Promise<string>((resolve) =>
          request({ port, host: "127.0.0.1", path: "/" }, (res) => {
            let text = "";
            res.on("data", (chunk) => {
              text += chunk;
            });
            res.on("end", () => resolve(text));
          }).end(),
        );
        expect(body).toBe("done");
      },
    );
  });
});

describe("flushHeadersSoon", () => {
  it("sends a quiet event stream's headers without waiting for its first event", async () => {
    await withServer(
      (raw) => {
        raw.setHeader("content-type", "text/event-stream");
        flushHeadersSoon({ raw }, new PassThrough());
      },
      async (port) => {
        const head = await new Promise<{ status?: number; type?: string }>((resolve) => {
          const req = request({ port, host: "127.0.0.1", path: "/" }, (res) =>
            resolve({ status: res.statusCode, type: res.headers["content-type"] }),
          );
          req.on("error", () => {});
          req.end();
        });
        expect(head).toEqual({ status: 200, type: "text/event-stream" });
      },
    );
  });

  it("drops its timer when the body closes, so an answered stream never wakes the process", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      let flushes = 0;
      // Not yet sent, so a timer that fired would flush: only clearing it keeps this at 0.
      const raw = { headersSent: false, destroyed: false, hasHeader: () => true, flushHeaders: () => flushes++ };
      const body = new PassThrough();
      flushHeadersSoon({ raw }, body);
      expect(vi.getTimerCount()).toBe(1);
      body.destroy();
      await new Promise((resolve) => body.once("close", resolve));
      expect(vi.getTimerCount()).toBe(0);
      vi.advanceTimersByTime(quietStreamHeadersDelayMs * 2);
      expect(flushes).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
