/**
 * `Backend.connect()` settles without a promise when nothing has to be waited for: an idle
 * connection handed over by the reuse hook (HTTP keep-alive's common case) or a failure the
 * election decides; a connect or a queue goes through a promise, as before.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../src/clock.ts";
import { MemoryNetwork } from "../adapters/memory.ts";
import { Backend, type CancelToken } from "../src/backend.ts";
import { Connection, RAW } from "../src/connection.ts";
import { StreamInterface } from "../src/stream_interface.ts";
import { resolveConfig } from "../src/config/defaults.ts";
import { toBackendSettings } from "../src/_settings.ts";
import type { Socket } from "../src/net.ts";
import { tcp } from "./_helpers.ts";

const ADDR = tcp("10.1.0.1", 8000);

async function setup(maxconn?: number) {
  const clock = new FakeClock();
  const net = new MemoryNetwork({ clock });
  await net.listen({
    address: ADDR,
    onAccept: (s) => s.setHandlers({ onData() {}, onEnd() {}, onDrain() {}, onClose() {} }),
  });
  const cfg = resolveConfig({
    frontends: [],
    backends: [{ name: "be", mode: "http", servers: [{ name: "s1", address: ADDR, ...(maxconn ? { maxconn } : {}) }] }],
  });
  const backend = new Backend(toBackendSettings(cfg.backends[0]!), net, clock);
  const cancel = (): CancelToken => ({ aborted: false, onCancel: undefined });
  return { clock, net, backend, cancel };
}

/** An idle connection to `ADDR` as the pool would hold it: established, its socket attached. */
async function idleConnection(net: MemoryNetwork): Promise<Connection> {
  const c = new Connection();
  c.setDst(ADDR);
  c.prepareCtrl(net);
  c.prepareXprt(RAW);
  await c.connect();
  return c;
}

describe("Backend.connect() without a promise", () => {
  it("an idle connection from the reuse hook: the socket at once, the stream interface EST", async () => {
    const { net, backend, cancel } = await setup();
    const idle = await idleConnection(net);
    const lease = backend.admit(undefined);
    const si = new StreamInterface("server");
    const r = backend.connect(lease, si, cancel(), () => idle);
    assert.ok(!(r instanceof Promise), "a promise for an idle connection");
    assert.equal(r, idle.socket as Socket);
    assert.equal(si.state, "EST");
    assert.equal(si.conn, idle);
    assert.equal(lease.server?.name, "s1");
  });

  it("no idle connection: a connect, through a promise", async () => {
    const { clock, backend, cancel } = await setup();
    const lease = backend.admit(undefined);
    const si = new StreamInterface("server");
    const r = backend.connect(lease, si, cancel(), () => undefined);
    assert.ok(r instanceof Promise);
    await clock.advance(100);
    const s = await r;
    assert.equal(typeof s, "object");
    assert.equal(si.state, "EST");
  });

  it("a client gone before the election: CC at once", async () => {
    const { backend } = await setup();
    const r = backend.connect(backend.admit(undefined), new StreamInterface("server"), {
      aborted: true,
      onCancel: undefined,
    });
    assert.equal(r, "CC");
  });

  it("a full server: queued, through a promise", async () => {
    const { net, backend, cancel } = await setup(1);
    const first = backend.admit(undefined);
    const idle = await idleConnection(net);
    backend.connect(first, new StreamInterface("server"), cancel(), () => idle);
    const second = backend.admit(undefined);
    const si = new StreamInterface("server");
    const r = backend.connect(second, si, cancel(), () => undefined);
    assert.ok(r instanceof Promise);
    assert.equal(si.state, "QUE");
  });
});
