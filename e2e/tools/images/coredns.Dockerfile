# A STAND-IN for registry.k8s.io/coredns/coredns: CoreDNS built from its Go module by setup.sh.
FROM scratch
COPY coredns /coredns
ENTRYPOINT ["/coredns"]
