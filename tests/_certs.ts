/**
 * Test certificates made at test time with openssl in a temporary folder, once per process:
 * a CA (`/CN=Test Root CA`), leaves signed by it for `a.test`, `b.test`, `*.wild.test` and a
 * client (`/C=FR/O=Acme/CN=client1`), a leaf for `a.test` signed by another CA (untrusted),
 * and an expired `a.test`. Each leaf's `pem` holds its certificate then its key, as HAProxy's
 * `crt` files do; `certFile`/`keyFile` are the same split in two files.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { OPENSSL } from "./adapters/_openssl.ts";

/** One certificate with its key, as text and as files. */
export interface TestCert {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** Certificate then key, in one text (a HAProxy `crt` file). */
  readonly pem: string;
  /** Files holding `cert`, `key` and `pem`. */
  readonly certFile: string;
  readonly keyFile: string;
  readonly pemFile: string;
}

/** The set {@link testCerts} makes. */
export interface TestCerts {
  /** The folder holding every file (removed when the process exits). */
  readonly dir: string;
  /** The trusted CA (`/CN=Test Root CA`); `file` holds its certificate. */
  readonly ca: { readonly cert: string; readonly file: string };
  /** Another CA nothing trusts; `file` holds its certificate. */
  readonly otherCa: { readonly cert: string; readonly file: string };
  /** `a.test` (SAN `a.test`, IP 127.0.0.1). */
  readonly a: TestCert;
  /** `b.test` (SAN `b.test`, IP 127.0.0.1). */
  readonly b: TestCert;
  /** `*.wild.test` (CN and SAN `*.wild.test`). */
  readonly wild: TestCert;
  /** The client certificate `/C=FR/O=Acme/CN=client1`. */
  readonly client: TestCert;
  /** `a.test` signed by {@link TestCerts.otherCa}: untrusted. */
  readonly rogue: TestCert;
  /** `a.test` signed by the CA, expired yesterday. */
  readonly expired: TestCert;
}

let cached: TestCerts | undefined;

function run(dir: string, args: string[]): void {
  const r = spawnSync(OPENSSL!, args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function makeCa(dir: string, name: string, subject: string): { cert: string; file: string } {
  run(dir, ["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", subject, "-days", "3650"]);
  return { cert: readFileSync(join(dir, `${name}.crt`), "utf8"), file: join(dir, `${name}.crt`) };
}

function makeLeaf(dir: string, name: string, subject: string, sans: string, ca: string, days = "3650"): TestCert {
  run(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  writeFileSync(
    join(dir, `${name}.ext`),
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n` +
      (sans === "" ? "" : `subjectAltName=${sans}\n`),
  );
  run(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    days,
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.crt`,
  ]);
  const cert = readFileSync(join(dir, `${name}.crt`), "utf8");
  const key = readFileSync(join(dir, `${name}.key`), "utf8");
  writeFileSync(join(dir, `${name}.pem`), cert + key);
  return {
    cert,
    key,
    pem: cert + key,
    certFile: join(dir, `${name}.crt`),
    keyFile: join(dir, `${name}.key`),
    pemFile: join(dir, `${name}.pem`),
  };
}

/**
 * Makes (first call) or returns the test certificates.
 * @throws {Error} when openssl is missing or fails.
 */
export function testCerts(): TestCerts {
  if (cached !== undefined) return cached;
  if (OPENSSL === undefined) throw new Error("openssl is not installed (scripts/peers.sh installs it)");
  const dir = mkdtempSync(join(tmpdir(), "proxykit-certs-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir, "ca", "/CN=Test Root CA");
  const otherCa = makeCa(dir, "other-ca", "/CN=Other CA");
  cached = {
    dir,
    ca,
    otherCa,
    a: makeLeaf(dir, "a.test", "/CN=a.test", "DNS:a.test,IP:127.0.0.1", "ca"),
    b: makeLeaf(dir, "b.test", "/CN=b.test", "DNS:b.test,IP:127.0.0.1", "ca"),
    wild: makeLeaf(dir, "wild.test", "/CN=*.wild.test", "DNS:*.wild.test", "ca"),
    client: makeLeaf(dir, "client", "/C=FR/O=Acme/CN=client1", "", "ca"),
    rogue: makeLeaf(dir, "rogue", "/CN=a.test", "DNS:a.test,IP:127.0.0.1", "other-ca"),
    expired: makeLeaf(dir, "expired", "/CN=a.test", "DNS:a.test,IP:127.0.0.1", "ca", "-1"),
  };
  return cached;
}
