#!/usr/bin/env bash
# Installs or builds the real programs the tests run against, once per machine, into a cache:
# the OpenTelemetry Collector, the Kubernetes control plane, etcd, helm and helm-docs (from Go modules),
# Jaeger and Docker Compose v2 (Go modules), Prometheus/promtool, the Docker engine and docker-compose v1
# (Debian packages), and the Python MCP SDK (PyPI, in a venv).
# Prints KEY=path lines for e2e/src/tools/paths.ts to read. Idempotent; later runs take seconds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MCPSCOPE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpscope}"
mkdir -p "$cache"
log() { echo "[setup] $*" >&2; }

# What this machine needs: versions, and where each build lands in the cache.
otelcol_version=0.136.0
# Keyed by the builder config too: adding a component rebuilds it.
otelcol_dir="$cache/otelcol-$otelcol_version-$(sha256sum "$here/otelcol/builder-config.yaml" | cut -c1-8)"
otelcol="$otelcol_dir/otelcol-mcpscope"
k8s_version=1.35.4
k8s_bin="$cache/bin-k8s-v$k8s_version"
# The node provider's kubelet, kube-scheduler and kube-proxy come from the same module, in one build.
k8s_programs=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
coredns_version=1.14.7
coredns="$cache/coredns-v$coredns_version/coredns"
etcd_version=3.6.6
etcd_bin="$cache/bin-etcd-v$etcd_version"
# kubectl: the machine's own where there is one (these machines ship it), else built with Kubernetes.
kubectl="$(command -v kubectl || true)"
helm_version=3.22.0
helm="$cache/helm-v$helm_version/helm"
# helm-docs: charts/mcpscope/README.md's values table from values.yaml's `# --` comments (a test
# runs it with --dry-run and fails when the README differs).
helm_docs_version=1.14.2
helm_docs="$cache/helm-docs-v$helm_docs_version/helm-docs"
jaeger_version="$(sed -n 's|^\s*github.com/jaegertracing/jaeger \(v[^ ]*\).*|\1|p' "$here/jaeger/go.mod" | head -1)"
jaeger="$cache/jaeger-$jaeger_version/jaeger"
python_reqs="$here/../python/requirements.txt"
python_key="$(sha256sum "$python_reqs" | cut -c1-12)"
python_venv="$cache/python-mcp-$python_key"
# Docker Compose v2 (`docker compose`, the Docker CLI plugin): the machine's own where `docker compose`
# works, else built from its Go module (pinned in tools/compose) into a Docker config dir of the cache,
# whose cli-plugins/ the tests use through DOCKER_CONFIG (~/.docker is left alone).
compose_version="$(sed -n 's|^\s*github.com/docker/compose/v2 \(v[^ ]*\).*|\1|p' "$here/compose/go.mod" | head -1)"
compose_config=""
if ! docker compose version >/dev/null 2>&1; then compose_config="$cache/docker-config-compose-$compose_version"; fi

# Debian packages, in one apt run: prometheus (and promtool) for the tests, the Docker engine and
# docker-compose, iproute2 where ss is missing.
packages=()
command -v docker-compose >/dev/null || packages+=(docker-compose)
# The Docker engine (dockerd, containerd, runc) for the image and compose tests, and debootstrap for
# the local base image (nothing can be pulled here).
command -v dockerd >/dev/null || packages+=(docker.io)
command -v debootstrap >/dev/null || packages+=(debootstrap)
# The node provider: CNI plugins (bridge, host-local, firewall, portmap), conntrack for kube-proxy.
[[ -x /usr/lib/cni/bridge ]] || packages+=(containernetworking-plugins)
command -v conntrack >/dev/null || packages+=(conntrack)
# ss (iproute2) counts the upstream's sockets in the abandoned-streams test.
command -v ss >/dev/null || packages+=(iproute2)
{ command -v promtool && command -v prometheus; } >/dev/null || packages+=(prometheus)

# Say what this run will install before installing anything: the builds land in the cache only; the
# Debian packages (and python3-venv where venv needs it) go into the system, with apt-get.
planned=()
[[ -x "$otelcol" ]] || planned+=("the OpenTelemetry Collector $otelcol_version (Go build)")
for program in "${k8s_programs[@]}"; do
  [[ -x "$k8s_bin/$program" ]] || { planned+=("Kubernetes v$k8s_version ${k8s_programs[*]} (Go build)"); break; }
done
[[ -x "$coredns" ]] || planned+=("CoreDNS v$coredns_version (Go build)")
[[ -x "$etcd_bin/etcd" ]] || planned+=("etcd v$etcd_version (Go build)")
[[ -n "$kubectl" || -x "$k8s_bin/kubectl" ]] || planned+=("kubectl v$k8s_version (Go build)")
[[ -x "$helm" ]] || planned+=("helm v$helm_version (Go build)")
[[ -x "$helm_docs" ]] || planned+=("helm-docs v$helm_docs_version (Go build)")
[[ -x "$jaeger" ]] || planned+=("Jaeger $jaeger_version (Go build)")
[[ -z "$compose_config" || -x "$compose_config/cli-plugins/docker-compose" ]] ||
  planned+=("Docker Compose $compose_version, the docker compose CLI plugin (Go build)")
[[ -x "$python_venv/bin/python" ]] || planned+=("a Python venv with the MCP SDK (pip, e2e/python/requirements.txt)")
if ((${#planned[@]} > 0 || ${#packages[@]} > 0)); then
  log "this run installs:"
  for item in "${planned[@]}"; do log "  into $cache: $item"; done
  if ((${#packages[@]} > 0)); then log "  into the system (apt-get install): ${packages[*]}"; fi
fi

if [[ ! -x "$otelcol" ]]; then
  log "building the OpenTelemetry Collector $otelcol_version (a few minutes, once)"
  GOBIN="$cache/gobin" go install "go.opentelemetry.io/collector/cmd/builder@v$otelcol_version"
  sed "s|output_path: ./build|output_path: $otelcol_dir|" "$here/otelcol/builder-config.yaml" > "$cache/otelcol-builder.yaml"
  "$cache/gobin/builder" --config "$cache/otelcol-builder.yaml" >&2
fi

# Kubernetes control plane and etcd, from Go modules pinned in tools/kube and tools/etcd.
missing=()
for program in "${k8s_programs[@]}"; do [[ -x "$k8s_bin/$program" ]] || missing+=("k8s.io/kubernetes/cmd/$program"); done
if ((${#missing[@]} > 0)); then
  log "building ${missing[*]##*/} v$k8s_version (several minutes, once)"
  mkdir -p "$k8s_bin"
  (cd "$here/kube" && CGO_ENABLED=0 go build -trimpath -tags selinux,notest \
    -ldflags "-X k8s.io/component-base/version.gitVersion=v$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=35 -X k8s.io/client-go/pkg/version.gitVersion=v$k8s_version" \
    -o "$k8s_bin/" "${missing[@]}") >&2
fi
# CoreDNS, so the node provider's pods resolve Service names.
if [[ ! -x "$coredns" ]]; then
  log "building CoreDNS v$coredns_version from its Go module"
  CGO_ENABLED=0 GOBIN="$(dirname "$coredns")" go install -trimpath "github.com/coredns/coredns@v$coredns_version" >&2
fi
if [[ ! -x "$etcd_bin/etcd" ]]; then
  log "building etcd v$etcd_version"
  mkdir -p "$etcd_bin"
  (cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -o "$etcd_bin/etcd" .) >&2
fi

if [[ -z "$kubectl" ]]; then
  kubectl="$k8s_bin/kubectl"
  if [[ ! -x "$kubectl" ]]; then
    log "building kubectl v$k8s_version"
    (cd "$here/kube" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-X k8s.io/component-base/version.gitVersion=v$k8s_version -X k8s.io/client-go/pkg/version.gitVersion=v$k8s_version" \
      -o "$kubectl" k8s.io/kubernetes/cmd/kubectl) >&2
  fi
fi

if [[ ! -x "$helm" ]]; then
  log "building helm v$helm_version from its Go module"
  GOBIN="$cache/helm-v$helm_version" go install "helm.sh/helm/v3/cmd/helm@v$helm_version" >&2
fi
if [[ ! -x "$helm_docs" ]]; then
  log "building helm-docs v$helm_docs_version from its Go module"
  helm_docs_start=$SECONDS
  CGO_ENABLED=0 GOBIN="$(dirname "$helm_docs")" go install -trimpath "github.com/norwoodj/helm-docs/cmd/helm-docs@v$helm_docs_version" >&2
  log "built helm-docs in $((SECONDS - helm_docs_start)) s"
fi

# Jaeger v2, the optional trace store (its go.mod pins the version; built as a Go tool).
if [[ ! -x "$jaeger" ]]; then
  log "building Jaeger $jaeger_version from its Go module (a few minutes, once)"
  (cd "$here/jaeger" && CGO_ENABLED=0 go build -trimpath -o "$jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) >&2
fi

if [[ -n "$compose_config" && ! -x "$compose_config/cli-plugins/docker-compose" ]]; then
  log "building Docker Compose $compose_version from its Go module (a few minutes, once)"
  mkdir -p "$compose_config/cli-plugins"
  (cd "$here/compose" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-w -X github.com/docker/compose/v2/internal.Version=$compose_version" \
    -o "$compose_config/cli-plugins/docker-compose" github.com/docker/compose/v2/cmd) >&2
fi
# The user's Docker client settings (registry credentials, contexts) stay in effect under DOCKER_CONFIG.
if [[ -n "$compose_config" ]]; then
  for entry in config.json contexts; do
    [[ -e "$HOME/.docker/$entry" && ! -e "$compose_config/$entry" ]] && ln -s "$HOME/.docker/$entry" "$compose_config/$entry"
  done
fi

# The Python MCP SDK (a real peer: client and server), in a venv keyed by the pinned requirements.
if [[ ! -x "$python_venv/bin/python" ]] || ! "$python_venv/bin/python" -c "import mcp" 2>/dev/null; then
  log "installing the Python MCP SDK into $python_venv"
  command -v python3 >/dev/null || { apt-get update -qq >&2 && apt-get install -y -qq python3 python3-venv >&2; }
  rm -rf "$python_venv"
  # Debian's python3 needs python3-venv (ensurepip) to create one.
  if ! python3 -m venv "$python_venv" >&2; then
    apt-get update -qq >&2 && apt-get install -y -qq python3-venv >&2
    rm -rf "$python_venv"
    python3 -m venv "$python_venv" >&2
  fi
  "$python_venv/bin/pip" install -q --disable-pip-version-check -r "$python_reqs" >&2
fi

if ((${#packages[@]} > 0)); then
  log "installing Debian packages: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
  # The prometheus package starts a system service; the tests run their own instances.
  (systemctl stop prometheus prometheus-node-exporter 2>/dev/null || service prometheus stop 2>/dev/null || true) >&2
  # docker.io's service, where an init system started it, stays: docker-engine.sh uses a running engine.
fi

echo "OTELCOL=$otelcol"
echo "KUBE_APISERVER=$k8s_bin/kube-apiserver"
echo "KUBE_CONTROLLER_MANAGER=$k8s_bin/kube-controller-manager"
echo "ETCD=$etcd_bin/etcd"
echo "KUBE_SCHEDULER=$k8s_bin/kube-scheduler"
echo "KUBELET=$k8s_bin/kubelet"
echo "KUBE_PROXY=$k8s_bin/kube-proxy"
echo "COREDNS=$coredns"
echo "KUBECTL=$kubectl"
echo "HELM=$helm"
echo "HELM_DOCS=$helm_docs"
echo "DOCKER_COMPOSE=$(command -v docker-compose)"
# Empty when the machine's `docker compose` is used as it is.
echo "DOCKER_CONFIG_COMPOSE=$compose_config"
echo "PROMETHEUS=$(command -v prometheus)"
echo "PROMTOOL=$(command -v promtool)"
echo "JAEGER=$jaeger"
echo "PYTHON_MCP=$python_venv/bin/python"
