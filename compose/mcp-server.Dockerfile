# The compose stack's HTTP MCP server: server-everything from npm, installed at build time (nothing
# is fetched when the stack starts), run as the image's non-root user by number.
FROM node:24-slim
ARG SERVER_EVERYTHING_VERSION=2026.8.31
RUN npm install --global "@modelcontextprotocol/server-everything@${SERVER_EVERYTHING_VERSION}" && npm cache clean --force
USER 1000:1000
ENTRYPOINT ["mcp-server-everything"]
CMD ["streamableHttp"]
