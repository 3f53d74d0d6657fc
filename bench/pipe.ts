/**
 * The hand-written TCP pipe of the runtime running this file: the ceiling proxykit is compared
 * with in `bench/tcp.ts`. Runs as
 * `deno run -A bench/pipe.ts`, `bun run bench/pipe.ts` or `node bench/pipe.ts`, with
 * `--listen HOST:PORT --target HOST:PORT`; prints `listening on HOST:PORT` once bound.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";

function hostPort(flag: string, text: string | undefined): { host: string; port: number } {
  const m = text === undefined ? null : /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (m === null) {
    console.error(`pipe: --${flag} HOST:PORT is required`);
    process.exit(2);
  }
  return { host: m[1]!, port: Number(m[2]) };
}

const { values } = parseArgs({ options: { listen: { type: "string" }, target: { type: "string" } } });
const listen = hostPort("listen", values.listen);
const target = hostPort("target", values.target);
const { pipe } = "Deno" in globalThis
  ? await import("./_pipe_deno.ts")
  : "Bun" in globalThis
  ? await import("./_pipe_bun.ts")
  : await import("./_pipe_node.ts");
const port = await pipe(listen.host, listen.port, target);
console.log(`listening on ${listen.host.includes(":") ? `[${listen.host}]` : listen.host}:${port}`);
process.on("SIGTERM", () => process.exit(0));
process.on("SIGINT", () => process.exit(0));
