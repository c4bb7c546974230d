// `helm test`: proves an installation works, with only what the chart already runs.
// 1. The operator's webhook answers: an AdmissionReview for a pod annotated mcpscope.dev/inject is
//    POSTed over TLS to the webhook Service, the certificate checked against the operator's CA (its
//    Secret, mounted) for the Service's DNS name; the answer must allow the pod and add the sidecar.
// 2. An MCP request through a sidecar is counted in the chart's Prometheus: this pod's own sidecar
//    (in front of echo-server.mjs) pushes OTLP to the chart's collector; Prometheus scrapes it.
// Each check prints one line; any failure exits 1 with the reason.
// The sidecar image holds a bundle and no node_modules: this script imports nothing but Node's own.
import { readFileSync } from "node:fs";
import { request } from "node:https";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function checkWebhook() {
  const host = env("WEBHOOK_HOST");
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "mcpscope-helm-test",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: env("POD_NAMESPACE"),
      operation: "CREATE",
      dryRun: true,
      userInfo: { username: "helm-test" },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "mcpscope-helm-test-probe",
          namespace: env("POD_NAMESPACE"),
          annotations: { "mcpscope.dev/inject": "true", "mcpscope.dev/upstream-port": "3001" },
        },
        spec: { containers: [{ name: "server", image: "example/server:1", ports: [{ containerPort: 3001 }] }] },
      },
    },
  };
  const body = JSON.stringify(review);
  const answer = await new Promise((resolve, reject) => {
    const req = request(
      {
        host,
        port: 443,
        path: "/mutate-pods",
        method: "POST",
        ca: readFileSync("/etc/mcpscope-webhook-tls/ca.crt"),
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from https://${host}/mutate-pods in 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
  if (answer.status !== 200) throw new Error(`webhook answered HTTP ${answer.status}: ${answer.text}`);
  const response = JSON.parse(answer.text).response;
  if (response?.uid !== review.request.uid || response.allowed !== true)
    throw new Error(`webhook did not allow the pod: ${answer.text}`);
  const patch = JSON.parse(Buffer.from(response.patch ?? "", "base64").toString("utf8") || "[]");
  const addsSidecar = JSON.stringify(patch).includes('"name":"mcpscope-sidecar"');
  if (!addsSidecar) throw new Error(`webhook did not inject the sidecar: ${JSON.stringify(response)}`);
  console.log(`ok: the webhook at https://${host} (certificate valid for it) injects the sidecar`);
}

const protocolVersion = "2025-06-18";

/** One JSON-RPC message POSTed to the sidecar as Streamable HTTP; the reply read from JSON or SSE. */
async function mcpPost(url, session, message) {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": protocolVersion,
      ...(session ? { "mcp-session-id": session } : {}),
    },
    body: JSON.stringify(message),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${message.method} answered HTTP ${response.status}: ${text}`);
  const messages = (response.headers.get("content-type") ?? "").includes("text/event-stream")
    ? text
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => JSON.parse(line.slice(5)))
    : text.trim() === ""
      ? []
      : [JSON.parse(text)];
  const reply = messages.find((m) => m.id === message.id);
  if (message.id !== undefined && reply?.result === undefined)
    throw new Error(`${message.method} answered ${text || "nothing"}`);
  return { session: response.headers.get("mcp-session-id") ?? session, result: reply?.result };
}

async function checkMcpCounted() {
  const serverName = env("SERVER_NAME");
  const mcpUrl = `${env("SIDECAR_URL")}/mcp`;
  const clientInfo = { name: "mcpscope-helm-test", version: "1.0.0" };
  const { session } = await mcpPost(mcpUrl, undefined, {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion, capabilities: {}, clientInfo },
  });
  await mcpPost(mcpUrl, session, { jsonrpc: "2.0", method: "notifications/initialized" });
  // tools/list first, as clients do: the sidecar labels only tool names its server has listed.
  const tools = (await mcpPost(mcpUrl, session, { jsonrpc: "2.0", id: 2, method: "tools/list" })).result.tools.map(
    (t) => t.name,
  );
  if (!tools.includes("echo")) throw new Error(`tools/list through the sidecar answered ${JSON.stringify(tools)}`);
  const call = { name: "echo", arguments: { message: "hello" } };
  const reply = (await mcpPost(mcpUrl, session, { jsonrpc: "2.0", id: 3, method: "tools/call", params: call })).result;
  if (reply.content?.[0]?.text !== "hello")
    throw new Error(`echo through the sidecar answered ${JSON.stringify(reply)}`);
  if (session) await fetch(mcpUrl, { method: "DELETE", headers: { "mcp-session-id": session } });
  console.log(`ok: tools/call echo answered through the sidecar (server_name ${serverName})`);

  const query = `sum(mcp_tool_calls_total{server_name="${serverName}",tool_name="echo"})`;
  const url = `${env("PROMETHEUS_URL")}/api/v1/query?query=${encodeURIComponent(query)}`;
  const deadline = Date.now() + Number(process.env.PROMETHEUS_WAIT_SECONDS ?? "120") * 1000;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const answer = await (await fetch(url, { signal: AbortSignal.timeout(5_000) })).json();
      const value = Number(answer.data?.result?.[0]?.value?.[1]);
      if (value === 1) {
        console.log(`ok: Prometheus counts it: ${query} = 1`);
        return;
      }
      last = JSON.stringify(answer);
    } catch (error) {
      last = String(error);
    }
    await sleep(2_000);
  }
  throw new Error(`Prometheus did not count the call: ${query}; last answer ${last}`);
}

try {
  if (!process.env.WEBHOOK_HOST && !process.env.PROMETHEUS_URL)
    throw new Error("nothing to check: no webhook, no Prometheus");
  if (process.env.WEBHOOK_HOST) await checkWebhook();
  if (process.env.PROMETHEUS_URL) await checkMcpCounted();
} catch (error) {
  console.error(`FAILED: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
