// node:http on the system node, configured like the anyhttp targets. headersTimeout and
// keepAliveTimeout are set; connectionsCheckingInterval is left at Node's default (30 s), so
// the report shows how Node really enforces headersTimeout.
import * as http from "node:http";
import { attach, handler, OPTIONS, PORT, ready } from "./app.mjs";

const server = http.createServer(handler);
server.headersTimeout = OPTIONS.headersTimeout;
server.keepAliveTimeout = OPTIONS.keepAliveTimeout;
attach(server);
server.listen(PORT, "127.0.0.1", () => ready(server.address().port, `node:http ${process.version}`));
