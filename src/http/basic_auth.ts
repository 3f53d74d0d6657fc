/**
 * HTTP Basic authentication (RFC 7617) as the proxy asks for it: the credentials a section
 * accepts, checked against an `Authorization` (the stats page, `stats auth`) or
 * `Proxy-Authorization` (proxy mode, `http-proxy-auth`) header.
 *
 * @module
 */

/** Credentials as configured: a realm and user names (no `:`) to passwords. */
export interface BasicAuthConfig {
  /** The realm announced (printable ASCII, no `"` or `\`). @default the section's own */
  readonly realm?: string;
  /** User names (no `:`) to passwords, at least one. */
  readonly users: Readonly<Record<string, string>>;
}

/** Credentials checked and compiled. */
export interface BasicAuthSettings {
  /** The realm of the challenge (`WWW-Authenticate` / `Proxy-Authenticate`). */
  readonly realm: string;
  /** User names to passwords. */
  readonly users: ReadonlyMap<string, string>;
}

/** The realm text a challenge can carry in a quoted string. */
const REALM = /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Checks configured credentials `v`; `fail` is called with the key at fault relative to them
 * (`realm`, `users`, `users.NAME`) and HAProxy-style text, and must throw.
 */
export function compileBasicAuth(
  v: unknown,
  defaultRealm: string,
  fail: (key: string, message: string) => never,
): BasicAuthSettings {
  const obj = (x: unknown, key: string) => {
    if (typeof x !== "object" || x === null || Array.isArray(x)) fail(key, "must be an object");
    return x as Record<string, unknown>;
  };
  const a = obj(v, "");
  const realm = a.realm ?? defaultRealm;
  if (typeof realm !== "string" || !REALM.test(realm)) fail("realm", "must be printable ASCII without '\"' or '\\'");
  const users = new Map<string, string>();
  for (const [name, pw] of Object.entries(obj(a.users, "users"))) {
    if (name === "" || name.includes(":")) fail("users", `invalid user name '${name}'`);
    if (typeof pw !== "string") fail(`users.${name}`, "must be a string");
    users.set(name, pw);
  }
  if (users.size === 0) fail("users", "must name at least one user");
  return { realm, users };
}

/** Compares two strings in a time that depends on their lengths only. */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length));
  return diff === 0;
}

/** Whether `header` (an `Authorization` or `Proxy-Authorization` value) holds credentials `auth` accepts. */
export function basicAuthorized(header: string | undefined, auth: BasicAuthSettings): boolean {
  const m = /^basic[ \t]+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (m === null) return false;
  let text: string;
  try {
    text = atob(m[1]!);
  } catch {
    return false;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return false;
  const password = auth.users.get(text.slice(0, colon));
  // A missing user costs the same comparison as a wrong password.
  return sameText(text.slice(colon + 1), password ?? "\u0000") && password !== undefined;
}

/** The challenge of a 401 (`www-authenticate`) or 407 (`proxy-authenticate`) for `auth`. */
export function basicChallenge(auth: BasicAuthSettings): string {
  return `Basic realm="${auth.realm}"`;
}
