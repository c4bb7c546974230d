"""A real MCP peer on the Python SDK (`mcp` from PyPI), for mcpscope's end-to-end tests.

  mcp_peer.py serve PORT        Streamable HTTP server on 127.0.0.1:PORT/mcp (tools: echo, fail)
  mcp_peer.py converse URL MODE one conversation as a client; prints its results as one JSON line
                                (MODE: auto = server/discover first, as the SDK does by default; legacy)
"""

import asyncio
import json
import sys

from mcp import Client
from mcp.server import MCPServer


def serve(port: int) -> None:
    server = MCPServer("mcpscope-python-fixture")

    @server.tool()
    def echo(message: str) -> str:
        """Echoes its message."""
        return f"Echo: {message}"

    @server.tool()
    def fail() -> str:
        """Always fails (a tool error)."""
        raise ValueError("failed on purpose")

    server.run("streamable-http", host="127.0.0.1", port=port)


async def converse(url: str, mode: str) -> None:
    async with Client(url, mode=mode) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        echoes = [
            (await client.call_tool("echo", {"message": message})).model_dump(mode="json", exclude_none=True)
            for message in ("one", "two")
        ]
        failed = (await client.call_tool("fail", {})).model_dump(mode="json", exclude_none=True)
        print(
            json.dumps(
                {
                    "protocolVersion": client.protocol_version,
                    "tools": tools,
                    "echoes": echoes,
                    "failed": failed,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    else:
        asyncio.run(converse(sys.argv[2], sys.argv[3]))
