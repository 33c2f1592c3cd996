// Starts the real throng binary for a client test: loopback only, ephemeral ports, a fresh
// data directory; resolves once the ready file names every listener.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const throngBinary =
  process.env.THRONG_BINARY ?? new URL("../../build/dev/src/cli/throng", import.meta.url).pathname;

// accounts: {name: password}; xmpp: extra [xmpp] lines; events: slugs created through the
// admin API (each gets its chat room); dir: reuse a directory (restart tests) and keep it;
// toml: more lines appended to the configuration (whole tables, e.g. "[test_source]", ...).
export async function startThrong({ accounts = {}, xmpp = [], events = [], toml = [], dir: reuse } = {}) {
  const dir = reuse ?? mkdtempSync(join(tmpdir(), "throng-client-"));
  const dataDir = join(dir, "data");
  for (const [name, password] of Object.entries(accounts)) {
    execFileSync(throngBinary, ["user", "add", name, "--password-stdin", "--data-dir", dataDir], {
      input: `${password}\n`,
    });
  }
  const config = join(dir, "throng.toml");
  writeFileSync(
    config,
    [
      "[server]", "workers = 2", `data_dir = "${dataDir}"`,
      "[http]", 'bind = "127.0.0.1"', "port = 0",
      "[control]", 'bind = "127.0.0.1"', "port = 0",
      "[xmpp]", 'tcp_bind = "127.0.0.1"', "tcp_port = 0", ...xmpp,
      "[webrtc]", 'bind = "127.0.0.1"', "port = 0",
      ...toml,
    ].join("\n"),
  );
  const readyFile = join(dir, "ready.json");
  rmSync(readyFile, { force: true });
  const child = spawn(throngBinary, ["serve", "--config", config, "--ready-file", readyFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  const deadline = Date.now() + 20000;
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null) throw new Error(`throng exited early:\n${log}`);
    if (Date.now() > deadline) throw new Error(`throng not ready in 20 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ready = JSON.parse(readFileSync(readyFile, "utf8"));
  const adminToken = readFileSync(ready.admin_token_file, "utf8").trim();
  for (const slug of events) {
    const response = await fetch(`http://127.0.0.1:${ready.control.port}/api/events`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ slug, title: `Event ${slug}` }),
    });
    if (response.status !== 201) throw new Error(`creating event ${slug}: ${response.status}`);
  }
  // SIGTERM drains and must exit 0: a crash or sanitizer report at shutdown fails the test.
  async function stopChild() {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    if (child.exitCode !== 0) {
      throw new Error(`throng exited with ${child.exitCode ?? child.signalCode}:\n${log.slice(-4000)}`);
    }
  }
  return {
    dir,
    adminToken,
    ready,
    ws: `ws://127.0.0.1:${ready.http.port}${ready.xmpp.websocket_path}`,
    tcp: `xmpp://127.0.0.1:${ready.xmpp.tcp.port}`,
    metrics: `http://127.0.0.1:${ready.control.port}/metrics`,
    log: () => log,
    pid: child.pid,
    // SIGKILL: the crash case (nothing flushed, nothing drained); the directory is kept for a
    // restart with startThrong({dir}).
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
      }
    },
    // Stops the server but keeps its directory, for a restart with startThrong({dir}).
    async stopKeeping() {
      await stopChild();
    },
    async stop() {
      await stopChild();
      if (!reuse) rmSync(dir, { recursive: true, force: true });
    },
  };
}
