/**
 * Which certificate of a listener answers an SNI name, under HAProxy's rules (configuration.txt
 * 5.1 `crt`, `strict-sni`): names compare lower case; an exact name first, then a wildcard one
 * label deep (`*.wild.test` answers `x.wild.test`, not `a.b.wild.test` nor `wild.test`); of
 * two certificates claiming a name the earlier wins; without a match the first certificate is
 * the default (none under `strictSni`).
 *
 * @module
 */
import type { TlsCertificate } from "../src/net.ts";

/** An SNI lookup table over a certificate list: name → index in the list. */
export class CertificateIndex {
  readonly #byName = new Map<string, number>();

  constructor(certificates: readonly TlsCertificate[]) {
    for (const [i, c] of certificates.entries()) {
      for (const n of c.serverNames ?? []) {
        const name = n.toLowerCase();
        if (!this.#byName.has(name)) this.#byName.set(name, i);
      }
    }
  }

  /** Index of the certificate for `sni`, or `undefined` when no name matches. */
  match(sni: string): number | undefined {
    const name = sni.toLowerCase();
    const exact = this.#byName.get(name);
    if (exact !== undefined) return exact;
    const dot = name.indexOf(".");
    return dot > 0 ? this.#byName.get(`*${name.slice(dot)}`) : undefined;
  }
}
