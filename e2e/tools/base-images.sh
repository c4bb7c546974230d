#!/usr/bin/env bash
# Makes sure, once per machine, the base images the Dockerfiles, compose and the chart's node test use
# exist under their real names. For each: an image already there that is not one of ours is used as it
# is (never replaced); a missing one is pulled (`docker pull`); only where neither works is a local
# STAND-IN built (labelled dev.mcpscope.stand-in-key, and rebuilt only when its inputs change):
#   node:24-slim                            local/debian:bookworm + the pinned Node 24 binary + npm 11 + user node (1000)
#   otel/opentelemetry-collector-contrib    the Collector setup.sh builds (OTELCOL)
#   jaegertracing/jaeger                    Jaeger v2 setup.sh builds (JAEGER)
#   prom/prometheus                         Debian's prometheus package
#   postgres:15-bookworm                    Debian's PostgreSQL 15
#   registry.k8s.io/pause:3.10              a static C program (the node provider's pod sandbox)
#   registry.k8s.io/coredns/coredns:v1.14.7 CoreDNS setup.sh builds (COREDNS)
# A stand-in stays until removed (`docker rmi`); the next run then pulls the real image if it can.
# The stand-ins build on local/debian:bookworm (debootstrap --variant=minbase bookworm, imported), made
# only when a stand-in is needed. Grafana has no stand-in: it is pulled when it can be, for the compose test.
# MCPSCOPE_BASE_IMAGE_PREFIX (default empty) prefixes every name, so a test can run this script on
# throwaway names. Needs a running Docker engine (e2e/tools/docker-engine.sh) and OTELCOL/JAEGER/COREDNS.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
images="$here/images"
log() { echo "[base-images] $*" >&2; }
: "${OTELCOL:?path of the Collector binary (setup.sh prints it)}" "${JAEGER:?path of the jaeger binary}"
: "${COREDNS:?path of the coredns binary}"
: "${OTELCOL_TAG:=0.136.0}" "${JAEGER_TAG:=2.13.0}" "${PROMETHEUS_TAG:=v2.55.1}" "${GRAFANA_TAG:=11.3.0}"
prefix="${MCPSCOPE_BASE_IMAGE_PREFIX:-}"

label=dev.mcpscope.stand-in-key
exists() { docker image inspect "$1" >/dev/null 2>&1; }
# The stand-in key an image carries; empty for an image that is not one of ours.
current_key() { docker image inspect --format "{{index .Config.Labels \"$label\"}}" "$1" 2>/dev/null || true; }
key_of() { cat "$@" | sha256sum | cut -c1-16; }
# A failed pull (no registry, no such name) is an answer, not an error; bounded so a dead network cannot stall.
pull() { timeout "${MCPSCOPE_PULL_TIMEOUT:-120}" docker pull -q "$1" >/dev/null 2>&1; }

# needs_stand_in TAG: 0 (build or refresh our stand-in) unless the real image is here or can be pulled.
# An image without our label is the user's (or pulled): left exactly as it is.
needs_stand_in() {
  local tag="$1"
  if exists "$tag" && [[ -z "$(current_key "$tag")" ]]; then
    log "$tag: using the image already present (not a stand-in; left as it is)"
    return 1
  fi
  if exists "$tag"; then return 0; fi # our stand-in: refreshed below when its inputs changed
  if pull "$tag"; then
    log "$tag: pulled"
    return 1
  fi
  log "$tag: not present and cannot be pulled: a local stand-in"
  return 0
}

debian_id=""
# The base of the stand-ins, made on first need.
debian() {
  if [[ -n "$debian_id" ]]; then return; fi
  if [[ -z "$(docker image ls -q local/debian:bookworm)" ]]; then
    local rootfs
    rootfs="$(mktemp -d)"
    log "debootstrap bookworm (about a minute, once)"
    debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >&2
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -c . | docker import - local/debian:bookworm >&2
    rm -rf "$rootfs"
  fi
  debian_id="$(docker image inspect --format '{{.Id}}' local/debian:bookworm)"
}

# build TAG KEY CONTEXT DOCKERFILE: docker build unless TAG already carries KEY (only ever over a stand-in).
build() {
  local tag="$1" key="$2" context="$3" dockerfile="$4"
  if [[ "$(current_key "$tag")" == "$key" ]]; then return; fi
  log "building $tag (stand-in)"
  docker build -q --label "$label=$key" -t "$tag" -f "$dockerfile" "$context" >&2
}

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT

# node:24-slim: the binary the project pins and npm 11 from the registry.
tag="${prefix}node:24-slim"
if needs_stand_in "$tag"; then
  debian
  node_bin="$root/node_modules/node/bin/node"
  npm_version=11.6.2
  node_key="$(echo "$debian_id $npm_version $("$node_bin" --version)" | key_of - "$images/node.Dockerfile" /etc/ssl/certs/ca-certificates.crt)"
  if [[ "$(current_key "$tag")" != "$node_key" ]]; then
    mkdir -p "$context/node/npm"
    cp "$node_bin" "$context/node/node"
    cp /etc/ssl/certs/ca-certificates.crt "$context/node/"
    (cd "$context/node" && npm pack -q "npm@$npm_version" >/dev/null && tar -xzf "npm-$npm_version.tgz" -C npm --strip-components=1 && rm "npm-$npm_version.tgz")
    build "$tag" "$node_key" "$context/node" "$images/node.Dockerfile"
  fi
fi

tag="${prefix}otel/opentelemetry-collector-contrib:$OTELCOL_TAG"
if needs_stand_in "$tag"; then
  debian
  otelcol_key="$(key_of "$OTELCOL" "$images/otelcol.Dockerfile" <(echo "$debian_id"))"
  if [[ "$(current_key "$tag")" != "$otelcol_key" ]]; then
    mkdir -p "$context/otelcol"
    cp "$OTELCOL" "$context/otelcol/otelcol-mcpscope"
    build "$tag" "$otelcol_key" "$context/otelcol" "$images/otelcol.Dockerfile"
  fi
fi

tag="${prefix}jaegertracing/jaeger:$JAEGER_TAG"
if needs_stand_in "$tag"; then
  debian
  jaeger_key="$(key_of "$JAEGER" "$images/jaeger.Dockerfile" <(echo "$debian_id"))"
  if [[ "$(current_key "$tag")" != "$jaeger_key" ]]; then
    mkdir -p "$context/jaeger"
    cp "$JAEGER" "$context/jaeger/jaeger"
    build "$tag" "$jaeger_key" "$context/jaeger" "$images/jaeger.Dockerfile"
  fi
fi

tag="${prefix}prom/prometheus:$PROMETHEUS_TAG"
if needs_stand_in "$tag"; then
  debian
  build "$tag" "$(key_of "$images/prometheus.Dockerfile" <(echo "$debian_id"))" "$images" "$images/prometheus.Dockerfile"
fi

tag="${prefix}postgres:15-bookworm"
if needs_stand_in "$tag"; then
  debian
  build "$tag" "$(key_of "$images/postgres.Dockerfile" "$images/postgres-entrypoint.sh" <(echo "$debian_id"))" "$images" "$images/postgres.Dockerfile"
fi

tag="${prefix}registry.k8s.io/pause:3.10"
if needs_stand_in "$tag"; then
  pause_key="$(key_of "$images/pause.c" "$images/pause.Dockerfile")"
  if [[ "$(current_key "$tag")" != "$pause_key" ]]; then
    mkdir -p "$context/pause"
    gcc -static -Os -s -o "$context/pause/pause" "$images/pause.c"
    build "$tag" "$pause_key" "$context/pause" "$images/pause.Dockerfile"
  fi
fi

tag="${prefix}registry.k8s.io/coredns/coredns:v1.14.7"
if needs_stand_in "$tag"; then
  coredns_key="$(key_of "$COREDNS" "$images/coredns.Dockerfile")"
  if [[ "$(current_key "$tag")" != "$coredns_key" ]]; then
    mkdir -p "$context/coredns"
    cp "$COREDNS" "$context/coredns/coredns"
    build "$tag" "$coredns_key" "$context/coredns" "$images/coredns.Dockerfile"
  fi
fi

# Grafana: the real image or none (the compose test says which).
tag="${prefix}grafana/grafana:$GRAFANA_TAG"
if exists "$tag"; then
  log "$tag: using the image already present"
elif pull "$tag"; then
  log "$tag: pulled"
else
  log "$tag: not present and cannot be pulled: the compose test runs without Grafana"
fi
log "base images ready"
