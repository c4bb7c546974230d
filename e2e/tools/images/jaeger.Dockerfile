# A STAND-IN for jaegertracing/jaeger (v2; no registry is reachable here): the binary e2e/tools/setup.sh
# builds from the Go module github.com/jaegertracing/jaeger/cmd/jaeger, as uid 10001 like the official image.
FROM local/debian:bookworm
COPY jaeger /cmd/jaeger-linux
USER 10001
EXPOSE 4317 4318 16686
ENTRYPOINT ["/cmd/jaeger-linux"]
