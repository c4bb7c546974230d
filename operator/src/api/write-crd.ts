#!/usr/bin/env node
// `npm run generate:crds`: writes crds/ from the zod schemas (a test fails when they differ).
import { writeFileSync } from "node:fs";
import { crdFileHeader, crdFilePath, crdYaml } from "./crd-file.js";

writeFileSync(crdFilePath, crdFileHeader + crdYaml());
console.log(`wrote ${crdFilePath}`);
