# A STAND-IN for registry.k8s.io/pause (the pod sandbox image; nothing can be pulled here).
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]
