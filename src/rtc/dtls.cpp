// DTLS 1.2 on OpenSSL 3 with memory BIOs (see dtls.h). The session never touches a socket or a
// clock of its own: the worker feeds datagrams, asks nextTimeout() and sends what comes out.
#include "rtc/dtls.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

namespace throng::rtc {
namespace {

// ECDHE with ECDSA (our certificate, RFC 8827 §6.5) and RSA (a peer acting as server with an RSA
// certificate), AEAD only.
constexpr const char* kCipherList =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
// X25519 first: cheaper than P-256, and what browsers offer first.
constexpr const char* kGroups = "X25519:P-256";
// GCM first (RFC 7714 §14.2; about twice as cheap per packet as AES-CM + HMAC-SHA1). OpenSSL, as
// server, picks the first of its own list that the client offers.
constexpr const char* kSrtpProfiles =
    "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80";
// RFC 5764 §4.2.
constexpr std::string_view kExporterLabel = "EXTRACTOR-dtls_srtp";
// A WebRTC certificate is one self-signed certificate of well under 2 KiB; refuse a peer chain
// bigger than this before OpenSSL buffers it.
constexpr long kMaxPeerCertificateList = 16 * 1024;
// RFC 6347 §4.2.4.1: the timer doubles up to 60 s.
constexpr unsigned int kMaxTimeoutUs = 60'000'000;
constexpr std::chrono::milliseconds kMinInitialTimeout{20};
// X.520 ub-common-name.
constexpr std::size_t kMaxCommonName = 64;
constexpr std::size_t kRecordHeaderSize = 13;  // RFC 6347 §4.1
// Records read and dropped per datagram after the handshake (a datagram of <= 2 KiB holds fewer).
constexpr int kMaxRecordsPerDatagram = 64;

// OpenSSL's error queue as text, emptied. `fallback` when the queue says nothing.
std::string openSslErrors(std::string fallback) {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text.empty() ? fallback : text;
}

// The SDP fingerprint compare: hex digits case-insensitively, ':' in place.
bool sameFingerprint(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) ==
                  std::toupper(static_cast<unsigned char>(y));
         });
}

// WebRTC peers present self-signed certificates: no chain can verify. The certificate is held to
// the SDP fingerprint after the handshake instead (RFC 8122 §5, RFC 8827 §6.5).
int acceptAnyChain(int /*preverify_ok*/, X509_STORE_CTX* /*store*/) {
  return 1;
}

}  // namespace

// --- DtlsCertificate ----------------------------------------------------------------------------

void DtlsCertificate::X509Free::operator()(X509* x) const {
  X509_free(x);
}
void DtlsCertificate::PkeyFree::operator()(EVP_PKEY* key) const {
  EVP_PKEY_free(key);
}

DtlsCertificate::DtlsCertificate(Passkey, std::unique_ptr<X509, X509Free> certificate,
                                 std::unique_ptr<EVP_PKEY, PkeyFree> private_key,
                                 std::string fingerprint)
    : certificate_(std::move(certificate)),
      private_key_(std::move(private_key)),
      fingerprint_(std::move(fingerprint)) {}

DtlsCertificate::~DtlsCertificate() = default;

std::string certificateFingerprintSha256(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (certificate == nullptr || X509_digest(certificate, EVP_sha256(), digest, &length) != 1) {
    ERR_clear_error();
    return {};
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(length * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

Result<std::shared_ptr<const DtlsCertificate>> DtlsCertificate::generate(
    std::string_view common_name) {
  if (common_name.empty() || common_name.size() > kMaxCommonName) {
    return makeError("certificate common name must be 1 to 64 characters");
  }
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_EC_gen("P-256"));
  std::unique_ptr<X509, X509Free> x509(X509_new());
  if (!key || !x509) return makeError(openSslErrors("cannot make a P-256 key"));

  // A random positive 127-bit serial (RFC 5280 §4.1.2.2: at most 20 octets, positive), so two
  // certificates of one process never share an issuer/serial pair.
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) return makeError(openSslErrors("RAND_bytes"));
  serial[0] &= 0x7f;
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_bin2bn(serial, sizeof serial, nullptr),
                                                 &BN_free);
  constexpr long kDay = 24 * 60 * 60;
  X509_NAME* name = X509_get_subject_name(x509.get());
  const bool ok =
      bn && X509_set_version(x509.get(), X509_VERSION_3) == 1 &&
      BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x509.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(x509.get()), -kDay) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(x509.get()), 29 * kDay) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) == 1 &&
      X509_set_issuer_name(x509.get(), name) == 1 && X509_set_pubkey(x509.get(), key.get()) == 1 &&
      X509_sign(x509.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return makeError(openSslErrors("cannot build the DTLS certificate"));
  std::string fingerprint = certificateFingerprintSha256(x509.get());
  if (fingerprint.empty()) return makeError("cannot fingerprint the DTLS certificate");
  return std::shared_ptr<const DtlsCertificate>(std::make_shared<DtlsCertificate>(
      Passkey{}, std::move(x509), std::move(key), std::move(fingerprint)));
}

// --- DtlsContext --------------------------------------------------------------------------------

void DtlsContext::CtxFree::operator()(SSL_CTX* ctx) const {
  SSL_CTX_free(ctx);
}

DtlsContext::DtlsContext(Passkey, std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role,
                         DtlsRetransmission retransmission, std::unique_ptr<SSL_CTX, CtxFree> ctx)
    : certificate_(std::move(certificate)),
      role_(role),
      retransmission_(retransmission),
      ctx_(std::move(ctx)) {}

DtlsContext::~DtlsContext() = default;

Result<std::unique_ptr<DtlsContext>> DtlsContext::create(
    std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role) {
  return create(std::move(certificate), role, DtlsRetransmission{});
}

Result<std::unique_ptr<DtlsContext>> DtlsContext::create(
    std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role,
    DtlsRetransmission retransmission) {
  if (!certificate) return makeError("DTLS context needs a certificate");
  // OpenSSL 3.0 takes a timer with under 15 ms left as expired; a shorter first wait would
  // retransmit every time the handshake waits for the peer.
  if (retransmission.initial_timeout < kMinInitialTimeout ||
      retransmission.max_retransmissions < 0) {
    return makeError("DTLS first retransmission wait must be at least 20 ms");
  }
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, CtxFree> ctx(SSL_CTX_new(DTLS_method()));
  if (!ctx) return makeError(openSslErrors("SSL_CTX_new failed"));
  SSL_CTX* c = ctx.get();
  const bool ok = SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) == 1 &&
                  SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION) == 1 &&
                  SSL_CTX_use_certificate(c, certificate->certificate()) == 1 &&
                  SSL_CTX_use_PrivateKey(c, certificate->privateKey()) == 1 &&
                  SSL_CTX_check_private_key(c) == 1 &&
                  SSL_CTX_set_cipher_list(c, kCipherList) == 1 &&
                  SSL_CTX_set1_groups_list(c, kGroups) == 1 &&
                  SSL_CTX_set_tlsext_use_srtp(c, kSrtpProfiles) == 0;  // 0 is success here
  if (!ok) return makeError(openSslErrors("cannot configure the DTLS context"));
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, acceptAnyChain);
  // One full handshake per session: no tickets, no session cache, no renegotiation. The MTU is
  // ours to say (memory BIOs cannot be asked).
  SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU |
                             SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_max_cert_list(c, kMaxPeerCertificateList);
  return std::make_unique<DtlsContext>(Passkey{}, std::move(certificate), role, retransmission,
                                       std::move(ctx));
}

// --- DtlsSession --------------------------------------------------------------------------------

void DtlsSession::SslFree::operator()(SSL* ssl) const {
  SSL_free(ssl);
}

DtlsSession::DtlsSession(DtlsContext& context, std::string remote_fingerprint_sha256,
                         std::size_t mtu)
    : context_(context), remote_fingerprint_(std::move(remote_fingerprint_sha256)), mtu_(mtu) {
  ERR_clear_error();
  // 256: OpenSSL's smallest DTLS MTU; 65507: the largest UDP payload over IPv4.
  if (mtu_ < 256 || mtu_ > 65507) {
    fail("DTLS MTU must be between 256 and 65507");
    return;
  }
  ssl_.reset(SSL_new(context_.native()));
  if (!ssl_) {
    fail(openSslErrors("SSL_new failed"));
    return;
  }
  incoming_ = BIO_new(BIO_s_mem());
  outgoing_ = BIO_new(BIO_s_mem());
  if (incoming_ == nullptr || outgoing_ == nullptr) {
    BIO_free(incoming_);
    BIO_free(outgoing_);
    incoming_ = outgoing_ = nullptr;
    fail(openSslErrors("BIO_new failed"));
    return;
  }
  // An empty memory BIO reads as "try again", not end of file.
  BIO_set_mem_eof_return(incoming_, -1);
  BIO_set_mem_eof_return(outgoing_, -1);
  SSL_set_bio(ssl_.get(), incoming_, outgoing_);
  SSL_set_app_data(ssl_.get(), this);
  SSL_set_options(ssl_.get(), SSL_OP_NO_QUERY_MTU);
  // SSL_set_mtu is the record size budget; the link MTU is the same here since a memory BIO adds
  // no UDP/IP overhead of its own.
  if (SSL_set_mtu(ssl_.get(), static_cast<long>(mtu_)) <= 0 ||
      DTLS_set_link_mtu(ssl_.get(), static_cast<long>(mtu_)) != 1) {
    fail(openSslErrors("OpenSSL refused the DTLS MTU"));
    return;
  }
  DTLS_set_timer_cb(ssl_.get(), &DtlsSession::onTimerCallback);
  if (context_.role() == DtlsRole::kServer) {
    SSL_set_accept_state(ssl_.get());
  } else {
    SSL_set_connect_state(ssl_.get());
  }
}

DtlsSession::~DtlsSession() {
  for (SrtpKeys* keys : {&local_keys_, &remote_keys_}) {
    OPENSSL_cleanse(keys->master_key.data(), keys->master_key.size());
    OPENSSL_cleanse(keys->master_salt.data(), keys->master_salt.size());
  }
}

unsigned int DtlsSession::onTimerCallback(SSL* ssl, unsigned int previous_us) {
  auto* self = static_cast<DtlsSession*>(SSL_get_app_data(ssl));
  const auto initial = std::chrono::duration_cast<std::chrono::microseconds>(
      self->context_.retransmission().initial_timeout);
  if (previous_us == 0) {
    return static_cast<unsigned int>(std::min<long long>(initial.count(), kMaxTimeoutUs));
  }
  // Called when the timer expired: OpenSSL retransmits the flight next.
  ++self->retransmissions_;
  return std::min(previous_us, kMaxTimeoutUs / 2) * 2;
}

void DtlsSession::fail(std::string reason) {
  state_ = State::kFailed;
  failure_ = std::move(reason);
  ERR_clear_error();
}

void DtlsSession::start(std::vector<std::string>& out) {
  if (state_ != State::kHandshaking || started_) return;
  started_ = true;
  if (context_.role() == DtlsRole::kClient) advance(out);
}

void DtlsSession::onDatagram(std::span<const std::uint8_t> datagram,
                             std::vector<std::string>& out) {
  if (state_ != State::kHandshaking && state_ != State::kConnected) return;
  // RFC 7983 §7: a DTLS record starts with a content type in [20, 63]; anything else, or
  // anything larger than a DTLS-SRTP peer sends, is dropped before OpenSSL reads it.
  if (datagram.empty() || datagram.size() > kMaxDatagramSize || datagram[0] < 20 ||
      datagram[0] > 63) {
    return;
  }
  if (state_ == State::kHandshaking) {
    started_ = true;  // a server starts with the first ClientHello
    if (++handshake_datagrams_ > kMaxHandshakeDatagrams) {
      fail("DTLS handshake took more than " + std::to_string(kMaxHandshakeDatagrams) +
           " datagrams");
      return;
    }
  }
  if (BIO_write(incoming_, datagram.data(), static_cast<int>(datagram.size())) !=
      static_cast<int>(datagram.size())) {
    fail(openSslErrors("BIO_write failed"));
    return;
  }
  advance(out);
  // OpenSSL reads a whole datagram at once; whatever it left (nothing, normally) must not be
  // taken as the start of the next datagram.
  if (incoming_ != nullptr && BIO_ctrl_pending(incoming_) > 0) (void)BIO_reset(incoming_);
}

void DtlsSession::advance(std::vector<std::string>& out) {
  ERR_clear_error();
  if (state_ == State::kHandshaking) {
    const int result = SSL_do_handshake(ssl_.get());
    if (result == 1) {
      flush(out);
      finishHandshake(out);
    } else {
      const int error = SSL_get_error(ssl_.get(), result);
      flush(out);  // a fatal alert OpenSSL wrote for the peer goes out too
      if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
        fail(openSslErrors("DTLS handshake failed (SSL error " + std::to_string(error) + ")"));
        return;
      }
    }
  }
  if (state_ == State::kConnected) drainApplicationData(out);
}

void DtlsSession::finishHandshake(std::vector<std::string>& out) {
  SSL* ssl = ssl_.get();
  const std::string fingerprint = certificateFingerprintSha256(SSL_get0_peer_certificate(ssl));
  if (fingerprint.empty()) {
    fail("peer presented no certificate");
    return;
  }
  if (!sameFingerprint(fingerprint, remote_fingerprint_)) {
    // RFC 8122 §5 / RFC 5763 §5: the session must not be used; tell the peer it is over.
    ERR_clear_error();
    SSL_shutdown(ssl);
    flush(out);
    fail("peer certificate fingerprint does not match the SDP");
    return;
  }
  const SRTP_PROTECTION_PROFILE* negotiated = SSL_get_selected_srtp_profile(ssl);
  const auto profile = negotiated != nullptr ? srtpProfileFromName(negotiated->name) : std::nullopt;
  if (!profile) {
    fail("peer negotiated no SRTP protection profile throng supports (use_srtp, RFC 5764 §4.1.1)");
    return;
  }
  const std::size_t key_length = srtpMasterKeyLength(*profile);
  const std::size_t salt_length = srtpMasterSaltLength(*profile);
  std::string material(2 * (key_length + salt_length), '\0');
  if (SSL_export_keying_material(ssl, reinterpret_cast<unsigned char*>(material.data()),
                                 material.size(), kExporterLabel.data(), kExporterLabel.size(),
                                 nullptr, 0, 0) != 1) {
    fail(openSslErrors("DTLS-SRTP key export failed"));
    return;
  }
  // RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
  SrtpKeys client{*profile, material.substr(0, key_length),
                  material.substr(2 * key_length, salt_length)};
  SrtpKeys server{*profile, material.substr(key_length, key_length),
                  material.substr(2 * key_length + salt_length, salt_length)};
  OPENSSL_cleanse(material.data(), material.size());
  const bool is_client = context_.role() == DtlsRole::kClient;
  local_keys_ = is_client ? std::move(client) : std::move(server);
  remote_keys_ = is_client ? std::move(server) : std::move(client);
  state_ = State::kConnected;
}

void DtlsSession::drainApplicationData(std::vector<std::string>& out) {
  // Whatever follows the handshake: application data is dropped, alerts end the session, and a
  // retransmitted Finished makes OpenSSL resend its last flight (RFC 6347 §4.2.4).
  unsigned char sink[kMaxDatagramSize];
  for (int i = 0; i < kMaxRecordsPerDatagram; ++i) {
    const int result = SSL_read(ssl_.get(), sink, sizeof sink);
    if (result > 0) continue;
    const int error = SSL_get_error(ssl_.get(), result);
    flush(out);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (error == SSL_ERROR_ZERO_RETURN) {  // close_notify from the peer
      state_ = State::kClosed;
      ERR_clear_error();
      return;
    }
    fail(openSslErrors("DTLS session failed (SSL error " + std::to_string(error) + ")"));
    return;
  }
  flush(out);
}

std::optional<std::chrono::milliseconds> DtlsSession::nextTimeout() const {
  if (state_ != State::kHandshaking || !started_ || !ssl_) return std::nullopt;
  timeval left{};
  if (DTLSv1_get_timeout(ssl_.get(), &left) != 1) return std::nullopt;
  const auto us = std::chrono::seconds(left.tv_sec) + std::chrono::microseconds(left.tv_usec);
  return std::chrono::ceil<std::chrono::milliseconds>(us);
}

void DtlsSession::onTimeout(std::vector<std::string>& out) {
  if (state_ != State::kHandshaking || !started_) return;
  if (retransmissions_ >= context_.retransmission().max_retransmissions) {
    fail("DTLS handshake timed out after " + std::to_string(retransmissions_) + " retransmissions");
    return;
  }
  ERR_clear_error();
  // Retransmits the last flight if OpenSSL's timer has expired (it treats the last 15 ms as
  // expired, so a worker timer firing on time always counts); otherwise does nothing.
  if (DTLSv1_handle_timeout(ssl_.get()) < 0) {
    flush(out);
    fail(openSslErrors("DTLS retransmission failed"));
    return;
  }
  flush(out);
}

void DtlsSession::close(std::vector<std::string>& out) {
  if (state_ == State::kConnected) {
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
    flush(out);
    ERR_clear_error();
  }
  if (state_ == State::kHandshaking || state_ == State::kConnected) state_ = State::kClosed;
}

void DtlsSession::flush(std::vector<std::string>& out) {
  // A memory BIO keeps no datagram boundaries, so the records OpenSSL wrote (each sized to fit
  // the MTU, RFC 6347 §4.1.1) are split apart again by their headers and packed greedily into
  // datagrams of at most mtu bytes; DTLS allows several records per datagram.
  const std::size_t pending = BIO_ctrl_pending(outgoing_);
  if (pending == 0) return;
  std::string bytes(pending, '\0');
  const int read = BIO_read(outgoing_, bytes.data(), static_cast<int>(pending));
  if (read <= 0) return;
  bytes.resize(static_cast<std::size_t>(read));
  std::string_view rest = bytes;
  std::string datagram;
  while (!rest.empty()) {
    std::size_t record = rest.size();
    if (rest.size() >= kRecordHeaderSize) {
      const auto length = (static_cast<std::size_t>(static_cast<unsigned char>(rest[11])) << 8) |
                          static_cast<unsigned char>(rest[12]);
      record = std::min(rest.size(), kRecordHeaderSize + length);
    }
    if (!datagram.empty() && datagram.size() + record > mtu_) {
      out.push_back(std::move(datagram));
      datagram.clear();
    }
    datagram.append(rest.substr(0, record));
    rest.remove_prefix(record);
  }
  if (!datagram.empty()) out.push_back(std::move(datagram));
}

}  // namespace throng::rtc
