// The seed program: answers "ok" on PORT (default 3000), unchanged on node, deno and bun.
//   npm start                      (node, through tsx)
//   deno run -A examples/hello.ts
//   bun examples/hello.ts
import { createServer } from "anyhttp";

const port = Number(globalThis.process?.env?.PORT ?? 3000);

const server = createServer((req, res) => {
  res.write("ok");
  res.end();
});
server.listen(port, () => {
  const a = server.address(); // a unix socket's path when PORT is one (PORT=/tmp/app.sock)
  console.log(`listening on ${typeof a === "string" ? a : `http://localhost:${a?.port}`}`);
});
