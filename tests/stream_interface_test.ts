import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SI_STATES, type SiState, StreamInterface } from "../src/stream_interface.ts";
import { Connection } from "../src/connection.ts";

describe("StreamInterface", () => {
  it("starts in INI with no connection", () => {
    const si = new StreamInterface("server");
    assert.equal(si.state, "INI");
    assert.equal(si.conn, undefined);
    assert.deepEqual(si.history, ["INI"]);
  });

  it("lists HAProxy's ten states in order", () => {
    assert.deepEqual(SI_STATES, ["INI", "REQ", "QUE", "TAR", "ASS", "CON", "CER", "EST", "DIS", "CLO"]);
  });

  it("attaches an accepted connection directly in EST", () => {
    const si = new StreamInterface("client");
    const conn = new Connection();
    si.attachEstablished(conn);
    assert.equal(si.state, "EST");
    assert.equal(si.conn, conn);
    assert.deepEqual(si.history, ["INI", "EST"]);
  });

  it("walks a connect with one retry and one redispatch, recording every state", () => {
    const si = new StreamInterface("server");
    for (
      const s of [
        "REQ",
        "ASS",
        "CON",
        "CER",
        "TAR",
        "ASS",
        "CON",
        "CER",
        "REQ",
        "QUE",
        "ASS",
        "CON",
        "EST",
        "DIS",
        "CLO",
      ] as const
    ) {
      si.setState(s);
    }
    assert.deepEqual(si.history, [
      "INI",
      "REQ",
      "ASS",
      "CON",
      "CER",
      "TAR",
      "ASS",
      "CON",
      "CER",
      "REQ",
      "QUE",
      "ASS",
      "CON",
      "EST",
      "DIS",
      "CLO",
    ]);
  });

  it("keeps a long walk (six retries) in order, and which states it went through", () => {
    const si = new StreamInterface("server");
    const walk: SiState[] = ["REQ", "ASS"];
    for (let i = 0; i < 6; i++) walk.push("CON", "CER", "TAR", "ASS");
    walk.push("CON", "EST", "DIS", "CLO");
    for (const st of walk) si.setState(st);
    assert.deepEqual(si.history, ["INI", ...walk]);
    assert.equal(si.hasBeen("TAR"), true);
    assert.equal(si.hasBeen("QUE"), false);
  });

  it("refuses transitions the state machine does not allow", () => {
    const si = new StreamInterface("server");
    assert.throws(() => si.setState("CON"), /illegal transition INI -> CON/);
    si.setState("REQ");
    assert.throws(() => si.setState("EST"), /illegal transition REQ -> EST/);
    si.setState("CLO");
    assert.throws(() => si.setState("REQ"), /illegal transition CLO -> REQ/);
  });

  it("creates its connection on first need and keeps the same object afterwards", () => {
    const si = new StreamInterface("server");
    const a = si.ensureConn();
    const b = si.ensureConn();
    assert.equal(a, b);
    assert.throws(() => si.attach(new Connection()), /already attached/);
    assert.equal(si.detach(), a);
    assert.equal(si.conn, undefined);
  });
});
