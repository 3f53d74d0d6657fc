/**
 * The `haproxy.cfg` keywords of proxy mode and `retry-on` (backend side, allowed in
 * `defaults`):
 * - `option http_proxy` / `no option http_proxy`: proxy mode (HAProxy's keyword until 2.4);
 * - `http-proxy-allow <rule> [<rule>...]` (proxykit): destinations proxy mode may reach, as
 *   `ForwardProxyConfig.allow` writes them (`.example.com:443`, `10.1.0.0/16:*`); cumulative;
 * - `http-proxy-auth [realm <realm>] <user>:<password> [...]` (proxykit): Basic proxy
 *   authentication; cumulative, the last realm given wins;
 * - `retry-on <keyword|status> [...]` (HAProxy 2.6): replaces the previous list.
 * Rules are checked here for a message with the line; `resolveConfig()` checks them again.
 *
 * @module
 */
import type { Ctx, Keyword } from "./_cfg_keywords.ts";
import { parseDestinationRule } from "../http/proxy_allow.ts";
import { compileRetryOn, type RetryOnKeyword } from "../http/retry_on.ts";
import type { ForwardProxyConfig, RetryOnConfig } from "./forward_proxy_types.ts";

/** What these keywords set in a section (inherited from `defaults` like the rest). */
export interface FwdSettings {
  /** `option http_proxy` (true) or `no option http_proxy` (false). */
  httpProxy?: boolean;
  /** `http-proxy-allow` rules, in order. */
  allow?: string[];
  /** `http-proxy-auth`. */
  auth?: { realm?: string; users: Record<string, string> };
  /** `retry-on`. */
  retryOn?: (RetryOnKeyword | number)[];
}

function fwd(c: Ctx): FwdSettings {
  return (c.s.fwd ??= {});
}

/** The keywords, by label. */
export const FWD_KEYWORDS: Readonly<Record<string, Keyword>> = {
  "option http_proxy": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      if (args.length > 0) c.fail("expects no argument");
      fwd(c).httpProxy = true;
    },
  },
  "no option http_proxy": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      if (args.length > 0) c.fail("expects no argument");
      fwd(c).httpProxy = false;
    },
  },
  "http-proxy-allow": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      if (args.length === 0) c.fail("expects at least one rule such as '.example.com:443' or '10.0.0.0/8:*'");
      for (const a of args) {
        const r = parseDestinationRule(a);
        if (typeof r === "string") c.fail(r);
      }
      const f = fwd(c);
      f.allow = [...(f.allow ?? []), ...args];
    },
  },
  "http-proxy-auth": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      const f = fwd(c);
      const auth: { realm?: string; users: Record<string, string> } = { ...f.auth, users: { ...f.auth?.users } };
      let i = 0;
      if (args[0] === "realm") {
        auth.realm = args[1] ?? c.fail("'realm' expects a value");
        i = 2;
      }
      if (i >= args.length) c.fail("expects '[realm <realm>] <user>:<password> [...]'");
      for (const cred of args.slice(i)) {
        const colon = cred.indexOf(":");
        if (colon <= 0) c.fail(`expects <user>:<password>, got '${cred}'`);
        auth.users[cred.slice(0, colon)] = cred.slice(colon + 1);
      }
      f.auth = auth;
    },
  },
  "retry-on": {
    cap: "be",
    inDefaults: true,
    parse: (c, args) => {
      const list = args.map((a) => (/^\d+$/.test(a) ? Number(a) : a as RetryOnKeyword));
      const on = compileRetryOn(list);
      if (typeof on === "string") c.fail(on);
      fwd(c).retryOn = list;
    },
  },
};

/** The typed settings of a backend section from what the keywords set. */
export function buildFwd(f: FwdSettings | undefined): { forwardProxy?: ForwardProxyConfig; retryOn?: RetryOnConfig } {
  const out: { forwardProxy?: ForwardProxyConfig; retryOn?: RetryOnConfig } = {};
  if (f?.retryOn !== undefined) out.retryOn = f.retryOn;
  if (f?.httpProxy === true) {
    out.forwardProxy = {
      allow: f.allow ?? [],
      ...(f.auth !== undefined
        ? { auth: { users: f.auth.users, ...(f.auth.realm !== undefined ? { realm: f.auth.realm } : {}) } }
        : {}),
    };
  }
  return out;
}
