// Raw TCP ceiling on Bun.listen: fixed responses, no parsing (see _raw.mjs). Bytes that a
// write did not take are queued and flushed on drain.
// @ts-ignore: plain .mjs helpers
import { responses, TerminatorCounter } from "./_raw.mjs";
// @ts-ignore
import { PORT, ready } from "./_ready.mjs";
// @ts-ignore
import { coreShadow } from "./_shadow.mjs";

const shadow = await coreShadow();

declare const Bun: any;
interface State { counter: TerminatorCounter; queue: Uint8Array[]; feed?: (chunk: Uint8Array) => void }

function flush(socket: any, st: State) {
  while (st.queue.length > 0) {
    const buf = st.queue[0];
    const wrote = socket.write(buf);
    if (wrote < 0) return; // closed
    if (wrote < buf.byteLength) {
      st.queue[0] = buf.subarray(wrote);
      return;
    }
    st.queue.shift();
  }
}

const listener = Bun.listen({
  hostname: "127.0.0.1",
  port: PORT,
  socket: {
    open(socket: any) {
      socket.data = { counter: new TerminatorCounter(), queue: [], feed: shadow?.() } satisfies State;
      socket.setNoDelay?.(true);
    },
    data(socket: any, chunk: Uint8Array) {
      const st: State = socket.data;
      st.feed?.(chunk);
      const n = st.counter.count(chunk);
      if (n === 0) return;
      const out = responses(st.counter.isPost === 1, n);
      if (st.queue.length > 0) {
        st.queue.push(out);
        return;
      }
      const wrote = socket.write(out);
      if (wrote >= 0 && wrote < out.byteLength) st.queue.push(out.subarray(wrote));
    },
    drain(socket: any) {
      flush(socket, socket.data);
    },
    error() {},
  },
});
ready(listener.port);
