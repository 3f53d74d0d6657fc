/**
 * Checks shared by the npm build (scripts/build_npm.ts) and the tests: the version is set in
 * package.json only and copied to deno.json and src/version.ts; every JSR entry point
 * (deno.json `exports`) is an npm export whose `bun` condition keeps the `.ts` source and whose
 * `default` is the compiled JavaScript. No `deno` condition: Deno refuses to strip types under
 * node_modules (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING, seen with Deno 2.9), so Deno
 * takes the JavaScript from npm and the `.ts` from JSR.
 *
 * @module
 */

/** Reads a file of the repository (path relative to its root) as text. */
export type ReadFile = (file: string) => string;

const VERSION_TS = "src/version.ts";
const VERSION_CONST = /export const VERSION = "([^"]*)";/;
const DENO_VERSION = /"version": "([^"]*)"/;

interface PackageJson {
  version: string;
  exports: Record<string, Record<string, string>>;
  bin?: Record<string, string>;
}

function packageJson(read: ReadFile): PackageJson {
  return JSON.parse(read("package.json")) as PackageJson;
}

function denoExports(read: ReadFile): Record<string, string> {
  return (JSON.parse(read("deno.json")) as { exports: Record<string, string> }).exports;
}

/** The version package.json, deno.json and src/version.ts each hold (undefined: none found). */
export function versions(read: ReadFile): Record<string, string | undefined> {
  return {
    "package.json": packageJson(read).version,
    "deno.json": DENO_VERSION.exec(read("deno.json"))?.[1],
    [VERSION_TS]: VERSION_CONST.exec(read(VERSION_TS))?.[1],
  };
}

/** A message naming the files whose version differs from package.json's, or undefined. */
export function checkVersions(read: ReadFile): string | undefined {
  const v = versions(read);
  const want = v["package.json"];
  const off = Object.entries(v).filter(([, got]) => got !== want);
  if (off.length === 0) return undefined;
  return `version drift: package.json has ${want}, ` + off.map(([f, got]) => `${f} has ${got}`).join(", ");
}

/** The new texts of deno.json and src/version.ts carrying package.json's version. */
export function syncVersion(read: ReadFile): [file: string, text: string][] {
  const version = packageJson(read).version;
  return [
    ["deno.json", read("deno.json").replace(DENO_VERSION, `"version": "${version}"`)],
    [VERSION_TS, read(VERSION_TS).replace(VERSION_CONST, `export const VERSION = "${version}";`)],
  ];
}

/**
 * What is wrong with package.json's `exports` (and `bin`) against deno.json's: each JSR entry
 * point `./x.ts` must be exported under the same key as
 * `{ types: ./dist/x.d.ts, bun: ./x.ts, default: ./dist/x.js }` (in that order:
 * the first matching condition wins) and, when `exists` is given, every file named must exist.
 */
export function checkExports(read: ReadFile, exists?: (file: string) => boolean): string[] {
  const pkg = packageJson(read);
  const jsr = denoExports(read);
  const problems: string[] = [];
  for (const [key, src] of Object.entries(jsr)) {
    const stem = src.replace(/^\.\//, "").replace(/\.ts$/, "");
    const want = { types: `./dist/${stem}.d.ts`, bun: src, default: `./dist/${stem}.js` };
    const got = pkg.exports[key];
    if (got === undefined) {
      problems.push(`package.json: exports["${key}"] is missing (deno.json exports ${src}): ${JSON.stringify(want)}`);
      continue;
    }
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      problems.push(`package.json: exports["${key}"] should be ${JSON.stringify(want)}, is ${JSON.stringify(got)}`);
    }
  }
  for (const key of Object.keys(pkg.exports)) {
    if (!(key in jsr)) problems.push(`package.json: exports["${key}"] is not a deno.json export`);
  }
  if (exists !== undefined) {
    const files = [...Object.values(pkg.exports).flatMap((e) => Object.values(e)), ...Object.values(pkg.bin ?? {})];
    for (const f of new Set(files)) {
      if (!exists(f)) {
        problems.push(`${f} (named in package.json) was not built: is it in tsconfig.build.json "include"?`);
      }
    }
  }
  return problems;
}
