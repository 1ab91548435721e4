// The call sites from CommonJS: `require("anyhttp")` resolves to dist/*.d.cts under node16.
// Only type-checked, by tsconfig.dist-node16.json.
import type * as http from "node:http";
import express = require("express");
import anyhttp = require("anyhttp");
import core = require("anyhttp/core");

const server: http.Server = anyhttp.createServer(express());
const onMemory: http.Server = anyhttp.createServer({ transport: core.createMemoryTransport() });
// @ts-expect-error a number is neither options nor a listener
anyhttp.createServer(42);

export = { server, onMemory };
