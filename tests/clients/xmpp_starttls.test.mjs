// STARTTLS (RFC 6120 §5) on the TCP port with @xmpp/client, which upgrades whenever the server
// offers it, against a self-signed certificate made for the test. @xmpp/client passes no CA
// option to the upgrade, so verification is switched off in this process (node --test runs
// each file in its own process) and the test checks the certificate's fingerprint itself.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { client, xml } from "@xmpp/client";
import { startThrong } from "./throng_server.mjs";

process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";

let server;
let certDir;
let fingerprint;
before(async () => {
  certDir = mkdtempSync(join(tmpdir(), "throng-cert-"));
  const cert = join(certDir, "cert.pem");
  const key = join(certDir, "key.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt",
    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert], { stdio: "ignore" });
  fingerprint = new X509Certificate(readFileSync(cert)).fingerprint256;
  server = await startThrong({
    accounts: { alice: "wonderland-42" },
    xmpp: [`tls_cert = ${JSON.stringify(cert)}`, `tls_key = ${JSON.stringify(key)}`],
  });
});
after(async () => {
  await server?.stop();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test("the ready file says STARTTLS is offered", () => {
  assert.equal(server.ready.xmpp.tcp.starttls, true);
});

test("an account logs in over TCP after STARTTLS", async () => {
  const xmpp = client({
    service: server.tcp, domain: "localhost", resource: "tls",
    username: "alice", password: "wonderland-42",
  });
  xmpp.on("error", () => {});
  try {
    const address = await xmpp.start();
    assert.equal(address.toString(), "alice@localhost/tls");
    const tlsSocket = xmpp.socket.socket;  // @xmpp/tls wraps node's TLSSocket
    assert.equal(tlsSocket.encrypted, true);
    assert.equal(tlsSocket.getPeerCertificate().fingerprint256, fingerprint);
    const pong = await xmpp.iqCaller.request(xml("iq", { type: "get", to: "localhost" },
      xml("ping", { xmlns: "urn:xmpp:ping" })));
    assert.equal(pong.attrs.type, "result");
  } finally {
    await xmpp.stop().catch(() => {});
  }
});
