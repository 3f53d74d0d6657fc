/**
 * IP literal parsing for `balance source`: text to network-order bytes, no I/O, no DNS.
 *
 * @module
 */

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

/** Parses one side of `::` into 16-bit groups; a trailing dotted quad counts as two groups. */
function parseGroups(text: string, allowIpv4Tail: boolean): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (allowIpv4Tail && i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]!, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1]!, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const zeros = 8 - head.length - tail.length;
  if (halves.length === 1 ? zeros !== 0 : zeros < 1) return undefined;
  const groups = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * The bytes of an IP literal in network order: 4 for IPv4, 16 for IPv6, `undefined` when the
 * text is not an IP literal. Brackets and a `%zone` suffix are ignored. An IPv4-mapped IPv6
 * address (`::ffff:a.b.c.d`) gives the 4 IPv4 bytes: runtimes report IPv4 clients of dual-stack
 * listeners that way, while HAProxy would see them as AF_INET.
 */
export function ipBytes(address: string): Uint8Array | undefined {
  let text = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (!text.includes(":")) return parseIpv4(text);
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  const v6 = parseIpv6(text);
  if (v6 === undefined) return undefined;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}
