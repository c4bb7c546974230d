// Preloaded with `node --import` by the loaded-modules test: records every module the process resolves
// (import and require alike) and writes their URLs, one a line, to $MCPSCOPE_LOADED_MODULES when told to
// stop (SIGTERM: a sidecar still flushing to an unreachable OTLP endpoint may be killed before it exits),
// followed by every Node builtin loaded, as builtin:NAME (builtins load builtins no hook sees).
import { writeFileSync } from "node:fs";
import { registerHooks } from "node:module";

const listFile = process.env.MCPSCOPE_LOADED_MODULES;
if (listFile) {
  const loaded = new Set<string>();
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const resolved = nextResolve(specifier, context);
      loaded.add(resolved.url);
      return resolved;
    },
  });
  process.prependListener("SIGTERM", () => {
    // Node's own record of what it loaded: undocumented and not in its typings, but there in Node 24.
    const { moduleLoadList } = process as unknown as { moduleLoadList: string[] };
    const builtins = moduleLoadList.flatMap((entry) =>
      entry.startsWith("NativeModule ") ? [`builtin:${entry.slice("NativeModule ".length)}`] : [],
    );
    writeFileSync(listFile, [...loaded, ...builtins].join("\n"));
  });
}
