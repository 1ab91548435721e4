/**
 * `anyhttp/https` on the runtime running this file (node, deno, bun), with the test PKI of
 * `tests/fixtures/tls/` (a CA, a server certificate for localhost / 127.0.0.1, a client
 * certificate): TLS handshakes with real clients (node's `https` and `tls`, the runtime's
 * `fetch` given the CA, `curl --cacert`), the same bytes as over TCP, ALPN, client
 * certificates, encrypted keys, `pfx` and `SNICallback` where the runtime can (the error
 * naming the option and runtime where it cannot), Express's `req.protocol`, and timeouts,
 * upgrades and the handshake timeout as over TCP.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import express from "express";
import { createServer as createHttpServer, type HttpServer } from "../adapters/mod.ts";
import { createServer, type ServerOptions } from "../adapters/https.ts";
import { runtime, undate } from "./_support/runtime.ts";
import { portOf } from "./_support/address.ts";

const dir = new URL("./fixtures/tls/", import.meta.url);
const pem = (name: string) => readFileSync(new URL(name, dir), "utf8");
const CA = pem("ca.crt");
const KEY = pem("server.key");
const CERT = pem("server.crt");
const RUNTIME = runtime === "deno" ? "Deno" : runtime === "bun" ? "Bun" : "Node";
const hasCurl = spawnSync("curl", ["--version"]).status === 0;
const REQUEST = "GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/** What the handler saw of the TLS socket, answered as the body. */
function describe(req: { socket: unknown; url?: string }): string {
  const s = req.socket as {
    encrypted?: boolean;
    authorized?: boolean;
    alpnProtocol?: string | false;
    getPeerCertificate?: () => { subject?: { CN?: string } };
  };
  const cn = s.getPeerCertificate?.().subject?.CN;
  return `${req.url} encrypted=${s.encrypted} authorized=${s.authorized} alpn=${s.alpnProtocol} peer=${cn ?? "none"}`;
}

async function serve(options: ServerOptions = {}): Promise<HttpServer & { port: number }> {
  const server = createServer({ key: KEY, cert: CERT, ...options }, (req, res) => res.end(describe(req)));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return Object.assign(server, { port: portOf(server) });
}

function close(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Everything received on one TLS connection after sending `data`. */
function tlsExchange(port: number, data: string, options: tls.ConnectionOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: "127.0.0.1", servername: "localhost", ca: CA, ...options }, () => {
      socket.write(data);
    });
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (text += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
  });
}

function tcpExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(data));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => (text += d));
    socket.on("error", reject);
    socket.on("close", () => resolve(text));
  });
}

function httpsGet(port: number, options: https.RequestOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get({ host: "127.0.0.1", port, servername: "localhost", ca: CA, path: "/node", agent: false, ...options }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
    }).on("error", reject);
  });
}

function isUnavailable(option: string): (e: Error & { code?: string }) => boolean {
  return (e) =>
    e instanceof TypeError && e.code === "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM" &&
    e.message.includes(`"${option}"`) && e.message.includes(RUNTIME);
}

test(`[${runtime}] https answers the same bytes over TLS as http over TCP, with the socket encrypted`, async () => {
  const server = await serve();
  const plain = createHttpServer((req, res) => res.end(describe(req)));
  await new Promise<void>((r) => plain.listen(0, "127.0.0.1", () => r()));
  try {
    const overTls = await tlsExchange(server.port, REQUEST);
    const overTcp = await tcpExchange(portOf(plain), REQUEST);
    const body = "/x encrypted=true authorized=false alpn=false peer=none";
    assert.equal(undate(overTls), `HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(
      undate(overTls),
      undate(overTcp).replace(/Content-Length: \d+/, `Content-Length: ${body.length}`)
        .replace("encrypted=undefined authorized=undefined alpn=undefined", "encrypted=true authorized=false alpn=false"),
    );
    assert.equal(await httpsGet(server.port), "200 /node encrypted=true authorized=false alpn=false peer=none");
  } finally {
    await close(server);
    await close(plain);
  }
});

test(`[${runtime}] ALPN settles on http/1.1 by default, as node:https`, async () => {
  const server = await serve();
  try {
    let clientSide: string | false = false;
    const text = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: "127.0.0.1", servername: "localhost", ca: CA, ALPNProtocols: ["h2", "http/1.1"] }, () => {
        clientSide = socket.alpnProtocol ?? false;
        socket.write(REQUEST);
      });
      let t = "";
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => (t += d));
      socket.on("error", reject);
      socket.on("close", () => resolve(t));
    });
    assert.equal(clientSide, "http/1.1");
    assert.match(text, /alpn=http\/1\.1 /);
  } finally {
    await close(server);
  }
});

test(`[${runtime}] fetch with the test CA gets the answer over TLS`, async () => {
  const server = await serve();
  try {
    const url = `https://localhost:${server.port}/fetch`;
    let res: Response;
    const g = globalThis as { Deno?: { createHttpClient(o: { caCerts: string[] }): { close(): void } } };
    if (runtime === "deno") {
      const client = g.Deno!.createHttpClient({ caCerts: [CA] });
      try {
        res = await fetch(url, { client } as RequestInit);
        assert.equal(await res.text(), "/fetch encrypted=true authorized=false alpn=http/1.1 peer=none");
      } finally {
        client.close();
      }
    } else if (runtime === "bun") {
      res = await fetch(url, { tls: { ca: CA } } as RequestInit);
      assert.equal(await res.text(), "/fetch encrypted=true authorized=false alpn=http/1.1 peer=none");
    } else {
      const { Agent, fetch: undiciFetch } = await import("undici");
      const dispatcher = new Agent({ connect: { ca: CA } });
      try {
        const r = await undiciFetch(url, { dispatcher });
        assert.equal(await r.text(), "/fetch encrypted=true authorized=false alpn=http/1.1 peer=none");
      } finally {
        await dispatcher.close();
      }
    }
  } finally {
    await close(server);
  }
});

test(`[${runtime}] curl --cacert gets the exact bytes`, { skip: hasCurl ? false : "needs curl on PATH to be the TLS client" }, async () => {
  const server = await serve();
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("curl", ["-sS", "-i", "--http1.1", "--cacert", new URL("ca.crt", dir).pathname, `https://localhost:${server.port}/curl`]);
      let o = "";
      let e = "";
      child.stdout.setEncoding("latin1");
      child.stdout.on("data", (d: string) => (o += d));
      child.stderr.on("data", (d) => (e += d));
      child.on("close", (code) => (code === 0 ? resolve(o) : reject(new Error(`curl exited ${code}: ${e}`))));
    });
    const body = "/curl encrypted=true authorized=false alpn=http/1.1 peer=none";
    assert.equal(
      undate(out),
      `HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  } finally {
    await close(server);
  }
});

test(`[${runtime}] requestCert: a client certificate signed by the CA is seen and authorized; none is refused`, async () => {
  const options = { ca: CA, requestCert: true, rejectUnauthorized: true };
  if (runtime === "deno") {
    assert.throws(() => createServer({ key: KEY, cert: CERT, ...options }), isUnavailable("ca"));
    assert.throws(() => createServer({ key: KEY, cert: CERT, requestCert: true }), isUnavailable("requestCert"));
    return;
  }
  const server = await serve(options);
  try {
    assert.equal(
      await httpsGet(server.port, { key: pem("client.key"), cert: pem("client.crt") }),
      "200 /node encrypted=true authorized=true alpn=false peer=anyhttp test client",
    );
    await assert.rejects(httpsGet(server.port), (e: Error & { code?: string }) => /ECONNRESET|certificate|CERTIFICATE|socket hang up/.test(`${e.code} ${e.message}`));
  } finally {
    await close(server);
  }
  const lenient = await serve({ ca: CA, requestCert: true, rejectUnauthorized: false });
  try {
    assert.equal(await httpsGet(lenient.port), "200 /node encrypted=true authorized=false alpn=false peer=none");
  } finally {
    await close(lenient);
  }
});

test(`[${runtime}] an encrypted key with its passphrase serves; pfx where the runtime takes it`, async () => {
  const server = await serve({ key: pem("server-encrypted.key"), passphrase: "anyhttp" });
  try {
    assert.equal(await httpsGet(server.port), "200 /node encrypted=true authorized=false alpn=false peer=none");
  } finally {
    await close(server);
  }
  const pfx = readFileSync(new URL("server.pfx", dir));
  if (runtime !== "node") {
    assert.throws(() => createServer({ pfx, passphrase: "anyhttp" }), isUnavailable("pfx"));
    return;
  }
  const fromPfx = createServer({ pfx, passphrase: "anyhttp" }, (req, res) => res.end(describe(req)));
  await new Promise<void>((r) => fromPfx.listen(0, "127.0.0.1", () => r()));
  try {
    assert.equal(await httpsGet(portOf(fromPfx)), "200 /node encrypted=true authorized=false alpn=false peer=none");
  } finally {
    await close(fromPfx);
  }
});

test(`[${runtime}] SNICallback picks the certificate where the runtime can`, async () => {
  const asked: string[] = [];
  const SNICallback = (name: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void) => {
    asked.push(name);
    cb(null, tls.createSecureContext({ key: KEY, cert: CERT }));
  };
  if (runtime !== "node") {
    assert.throws(() => createServer({ key: KEY, cert: CERT, SNICallback }), isUnavailable("SNICallback"));
    return;
  }
  const server = await serve({ SNICallback });
  try {
    assert.equal(await httpsGet(server.port), "200 /node encrypted=true authorized=false alpn=false peer=none");
    assert.deepEqual(asked, ["localhost"]);
  } finally {
    await close(server);
  }
});

test(`[${runtime}] Express sees req.protocol "https" and req.secure`, async () => {
  const app = express();
  app.get("/p", (req, res) => {
    res.send(`${req.protocol} ${req.secure}`);
  });
  const server = createServer({ key: KEY, cert: CERT }, app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  try {
    assert.equal(await httpsGet(portOf(server), { path: "/p" }), "200 https true");
  } finally {
    await close(server);
  }
});

test(`[${runtime}] headersTimeout and the upgrade hand-off work over TLS as over TCP`, async () => {
  const server = await serve({ headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 });
  server.on("upgrade", (req, socket, head) => {
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nencrypted=${(socket as { encrypted?: boolean }).encrypted}|`);
    // "ping" comes in `head` when it arrived with the request head, else as the next 'data'.
    if (head.byteLength) socket.end(head);
    else socket.once("data", (d: Uint8Array) => socket.end(d));
  });
  try {
    const slow = await tlsExchange(server.port, "GET / HTTP/1.1\r\nHost: a\r\n");
    assert.equal(slow, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n");
    const up = await tlsExchange(server.port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping");
    assert.equal(up, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nencrypted=true|ping");
  } finally {
    await close(server);
  }
});

test(`[${runtime}] a client that never finishes the handshake is closed after handshakeTimeout`, async () => {
  const server = await serve({ handshakeTimeout: 200 });
  try {
    const started = Date.now();
    const text = await tcpExchange(server.port, "not a TLS ClientHello, and no more");
    const took = Date.now() - started;
    assert.equal(text.startsWith("HTTP/"), false, "no HTTP answer before a handshake");
    assert.ok(took < 5_000, `closed after ${took} ms`);
  } finally {
    await close(server);
  }
});

test(`[${runtime}] https serves a unix socket where the runtime can`, async () => {
  const sock = `${mkdtempSync(`${tmpdir()}/anyhttp-`)}/tls.sock`;
  const server = createServer({ key: KEY, cert: CERT }, (req, res) => res.end(describe(req)));
  if (runtime === "deno") {
    assert.throws(() => server.listen(sock), isUnavailable("path"));
    return;
  }
  await new Promise<void>((r) => server.listen(sock, () => r()));
  try {
    assert.equal(server.address(), sock);
    assert.equal(await httpsGet(0, { socketPath: sock }), "200 /node encrypted=true authorized=false alpn=false peer=none");
  } finally {
    await close(server);
  }
});

test(`[${runtime}] https createServer needs its options, and refuses a transport of your own`, () => {
  assert.throws(() => (createServer as unknown as (l: () => void) => unknown)(() => {}), /options \(key and cert, or pfx\) are missing/);
  assert.throws(
    () => createServer({ key: KEY, cert: CERT, transport: { listen: () => ({ address: "x", close: async () => {} }) } }),
    /with a "transport"/,
  );
});
