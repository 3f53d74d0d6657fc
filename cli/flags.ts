/**
 * The `proxykit` command line's flags: their parser, the usage text (every flag and the exit
 * codes), and the failure that ends the process with a message.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";

/** The exit codes (also in the usage text and the README). */
export const EXIT = {
  /** Stopped cleanly after SIGTERM/SIGINT; `-c`: the configuration is valid; `--help`, `--version`. */
  ok: 0,
  /** The proxy cannot start (an address in use...); `-c`: the configuration is invalid. */
  start: 1,
  /** Bad flags, or a configuration that cannot be loaded (when running). */
  usage: 2,
} as const;

/** The usage text: every flag and the exit codes. */
export const USAGE = `usage: proxykit [options]
  (no option)              demo: two HTTP backends and a proxy on 127.0.0.1:8080
  -f, --config FILE|DIR    run a haproxy.cfg; repeat for more files, a directory loads its
                           *.cfg files in lexical order (as HAProxy)
  -c                       check the configuration and exit (0 valid, 1 invalid), as haproxy -c
  --lenient                warn about unsupported keywords instead of failing
  -d, --log                log lines on stdout (with -f: every frontend without a 'log' line)
  --workers N              N worker processes sharing the listeners (default: 'nbthread', or 1)
  --stats-socket ADDR      the runtime API on ADDR (a path or 127.0.0.1:PORT), as 'stats socket'
  --listen HOST:PORT       address to accept on (port 0 = any free port)
  --server HOST:PORT       a backend server (repeat for more)
  --mode tcp|http          proxy mode (default tcp; http: HTTP/1.1 with keep-alive and reuse)
  --balance ALGO           roundrobin (default here), static-rr, leastconn, first, source, random
  --retries N              connect retries on the same server (default 3)
  --timeout-connect MS     connect timeout per attempt (default: none)
  --hard-stop-after MS     grace of a stop or reload before streams are killed (default 25000,
                           or the configuration's 'hard-stop-after')
  -v, --version            print the version and exit
  -h, --help               this text
signals:
  SIGTERM, SIGINT, SIGUSR1 stop accepting, let streams finish for 'hard-stop-after', exit 0
  SIGUSR2                  reload: save the server state, re-read and check the files, hand the
                           listeners over; a broken configuration is logged and changes nothing
exit codes:
  0  stopped cleanly (or -c: valid; --help, --version)
  1  cannot start (address in use...), or -c: invalid configuration
  2  bad flags, or a configuration that cannot be loaded`;

/** Prints `proxykit: message` on stderr and exits with `code`. */
export function fail(message: string, code: number = EXIT.usage): never {
  console.error(`proxykit: ${message}`);
  process.exit(code);
}

/** An integer flag of at least `min`, or undefined when absent. */
export function intFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) fail(`--${name}: expected an integer >= ${min}, got '${value}'`);
  return Number(value);
}

/** The flags as parsed. */
export type Flags = ReturnType<typeof parseFlags>;

/** Parses `argv` (without the runtime and script), failing with the usage text on a bad flag. */
export function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string", short: "f", multiple: true },
        c: { type: "boolean", short: "c" },
        lenient: { type: "boolean" },
        log: { type: "boolean", short: "d" },
        workers: { type: "string" },
        "stats-socket": { type: "string" },
        listen: { type: "string" },
        server: { type: "string", multiple: true },
        mode: { type: "string" },
        balance: { type: "string" },
        retries: { type: "string" },
        "timeout-connect": { type: "string" },
        "hard-stop-after": { type: "string" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
}
