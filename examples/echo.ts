// Echoes the request body back, streaming, with the request's Content-Type.
//   npx tsx examples/echo.ts · deno run -A examples/echo.ts · bun examples/echo.ts
import { createServer } from "anyhttp";

const port = Number(globalThis.process?.env?.PORT ?? 3001);

const server = createServer((req, res) => {
  res.setHeader("Content-Type", req.headers["content-type"] ?? "application/octet-stream");
  req.pipe(res);
});
server.listen(port, () => {
  const a = server.address(); // a unix socket's path when PORT is one (PORT=/tmp/app.sock)
  console.log(`listening on ${typeof a === "string" ? a : `http://localhost:${a?.port}`}`);
});
