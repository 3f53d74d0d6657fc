/** A plain server for proxied streams that must end by themselves (an `openssl s_client` exits). */
import type { Listener, Network } from "../../src/net.ts";
import { enc, Recorder, tcp } from "../_helpers.ts";

/**
 * A server on 127.0.0.1 that writes `hello\n` to each connection and closes it: the proxy
 * then closes its client. Closed by the caller.
 */
export function helloServer(net: Network): Promise<Listener> {
  return net.listen({
    address: tcp("127.0.0.1", 0),
    onAccept: (s) => {
      s.setHandlers(new Recorder());
      s.write(enc("hello\n"));
      s.close();
    },
  });
}
