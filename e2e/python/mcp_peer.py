"""A real MCP peer on the Python SDK (`mcp` from PyPI), for mcpscope's end-to-end tests.

  mcp_peer.py serve PORT        Streamable HTTP server on 127.0.0.1:PORT/mcp (tools: echo, fail)
  mcp_peer.py converse URL MODE one conversation as a client; prints its results as one JSON line
                                (MODE: auto = server/discover first, as the SDK does by default; legacy)
  mcp_peer.py catalogue URL MODE TOOL PARAGRAPHS...
                                lists every page of tools/list, calls TOOL once per PARAGRAPHS value;
                                prints what the client saw (tools, results, instructions) as one JSON line
  mcp_peer.py echoes URL MODE N tools/list, then N echo calls (any server with an echo tool, such as
                                server-everything); prints the results as one JSON line
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


def as_sent(model) -> dict:
    """A result model as the server sent it: the fields it set, by their wire names."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


async def catalogue(url: str, mode: str, tool: str, paragraphs: list[int]) -> None:
    async with Client(url, mode=mode) as client:
        tools, pages, cursor = [], 0, None
        while True:
            page = await client.list_tools(cursor=cursor)
            pages += 1
            tools.extend(as_sent(t) for t in page.tools)
            cursor = page.next_cursor
            if cursor is None:
                break
        results = [as_sent(await client.call_tool(tool, {"city": "Zürich", "paragraphs": n})) for n in paragraphs]
        print(
            json.dumps(
                {
                    "protocolVersion": client.protocol_version,
                    "pages": pages,
                    "tools": tools,
                    "results": results,
                    "instructions": client.instructions,
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


async def echoes(url: str, mode: str, count: int) -> None:
    async with Client(url, mode=mode) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        replies = [
            (await client.call_tool("echo", {"message": f"m{i}"})).model_dump(mode="json", exclude_none=True)
            for i in range(count)
        ]
        print(json.dumps({"protocolVersion": client.protocol_version, "tools": tools, "echoes": replies}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif sys.argv[1] == "catalogue":
        asyncio.run(catalogue(sys.argv[2], sys.argv[3], sys.argv[4], [int(n) for n in sys.argv[5:]]))
    elif sys.argv[1] == "echoes":
        asyncio.run(echoes(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        asyncio.run(converse(sys.argv[2], sys.argv[3]))
