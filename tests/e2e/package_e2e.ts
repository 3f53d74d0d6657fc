/**
 * The npm package as a user gets it: scripts/build_npm.ts builds dist/, `npm pack` packs it,
 * the tarball is installed into a temporary project and tests/fixtures/package_app.mjs (a
 * proxy with an echo server behind it, one round trip on loopback) runs there on plain
 * Node 20 and Node 22 (binaries from the npm registry's node-<os>-<arch> packages, cached in
 * $PROXYKIT_NODE_CACHE or the system's temporary folder; Node 22 with type stripping off), on
 * Bun (the `bun` condition: the .ts sources) and on Deno (the JavaScript: Deno does not strip
 * types under node_modules). The runner's runtime only drives child processes, so the file is
 * not a `*_test.ts` picked by each runner: scripts/test.sh runs it once, as its own `package`
 * stage with its own time limit (`npm test -- package`, or `npm run test:package`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { ROOT } from "../_child.ts";

const BIN = join(ROOT, "node_modules", ".bin");
const NODE_CACHE = process.env.PROXYKIT_NODE_CACHE ?? join(tmpdir(), "proxykit-node-cache");
const VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

/** Runs a program to its end (at most `ms`), resolving with its stdout; rejects with its stderr. */
function run(exe: string, args: string[], cwd: string, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ""}`, NO_COLOR: "1" };
    execFile(exe, args, { cwd, env, timeout: ms, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${exe} ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A plain Node binary of this major version from the npm registry, installed once into the cache. */
async function nodeBinary(major: number): Promise<string> {
  const os = process.platform === "win32" ? "win" : process.platform;
  const pkg = `node-${os}-${process.arch}`;
  const dir = join(NODE_CACHE, String(major));
  const exe = join(dir, "node_modules", pkg, "bin", "node");
  if (existsSync(exe)) return exe;
  mkdirSync(dir, { recursive: true });
  await run(
    "npm",
    ["install", "--prefix", dir, "--no-save", "--no-package-lock", "--no-audit", "--no-fund", `${pkg}@${major}`],
    dir,
    180_000,
  );
  return exe;
}

interface AppResult {
  version: string;
  resolved: string;
  echoed: string;
}

let tmp = "";
let app = "";
let packed: string[] = [];
const binaries = new Map<number, Promise<string>>();
before(async () => {
  for (const major of [20, 22]) binaries.set(major, nodeBinary(major));
  for (const p of binaries.values()) p.catch(() => {}); // awaited by their tests
  tmp = mkdtempSync(join(tmpdir(), "proxykit-pkg-"));
  await run(join(BIN, "node"), ["scripts/build_npm.ts"], ROOT, 120_000);
  const [info] = JSON.parse(await run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", tmp], ROOT));
  packed = (info.files as { path: string }[]).map((f) => f.path);
  app = join(tmp, "app");
  mkdirSync(app);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  copyFileSync(join(ROOT, "tests", "fixtures", "package_app.mjs"), join(app, "app.mjs"));
  const tarball = join(tmp, info.filename as string);
  await run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball], app);
});

after(() => {
  if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
});

async function runApp(exe: string, args: string[]): Promise<AppResult> {
  const out = await run(exe, [...args, "app.mjs"], app);
  return JSON.parse(out.trim().split("\n").pop()!) as AppResult;
}

function assertRoundTrip(r: AppResult, entry: string): void {
  assert.equal(r.echoed, "ping through proxykit");
  assert.equal(r.version, VERSION);
  assert.ok(r.resolved.endsWith(`/node_modules/proxykit/${entry}`), r.resolved);
}

describe("npm package (packed tarball installed in a temporary project)", () => {
  it("npm pack holds the built JavaScript, declarations, .ts sources and docs, nothing else", () => {
    // The entry points' own files (root .ts files such as mod.ts) come from deno.json's exports.
    const entries = Object.values(JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).exports as string[])
      .map((f) => f.replace(/^\.\//, ""));
    const allowed =
      /^(dist\/.*\.(js|d\.ts)|(src|adapters|cli)\/.*\.ts|package\.json|README\.md|LICENSE|CHANGELOG\.md)$/;
    const extra = packed.filter((f) => !entries.includes(f) && !allowed.test(f));
    assert.deepEqual([...extra, ...packed.filter((f) => /_test\.ts$|^tests\/|^bench\/|\.png$/.test(f))], []);
    for (
      const f of [
        ...entries,
        ...entries.map((e) => `dist/${e.replace(/\.ts$/, ".js")}`),
        "LICENSE",
        "CHANGELOG.md",
      ]
    ) {
      assert.ok(packed.includes(f), `${f} is not in the tarball (package.json "files")`);
    }
  });

  for (const major of [20, 22]) {
    it(`runs a proxy on plain Node ${major} (dist JavaScript, no type stripping)`, async () => {
      const exe = await binaries.get(major)!;
      assert.match(await run(exe, ["--version"], app), new RegExp(`^v${major}\\.`));
      assertRoundTrip(await runApp(exe, major >= 22 ? ["--no-experimental-strip-types"] : []), "dist/mod.js");
    });
  }

  it("the proxykit bin checks a haproxy.cfg on plain Node 20 and 22, and under bunx-style Bun", async () => {
    const cfg = join(app, "haproxy.cfg");
    writeFileSync(
      cfg,
      "frontend fe\n  bind 127.0.0.1:18443\n  default_backend be\nbackend be\n  server s1 127.0.0.1:9\n",
    );
    const bin = join(app, "node_modules", ".bin", "proxykit");
    for (const major of [20, 22]) {
      const exe = await binaries.get(major)!;
      const flags = major >= 22 ? ["--no-experimental-strip-types"] : [];
      assert.equal((await run(exe, [...flags, bin, "--version"], app)).trim(), `proxykit ${VERSION}`);
      assert.match(await run(exe, [...flags, bin, "-c", "-f", cfg], app), /Configuration file is valid/);
    }
    assert.match(await run(join(BIN, "bun"), [bin, "-c", "-f", cfg], app), /Configuration file is valid/);
  });

  it("runs a proxy on Bun (the bun condition: the .ts sources)", async () => {
    assertRoundTrip(await runApp(join(BIN, "bun"), []), "mod.ts");
  });

  it("runs a proxy on Deno from npm (the JavaScript)", async () => {
    assertRoundTrip(await runApp(join(BIN, "deno"), ["run", "-A"]), "dist/mod.js");
  });
});
