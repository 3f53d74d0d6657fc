/** The conformance suite against the in-memory network, under every runtime. */
import { conformance } from "./conformance.ts";
import { MemoryNetwork } from "../../adapters/memory.ts";

conformance("memory", new MemoryNetwork());
