# A STAND-IN for prom/prometheus (no registry is reachable here): Debian bookworm's prometheus
# package (2.42, older than the tag it stands in for), laid out like the official image: config in
# /etc/prometheus, data in /prometheus, user nobody.
FROM local/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends prometheus \
  && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /prometheus && chown nobody:nogroup /prometheus
USER nobody
WORKDIR /prometheus
EXPOSE 9090
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
