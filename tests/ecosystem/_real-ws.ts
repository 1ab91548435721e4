// The npm package `ws` from node_modules, on every runtime. Bun answers `import "ws"` with its
// own implementation, so the package is loaded by file path; `isRealWs` says whether the
// module came from node_modules (its WebSocket is the class in `ws/lib/websocket.js`).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type * as WsTypes from "ws";

const require = createRequire(import.meta.url);

/** The absolute path of `node_modules/ws/index.js`. */
export const wsFile: string = fileURLToPath(new URL("../../node_modules/ws/index.js", import.meta.url));

const ws = require(wsFile) as typeof WsTypes;
const websocketFile = fileURLToPath(new URL("../../node_modules/ws/lib/websocket.js", import.meta.url));

/** True when `WebSocket` is the class defined in node_modules/ws/lib/websocket.js. */
export const isRealWs: boolean = ws.WebSocket === require(websocketFile) &&
  ws.WebSocketServer === require(fileURLToPath(new URL("../../node_modules/ws/lib/websocket-server.js", import.meta.url)));

export const WebSocket: typeof WsTypes.WebSocket = ws.WebSocket;
export const WebSocketServer: typeof WsTypes.WebSocketServer = ws.WebSocketServer;
