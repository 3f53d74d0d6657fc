/**
 * `show servers state` and the `server-state-file` (management.txt 9.3; configuration.txt
 * 3.1 `server-state-file`): version 1, one line per server. A minimal version of the
 * lifecycle module's.
 *
 * @module
 */
import { internalsOf, type ProxyServer } from "./proxy.ts";
import { formatAddress } from "./address.ts";

/** The fields line of version 1, verbatim. */
const FIELDS =
  "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port";

/**
 * The server states of `proxy` as `show servers state` prints them: `1`, the fields line, a
 * line per server (op state 2 running / 0 stopped, admin bits 0x01 maintenance and 0x08
 * drain), a blank line.
 */
export function formatServersState(proxy: ProxyServer): string {
  const out = ["1", FIELDS];
  internalsOf(proxy).backends.forEach((be, i) => {
    for (const s of be.servers) {
      const a = s.address;
      const host = a.transport === "tcp" ? a.hostname : formatAddress(a);
      const port = a.transport === "tcp" ? a.port : 0;
      const op = s.state === "UP" || s.state === "DRAIN" ? 2 : 0;
      const admin = (s.state === "MAINT" ? 1 : 0) | (s.drained ? 8 : 0);
      out.push(
        `${
          i + 1
        } ${be.name} ${s.id} ${s.name} ${host} ${op} ${admin} ${s.userWeight} ${s.settings.weight} 0 1 0 1 0 0 0 0 - ${port} - 0 0 - - 0`,
      );
    }
  });
  return out.join("\n") + "\n\n";
}
