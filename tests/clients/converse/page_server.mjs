// A tiny HTTP server for the ConverseJS test page: serves index.html at / and converse.js's
// dist/ directory (from node_modules) at /dist/, nothing else, on 127.0.0.1 and an ephemeral port.
import http from "node:http";
import { readFile } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const page = resolve(here, "index.html");
const distDir = resolve(here, "../node_modules/converse.js/dist");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".eot": "application/vnd.ms-fontobject",
  ".mp3": "audio/mpeg",
  ".ogg": "audio/ogg",
};

function fileFor(pathname) {
  if (pathname === "/" || pathname === "/index.html") return page;
  if (!pathname.startsWith("/dist/")) return null;
  const file = resolve(distDir, "." + decodeURIComponent(pathname.slice("/dist".length)));
  return file.startsWith(distDir + sep) ? file : null;  // no escaping dist/ with ../
}

export async function startPageServer() {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url, "http://127.0.0.1");
    const file = req.method === "GET" || req.method === "HEAD" ? fileFor(pathname) : null;
    let body = null;
    if (file) body = await readFile(file).catch(() => null);
    requests.push(`${req.method} ${pathname} ${body ? 200 : 404}`);
    if (!body) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": types[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", ok);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
