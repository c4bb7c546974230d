import type { V1LimitRange, V1Pod, V1ResourceQuota } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { parseQuantity } from "./quantity.js";
import { fitSidecarResources } from "./resource-fit.js";

const pod = (requests: Record<string, string> = {}): V1Pod => ({
  spec: { containers: [{ name: "app", image: "a", resources: { requests, limits: requests } }] },
});
const sidecar = { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "256Mi" } };
const limitRange = (item: object): V1LimitRange => ({
  metadata: { name: "limits" },
  spec: { limits: [{ type: "Container", ...item }] },
});
const quota = (hard: Record<string, string>, used: Record<string, string> = {}): V1ResourceQuota => ({
  metadata: { name: "q" },
  spec: { hard },
  status: { hard, used },
});

describe("parseQuantity", () => {
  it("reads decimal and binary suffixes and plain numbers, and refuses the rest", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("128Mi")).toBe(128 * 2 ** 20);
    expect(parseQuantity("1.5Gi")).toBe(1.5 * 2 ** 30);
    expect(parseQuantity("2")).toBe(2);
    expect(parseQuantity(3)).toBe(3);
    expect(parseQuantity("lots")).toBeUndefined();
  });
});

describe("fitSidecarResources", () => {
  it("leaves the sidecar's resources alone in a namespace without limits", () => {
    expect(fitSidecarResources(pod(), sidecar, { limitRanges: [], quotas: [] })).toEqual({
      fits: true,
      resources: sidecar,
    });
  });

  it("adds the CPU limit a quota on limits.cpu demands: the LimitRange default, else 500m", () => {
    const demanding = { limitRanges: [], quotas: [quota({ "limits.cpu": "4" })] };
    expect(fitSidecarResources(pod(), sidecar, demanding)).toMatchObject({
      fits: true,
      resources: { limits: { cpu: "500m" } },
    });
    const withDefault = { ...demanding, limitRanges: [limitRange({ _default: { cpu: "200m" } })] };
    expect(fitSidecarResources(pod(), sidecar, withDefault)).toMatchObject({ resources: { limits: { cpu: "200m" } } });
  });

  it("gives a memory limit a quota demands from the request, else 256Mi (never a CPU value)", () => {
    const quota = { limitRanges: [], quotas: [{ spec: { hard: { "limits.memory": "4Gi" } } }] };
    expect(fitSidecarResources(pod(), { requests: { memory: "96Mi" } }, quota)).toMatchObject({
      resources: { limits: { memory: "96Mi" } },
    });
    expect(fitSidecarResources(pod(), {}, quota)).toMatchObject({ resources: { limits: { memory: "256Mi" } } });
  });

  it("lowers a limit above the LimitRange's max to the max, and refuses a max below what the sidecar needs", () => {
    const capped = fitSidecarResources(pod(), sidecar, {
      limitRanges: [limitRange({ max: { memory: "128Mi" } })],
      quotas: [],
    });
    expect(capped).toEqual({
      fits: true,
      resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { memory: "128Mi" } },
    });
    expect(
      fitSidecarResources(pod(), sidecar, { limitRanges: [limitRange({ max: { memory: "32Mi" } })], quotas: [] }),
    ).toEqual({
      fits: false,
      reason: "LimitRange limits allows containers at most memory=32Mi; the sidecar needs 64Mi",
    });
  });

  it("skips a pod whose quota has room for it but not for the sidecar", () => {
    const tight = { limitRanges: [], quotas: [quota({ "requests.memory": "1Gi" }, { "requests.memory": "900Mi" })] };
    expect(fitSidecarResources(pod({ memory: "64Mi" }), sidecar, tight)).toEqual({
      fits: false,
      reason: "ResourceQuota q has room for the pod's requests.memory but not for the sidecar's",
    });
  });
});
