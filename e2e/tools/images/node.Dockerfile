# A STAND-IN for the official node:24-slim (no registry is reachable here): Debian bookworm from
# debootstrap, the Node 24 binary of the npm `node` package the project pins, npm 11, a `node` user
# with uid/gid 1000 as in the official image. Built by e2e/tools/base-images.sh; never published.
FROM local/debian:bookworm
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
# The host's CA bundle: TLS to the package registries goes through this machine's proxy CA.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
  && groupadd --gid 1000 node \
  && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
  && node --version && npm --version
CMD ["node"]
