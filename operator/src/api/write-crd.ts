#!/usr/bin/env node
// `npm run generate:crds`: writes crds/ and the chart's crds/ from the zod schemas (a test fails when they differ).
import { writeFileSync } from "node:fs";
import { chartCrdFilePath, crdFileHeader, crdFilePath, crdYaml } from "./crd-file.js";

for (const path of [crdFilePath, chartCrdFilePath]) {
  writeFileSync(path, crdFileHeader + crdYaml());
  console.log(`wrote ${path}`);
}
