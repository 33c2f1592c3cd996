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

// The moderation panel logs in with a password. @xmpp/client leaves SCRAM-SHA-1 out of
// browser bundles (the "browser" field of its package.json), which leaves PLAIN, and the
// client sends PLAIN only on a connection it deems secure (wss: or localhost). The mechanism
// (sasl-scram-sha-1) runs on WebCrypto, so this bundle takes it back in: the password never
// crosses the wire, over ws: or wss:.
const scramInBrowser = {
  name: "scram-in-browser",
  setup(b) {
    b.onResolve({ filter: /^@xmpp\/sasl-scram-sha-1$/ }, () => ({
      path: decodeURIComponent(new URL(import.meta.resolve("@xmpp/sasl-scram-sha-1")).pathname),
    }));
  },
};

await build({
  entryPoints: ["src/moderate.js"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  outdir: "../web/assets",
  plugins: [noNodeDns, scramInBrowser],
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

// The studio signs in like the moderation panel (SCRAM in the bundle) and loads the WHIP
// publisher as the page's own module, like the watch page's player.
await build({
  entryPoints: ["src/studio.js"],
  bundle: true,
  minify: true,
  sourcemap: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  external: ["/whip-publisher.js"],
  outdir: "../web/assets",
  plugins: [noNodeDns, scramInBrowser],
  logLevel: "warning",
});
