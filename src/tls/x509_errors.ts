/**
 * OpenSSL's `X509_V_ERR_*` numbers for the verification errors the runtimes name: what
 * HAProxy reports for a certificate that did not verify (`ssl_c_verify`, the SSL TLV's
 * `verify` field of a PROXY v2 header, both from `SSL_get_verify_result()`).
 *
 * @module
 */

const X509_ERRORS: Readonly<Record<string, number>> = {
  UNABLE_TO_GET_ISSUER_CERT: 2,
  CERT_SIGNATURE_FAILURE: 7,
  CERT_NOT_YET_VALID: 9,
  CERT_HAS_EXPIRED: 10,
  DEPTH_ZERO_SELF_SIGNED_CERT: 18,
  SELF_SIGNED_CERT_IN_CHAIN: 19,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 20,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 21,
  CERT_CHAIN_TOO_LONG: 22,
  CERT_REVOKED: 23,
  INVALID_CA: 24,
  PATH_LENGTH_EXCEEDED: 25,
  INVALID_PURPOSE: 26,
  CERT_UNTRUSTED: 27,
  CERT_REJECTED: 28,
  HOSTNAME_MISMATCH: 62,
};

/**
 * The number of a verification error named as the runtimes name them (`CERT_HAS_EXPIRED`:
 * 10); 1 (`X509_V_ERR_UNSPECIFIED`, non-zero as the PROXY protocol asks) for a name missing
 * here or none.
 */
export function x509ErrorNumber(name: string | undefined): number {
  return (name === undefined ? undefined : X509_ERRORS[name]) ?? 1;
}
