/**
 * Micro-benchmark of the HTTP/1.1 parser and serializer (`src/http/`): heads per second for
 * typical requests and responses, body throughput for Content-Length and chunked bodies.
 *
 * Run as `node bench/http_parser.ts`, `deno run -A bench/http_parser.ts` or
 * `bun bench/http_parser.ts`; each measures its own runtime. Not part of `npm test`.
 * Each case runs for `--time-ms` (default 1000) three times; the best run is kept. Prints a
 * table, then one JSON line starting with `{"bench":"http_parser"`.
 *
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { H1RequestParser, H1ResponseParser } from "../src/http/parser.ts";
import { ChunkedEncoder, serializeHead } from "../src/http/serialize.ts";
import type { H1HeadEvent } from "../src/http/events.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const { values: flags } = parseArgs({ options: { "time-ms": { type: "string" } } });
const TIME_MS = Number(flags["time-ms"] ?? 1000);

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const CURL = "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n";
const BROWSER = "GET /products/list?page=2&sort=price HTTP/1.1\r\n" +
  "Host: shop.example.com\r\n" +
  "Connection: keep-alive\r\n" +
  'sec-ch-ua: "Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"\r\n' +
  "sec-ch-ua-mobile: ?0\r\n" +
  'sec-ch-ua-platform: "Linux"\r\n' +
  "Upgrade-Insecure-Requests: 1\r\n" +
  "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
  "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n" +
  "Sec-Fetch-Site: same-origin\r\n" +
  "Sec-Fetch-Mode: navigate\r\n" +
  "Sec-Fetch-Dest: document\r\n" +
  "Referer: https://shop.example.com/products/list?page=1&sort=price\r\n" +
  "Accept-Encoding: gzip, deflate, br, zstd\r\n" +
  "Accept-Language: en-US,en;q=0.9,fr;q=0.8\r\n" +
  "Cookie: session=3f9a8c7d6e5b4a3f2e1d0c9b8a7f6e5d; theme=dark; cart=17\r\n\r\n";
const RESPONSE = "HTTP/1.1 200 OK\r\n" +
  "Date: Mon, 30 Nov 2026 04:16:43 GMT\r\n" +
  "Content-Type: text/html; charset=utf-8\r\n" +
  "Content-Length: 0\r\n" +
  "Connection: keep-alive\r\n" +
  "Cache-Control: private, max-age=0\r\n" +
  'ETag: W/"5e1-18c2f0a9b3"\r\n' +
  "Vary: Accept-Encoding\r\n" +
  "Server: nginx\r\n" +
  "Set-Cookie: session=3f9a8c7d6e5b4a3f2e1d0c9b8a7f6e5d; Path=/; HttpOnly; Secure\r\n\r\n";

let sink = 0;

/** Runs `batch()` (which does `perBatch` operations) for TIME_MS, 3 times; best ops/s. */
function measure(perBatch: number, batch: () => void): number {
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    let ops = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < TIME_MS) {
      batch();
      ops += perBatch;
      t = performance.now();
    }
    best = Math.max(best, ops / ((t - t0) / 1000));
  }
  return best;
}

function drain(p: H1RequestParser | H1ResponseParser): void {
  for (let ev; (ev = p.read()) !== null;) sink += ev.type === "body" ? ev.data.length : 1;
}

/** Heads/s parsing `raw` repeatedly: `n` messages pipelined per chunk, or each split in `parts`. */
function heads(raw: string, opts: { pipelined?: number; parts?: number; response?: boolean } = {}): number {
  const n = opts.pipelined ?? 1;
  const whole = ascii(raw.repeat(n));
  const cut = opts.parts
    ? Array.from({ length: opts.parts }, (_, i) =>
      whole.subarray(
        Math.floor(i * whole.length / opts.parts!),
        Math.floor((i + 1) * whole.length / opts.parts!),
      ))
    : [whole];
  return measure(n * 200, () => {
    for (let i = 0; i < 200; i++) {
      const p = opts.response ? new H1ResponseParser() : new H1RequestParser();
      if (p instanceof H1ResponseParser) { for (let k = 0; k < n; k++) p.expect("GET"); }
      for (const c of cut) {
        p.push(c);
        drain(p);
      }
    }
  });
}

/** Heads/s on one long-lived parser (a keep-alive connection): no parser allocation per head. */
function keepAlive(raw: string): number {
  const b = ascii(raw);
  const p = new H1RequestParser();
  return measure(1000, () => {
    for (let i = 0; i < 1000; i++) {
      p.push(b);
      drain(p);
    }
  });
}

function serialize(raw: string): number {
  const p = new H1RequestParser();
  p.push(ascii(raw));
  const ev = p.read() as H1HeadEvent;
  return measure(1000, () => {
    for (let i = 0; i < 1000; i++) sink += serializeHead(ev.head).length;
  });
}

/** Body MB/s: `total` bytes in reads of `read` bytes, Content-Length or chunked with `chunk`-byte chunks. */
function body(kind: "length" | "chunked", read: number, chunk = 0): number {
  const total = 16 * 1024 * 1024;
  const payload = new Uint8Array(chunk || total).fill(0x61);
  let wire: Uint8Array;
  if (kind === "length") {
    const head = ascii(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    wire = new Uint8Array(head.length + total);
    wire.set(head);
    wire.fill(0x61, head.length);
  } else {
    const head = ascii("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const enc = new ChunkedEncoder();
    const parts: Uint8Array[] = [head];
    for (let n = 0; n < total; n += chunk) parts.push(enc.chunk(chunk), payload);
    parts.push(enc.end());
    wire = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
    let o = 0;
    for (const x of parts) wire.set(x, (o += x.length) - x.length);
  }
  const reads: Uint8Array[] = [];
  for (let o = 0; o < wire.length; o += read) reads.push(wire.subarray(o, o + read));
  const bytesPerSecond = measure(total, () => {
    const p = new H1RequestParser();
    for (const r of reads) {
      p.push(r);
      drain(p);
    }
  });
  return bytesPerSecond / 1e6;
}

const rows: [string, number, string][] = [];
const row = (name: string, value: number, unit: string) => {
  rows.push([name, value, unit]);
  console.log(`${name.padEnd(58)} ${value.toFixed(value >= 100 ? 0 : 1).padStart(12)} ${unit}`);
};

console.log(
  `http parser micro-benchmark, ${runtime} ${process.versions[runtime] ?? process.version}, best of 3 × ${TIME_MS} ms`,
);
row(`request head, curl-like (${CURL.length} B, 3 fields), new parser`, heads(CURL), "heads/s");
row(`request head, browser (${BROWSER.length} B, 15 fields), new parser`, heads(BROWSER), "heads/s");
row(`request head, browser, keep-alive parser`, keepAlive(BROWSER), "heads/s");
row(`request head, browser, split in 2 chunks`, heads(BROWSER, { parts: 2 }), "heads/s");
row(`request head, curl-like, 16 pipelined in one chunk`, heads(CURL, { pipelined: 16 }), "heads/s");
row(`response head (${RESPONSE.length} B, 9 fields), new parser`, heads(RESPONSE, { response: true }), "heads/s");
row(`serialize the browser request head`, serialize(BROWSER), "heads/s");
row(`body: Content-Length, 64 KiB reads`, body("length", 65536), "MB/s");
row(`body: chunked, 16 KiB chunks, 64 KiB reads`, body("chunked", 65536, 16384), "MB/s");
row(`body: chunked, 1 KiB chunks, 64 KiB reads`, body("chunked", 65536, 1024), "MB/s");
row(`body: chunked, 64 B chunks, 16 KiB reads`, body("chunked", 16384, 64), "MB/s");
console.log(JSON.stringify({ bench: "http_parser", runtime, rows, sink: sink > 0 }));
