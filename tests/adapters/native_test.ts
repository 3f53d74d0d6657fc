/** The conformance suite against the adapter of the runtime running the tests. */
import { conformance } from "./conformance.ts";
import { nativeNetwork, runtime } from "../_helpers.ts";

conformance(`${runtime} (native)`, await nativeNetwork());
