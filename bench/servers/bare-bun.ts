// What the runtime itself costs per idle connection (bench/memory.ts `--targets bare`): a
// Bun.listen server with one shared handler object that answers the one GET each memory-bench
// client sends, then keeps the socket with nothing in its `data` slot.
// @ts-ignore: plain .mjs helpers
import { responses } from "./_raw.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";

declare const Bun: any;
const RESPONSE: Uint8Array = responses(false, 1);
const listener = Bun.listen({
  hostname: "127.0.0.1",
  port: PORT,
  allowHalfOpen: true,
  socket: {
    open(socket: any) {
      socket.setNoDelay?.(true);
    },
    // The memory bench sends exactly one small GET per connection: one read, one answer.
    data(socket: any) {
      socket.write(RESPONSE);
    },
    error() {},
  },
});
ready(listener.port);
