// A test program as a supertest user writes one, for tests/ecosystem.test.ts: it makes its
// requests, prints what it got, and must then exit by itself (no server left open).
// MODE=listener: supertest(listener) (supertest makes the server with node:http).
// MODE=server:   supertest(server), an anyhttp server that is not listening (supertest
//                starts it, and closes it after the last request).
import request from "supertest";
import type { RequestListener } from "node:http";
import { createServer } from "../../adapters/mod.ts";

const listener: RequestListener = (req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end(`hello ${req.method} ${req.url}`);
};

// node:http's listener type: one listener for both node:http (supertest's own server) and anyhttp.
const agent = request(process.env.MODE === "server" ? createServer(listener) : listener);
const first = await agent.get("/one").expect(200);
const second = await agent.post("/two").send("x").expect(200);
console.log(`got ${first.text} | ${second.text} | ${first.headers["content-type"]}`);
