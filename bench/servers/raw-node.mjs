// Raw TCP ceiling on node:net: fixed responses, no parsing (see _raw.mjs).
import * as net from "node:net";
import { responses, TerminatorCounter } from "./_raw.mjs";
import { PORT, ready } from "./_ready.mjs";
import { coreShadow } from "./_shadow.mjs";

const shadow = await coreShadow();

const server = net.createServer({ noDelay: true }, (socket) => {
  const counter = new TerminatorCounter();
  const feed = shadow?.();
  socket.on("data", (chunk) => {
    feed?.(chunk);
    const n = counter.count(chunk);
    if (n > 0) socket.write(responses(counter.isPost === 1, n));
  });
  socket.on("error", () => {});
});
server.listen(PORT, "127.0.0.1", () => ready(server.address().port));
