import { conformance } from "./conformance.ts";
import { network } from "../../adapters/node.ts";
conformance("node adapter under this runtime", network);
