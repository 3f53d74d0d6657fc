/**
 * The stats page and monitoring keywords of the `haproxy.cfg` subset (configuration.txt 4.2):
 * `stats enable`, `stats uri <prefix>`, `stats refresh <delay>` (each enables the page, as in
 * HAProxy), `stats auth`, `stats realm`, `stats admin { if | unless } <cond>`, `monitor-uri <uri>` and `monitor fail if|unless <cond>`. What they set lives in the
 * section's HTTP settings, so a `defaults` section passes `stats` and `monitor-uri` on.
 *
 * @module
 */
import { AclError } from "../acl/acl.ts";
import { parseCondition } from "../acl/condition.ts";
import { exactArgs, time } from "./_cfg_values.ts";
import type { Ctx, Keyword } from "./_cfg_keywords.ts";

/** `stats` options proxykit reads but that change nothing on its page. */
const STATS_IGNORED = new Set(["hide-version", "show-legends", "show-node", "show-desc"]);

/** `stats` options HAProxy has that proxykit does not. */
const STATS_UNSUPPORTED = new Set(["http-request", "scope", "bind-process", "disable"]);

function stats(c: Ctx, args: readonly string[]): void {
  const [opt, ...rest] = args;
  const cur: {
    uri?: string;
    refreshMs?: number;
    auth?: { realm?: string; users: Record<string, string> };
    admin?: string[][];
  } = {
    ...c.s.http.stats,
  };
  switch (opt) {
    case "enable":
      exactArgs(c, rest, 0, 0, "no argument after 'enable'");
      break;
    case "uri":
      exactArgs(c, rest, 1, 1, "a URI prefix after 'uri'");
      if (!/^[\x21-\x7e]+$/.test(rest[0]!)) c.fail(`invalid URI prefix '${rest[0]}'`);
      cur.uri = rest[0]!;
      break;
    case "refresh":
      exactArgs(c, rest, 1, 1, "a delay after 'refresh'");
      cur.refreshMs = time(c, "refresh: ", rest[0], 0);
      break;
    case "auth": {
      // Cumulative, as HAProxy's: each line adds a user.
      exactArgs(c, rest, 1, 1, "<user>:<passwd> after 'auth'");
      const colon = rest[0]!.indexOf(":");
      if (colon <= 0) c.fail(`'stats auth' expects <user>:<passwd>, got '${rest[0]}'`);
      cur.auth = { ...cur.auth, users: { ...cur.auth?.users, [rest[0]!.slice(0, colon)]: rest[0]!.slice(colon + 1) } };
      break;
    }
    case "realm":
      exactArgs(c, rest, 1, 1, "a realm after 'realm' (escape spaces with '\\')");
      cur.auth = { users: {}, ...cur.auth, realm: rest[0]! };
      break;
    case "admin": {
      // configuration.txt 4.2 `stats admin { if | unless } <cond>`: not in `defaults`; each
      // line adds a condition, the page is in admin mode when one holds.
      if (c.sec.kind === "defaults") c.error("'stats admin' not allowed in 'defaults' section.");
      if (rest[0] !== "if" && rest[0] !== "unless") {
        c.error("'stats admin' requires either 'if' or 'unless' followed by a condition.");
      }
      try {
        parseCondition(rest, c.sec.http.aclSet, c.warn);
      } catch (e) {
        if (e instanceof AclError) c.error(`error detected while parsing a 'stats admin' rule : ${e.message}.`);
        throw e;
      }
      cur.admin = [...(cur.admin ?? []), [...rest]];
      break;
    }
    case undefined:
      return c.fail("expects 'enable', 'uri', 'refresh', 'auth', 'realm', 'admin', ...");
    case "socket":
      return c.fail("'stats socket' belongs in the 'global' section");
    default:
      if (STATS_IGNORED.has(opt)) return c.warn(`'stats ${opt}' is ignored`);
      if (STATS_UNSUPPORTED.has(opt)) return c.unsupported(`'stats ${opt}' is not supported`);
      return c.fail(`unknown stats parameter '${opt}' (enable, uri, refresh, auth, realm, admin)`);
  }
  c.s.http.stats = { ...cur, line: c.line };
}

/** The keywords of this module, by label. */
export const STATS_KEYWORDS: Readonly<Record<string, Keyword>> = {
  stats: { cap: "both", inDefaults: true, parse: stats },
  "monitor-uri": {
    cap: "fe",
    inDefaults: true,
    parse: (c, args) => {
      exactArgs(c, args, 1, 1, "a URI");
      if (!/^[\x21-\x7e]+$/.test(args[0]!)) c.fail(`invalid URI '${args[0]}'`);
      c.s.http.monitorUri = { uri: args[0]!, line: c.line };
    },
  },
  monitor: {
    cap: "fe",
    inDefaults: false,
    parse: (c, args) => {
      const [sub, cond, ...rest] = args;
      if (sub !== "fail") c.error("'monitor' expects 'fail'.");
      if (cond !== "if" && cond !== "unless") {
        c.error("'monitor fail' expects either 'if' or 'unless' followed by a condition.");
      }
      const condition = [cond!, ...rest];
      try {
        parseCondition(condition, c.sec.http.aclSet, c.warn);
      } catch (e) {
        if (e instanceof AclError) c.error(`error detected while parsing a 'monitor fail' condition : ${e.message}.`);
        throw e;
      }
      (c.s.http.monitorFail ??= []).push(condition);
    },
  },
};
