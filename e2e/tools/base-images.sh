#!/usr/bin/env bash
# Builds, once per machine, the images nothing can pull here (no registry is reachable), as local
# STAND-INS under the names the Dockerfiles, compose and the chart use:
#   local/debian:bookworm                   debootstrap --variant=minbase bookworm, imported
#   node:24-slim                            that + the pinned Node 24 binary + npm 11 + user node (1000)
#   otel/opentelemetry-collector-contrib    the Collector setup.sh builds (OTELCOL)
#   jaegertracing/jaeger                    Jaeger v2 setup.sh builds (JAEGER)
#   prom/prometheus                         Debian's prometheus package
#   postgres:15-bookworm                    Debian's PostgreSQL 15
#   registry.k8s.io/pause:3.10              a static C program (the node provider's pod sandbox)
#   registry.k8s.io/coredns/coredns:v1.14.7 CoreDNS setup.sh builds (COREDNS)
# Each image carries a label with the hash of its inputs and is rebuilt only when they change.
# Needs a running Docker engine (e2e/tools/docker-engine.sh) and OTELCOL/JAEGER/COREDNS in the environment.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="$here/images"
log() { echo "[base-images] $*" >&2; }
: "${OTELCOL:?path of the Collector binary (setup.sh prints it)}" "${JAEGER:?path of the jaeger binary}"
: "${COREDNS:?path of the coredns binary}"
: "${OTELCOL_TAG:=0.136.0}" "${JAEGER_TAG:=2.13.0}" "${PROMETHEUS_TAG:=v2.55.1}"

label=dev.mcpscope.stand-in-key
current_key() { docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null || true; }
key_of() { cat "$@" | sha256sum | cut -c1-16; }

# build TAG KEY CONTEXT DOCKERFILE: docker build unless TAG already carries KEY.
build() {
  local tag="$1" key="$2" context="$3" dockerfile="$4"
  if [[ "$(current_key "$tag")" == "$key" ]]; then return; fi
  log "building $tag (stand-in)"
  docker build -q --label "$label=$key" -t "$tag" -f "$dockerfile" "$context" >&2
}

if [[ -z "$(docker image ls -q local/debian:bookworm)" ]]; then
  rootfs="$(mktemp -d)"
  log "debootstrap bookworm (about a minute, once)"
  debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >&2
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - local/debian:bookworm >&2
  rm -rf "$rootfs"
fi
debian_id="$(docker image inspect --format '{{.Id}}' local/debian:bookworm)"

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT

# node:24-slim: the binary the project pins and npm 11 from the registry.
node_bin="$root/node_modules/node/bin/node"
npm_version=11.6.2
node_key="$(echo "$debian_id $npm_version $("$node_bin" --version)" | key_of - "$images/node.Dockerfile" /etc/ssl/certs/ca-certificates.crt)"
if [[ "$(current_key node:24-slim)" != "$node_key" ]]; then
  mkdir -p "$context/node/npm"
  cp "$node_bin" "$context/node/node"
  cp /etc/ssl/certs/ca-certificates.crt "$context/node/"
  (cd "$context/node" && npm pack -q "npm@$npm_version" >/dev/null && tar -xzf "npm-$npm_version.tgz" -C npm --strip-components=1 && rm "npm-$npm_version.tgz")
  build node:24-slim "$node_key" "$context/node" "$images/node.Dockerfile"
fi

mkdir -p "$context/otelcol" "$context/jaeger"
otelcol_key="$(key_of "$OTELCOL" "$images/otelcol.Dockerfile" <(echo "$debian_id"))"
if [[ "$(current_key "otel/opentelemetry-collector-contrib:$OTELCOL_TAG")" != "$otelcol_key" ]]; then
  cp "$OTELCOL" "$context/otelcol/otelcol-mcpscope"
  build "otel/opentelemetry-collector-contrib:$OTELCOL_TAG" "$otelcol_key" "$context/otelcol" "$images/otelcol.Dockerfile"
fi
jaeger_key="$(key_of "$JAEGER" "$images/jaeger.Dockerfile" <(echo "$debian_id"))"
if [[ "$(current_key "jaegertracing/jaeger:$JAEGER_TAG")" != "$jaeger_key" ]]; then
  cp "$JAEGER" "$context/jaeger/jaeger"
  build "jaegertracing/jaeger:$JAEGER_TAG" "$jaeger_key" "$context/jaeger" "$images/jaeger.Dockerfile"
fi
build "prom/prometheus:$PROMETHEUS_TAG" "$(key_of "$images/prometheus.Dockerfile" <(echo "$debian_id"))" "$images" "$images/prometheus.Dockerfile"
build postgres:15-bookworm "$(key_of "$images/postgres.Dockerfile" "$images/postgres-entrypoint.sh" <(echo "$debian_id"))" "$images" "$images/postgres.Dockerfile"
mkdir -p "$context/pause" "$context/coredns"
pause_key="$(key_of "$images/pause.c" "$images/pause.Dockerfile")"
if [[ "$(current_key registry.k8s.io/pause:3.10)" != "$pause_key" ]]; then
  gcc -static -Os -s -o "$context/pause/pause" "$images/pause.c"
  build registry.k8s.io/pause:3.10 "$pause_key" "$context/pause" "$images/pause.Dockerfile"
fi
coredns_key="$(key_of "$COREDNS" "$images/coredns.Dockerfile")"
if [[ "$(current_key registry.k8s.io/coredns/coredns:v1.14.7)" != "$coredns_key" ]]; then
  cp "$COREDNS" "$context/coredns/coredns"
  build registry.k8s.io/coredns/coredns:v1.14.7 "$coredns_key" "$context/coredns" "$images/coredns.Dockerfile"
fi
log "stand-in images ready"
