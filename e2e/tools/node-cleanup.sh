#!/usr/bin/env bash
# Removes what the node provider's kubelet, CNI and kube-proxy leave on the host once their processes
# are stopped: pod processes, mounts under the node's folders, network namespaces, the pod bridge, the CNI/KUBE
# iptables chains, the extra address on lo, the rules refusing un-DNATed service traffic and the kubepods
# cgroups. Idempotent.
#   node-cleanup.sh NODE_DIR CONTAINERD_RUN BRIDGE ADDRESS SERVICE_CIDR KUBE_PROXY
set -uo pipefail
node_dir="$1" containerd_run="$2" bridge="$3" address="$4" service_cidr="$5" kube_proxy="${6:-}"

# Shims of this node's containerd (their command line names its socket).
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $containerd_run/containerd.sock"); do kill -KILL "$pid"; done
# What the shims leave running (a pod's pause process outlives its killed shim and keeps the pod's
# network namespace and veth alive): every process still in a kubepods cgroup, which only this node makes.
# The kubepods cgroups: one per controller under cgroup v1, one in all under v2.
kubepods_cgroups=(/sys/fs/cgroup/kubepods /sys/fs/cgroup/*/kubepods)
for procs in $(find "${kubepods_cgroups[@]}" -name cgroup.procs 2>/dev/null); do
  while read -r pid; do kill -KILL "$pid" 2>/dev/null; done <"$procs"
done
# Every mount under the node's folders, deepest first.
awk -v a="$node_dir/" -v b="$containerd_run/" 'index($2"/", a) == 1 || index($2"/", b) == 1 {print $2}' /proc/mounts |
  sort -r | while read -r mount; do umount -l "$mount"; done
for ns in /var/run/netns/cni-*; do [[ -e $ns ]] && { umount "$ns" 2>/dev/null; rm -f "$ns"; }; done
ip link del "$bridge" 2>/dev/null
[[ -n $kube_proxy && -x $kube_proxy ]] && "$kube_proxy" --cleanup >/dev/null 2>&1
for table in nat filter; do
  iptables-save -t "$table" | grep -oE '^-A (POSTROUTING|FORWARD) .*-j (CNI-[A-Za-z0-9-]+)' | sed 's/^-A/-D/' |
    while read -r rule; do eval iptables -t "$table" "$rule"; done
  for chain in $(iptables-save -t "$table" | grep -oE '^:CNI-[A-Za-z0-9-]+' | tr -d :); do iptables -t "$table" -F "$chain"; done
  for chain in $(iptables-save -t "$table" | grep -oE '^:CNI-[A-Za-z0-9-]+' | tr -d :); do iptables -t "$table" -X "$chain"; done
done
for ipt in iptables ip6tables; do
  for table in filter nat mangle; do
    for chain in KUBE-FIREWALL KUBE-KUBELET-CANARY KUBE-IPTABLES-HINT; do
      "$ipt-save" -t "$table" 2>/dev/null | grep -E "^-A [A-Z]+ .*-j $chain\$" | sed 's/^-A/-D/' |
        while read -r rule; do eval "$ipt" -t "$table" "$rule"; done
      "$ipt" -t "$table" -F "$chain" 2>/dev/null
      "$ipt" -t "$table" -X "$chain" 2>/dev/null
    done
  done
done
ip addr del "$address/32" dev lo 2>/dev/null
while iptables -D FORWARD -t mangle -d "$service_cidr" -j DROP 2>/dev/null; do :; done
while iptables -D OUTPUT -t filter -d "$service_cidr" -p tcp -j REJECT --reject-with tcp-reset 2>/dev/null; do :; done
for cgroup in "${kubepods_cgroups[@]}"; do [[ -d $cgroup ]] && find "$cgroup" -depth -type d -exec rmdir {} \; 2>/dev/null; done
rm -rf "$containerd_run"
true
