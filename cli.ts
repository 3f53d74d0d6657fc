#!/usr/bin/env node
/**
 * The `proxykit` command line: runs a haproxy.cfg (`-f FILE|DIR`), checks one (`-c`), or a
 * proxy described by flags, on the runtime running it, unchanged:
 *
 * ```sh
 * deno run -A jsr:@proxykit/proxykit/cli -f haproxy.cfg
 * bunx proxykit -f haproxy.cfg
 * npx proxykit -f haproxy.cfg
 * ```
 *
 * `--help` lists every flag and the exit codes. SIGTERM and SIGINT stop it gracefully (streams
 * in progress finish for up to `hard-stop-after`), SIGUSR2 reloads the configuration files
 * without refusing a connection.
 *
 * @module
 */
import process from "node:process";
import { runCli } from "./cli/main.ts";

await runCli(process.argv.slice(2));
