#!/usr/bin/env bash
# Starts or stops the Docker engine the image and compose tests use.
#   docker-engine.sh start   starts dockerd (which starts its own containerd) unless an engine
#                            already answers; prints STARTED=<pid> or STARTED= (already running)
#   docker-engine.sh stop PID  stops the dockerd this script started (and with it its containerd
#                            and containers), waiting until it has exited
# setup.sh installs the engine (Debian's docker.io). Logs: $MCPSCOPE_TOOLS_CACHE/dockerd.log.
set -euo pipefail
cache="${MCPSCOPE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mcpscope}"
mkdir -p "$cache"
case "${1:-}" in
  start)
    if docker info >/dev/null 2>&1; then echo "STARTED="; exit 0; fi
    # setsid: the engine outlives this script but not the test run that stops it.
    setsid dockerd --pidfile "$cache/dockerd.pid" >"$cache/dockerd.log" 2>&1 < /dev/null &
    pid=$!
    for _ in $(seq 1 120); do
      if docker info >/dev/null 2>&1; then echo "STARTED=$pid"; exit 0; fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    echo "dockerd did not come up; the end of $cache/dockerd.log:" >&2
    tail -20 "$cache/dockerd.log" >&2
    exit 1
    ;;
  stop)
    pid="${2:?the pid that start printed}"
    kill -TERM "$pid" 2>/dev/null || exit 0
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.5; done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  *) echo "usage: $0 start | stop PID" >&2; exit 2 ;;
esac
