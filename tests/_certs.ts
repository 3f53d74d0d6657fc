/**
 * Test certificates made at test time with `openssl` in a temporary folder, once per process:
 * a private CA, server leaves for `a.test`, `b.test` and `*.wild.test` (DNS names only, so that
 * the certificate a test got tells which one was chosen), a client certificate
 * `/C=FR/O=Acme/CN=client1` from that CA, and a second CA with its own client certificate
 * (`/CN=stranger`), which listeners trusting the first CA must refuse. EC P-256 keys:
 * generating them takes milliseconds.
 *
 * Every entry gives the PEM text and the file path, so the same certificates serve the
 * adapters (PEM strings) and real peers (`openssl s_client -cert`, haproxy `crt`).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** One certificate and its key, as PEM text and as files. */
export interface CertFiles {
  /** PEM certificate. */
  readonly cert: string;
  /** PEM private key. */
  readonly key: string;
  /** Path of the certificate file. */
  readonly certPath: string;
  /** Path of the key file. */
  readonly keyPath: string;
  /** Path of one file holding the certificate then its key (HAProxy's `crt` format). */
  readonly pemPath: string;
  /** The subject as HAProxy's `ssl_c_s_dn` prints it. */
  readonly subject: string;
}

/** The whole set; see the module doc. */
export interface TestCerts {
  /** The folder holding every file. */
  readonly dir: string;
  /** The CA that signed everything but `strangerCa`'s leaf. */
  readonly ca: CertFiles;
  readonly a: CertFiles;
  readonly b: CertFiles;
  /** `*.wild.test`. */
  readonly wild: CertFiles;
  /** Client certificate `/C=FR/O=Acme/CN=client1`. */
  readonly client: CertFiles;
  /** A CA nobody trusts. */
  readonly strangerCa: CertFiles;
  /** Client certificate `/CN=stranger`, signed by `strangerCa`. */
  readonly stranger: CertFiles;
}

function run(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr || r.error}`);
}

/** The files of `name` as {@link CertFiles}; `subject` is the `-subj` text it was made with. */
function files(dir: string, name: string, subject: string): CertFiles {
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  const pemPath = join(dir, `${name}.crt`);
  const cert = readFileSync(certPath, "utf8");
  const key = readFileSync(keyPath, "utf8");
  writeFileSync(pemPath, cert + key);
  return { cert, key, certPath, keyPath, pemPath, subject };
}

/** A CA: self-signed, `CA:true`. */
function makeCa(dir: string, name: string, subject: string): CertFiles {
  run(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  run(dir, [
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-days",
    "3650",
    "-subj",
    subject,
    "-addext",
    "basicConstraints=critical,CA:true",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    `${name}.pem`,
  ]);
  return files(dir, name, subject);
}

/** A leaf signed by `ca`, with DNS names `dns` (a server certificate) or none (a client one). */
function makeLeaf(dir: string, ca: string, name: string, subject: string, dns: readonly string[]): CertFiles {
  run(dir, ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`]);
  run(dir, ["req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`]);
  const ext = [
    "basicConstraints=CA:false",
    `extendedKeyUsage=${dns.length > 0 ? "serverAuth" : "clientAuth"}`,
    ...(dns.length > 0 ? [`subjectAltName=${dns.map((d) => `DNS:${d}`).join(",")}`] : []),
  ];
  writeFileSync(join(dir, `${name}.ext`), ext.join("\n") + "\n");
  run(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.pem`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-days",
    "3650",
    "-extfile",
    `${name}.ext`,
    "-out",
    `${name}.pem`,
  ]);
  return files(dir, name, subject);
}

let cached: TestCerts | undefined;

/**
 * The test certificates, made on first call (a few hundred milliseconds) and shared by every
 * later call in this process; the folder is removed when the process exits.
 * @throws {Error} when `openssl` is missing or fails.
 */
export function testCerts(): TestCerts {
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "proxykit-certs-"));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  const ca = makeCa(dir, "ca", "/CN=proxykit Test Root CA");
  cached = {
    dir,
    ca,
    a: makeLeaf(dir, "ca", "a", "/CN=a.test", ["a.test"]),
    b: makeLeaf(dir, "ca", "b", "/CN=b.test", ["b.test"]),
    wild: makeLeaf(dir, "ca", "wild", "/CN=*.wild.test", ["*.wild.test"]),
    client: makeLeaf(dir, "ca", "client", "/C=FR/O=Acme/CN=client1", []),
    strangerCa: makeCa(dir, "stranger-ca", "/CN=Stranger CA"),
    stranger: makeLeaf(dir, "stranger-ca", "stranger", "/CN=stranger", []),
  };
  return cached;
}
