/**
 * The web app's server: `Deno.serve` over a {@link Site} held in memory.
 * Read-only: GET and HEAD of the site's own paths; any other path is 404,
 * any other method 405, and a path that tries to climb out (`..` or `.`
 * segments, percent-encoded or not, backslashes, encoded slashes) is
 * refused with 400 before anything is looked up.
 *
 * @module
 */

import type { Site } from "./site.ts";

/** Security headers on every response. */
const HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin",
  "cache-control": "no-cache",
};

/** Why a path was refused, or the decoded path. */
export type PathCheck =
  | { ok: true; path: string }
  | { ok: false; reason: string };

/**
 * The path of a request URL, exactly as sent (`Request.url` keeps `..`
 * and percent-encodings; `new URL()` would resolve them away), decoded
 * once and checked: no `.` or `..` segment, no backslash, NUL or
 * remaining `%` (double encoding), so `/../`, `/%2e%2e/`, `/..%2f` and
 * their kin are refused rather than resolved.
 */
export function checkRequestPath(url: string): PathCheck {
  const scheme = url.indexOf("://");
  const slash = url.indexOf("/", scheme < 0 ? 0 : scheme + 3);
  let raw = slash < 0 ? "/" : url.slice(slash);
  raw = raw.split(/[?#]/)[0];
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return { ok: false, reason: "bad percent-encoding" };
  }
  if (/[\\\0%]/.test(path)) {
    return { ok: false, reason: "backslash, NUL or double encoding" };
  }
  if (path.split("/").some((part) => part === "." || part === "..")) {
    return { ok: false, reason: "path traversal" };
  }
  if (!path.startsWith("/")) return { ok: false, reason: "not absolute" };
  return { ok: true, path };
}

function text(status: number, body: string, extra: HeadersInit = {}) {
  return new Response(body + "\n", {
    status,
    headers: {
      ...HEADERS,
      "content-type": "text/plain; charset=utf-8",
      ...extra,
    },
  });
}

/** Answer one request from the site (pure: no I/O). */
export function handleRequest(site: Site, request: Request): Response {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return text(405, "method not allowed (read-only)", {
      allow: "GET, HEAD",
    });
  }
  const checked = checkRequestPath(request.url);
  if (!checked.ok) return text(400, `refused: ${checked.reason}`);
  const path = checked.path === "/" ? "/index.html" : checked.path;
  const asset = site.assets.get(path);
  if (!asset) return text(404, "not found");
  return new Response(request.method === "HEAD" ? null : asset.body, {
    headers: {
      ...HEADERS,
      "content-type": asset.type,
      "content-length": String(asset.body.length),
    },
  });
}

/** Options of {@link serveSite}. */
export interface ServeOptions {
  /** Port; 0 picks a free one. */
  port: number;
  /** Address to bind (default `127.0.0.1`: this machine only). */
  host?: string;
  /** Aborting it stops the server. */
  signal?: AbortSignal;
}

/** A running server. */
export interface RunningServer {
  /** The page's URL, e.g. `http://localhost:8000/`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Stop it (finishing requests in flight). */
  shutdown(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === "127.0.0.1" || host === "::1") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

/** Serve `site` on `host:port`. */
export function serveSite(site: Site, options: ServeOptions): RunningServer {
  const host = options.host ?? "127.0.0.1";
  const server = Deno.serve(
    {
      hostname: host,
      port: options.port,
      signal: options.signal,
      onListen: () => {},
    },
    (request) => handleRequest(site, request),
  );
  const port = server.addr.port;
  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
