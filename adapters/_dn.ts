/**
 * Distinguished names in HAProxy's format (`ssl_c_s_dn`: `/C=FR/O=Acme/CN=client1`, the RDNs
 * in certificate order), from the one-RDN-per-line text of `X509Certificate.subject`.
 *
 * @module
 */

/** `C=FR\nO=Acme\nCN=client1` → `/C=FR/O=Acme/CN=client1`. */
export function slashDn(lines: string): string {
  return lines.split("\n").filter((l) => l !== "").map((l) => `/${l}`).join("");
}

/** The value of the last `CN=` line, as HAProxy's `ssl_c_s_dn(CN)`. */
export function commonName(lines: string): string | undefined {
  let cn: string | undefined;
  for (const l of lines.split("\n")) if (l.startsWith("CN=")) cn = l.slice(3);
  return cn;
}
