/**
 * proxykit's command line as an example: the same code as `cli.ts` (the `proxykit` binary),
 * run with `deno run -A examples/proxy.ts`, `bun run examples/proxy.ts` or
 * `node examples/proxy.ts`; `--help` lists the flags and exit codes.
 *
 * With no argument it starts a demo (two HTTP backends on loopback and a round-robin proxy on
 * 127.0.0.1:8080). With `-f FILE` it runs a haproxy.cfg; otherwise flags describe one frontend
 * and one backend.
 */
import "../cli.ts";
