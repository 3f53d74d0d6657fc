/**
 * PEM files as HAProxy reads them for `crt` (configuration.txt 5.1 `crt`): one file holds the
 * certificate, its private key and any intermediate certificates, in any order; a file
 * without a key is completed by the file of the same name plus `.key`.
 *
 * @module
 */

/** One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE`, `PRIVATE KEY`, `EC PRIVATE KEY`. */
  readonly label: string;
  /** The block's text, markers included, ending with a newline. */
  readonly text: string;
  /** The base64 body, whitespace removed. */
  readonly base64: string;
}

/** What a PEM file holds, split. */
export interface PemContents {
  /** Certificate blocks in file order: the leaf first, then its chain (as HAProxy expects). */
  readonly certificates: readonly string[];
  /** The first private key block (`PRIVATE KEY`, `RSA PRIVATE KEY`, `EC PRIVATE KEY`...), if any. */
  readonly key: string | undefined;
  /** The certificate chain as one PEM text (every certificate block, in order), `""` without any. */
  readonly chain: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block of `text`, in order. Text outside blocks (OpenSSL's `Bag Attributes`,
 * comments) is ignored, as OpenSSL does.
 */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    const base64 = m[2]!.replace(/\s+/g, "");
    out.push({ label, base64, text: `-----BEGIN ${label}-----\n${wrap(base64)}-----END ${label}-----\n` });
  }
  return out;
}

/** Base64 in 64-char lines, each ending with a newline. */
function wrap(b64: string): string {
  let s = "";
  for (let i = 0; i < b64.length; i += 64) s += b64.slice(i, i + 64) + "\n";
  return s;
}

/**
 * Splits a PEM file into its certificate chain and private key. `ENCRYPTED PRIVATE KEY` counts
 * as a key (the runtime then fails to use it without a passphrase, as HAProxy would ask).
 */
export function splitPem(text: string): PemContents {
  const certificates: string[] = [];
  let key: string | undefined;
  for (const b of pemBlocks(text)) {
    if (b.label === "CERTIFICATE" || b.label === "TRUSTED CERTIFICATE") certificates.push(b.text);
    else if (b.label.endsWith("PRIVATE KEY") && key === undefined) key = b.text;
  }
  return { certificates, key, chain: certificates.join("") };
}

/** The DER bytes of a block's base64 body. */
export function pemDer(block: PemBlock): Uint8Array {
  const bin = atob(block.base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
