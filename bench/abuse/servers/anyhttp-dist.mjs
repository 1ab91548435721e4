// anyhttp from the npm build (dist/mod.js, `npm run build`): what a node user runs.
import { createServer } from "../../../dist/mod.js";
import { attach, handler, OPTIONS, PORT, ready } from "./app.mjs";

const server = createServer(OPTIONS, handler);
attach(server);
server.listen(PORT, "127.0.0.1", () => ready(server.address().port, "anyhttp dist"));
