/**
 * Every way to listen, on the runtime running this file (node, deno, bun), through the
 * runtime's own transport (`anyhttp`): unix sockets (`listen(path)`, `listen({ path })`,
 * `address()`, `EADDRINUSE`, the file removed on close, the peer's addresses, the file's mode
 * with `readableAll`/`writableAll`, the same bytes as over TCP with node's `http.request`,
 * a raw socket and `curl --unix-socket`), and each TCP listen option (`ipv6Only`, `reusePort`,
 * `backlog`, `exclusive`, `fd`, `handle`, `signal`): its effect seen from outside, or the error
 * that refuses it on this runtime.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import process from "node:process";
import { createServer, type HttpServer } from "../adapters/mod.ts";
import { command, runtime, undate } from "./_support/runtime.ts";
import { portOf } from "./_support/address.ts";

const REQUEST = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
const hasCurl = spawnSync("curl", ["--version"]).status === 0;
const hasSs = spawnSync("ss", ["--version"]).status === 0;

function tmpSock(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "anyhttp-"));
  return path.join(dir, `${name}.sock`);
}

/** A server answering `hello <url>`, with what its last request's socket said. */
function helloServer(): HttpServer & { seen: Record<string, unknown> } {
  const seen: Record<string, unknown> = {};
  const server = createServer((req, res) => {
    const s = req.socket;
    Object.assign(seen, {
      remoteAddress: s.remoteAddress,
      remotePort: s.remotePort,
      remoteFamily: s.remoteFamily,
      localAddress: s.localAddress,
      localPort: s.localPort,
    });
    res.end(`hello ${req.url}`);
  });
  return Object.assign(server, { seen });
}

function listening(server: HttpServer, ...args: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    (server.listen as (...a: unknown[]) => unknown)(...args, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closed(server: HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function failedWith(server: HttpServer, ...args: unknown[]): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    server.once("error", resolve);
    (server.listen as (...a: unknown[]) => unknown)(...args, () => reject(new Error("listened")));
  });
}

/** Everything the server sends on one connection (to a port or a unix socket path). */
function exchange(to: net.NetConnectOpts, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(to);
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no close within 5 s"));
    }, 5_000);
    socket.on("connect", () => socket.write(data));
    socket.on("data", (d: Uint8Array) => {
      for (const b of d) text += String.fromCharCode(b);
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/** `"connected"` or the connect error's code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.on("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.on("error", (e: Error & { code?: string }) => resolve(e.code ?? e.message));
  });
}

function isUnavailable(option: string, runtimeName: string): (e: Error & { code?: string }) => boolean {
  return (e) =>
    e instanceof TypeError && e.code === "ERR_FEATURE_UNAVAILABLE_ON_PLATFORM" &&
    e.message.includes(`"${option}"`) && e.message.includes(runtimeName);
}

const RUNTIME = runtime === "deno" ? "Deno" : runtime === "bun" ? "Bun" : "Node";

// ---- unix sockets ---------------------------------------------------------------------------

test(`[${runtime}] listen(path) serves a unix socket with the same bytes as TCP, and address() is the path`, async () => {
  const sock = tmpSock("a");
  const server = helloServer();
  await listening(server, sock);
  try {
    assert.equal(server.address(), sock);
    assert.ok(fs.statSync(sock).isSocket(), "the socket file exists while listening");
    const overUnix = await exchange({ path: sock }, REQUEST);
    assert.deepEqual(server.seen, {
      remoteAddress: undefined,
      remotePort: undefined,
      remoteFamily: undefined,
      localAddress: undefined,
      localPort: undefined,
    });
    const tcp = helloServer();
    await listening(tcp, 0, "127.0.0.1");
    const overTcp = await exchange({ port: portOf(tcp), host: "127.0.0.1" }, REQUEST);
    await closed(tcp);
    assert.equal(
      undate(overUnix),
      "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 8\r\n\r\nhello /x",
    );
    assert.equal(undate(overUnix), undate(overTcp));
  } finally {
    await closed(server);
  }
  assert.equal(fs.existsSync(sock), false, "close() removes the socket file");
});

test(`[${runtime}] listen({ path }) serves node's http.request({ socketPath }) and curl --unix-socket`, async () => {
  const sock = tmpSock("b");
  const server = helloServer();
  await listening(server, { path: sock });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      http.get({ socketPath: sock, path: "/node" }, (res) => {
        let b = "";
        res.setEncoding("latin1");
        res.on("data", (d: string) => (b += d));
        res.on("end", () => resolve(`${res.statusCode} ${b}`));
      }).on("error", reject);
    });
    assert.equal(body, "200 hello /node");
    if (hasCurl) {
      const curl = await curlOut(["-sS", "-i", "--unix-socket", sock, "http://a/curl"]);
      assert.equal(
        undate(curl),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 11\r\n\r\nhello /curl",
      );
    }
  } finally {
    await closed(server);
  }
});

function curlOut(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("curl", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (d: string) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`curl exited ${code}: ${err}`))));
  });
}

test(`[${runtime}] a unix socket path that exists is EADDRINUSE: a live socket, or a plain file`, async () => {
  const sock = tmpSock("c");
  const first = helloServer();
  await listening(first, sock);
  try {
    const second = createServer();
    const err = await failedWith(second, sock);
    assert.equal(err.code, "EADDRINUSE");
    assert.equal(second.address(), null);
  } finally {
    await closed(first);
  }
  fs.writeFileSync(sock, "not a socket");
  const third = createServer();
  assert.equal((await failedWith(third, { path: sock })).code, "EADDRINUSE");
  assert.equal(fs.readFileSync(sock, "utf8"), "not a socket", "the file is left alone");
});

test(`[${runtime}] readableAll and writableAll add read and write bits for everyone, as libuv`, async () => {
  const old = process.umask(0o077);
  try {
    for (const [opts, mode] of [[{}, 0o700], [{ readableAll: true }, 0o744], [{ writableAll: true }, 0o722], [{ readableAll: true, writableAll: true }, 0o766]] as const) {
      const sock = tmpSock("m");
      const server = helloServer();
      // The socket file's mode under umask 077: rwx for the owner only.
      await listening(server, { path: sock, ...opts });
      try {
        assert.equal((fs.statSync(sock).mode & 0o777).toString(8), mode.toString(8), JSON.stringify(opts));
      } finally {
        await closed(server);
      }
    }
  } finally {
    process.umask(old);
  }
});

test(`[${runtime}] listen options that do not fit together are a TypeError at once`, () => {
  const s = createServer();
  const bad: Array<[unknown[], RegExp]> = [
    [[{ path: "/tmp/x.sock", port: 80 }], /"path" and "port"/],
    [[{ path: "/tmp/x.sock", host: "127.0.0.1" }], /"path" and "host"/],
    [[{ port: 0, readableAll: true }], /"readableAll" applies to a unix socket "path" only/],
    [[{ path: "/tmp/x.sock", ipv6Only: true }], /"ipv6Only" needs a TCP address/],
    [[{ path: 42 }], /"path" must be a non-empty string/],
    [[{ port: 0, ipv6Only: "yes" }], /"ipv6Only" must be a boolean/],
    // Node: an options object must say where (a `port` key, even undefined, or a `path`).
    [[{}], /must have the property "port" or "path"\. Received \{\}/],
    [[{ host: "127.0.0.1" }], /must have the property "port" or "path"\. Received \{ host \}/],
  ];
  for (const [args, message] of bad) {
    assert.throws(() => (s.listen as (...a: unknown[]) => unknown)(...args), (e: Error & { code?: string }) => {
      return e instanceof TypeError && e.code === "ERR_INVALID_ARG_VALUE" && message.test(e.message);
    }, JSON.stringify(args));
  }
  assert.equal(s.listening, false);
  assert.equal(s.address(), null);
});

test(`[${runtime}] a string that is a number is a port, not a path (Node's rule)`, async () => {
  const probe = createServer();
  await listening(probe, 0, "127.0.0.1");
  const port = portOf(probe);
  await closed(probe);
  const server = helloServer();
  await listening(server, String(port), "127.0.0.1");
  try {
    assert.equal(portOf(server), port);
  } finally {
    await closed(server);
  }
});

// ---- TCP listen options ----------------------------------------------------------------------

test(`[${runtime}] ipv6Only: an IPv4 client is refused where the runtime can, else refused at listen()`, async () => {
  const server = helloServer();
  if (runtime === "deno") {
    assert.throws(() => server.listen({ port: 0, host: "::", ipv6Only: true }), isUnavailable("ipv6Only", "Deno"));
    return;
  }
  await listening(server, { port: 0, host: "::", ipv6Only: true });
  try {
    const port = portOf(server);
    assert.equal(await tryConnect("::1", port), "connected");
    assert.equal(await tryConnect("127.0.0.1", port), "ECONNREFUSED");
  } finally {
    await closed(server);
  }
  // Without it the same listener is dual-stack.
  const dual = helloServer();
  await listening(dual, { port: 0, host: "::" });
  try {
    assert.equal(await tryConnect("127.0.0.1", portOf(dual)), "connected");
  } finally {
    await closed(dual);
  }
});

test(`[${runtime}] reusePort: two servers on one port where the runtime can, else refused at listen()`, async () => {
  const first = helloServer();
  const nodeCan = runtime === "node" && Number(process.versions.node.split(".")[0]) >= 23; // 22.12 too
  const denoCan = runtime === "deno" && typeof (globalThis as { Deno?: { listenDatagram?: unknown } }).Deno?.listenDatagram === "function";
  if ((runtime === "node" && !nodeCan) || (runtime === "deno" && !denoCan)) {
    assert.throws(() => first.listen({ port: 0, host: "127.0.0.1", reusePort: true }), isUnavailable("reusePort", RUNTIME));
    return;
  }
  await listening(first, { port: 0, host: "127.0.0.1", reusePort: true });
  const second = helloServer();
  try {
    await listening(second, { port: portOf(first), host: "127.0.0.1", reusePort: true });
    assert.equal(portOf(second), portOf(first));
    await closed(second);
    const third = createServer();
    assert.equal((await failedWith(third, { port: portOf(first), host: "127.0.0.1" })).code, "EADDRINUSE");
  } finally {
    await closed(first);
  }
});

test(`[${runtime}] backlog: the kernel's listen queue has that length where the runtime takes one`, { skip: hasSs ? false : "needs ss (iproute2) to read the listen queue length" }, async () => {
  const server = helloServer();
  if (runtime === "bun") {
    assert.throws(() => server.listen({ port: 0, host: "127.0.0.1", backlog: 7 }), isUnavailable("backlog", "Bun"));
    assert.throws(() => server.listen(0, "127.0.0.1", 7), isUnavailable("backlog", "Bun"));
    return;
  }
  await listening(server, 0, "127.0.0.1", 7);
  try {
    // `ss -ltn` shows a listening socket's backlog as its Send-Q.
    const out = spawnSync("ss", ["-ltnH", `sport = :${portOf(server)}`], { encoding: "utf8" }).stdout;
    assert.equal(out.trim().split(/\s+/)[2], "7", out);
  } finally {
    await closed(server);
  }
  if (runtime === "deno") {
    assert.throws(() => createServer().listen({ path: tmpSock("q"), backlog: 7 }), isUnavailable("backlog", "Deno"));
  }
});

test(`[${runtime}] exclusive: each process binds its own socket; false in a cluster worker is refused off Node`, async () => {
  const server = helloServer();
  await listening(server, { port: 0, host: "127.0.0.1", exclusive: true });
  assert.equal(await tryConnect("127.0.0.1", portOf(server)), "connected");
  await closed(server);
  if (runtime === "node") return; // the cluster case on Node: tests/listen-cluster below
  process.env["NODE_UNIQUE_ID"] = "1";
  try {
    assert.throws(() => createServer().listen({ port: 0, host: "127.0.0.1", exclusive: false }), isUnavailable("exclusive", RUNTIME));
  } finally {
    delete process.env["NODE_UNIQUE_ID"];
  }
});

test(`[${runtime}] listen({ fd }) accepts on an inherited listening socket on Node, and is refused elsewhere`, async () => {
  if (runtime !== "node") {
    assert.throws(() => createServer().listen({ fd: 3 }), isUnavailable("fd", RUNTIME));
    return;
  }
  // The parent binds; the child gets the socket as its fd 3 (as from systemd) and serves on it.
  const parent = net.createServer();
  await new Promise<void>((r) => parent.listen(0, "127.0.0.1", r));
  const port = (parent.address() as net.AddressInfo).port;
  const fd = (parent as unknown as { _handle: { fd: number } })._handle.fd;
  const [cmd, args] = command(new URL("./fixtures/listen-fd.ts", import.meta.url).pathname);
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit", fd] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d) => String(d).includes("listening") && resolve());
      child.once("exit", (code) => reject(new Error(`listen-fd.ts exited with ${code}`)));
    });
    parent.close(); // from here only the child accepts on the socket
    assert.equal(
      undate(await exchange({ port, host: "127.0.0.1" }, REQUEST)),
      "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 9\r\n\r\nfrom fd 3",
    );
  } finally {
    child.kill();
    parent.close();
  }
});

test(`[${runtime}] listen(handle) takes over another server's listening handle on Node, and is refused elsewhere`, async () => {
  const other = net.createServer((s) => s.end("not anyhttp"));
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  const port = (other.address() as net.AddressInfo).port;
  const server = helloServer();
  try {
    if (runtime !== "node") {
      assert.throws(() => server.listen(other), isUnavailable("handle", RUNTIME));
      assert.throws(() => server.listen({ handle: other }), isUnavailable("handle", RUNTIME));
      return;
    }
    await listening(server, other);
    assert.equal(portOf(server), port);
    assert.equal(
      undate(await exchange({ port, host: "127.0.0.1" }, REQUEST)),
      "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 8\r\n\r\nhello /x",
    );
  } finally {
    if (server.listening) await closed(server);
    other.close();
  }
});

test(`[${runtime}] signal: aborting closes the server, as Node's listen({ signal })`, async () => {
  const ac = new AbortController();
  const server = helloServer();
  await listening(server, { port: 0, host: "127.0.0.1", signal: ac.signal });
  const port = portOf(server);
  const closing = new Promise<void>((r) => server.once("close", () => r()));
  ac.abort();
  await closing;
  assert.equal(server.address(), null);
  assert.equal(await tryConnect("127.0.0.1", port), "ECONNREFUSED");
});
