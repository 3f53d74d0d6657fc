/**
 * Preloaded into a bench target (`bench/_targets.ts`, `gcHook`) so that the bench can measure
 * its memory after a full garbage collection: on SIGUSR2 the process runs one (`gc()` exposed
 * by `--expose-gc` on Node and Deno, `Bun.gc(true)` on Bun), then prints
 * `gc done HEAP_USED EXTERNAL HEAP_TOTAL` (bytes, `process.memoryUsage()`: HEAP_TOTAL is the
 * heap V8 has committed, young generation included) on stdout.
 *
 * @module
 */
import process from "node:process";

const g = globalThis as unknown as { gc?: () => void; Bun?: { gc(force: boolean): void } };

process.on("SIGUSR2", () => {
  // Twice: a first pass may only free what keeps other garbage alive (weak refs, finalizers).
  for (let i = 0; i < 2; i++) {
    if (g.Bun !== undefined) g.Bun.gc(true);
    else g.gc?.();
  }
  const m = process.memoryUsage();
  process.stdout.write(`gc done ${m.heapUsed} ${m.external} ${m.heapTotal}\n`);
});
