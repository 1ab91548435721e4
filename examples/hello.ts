// The seed program: answers "ok" on PORT (default 3000), unchanged on node, deno and bun.
//   npm start                      (node, through tsx)
//   deno run -A examples/hello.ts
//   bun examples/hello.ts
import { createServer } from "anyhttp";

// A number is a TCP port, anything else a unix socket path (PORT=/tmp/app.sock), as listen() takes them.
const port = globalThis.process?.env?.PORT ?? "3000";

const server = createServer((req, res) => {
  res.write("ok");
  res.end();
});
server.listen(port, () => {
  const a = server.address();
  console.log(`listening on ${typeof a === "string" ? a : `http://localhost:${a?.port}`}`);
});
