// anyhttp from the npm build (dist/mod.js, `npm run build`): what a node user runs.
import { createServer } from "../../dist/mod.js";
import { handler } from "./app.mjs";
import { IDLE_MS, PORT, ready } from "./_ready.mjs";

const server = createServer(IDLE_MS ? { keepAliveTimeout: IDLE_MS } : {}, handler);
server.listen(PORT, "127.0.0.1", () => ready(server.address().port));
