/**
 * Certificate and CA files named by `bind ... crt|ca-file` and `server ... crt|ca-file`
 * (configuration.txt 5.1 `crt`, `ca-file`; 5.2 `crt`, `ca-file`), read through the
 * loader's file reader, with HAProxy 2.6's error messages.
 *
 * @module
 */
import type { TlsCertificate } from "../net.ts";
import { splitPem } from "../tls/pem.ts";
import type { Ctx } from "./_cfg_keywords.ts";

/** Extensions `crt DIR` skips: files HAProxy loads alongside a certificate, not certificates. */
const RESERVED_EXTENSIONS = [".key", ".issuer", ".ocsp", ".sctl"];

/** The text of a thrown file error as the C library words it (`No such file or directory`). */
function why(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") return "No such file or directory";
  if (code === "EACCES") return "Permission denied";
  if (code === "EISDIR") return "Is a directory";
  return e instanceof Error ? e.message : String(e);
}

function asText(v: string | Uint8Array): string {
  return typeof v === "string" ? v : new TextDecoder().decode(v);
}

/** `path` under `base` (`crt-base`, `ca-base`) unless it is absolute, as HAProxy does. */
export function underBase(path: string, base: string | undefined): string {
  if (base === undefined || path.startsWith("/")) return path;
  return `${base.replace(/\/+$/, "")}/${path}`;
}

/** Reads a file or fails with `who` and the message `failed(reason)` gives. */
export function read(c: Ctx, path: string, who: string, failed: (reason: string) => string): string {
  if (c.readFile === undefined) {
    return c.error(`${who}cannot read '${path}': no file reader was given (options.readFile)`);
  }
  try {
    return asText(c.readFile(path));
  } catch (e) {
    return c.error(`${who}${failed(why(e))}`);
  }
}

/**
 * One `crt` file: certificate chain and key from the file, the key from `FILE.key` when the
 * file has none (HAProxy appends `.key` to the whole name).
 */
function loadCrtFile(c: Ctx, path: string, who: string): TlsCertificate {
  const text = read(c, path, who, (r) => `unable to stat SSL certificate from file '${path}' : ${r}.`);
  const pem = splitPem(text);
  if (pem.certificates.length === 0) return c.error(`${who}unable to load certificate from file '${path}'.`);
  let key = pem.key;
  if (key === undefined) {
    const keyPath = `${path}.key`;
    let keyText: string | undefined;
    try {
      keyText = c.readFile === undefined ? undefined : asText(c.readFile(keyPath));
    } catch {
      keyText = undefined;
    }
    key = keyText === undefined ? undefined : splitPem(keyText).key;
    if (key === undefined) return c.error(`${who}No Private Key found in '${keyPath}'.`);
  }
  return { cert: pem.chain, key, file: path };
}

/**
 * `crt PATH`: a PEM file, or a directory whose files load in alphabetical order, skipping
 * dotfiles and the reserved extensions (`.key`, `.issuer`, `.ocsp`, `.sctl`). A directory
 * needs the loader's `readDir`; without it every path is read as a file.
 */
export function loadCrt(c: Ctx, path: string, who: string): TlsCertificate[] {
  if (c.readDir !== undefined) {
    let names: readonly string[] | undefined;
    try {
      names = c.readDir(path);
    } catch (e) {
      return c.error(`${who}unable to stat SSL certificate from file '${path}' : ${why(e)}.`);
    }
    if (names !== undefined) {
      const dir = path.replace(/\/+$/, "");
      return [...names]
        .filter((n) => !n.startsWith(".") && !RESERVED_EXTENSIONS.some((x) => n.endsWith(x)))
        .sort()
        .map((n) => loadCrtFile(c, `${dir}/${n}`, who));
    }
  }
  return [loadCrtFile(c, path, who)];
}

/**
 * `ca-file PATH`: every certificate of a PEM file. HAProxy's message differs by side: a bind
 * says `'ca-file' : unable to load PATH`, a server `Couldn't open the ca-file 'PATH' (...)`.
 */
export function loadCaFile(c: Ctx, path: string, who: string, side: "bind" | "server"): string[] {
  const failed = side === "server"
    ? (r: string) => `Couldn't open the ca-file '${path}' (${r}).`
    : () => `'ca-file' : unable to load ${path}`;
  const pem = splitPem(read(c, path, who, failed));
  if (pem.certificates.length === 0) return c.error(`${who}${failed("no certificate or crl found")}`);
  return [...pem.certificates];
}
