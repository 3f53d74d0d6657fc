/** The core is platform-free: nothing under src/ nor mod.ts names Deno, Bun or node:* APIs. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_child.ts";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the core", () => {
  it("uses no runtime API: grep -rE 'Deno\\.|Bun\\.|from \"node:' src/ mod.ts finds nothing", () => {
    const hits: string[] = [];
    for (const f of [...files(join(ROOT, "src")), join(ROOT, "mod.ts")]) {
      readFileSync(f, "utf8").split("\n").forEach((line, i) => {
        if (/Deno\.|Bun\.|from "node:/.test(line)) hits.push(`${f.slice(ROOT.length)}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(hits, []);
  });
});
