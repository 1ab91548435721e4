// The floor (see _floor.mjs) from the npm build (dist/, `npm run build`): what the node target
// runs when anyhttp-node runs dist/mod.js, so both load the same bundled code.
import { RequestParser } from "../../dist/core.js";
import { nodeTransport } from "../../dist/node.js";
import { floorServer } from "./_floor.mjs";
import { PORT, ready } from "./_ready.mjs";

const listener = await nodeTransport.listen({ port: PORT, host: "127.0.0.1" }, floorServer(RequestParser));
ready(listener.address.port);
