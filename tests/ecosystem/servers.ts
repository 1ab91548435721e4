// Servers for tests/ecosystem.test.ts that run in a child process, one scenario per run
// (`SCENARIO=ws|socketio|proxy-ws|connect`): the ones where a library bug shows as an uncaught
// exception, which must be seen as the server process dying, not as the test runner dying.
//
// Prints `listening on 127.0.0.1:<port>` once ready, then one `event <json>` line per thing
// the server saw. It runs until it is killed (or until it crashes: that is what the tests
// look for).
import * as net from "node:net";
import { Buffer } from "node:buffer";
import httpProxy from "http-proxy";
import { Server as IOServer } from "socket.io";
import { createServer, type RequestListener, type Server } from "../../adapters/mod.ts";
import { isRealWs, WebSocketServer, wsFile } from "./_real-ws.ts";
import { portOf } from "../_support/address.ts";

function emit(event: Record<string, unknown>): void {
  console.log(`event ${JSON.stringify(event)}`);
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(portOf(server)));
  });
}

/** A WebSocketServer (the real `ws`) on `server` that echoes and logs what it sees. */
function echoWebSockets(server: Server): void {
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    emit({ type: "connection", url: req.url, forwarded: req.headers["x-forwarded-for"] ?? null });
    ws.on("message", (data, isBinary) => {
      const bytes = Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]);
      if (!isBinary && bytes.toString() === "close-me") {
        ws.close(4001, "server says bye");
        return;
      }
      emit({ type: "message", binary: isBinary, data: isBinary ? [...bytes] : bytes.toString() });
      if (isBinary) ws.send(Buffer.from(bytes).reverse(), { binary: true });
      else ws.send(`echo:${bytes.toString()}`);
    });
    ws.on("close", (code, reason) => emit({ type: "close", code, reason: reason.toString() }));
    ws.on("error", (err) => emit({ type: "ws-error", message: err.message }));
  });
}

const scenario = process.env.SCENARIO;
emit({ type: "ws-module", file: wsFile, real: isRealWs });

if (scenario === "ws") {
  const server = createServer((req, res) => res.end(`http ${req.url}`));
  echoWebSockets(server);
  const port = await listen(server);
  console.log(`listening on 127.0.0.1:${port}`);
} else if (scenario === "socketio") {
  const server = createServer();
  // The real ws as engine.io's websocket engine on every runtime (its default is
  // require("ws"), which Bun answers with its own).
  const io = new IOServer(server, { wsEngine: WebSocketServer });
  io.on("connection", (socket) => {
    emit({ type: "connection", transport: socket.conn.transport.name });
    socket.emit("welcome", { hello: "from socket.io" });
    socket.on("ping", (payload: unknown, bin: Uint8Array, ack: (reply: unknown, bin: Uint8Array) => void) => {
      emit({ type: "ping", payload, bin: [...new Uint8Array(bin)] });
      ack({ pong: payload }, Buffer.from(new Uint8Array(bin)).reverse());
    });
    socket.on("disconnect", (reason) => emit({ type: "disconnect", reason }));
    socket.conn.on("close", (reason: string) => emit({ type: "conn-close", reason }));
  });
  const port = await listen(server);
  console.log(`listening on 127.0.0.1:${port}`);
} else if (scenario === "proxy-ws") {
  const backend = createServer((_req, res) => res.end("backend"));
  echoWebSockets(backend);
  const backendPort = await listen(backend);
  const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${backendPort}`, ws: true, xfwd: true });
  proxy.on("error", (err) => emit({ type: "proxy-error", message: err.message }));
  const front = createServer((req, res) => proxy.web(req, res));
  front.on("upgrade", (req, socket, head) => proxy.ws(req, socket, head));
  const port = await listen(front);
  console.log(`listening on 127.0.0.1:${port}`);
} else if (scenario === "connect") {
  // The CONNECT proxy of Node's http documentation (doc/api/http.md, "Event: 'connect'"),
  // unchanged but for the import of createServer.
  const proxy = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("okay");
  });
  proxy.on("connect", (req, clientSocket, head) => {
    emit({ type: "connect", url: req.url, head: head.byteLength });
    const { port, hostname } = new URL(`http://${req.url}`);
    const serverSocket = net.connect(Number(port) || 80, hostname, () => {
      clientSocket.write("HTTP/1.1 200 Connection Established\r\n" + "Proxy-agent: Node.js-Proxy\r\n" + "\r\n");
      serverSocket.write(head);
      serverSocket.pipe(clientSocket);
      clientSocket.pipe(serverSocket);
    });
    serverSocket.on("close", () => emit({ type: "upstream-close" }));
  });
  const port = await listen(proxy);
  console.log(`listening on 127.0.0.1:${port}`);
} else {
  console.error(`unknown SCENARIO ${scenario}`);
  process.exit(2);
}
