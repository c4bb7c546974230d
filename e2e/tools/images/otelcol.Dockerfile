# A STAND-IN for otel/opentelemetry-collector-contrib (no registry is reachable here): the
# Collector that e2e/tools/setup.sh builds with OCB (e2e/tools/otelcol/builder-config.yaml, the
# components the chart's config uses), as uid 10001 like the official image.
FROM local/debian:bookworm
COPY otelcol-mcpscope /otelcol-contrib
USER 10001
EXPOSE 4317 4318 8889
ENTRYPOINT ["/otelcol-contrib"]
CMD ["--config=/etc/otelcol-contrib/config.yaml"]
