// Start a program under the runtime that runs this test file, and talk raw TCP to it.
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";

const g = globalThis as { Deno?: { execPath(): string }; Bun?: unknown };

/** "node", "deno" or "bun": the runtime running this file. */
export const runtime: "node" | "deno" | "bun" = g.Deno ? "deno" : g.Bun ? "bun" : "node";

/** How to run a .ts file under the current runtime. */
export function command(file: string): [string, string[]] {
  if (runtime === "deno") return [g.Deno!.execPath(), ["run", "-A", file]];
  if (runtime === "bun") return [process.execPath, [file]];
  return [process.execPath, ["--import", "tsx", file]];
}

export interface Running {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Run `file` with `env` (under the current runtime, or as `[cmd, args]` says), wait until it
 * prints `listening on ...:<port>`.
 */
export function start(
  file: string,
  env: Record<string, string> = {},
  [cmd, args]: [string, string[]] = command(file),
): Promise<Running> {
  const child = spawn(cmd, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} did not start under ${cmd} in 30 s\n${out}\n${err}`));
    }, 30_000);
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /listening on \S*:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          port: Number(m[1]),
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once("exit", () => done());
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code} under ${cmd}\n${out}\n${err}`));
    });
  });
}

/**
 * Send `data` on a fresh connection; resolve with everything received once `done(text)` is
 * true, or the peer closes, or 5 s pass. `closed` says whether the server closed: once `done`,
 * a probe request follows on the same connection, and the connection is open if any byte of
 * an answer comes, closed if the server ends or resets it (decided by the socket's events, not
 * by a pause).
 */
export function raw(
  port: number,
  data: string | Uint8Array | (string | Uint8Array)[],
  done: (text: string) => boolean = () => false,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    /** What was received when `done` said so; the probe's answer is not part of it. */
    let answered: string | null = null;
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: answered ?? text, closed });
    };
    const timer = setTimeout(() => finish(false), 5_000);
    socket.on("error", () => finish(true));
    socket.on("data", (d: Uint8Array) => {
      if (answered !== null) return finish(false);
      for (const b of d) text += String.fromCharCode(b);
      if (done(text)) {
        answered = text;
        socket.write("GET /__probe HTTP/1.1\r\nHost: probe\r\n\r\n");
      }
    });
    socket.on("end", () => finish(true));
    socket.on("close", () => finish(true));
    socket.on("connect", async () => {
      const parts = Array.isArray(data) ? data : [data];
      for (const p of parts) {
        socket.write(p);
        if (parts.length > 1) await new Promise((r) => setTimeout(r, 5));
      }
    });
  });
}

/** Replace the Date value so responses compare across runs. */
export function undate(s: string): string {
  return s.replace(/Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/g, "Date: <date>");
}
