/**
 * The version is set once (package.json) and copied to deno.json and src/version.ts; the npm
 * exports mirror the JSR ones (scripts/_package.ts holds the rules the npm build applies too).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./_child.ts";
import { checkExports, checkVersions, syncVersion, versions } from "../scripts/_package.ts";
import { VERSION } from "../mod.ts";

const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");

describe("version and entry points", () => {
  it("package.json, deno.json and src/version.ts hold the same version, the one VERSION exports", () => {
    assert.equal(checkVersions(read), undefined);
    assert.equal(VERSION, versions(read)["package.json"]);
  });

  it("a drifted version is reported with each file, and syncVersion() writes package.json's", () => {
    const drifted = (file: string): string =>
      file === "package.json" ? read(file).replace(/"version": "[^"]*"/, `"version": "9.9.9"`) : read(file);
    assert.match(checkVersions(drifted)!, /package\.json has 9\.9\.9, deno\.json has .*, src\/version\.ts has /);
    const synced = new Map(syncVersion(drifted));
    const after = (file: string): string => synced.get(file) ?? drifted(file);
    assert.equal(checkVersions(after), undefined);
  });

  it("every deno.json export is a package.json export with the bun condition on its .ts source", () => {
    assert.deepEqual(checkExports(read), []);
  });
});
