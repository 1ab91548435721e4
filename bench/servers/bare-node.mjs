// What the runtime itself costs per idle connection (bench/memory.ts `--targets bare`): a
// node:net server that answers the one GET each memory-bench client sends with the raw
// ceiling's fixed response, then keeps the socket with nothing of its own attached but one
// shared 'data' listener (no per-connection closures, no state).
import * as net from "node:net";
import { responses } from "./_raw.mjs";
import { PORT, ready } from "./_ready.mjs";

const RESPONSE = responses(false, 1);
function onData() {
  // The memory bench sends exactly one small GET per connection: one read, one answer.
  this.write(RESPONSE);
}
function onError() {}
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("data", onData);
  socket.on("error", onError);
});
server.listen(PORT, "127.0.0.1", () => ready(server.address().port));
