import { createHash } from "node:crypto";

/**
 * A DNS-1123 label of at most `max` characters; longer names keep a readable prefix and gain a short
 * hash so two long names never collide (the opentelemetry-operator's naming rule).
 */
export function dnsSafeName(name: string, max = 63): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  if (cleaned.length <= max) return cleaned;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${cleaned.slice(0, max - 9).replace(/-+$/, "")}-${hash}`;
}

/** Quotes words for /bin/sh -c, so a command array survives as a command line. */
export function shellJoin(words: readonly string[]): string {
  return words.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(" ");
}
