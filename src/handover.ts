/**
 * Listeners that outlive the proxy that bound them: a reload hands each one whose address is
 * unchanged to the next proxy instead of closing it and binding again, so no connection is
 * refused during the switch (management.txt 4 "Stopping and restarting HAProxy": the new
 * process takes the listening sockets over). Any listener keyed by its address can take
 * part: the proxy's binds, and a runtime API socket.
 *
 * A {@link ListenerSlot} is a listener whose accept callbacks go through the slot, so that its
 * owner can be changed while it keeps listening; a {@link Handover} lists the slots a running
 * owner offers to its successor.
 *
 * @module
 */
import type { Address, Listener, ListenOptions, Network } from "./net.ts";
import { formatAddress } from "./address.ts";

/** A listener whose accepted sockets go where {@link ListenerSlot.options} says now. */
export interface ListenerSlot {
  /** {@link listenKey} of the address it was asked to listen on (port 0 stays 0). */
  readonly key: string;
  /** The bound listener. */
  readonly listener: Listener;
  /** The options now in force: a handover replaces them, callbacks included. */
  options: ListenOptions;
}

/** The key a listener is handed over by: its address as asked for (`127.0.0.1:80`, `unix@/run/x`). */
export function listenKey(address: Address): string {
  return formatAddress(address);
}

/** Listens with `options`; its callbacks are read from the slot at each call. */
export async function listenSlot(net: Network, options: ListenOptions): Promise<ListenerSlot> {
  const slot: { key: string; listener: Listener | undefined; options: ListenOptions } = {
    key: listenKey(options.address),
    listener: undefined,
    options,
  };
  slot.listener = await net.listen({
    ...options,
    onAccept: (s) => slot.options.onAccept(s),
    onHandshakeError: (e, remote) => slot.options.onHandshakeError?.(e, remote),
  });
  return slot as ListenerSlot;
}

/** What the listen options set besides the callbacks, for comparing two binds. */
function shape(o: ListenOptions, withTls: boolean): string {
  const { onAccept: _a, onHandshakeError: _e, tls, ...rest } = o;
  const bytes = (_k: string, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Uint8Array).join(",") : v);
  return JSON.stringify({ ...rest, tls: withTls ? tls : tls !== undefined }, bytes);
}

/**
 * Slots offered by running owners to a successor. The successor {@link take}s the ones it
 * wants, then either {@link commit}s (each owner is told to forget its slot, which now
 * belongs to the successor) or {@link cancel}s (nothing changed). Until the commit the old
 * owner keeps receiving the connections, so none is refused.
 */
export class Handover {
  readonly #offered: { slot: ListenerSlot; release: () => void; taken: boolean }[] = [];

  /** Offers `slot`; `release` is called when a successor took it for good. */
  offer(slot: ListenerSlot, release: () => void): void {
    this.#offered.push({ slot, release, taken: false });
  }

  /**
   * Reserves a slot on the address of `options` whose listen settings match (the TLS settings
   * may differ when the listener can change them: {@link adopt} does), or `undefined`.
   */
  take(options: ListenOptions): ListenerSlot | undefined {
    const key = listenKey(options.address);
    const o = this.#offered.find((o) => !o.taken && o.slot.key === key && this.#fits(o.slot, options));
    if (o === undefined) return undefined;
    o.taken = true;
    return o.slot;
  }

  /**
   * Releases an offered slot on the address of `options` that {@link take} refused (its
   * settings differ and cannot be changed in place: plain vs TLS, deferred TLS), and closes
   * it, so that the successor can bind the address. Connections are refused between the close
   * and the new bind: the one case where a reload has a gap.
   */
  async closeClashing(options: ListenOptions): Promise<void> {
    const key = listenKey(options.address);
    for (const o of this.#offered) {
      if (o.taken || o.slot.key !== key) continue;
      o.taken = true;
      o.release();
      await o.slot.listener.close();
    }
  }

  /** Points a taken slot at its new owner's `options`, changing its TLS settings if they differ. */
  adopt(slot: ListenerSlot, options: ListenOptions): void {
    if (options.tls !== undefined && shape(slot.options, true) !== shape(options, true)) {
      slot.listener.setTls?.(options.tls);
    }
    slot.options = options;
  }

  /** The successor keeps `slots` (taken before): their old owners forget them. */
  commit(slots: readonly ListenerSlot[]): void {
    for (const o of this.#offered) if (slots.includes(o.slot)) o.release();
  }

  /** The successor gave up: `slots` are offered again, untouched. */
  cancel(slots: readonly ListenerSlot[]): void {
    for (const o of this.#offered) if (slots.includes(o.slot)) o.taken = false;
  }

  #fits(slot: ListenerSlot, options: ListenOptions): boolean {
    if (shape(slot.options, false) !== shape(options, false)) return false;
    return options.tls === undefined || slot.listener.setTls !== undefined ||
      shape(slot.options, true) === shape(options, true);
  }
}
