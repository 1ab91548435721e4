// Echoes the request body back, streaming, with the request's Content-Type.
//   npx tsx examples/echo.ts · deno run -A examples/echo.ts · bun examples/echo.ts
import { createServer } from "anyhttp";

// A number is a TCP port, anything else a unix socket path (PORT=/tmp/app.sock), as listen() takes them.
const port = globalThis.process?.env?.PORT ?? "3001";

const server = createServer((req, res) => {
  res.setHeader("Content-Type", req.headers["content-type"] ?? "application/octet-stream");
  req.pipe(res);
});
server.listen(port, () => {
  const a = server.address();
  console.log(`listening on ${typeof a === "string" ? a : `http://localhost:${a?.port}`}`);
});
