/**
 * Reads the command line's configuration: `-f FILE|DIR` (repeatable; a directory's `*.cfg`
 * files in lexical order, as HAProxy's `-f`), read as one configuration whose messages still
 * name each file and line.
 *
 * @module
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { parseHaproxyConfig } from "../src/config/haproxy_cfg.ts";
import type { ProxyConfig } from "../src/config/types.ts";
import { ProxyError } from "../src/errors.ts";

/** One configuration text and the name its messages use. */
export interface ConfigText {
  readonly name: string;
  readonly text: string;
}

/**
 * The files `-f` arguments name, in order: a directory stands for its `*.cfg` files sorted.
 * @throws {ProxyError} `ERR_CONFIG_INVALID` naming an unreadable path.
 */
export function readConfigFiles(paths: readonly string[]): ConfigText[] {
  const out: ConfigText[] = [];
  for (const p of paths) {
    try {
      if (statSync(p).isDirectory()) {
        const names = readdirSync(p).filter((n) => n.endsWith(".cfg")).sort();
        for (const n of names) out.push({ name: join(p, n), text: readFileSync(join(p, n), "utf8") });
      } else out.push({ name: p, text: readFileSync(p, "utf8") });
    } catch (e) {
      throw new ProxyError("ERR_CONFIG_INVALID", `cannot read '${p}': ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

/** Stands for the concatenated text in the parser's messages, mapped back to file:line. */
const JOINED = "\u0000cfg";

/**
 * Parses `texts` as one configuration (HAProxy reads several `-f` files as if concatenated);
 * messages say `file:line:` of the file the line is in.
 * @throws {ProxyError} `ERR_CONFIG_INVALID` with the file and line.
 */
export function parseConfigTexts(
  texts: readonly ConfigText[],
  options: { lenient: boolean; onWarning: (message: string) => void },
): ProxyConfig {
  const io = {
    lenient: options.lenient,
    // "${NAME}" in the files expands from the environment, as in HAProxy (configuration.txt 2.3).
    env: process.env,
    readFile: (path: string) => readFileSync(path),
    readDir: (path: string) => (statSync(path).isDirectory() ? readdirSync(path) : undefined),
  };
  if (texts.length === 1) {
    return parseHaproxyConfig(texts[0]!.text, texts[0]!.name, { ...io, onWarning: options.onWarning });
  }
  const starts: { name: string; first: number }[] = [];
  let line = 1;
  let joined = "";
  for (const t of texts) {
    starts.push({ name: t.name, first: line });
    const text = t.text.endsWith("\n") || t.text === "" ? t.text : `${t.text}\n`;
    joined += text;
    line += text.split("\n").length - 1;
  }
  const rename = (msg: string): string =>
    msg.replace(new RegExp(`${JOINED}:(\\d+):`, "g"), (_, n: string) => {
      const at = Number(n);
      const f = starts.findLast((s) => s.first <= at)!;
      return `${f.name}:${at - f.first + 1}:`;
    }).replaceAll(JOINED, texts.map((t) => t.name).join(", "));
  try {
    return parseHaproxyConfig(joined, JOINED, { ...io, onWarning: (m) => options.onWarning(rename(m)) });
  } catch (e) {
    if (e instanceof ProxyError) throw new ProxyError(e.code, rename(e.message), { cause: e });
    throw e;
  }
}
