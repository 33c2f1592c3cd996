// XMPP over TCP against the real binary: the chat's series in /metrics, the rate limit as
// configured, and STARTTLS (RFC 6120 §5) negotiated by a client nobody here wrote
// (openssl s_client -starttls xmpp) against a generated self-signed certificate.
#include "support/http_client.h"
#include "support/server_process.h"
#include "support/shell.h"
#include "support/xmpp_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <thread>

namespace throng::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::uint16_t xmppPort(const ServerProcess& server) {
  return server.ready()["xmpp"]["tcp"]["port"].get<std::uint16_t>();
}

// The value of the sample whose line starts with `series` (name and labels), or -1.
double sample(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

// Scrapes until `series` reaches `at_least` (counters are bumped on the workers), bounded.
std::string scrapeUntil(const ServerProcess& server, const std::string& series, double at_least) {
  std::string metrics;
  for (int i = 0; i < 200; ++i) {
    metrics = httpGet(server.controlPort(), "/metrics").response.body();
    if (sample(metrics, series) >= at_least) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return metrics;
}

// openssl s_client negotiates STARTTLS for XMPP itself (header, <starttls/>, <proceed/>,
// handshake, verifying the certificate for 'localhost'), then sends `after_tls` over TLS.
// `domain` is the 'to' of its first header; the restarted stream must name the same.
std::string startTlsSession(std::uint16_t port, const std::string& ca, const std::string& domain,
                            const std::string& after_tls) {
  return runCommand("printf \"%s\" \"" + after_tls + "\" | timeout 20 openssl s_client -connect 127.0.0.1:" +
             std::to_string(port) + " -starttls xmpp -xmpphost " + domain + " -CAfile " + ca +
             " -verify_return_error -verify_hostname localhost -brief -ign_eof 2>&1; "
             "echo \"exit=$?\"");
}

TEST(Xmpp, MetricsCountStanzasAndConnectionsPerTransport) {
  ServerProcess server;
  server.start();
  RawXmppClient client(xmppPort(server));
  client.bindAnonymous();
  client.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
  ASSERT_TRUE(client.readUntil("id='p1'")) << client.received();

  // A stanza out is counted once its write completes, which may be after the client read it:
  // wait for the out count (the in count was final before the pong was made).
  const auto metrics = scrapeUntil(server, "throng_xmpp_stanzas_out_total", 2);  // bind result, pong
  EXPECT_GE(sample(metrics, "throng_xmpp_stanzas_out_total"), 2) << metrics;
  EXPECT_EQ(sample(metrics, "throng_xmpp_stanzas_in_total"), 1) << metrics;
  EXPECT_EQ(sample(metrics, "throng_xmpp_shed_total"), 0);
  EXPECT_EQ(sample(metrics, "throng_xmpp_dropped_slow_total"), 0);
  EXPECT_EQ(sample(metrics, "throng_xmpp_rate_limited_total"), 0);
  // What answers one read shares one write: header and features, SASL success, header and
  // features, bind result, pong.
  EXPECT_GE(sample(metrics, "throng_xmpp_tcp_writes_total"), 1) << metrics;
  EXPECT_LE(sample(metrics, "throng_xmpp_tcp_writes_total"), 5) << metrics;
  EXPECT_EQ(sample(metrics, "throng_xmpp_connections{transport=\"tcp\"}"), 1);
  EXPECT_EQ(sample(metrics, "throng_xmpp_connections{transport=\"websocket\"}"), 0);
  EXPECT_EQ(sample(metrics, "throng_xmpp_connections_accepted_total{transport=\"tcp\"}"), 1);
  EXPECT_THAT(metrics, HasSubstr("# TYPE throng_xmpp_connections gauge"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE throng_xmpp_dropped_slow_total counter"));
}

TEST(Xmpp, ConfiguredStanzaRateRefusesTheExcess) {
  ServerProcess::Options options;
  options.extra_toml["xmpp.rate_stanzas_per_second"] = "1";
  options.extra_toml["xmpp.rate_stanzas_burst"] = "1";
  ServerProcess server(options);
  server.start();
  RawXmppClient client(xmppPort(server));
  client.bindAnonymous();
  std::string pings;
  for (int i = 1; i <= 3; ++i) {
    pings += "<iq type='get' id='p" + std::to_string(i) + "'><ping xmlns='urn:xmpp:ping'/></iq>";
  }
  client.send(pings);
  ASSERT_TRUE(client.readUntil("id='p3'")) << client.received();
  EXPECT_THAT(client.received(), HasSubstr("<iq type='result' id='p1'"));
  EXPECT_THAT(client.received(), HasSubstr("<iq type='error' id='p2'"));
  EXPECT_THAT(client.received(), HasSubstr("<resource-constraint "
                                           "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"));
  const auto metrics = scrapeUntil(server, "throng_xmpp_rate_limited_total", 2);
  EXPECT_EQ(sample(metrics, "throng_xmpp_rate_limited_total"), 2) << metrics;
}

TEST(Xmpp, StartTlsWithItsOwnCertificate) {
  TempDir dir;
  const auto cert = makeSelfSignedCert(dir.path());
  ServerProcess::Options options;
  options.extra_toml["xmpp.tls_cert"] = "\"" + cert.cert + "\"";
  options.extra_toml["xmpp.tls_key"] = "\"" + cert.key + "\"";
  ServerProcess server(options);
  server.start();
  EXPECT_EQ(server.ready()["xmpp"]["tcp"]["starttls"], true);
  EXPECT_EQ(server.ready()["http"]["tls"], false);

  // Loopback: STARTTLS is offered but optional, next to the SASL mechanisms (RFC 6120 §5.3.1).
  RawXmppClient plain(xmppPort(server));
  plain.send(xmppStreamHeader("localhost"));
  ASSERT_TRUE(plain.readUntil("</stream:features>")) << plain.received();
  EXPECT_THAT(plain.received(),
              HasSubstr("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'></starttls>"));

  // Over TLS, the restarted stream offers SASL (PLAIN included) and no STARTTLS; the closing
  // tags end the session cleanly, close_notify included (s_client exits 0).
  const auto out = startTlsSession(
      xmppPort(server), cert.cert, "localhost",
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='localhost' version='1.0'></stream:stream>");
  EXPECT_THAT(out, HasSubstr("Verification: OK")) << out;
  EXPECT_THAT(out, HasSubstr("<mechanism>PLAIN</mechanism>"));
  EXPECT_THAT(out, Not(HasSubstr("<starttls")));
  EXPECT_THAT(out, HasSubstr("</stream:stream>"));
  EXPECT_THAT(out, HasSubstr("exit=0"));
}

TEST(Xmpp, StartTlsFallsBackToTheHttpCertificateAndBindsOverTls) {
  TempDir dir;
  const auto cert = makeSelfSignedCert(dir.path());
  ServerProcess::Options options;
  options.extra_toml["http.tls_cert"] = "\"" + cert.cert + "\"";
  options.extra_toml["http.tls_key"] = "\"" + cert.key + "\"";
  ServerProcess server(options);
  server.start();
  EXPECT_EQ(server.ready()["xmpp"]["tcp"]["starttls"], true);

  // A whole session pipelined over TLS: SASL ANONYMOUS, the restart, binding, the end.
  const std::string header =
      "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
      "to='anon.localhost' version='1.0'>";
  const auto out = startTlsSession(
      xmppPort(server), cert.cert, "anon.localhost",
      header + "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>" + header +
          "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
          "</stream:stream>");
  EXPECT_THAT(out, HasSubstr("Verification: OK")) << out;
  EXPECT_THAT(out, HasSubstr("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")) << out;
  EXPECT_THAT(out, HasSubstr("@anon.localhost/"));  // the bound JID
  EXPECT_THAT(out, HasSubstr("exit=0"));
}

}  // namespace
}  // namespace throng::testing
