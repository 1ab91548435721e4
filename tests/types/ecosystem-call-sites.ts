// Every ecosystem call site of issue 11, written as a TypeScript user writes it: no casts. This
// file is only type-checked (see the tsconfig*.json beside it, run by `npm test`), never run.
import type * as http from "node:http";
import type * as net from "node:net";
import express from "express";
import Koa from "koa";
import Fastify from "fastify";
import { WebSocketServer } from "ws";
import { Server as SocketIOServer } from "socket.io";
import supertest from "supertest";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { createApp, toNodeListener } from "h3";
import { createServer, IncomingMessage, Server, ServerResponse } from "anyhttp";
import { createServer as createNodeServer } from "anyhttp/node";
import { createServer as createDenoServer } from "anyhttp/deno";
import { createServer as createBunServer } from "anyhttp/bun";
import { createMemoryTransport, VirtualClock } from "anyhttp/core";

// Frameworks' request listeners.
const expressServer: Server = createServer(express());
createServer(new Koa().callback());
declare const listener: http.RequestListener;
createServer(listener);
createServer({ keepAliveTimeout: 1_000 }, listener);
createServer(toNodeListener(createApp()));
createNodeServer(express());
createDenoServer(new Koa().callback());
createBunServer(listener);
Fastify({ serverFactory: (handler) => createServer(handler) });

// Libraries that take the server.
new WebSocketServer({ server: createServer() });
new SocketIOServer(createServer());
supertest(expressServer);
serve({ fetch: new Hono().fetch, createServer });

// anyhttp's server, request and response where node:http's types are expected.
const asNodeServer: http.Server = expressServer;
const asNetServer: net.Server = createServer();
function nodeHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.end(req.url);
}
createServer((req, res) => nodeHandler(req, res));
createServer((req: IncomingMessage, res: ServerResponse) => nodeHandler(req, res));
expressServer.on("request", (req, res) => nodeHandler(req, res));

// anyhttp's own additions keep their types.
createServer({ transport: createMemoryTransport(), clock: new VirtualClock(), maxRequestBodySize: 1024 }, listener);
createServer((req, res) => {
  const body: ReadableStream<Uint8Array> = req.toWeb();
  res.end(String(body.locked));
});
const limit: number = expressServer.maxRequestBodySize;

// The types are not `any`: wrong calls are still errors.
// @ts-expect-error a number is neither options nor a listener
createServer(42);
// @ts-expect-error no such method on a server
expressServer.noSuchMethod();
// @ts-expect-error transport must be a Transport
createServer({ transport: "tcp" });

export { asNetServer, asNodeServer, limit };
