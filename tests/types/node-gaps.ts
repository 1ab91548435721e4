// Where the runtime entries' types overpromise. They declare node:http's types for anyhttp's
// objects (adapters/_http.ts), so every member node:http declares that the core's class lacks is
// a name TypeScript accepts and the object does not have at run time. The lists are exact: when
// the core gains a member, tsc fails here until its name leaves the list. Names only: signatures
// that differ are not compared.
import type { EventEmitter } from "node:events";
import type * as http from "node:http";
import type * as net from "node:net";
import type * as core from "anyhttp/core";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Gap<Node, Ours> = Exclude<keyof Node, keyof Ours>;
type CaptureRejection = typeof EventEmitter.captureRejectionSymbol;
/** Node 20's experimental Readable helpers (`readable.map()` and the rest). */
type ReadableHelpers =
  | "every" | "some" | "forEach" | "map" | "filter" | "reduce" | "find" | "flatMap" | "drop" | "take" | "toArray"
  | "asIndexedPairs" | "compose";

export const server: Equal<Gap<http.Server, core.Server>, "connections" | CaptureRejection> = true;

export const incomingMessage: Equal<
  Gap<http.IncomingMessage, core.IncomingMessage>,
  ReadableHelpers | "push" | "closed" | "_construct" | "_read" | "_destroy" | "wrap" | CaptureRejection | typeof Symbol.asyncDispose
> = true;

export const serverResponse: Equal<
  Gap<http.ServerResponse, core.ServerResponse>,
  | "pipe" | "compose" | "writableAborted" | "setDefaultEncoding"
  | "_construct" | "_destroy" | "_write" | "_writev" | "_final" | CaptureRejection
> = true;

export const socket: Equal<
  Gap<net.Socket, core.Socket>,
  | ReadableHelpers | "push" | "closed" | "connect" | "allowHalfOpen" | "errored"
  | "readableAborted" | "readableDidRead" | "readableEncoding"
  | "readableHighWaterMark" | "readableObjectMode" | "wrap"
  | "iterator" | "writableAborted" | "writableEnded" | "writableFinished" | "writableHighWaterMark" | "writableLength"
  | "writableObjectMode" | "writableCorked" | "writableNeedDrain" | "setDefaultEncoding" | "resetAndDestroy"
  | "autoSelectFamilyAttemptedAddresses" | "bufferSize" | "connecting" | "pending" | "localFamily"
  | "readyState" | "_construct" | "_read" | "_destroy" | "_write" | "_writev" | "_final"
  | CaptureRejection | typeof Symbol.asyncDispose
> = true;

/**
 * Options node:http declares that the core does not read: none. Every one is implemented, or
 * refused by `createServer` with `ERR_OPTION_NOT_SUPPORTED` naming it (`httpValidation` other
 * than "strict"; `keepAliveInitialDelay` on Deno): see the README's "Options".
 */
export const serverOptions: Equal<Gap<http.ServerOptions, core.ServerOptions>, never> = true;
