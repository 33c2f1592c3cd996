// ClientStream, driven step by step like a play: the client sends, the server answers.
// No sockets: a recording transport stands where the TCP or WebSocket connection would be.
#include "chat/client_stream.h"

#include "base/base64.h"
#include "chat/sasl/scram.h"
#include "unit/chat/client_stream_fixture.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace throng::chat {
namespace {

// A SCRAM-SHA-256 client computed here with OpenSSL, independently of the server code.
std::string hmac256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}
std::string sha256(std::string_view data) {
  unsigned char out[32];
  unsigned len = 0;
  EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}
std::string field(std::string_view message, char key) {
  const std::string prefix = std::string(1, key) + "=";
  for (std::size_t pos = 0; pos < message.size();) {
    auto comma = message.find(',', pos);
    auto part = message.substr(pos, comma == std::string_view::npos ? message.npos : comma - pos);
    if (part.starts_with(prefix)) return std::string(part.substr(2));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return {};
}
std::string between(const std::string& text, const std::string& open, const std::string& close) {
  auto a = text.find(open);
  if (a == std::string::npos) return {};
  a += open.size();
  return text.substr(a, text.find(close, a) - a);
}

TEST_F(ClientStreamTest, AnonymousViewerOverWebSocketBindsAndSends) {
  start(/*framed=*/true);
  auto answer = say(kOpenAnon);
  EXPECT_NE(answer.find("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='anon.localhost'"),
            std::string::npos)
      << answer;
  EXPECT_NE(answer.find("<mechanism>ANONYMOUS</mechanism>"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("SCRAM"), std::string::npos) << answer;

  answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
  EXPECT_EQ(answer, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");

  answer = say(kOpenAnon);  // RFC 6120 §6.4.6 restart
  EXPECT_NE(answer.find("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"), std::string::npos)
      << answer;

  answer =
      say("<iq xmlns='jabber:client' type='set' id='b1'>"
          "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web</resource></bind></iq>");
  ASSERT_TRUE(stream_->bound()) << answer;
  EXPECT_TRUE(stream_->anonymous());
  EXPECT_EQ(listener_.bound_jid, stream_->jid().full());
  EXPECT_EQ(stream_->jid().domain(), "anon.localhost");
  EXPECT_EQ(stream_->jid().resource(), "web");
  EXPECT_NE(answer.find("<jid>" + stream_->jid().full() + "</jid>"), std::string::npos) << answer;
  EXPECT_NE(answer.find("xmlns='jabber:client'"), std::string::npos);  // frames declare it

  say("<message xmlns='jabber:client' to='room@rooms.localhost' type='groupchat'>"
      "<body>hi</body></message>");
  ASSERT_EQ(listener_.stanzas.size(), 1u);
  EXPECT_NE(listener_.stanzas[0].find("from='" + stream_->jid().full() + "'"), std::string::npos)
      << listener_.stanzas[0];

  answer = say("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  EXPECT_EQ(answer, "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  EXPECT_TRUE(transport_.closed);
  EXPECT_EQ(listener_.unbound, 1);
}

TEST_F(ClientStreamTest, ScramSha256OverTcpAuthenticatesAnAccount) {
  start(/*framed=*/false);
  auto answer = say(kTcpHeader);
  EXPECT_NE(answer.find("<mechanism>SCRAM-SHA-256</mechanism>"), std::string::npos) << answer;
  EXPECT_EQ(answer.find("PLAIN"), std::string::npos) << "PLAIN without TLS or loopback";

  const std::string client_first_bare = "n=alice,r=clientnonce";
  answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>" +
               base64Encode("n,," + client_first_bare) + "</auth>");
  const auto server_first = base64Decode(between(answer, "'>", "</challenge>"));
  ASSERT_TRUE(server_first) << answer;
  const std::string nonce = field(*server_first, 'r');
  ASSERT_TRUE(nonce.starts_with("clientnonce"));
  const auto salt = base64Decode(field(*server_first, 's'));
  ASSERT_TRUE(salt);
  const int iterations = std::stoi(field(*server_first, 'i'));

  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC("wonderland", 10, reinterpret_cast<const unsigned char*>(salt->data()),
                    static_cast<int>(salt->size()), iterations, EVP_sha256(), 32, salted);
  const std::string salted_password(reinterpret_cast<char*>(salted), 32);
  const std::string client_final_bare = "c=" + base64Encode("n,,") + ",r=" + nonce;
  const std::string auth_message =
      client_first_bare + "," + *server_first + "," + client_final_bare;
  const std::string client_key = hmac256(salted_password, "Client Key");
  const std::string signature = hmac256(sha256(client_key), auth_message);
  std::string proof = client_key;
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= signature[i];

  answer = say("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" +
               base64Encode(client_final_bare + ",p=" + base64Encode(proof)) + "</response>");
  const auto server_final = base64Decode(between(answer, "'>", "</success>"));
  ASSERT_TRUE(server_final) << answer;
  const std::string server_signature =
      hmac256(hmac256(salted_password, "Server Key"), auth_message);
  EXPECT_EQ(*server_final, "v=" + base64Encode(server_signature));

  answer = say(kTcpHeader);
  EXPECT_NE(answer.find("<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"), std::string::npos);
  say("<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  ASSERT_TRUE(stream_->bound());
  EXPECT_EQ(stream_->jid().bareString(), "alice@localhost");
  EXPECT_FALSE(stream_->anonymous());
}

TEST_F(ClientStreamTest, WrongPasswordFailsWithNotAuthorized) {
  start(false, /*plain_allowed=*/true);
  say(kTcpHeader);
  auto answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                    base64Encode(std::string("\0alice\0wrong", 12)) + "</auth>");
  EXPECT_NE(answer.find("<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>"),
            std::string::npos)
      << answer;
  answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
               base64Encode(std::string("\0alice\0wonderland", 17)) + "</auth>");
  EXPECT_EQ(answer, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
}

TEST_F(ClientStreamTest, PlainIsRefusedWithoutTlsOrLoopback) {
  start(false, /*plain_allowed=*/false);
  say(kTcpHeader);
  auto answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                    base64Encode(std::string("\0alice\0wonderland", 17)) + "</auth>");
  EXPECT_NE(answer.find("<encryption-required/>"), std::string::npos) << answer;
}

TEST_F(ClientStreamTest, UnknownHostIsAStreamError) {
  start(true);
  auto answer = say(
      "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='elsewhere.example' version='1.0'/>");
  EXPECT_NE(answer.find("<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
  EXPECT_TRUE(transport_.closed);
}

TEST_F(ClientStreamTest, StanzaBeforeAuthenticationIsNotAuthorized) {
  start(true);
  say(kOpenAnon);
  auto answer = say("<message xmlns='jabber:client' to='x@localhost'><body>hi</body></message>");
  EXPECT_NE(answer.find("<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
  EXPECT_TRUE(transport_.closed);
}

TEST_F(ClientStreamTest, ForgedFromIsInvalidFrom) {
  start(true);
  say(kOpenAnon);
  say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>");
  say(kOpenAnon);
  say("<iq xmlns='jabber:client' type='set' id='b'><bind "
      "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
  ASSERT_TRUE(stream_->bound());
  auto answer =
      say("<message xmlns='jabber:client' from='admin@localhost/x' to='y@localhost'>"
          "<body>i am admin</body></message>");
  EXPECT_NE(answer.find("<invalid-from xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
  EXPECT_TRUE(listener_.stanzas.empty());
  EXPECT_EQ(listener_.unbound, 1);
}

TEST_F(ClientStreamTest, MalformedXmlAndOversizeStanzasAreStreamErrors) {
  start(false);
  say(kTcpHeader);
  auto answer = say("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X'></aut>");
  EXPECT_NE(answer.find("<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
  EXPECT_NE(answer.find("</stream:stream>"), std::string::npos);

  transport_.closed = false;
  start(false);
  say(kTcpHeader);
  answer = say("<message><body>" + std::string(5000, 'x') + "</body></message>");
  EXPECT_NE(answer.find("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
  EXPECT_TRUE(transport_.closed);
}

TEST_F(ClientStreamTest, RestrictedXmlIsRefused) {
  start(false);
  say(kTcpHeader);
  auto answer = say("<!-- a comment -->");
  EXPECT_NE(answer.find("<restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
            std::string::npos)
      << answer;
}

}  // namespace
}  // namespace throng::chat
