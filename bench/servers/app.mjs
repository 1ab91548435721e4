// The one app every node-style target serves (anyhttp on node/deno/bun, node:http on each
// runtime), plus the payload constants the raw servers, the wrk scripts and the checks share.
//   GET  /  → 200 "ok", Content-Type: text/plain, Content-Length: 2
//   POST /  → 200 with the request body echoed (Content-Type: application/octet-stream,
//             Content-Length set: the body is collected first, as Bun.serve/Deno.serve do)

/** The 4 KiB POST body: wrk/post.lua sends exactly this (string.rep("0123456789abcdef", 256)). */
export const POST_BODY = "0123456789abcdef".repeat(256);

const OK_HEADERS = { "Content-Type": "text/plain", "Content-Length": 2 };

/** One buffer of `chunks` (the first itself when there is one). */
export function concat(chunks) {
  if (chunks.length === 1) return chunks[0];
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** `(req, res)` for createServer(). */
export function handler(req, res) {
  if (req.method === "POST") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = concat(chunks);
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": body.byteLength });
      res.end(body);
    });
    return;
  }
  res.writeHead(200, OK_HEADERS);
  res.end("ok");
}
