/**
 * Builds the npm package: `tsc -p tsconfig.build.json` into dist/ (JavaScript + .d.ts, the
 * `.ts` import specifiers rewritten to `.js` so plain Node 20 and 22 run it), after checking
 * that the version is the same in package.json, deno.json and src/version.ts, then checks
 * that every entry point of deno.json (JSR) has its package.json export and was built.
 *
 *   node scripts/build_npm.ts                  build (npm run build; npm pack runs it)
 *   node scripts/build_npm.ts --sync-version   write package.json's version into deno.json and
 *                                              src/version.ts (npm version runs it), no build
 *
 * Exit code 1 with a message naming the file on any mismatch or compiler error.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkExports, checkVersions, syncVersion } from "./_package.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const read = (file: string): string => readFileSync(join(root, file), "utf8");

function fail(message: string): never {
  console.error(`build_npm: ${message}`);
  process.exit(1);
}

if (process.argv.includes("--sync-version")) {
  for (const [file, text] of syncVersion(read)) writeFileSync(join(root, file), text);
  console.log(`build_npm: version ${JSON.parse(read("package.json")).version} written to deno.json and src/version.ts`);
  process.exit(0);
}

const drift = checkVersions(read);
if (drift !== undefined) fail(`${drift} (run: node scripts/build_npm.ts --sync-version)`);

rmSync(join(root, "dist"), { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  cwd: root,
  stdio: "inherit",
});
if (tsc.status !== 0) fail(`tsc -p tsconfig.build.json failed (exit ${tsc.status})`);

const problems = checkExports(read, (file) => existsSync(join(root, file)));
if (problems.length > 0) fail(problems.join("\n"));
console.log("build_npm: dist/ built; package.json exports match deno.json");
