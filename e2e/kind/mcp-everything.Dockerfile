# The MCP servers of the full-path test on kind: the sidecar image plus server-everything, so the
# same image runs the HTTP server (command mcp-server-everything streamableHttp) and, through the
# sidecar's command mode, the stdio one. Built by `npm run e2e:kind` after the sidecar image:
#   docker build -f e2e/kind/mcp-everything.Dockerfile --build-arg SIDECAR_IMAGE=... -t mcpscope/mcp-everything:e2e .
ARG SIDECAR_IMAGE=ghcr.io/mcpscope/sidecar:e2e
FROM ${SIDECAR_IMAGE}
USER root
RUN npm install --global @modelcontextprotocol/server-everything@2026.8.31 && npm cache clean --force
USER node
