// Bundles the pages' scripts with their npm libraries into web/assets/ (esbuild).
// @xmpp/resolve looks up XMPP SRV records with node:dns, which a browser has not (and does
// not need: the page connects to a known WebSocket URL), so that import resolves to nothing.
import { build } from "esbuild";

const noNodeDns = {
  name: "no-node-dns",
  setup(b) {
    b.onResolve({ filter: /^node:dns$/ }, () => ({ path: "node:dns", namespace: "empty" }));
    b.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {};" }));
  },
};

await build({
  entryPoints: ["src/watch.js"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  external: ["/whep-player.js"],
  outdir: "../web/assets",
  plugins: [noNodeDns],
  logLevel: "warning",
});

// The admin dashboard (web/admin.html, served on the control port): uPlot and its stylesheet,
// which esbuild writes beside the script as web/assets/admin.css.
await build({
  entryPoints: ["src/admin.js"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  outdir: "../web/assets",
  logLevel: "warning",
});
