#!/usr/bin/env node
import { loadOperatorConfig, OperatorConfigError } from "./config.js";
import { startOperator } from "./operator.js";
import { PooledKubeConfig } from "./pooled-kube-config.js";

// Wiring only: config from the environment, kubeconfig (in-cluster or $KUBECONFIG), signals.
async function main(): Promise<void> {
  let config: ReturnType<typeof loadOperatorConfig>;
  try {
    config = loadOperatorConfig(process.env);
  } catch (error) {
    if (error instanceof OperatorConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  const kubeConfig = new PooledKubeConfig();
  kubeConfig.loadFromDefault();
  const operator = await startOperator(config, kubeConfig);
  const stop = () => {
    operator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `mcpscope-operator failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
