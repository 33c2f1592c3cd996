// DTLS 1.2 for DTLS-SRTP (RFC 5764, RFC 8827): one self-signed certificate made at start, one
// SSL_CTX per role shared by every session, and a session that is pure computation: datagrams in,
// datagrams out, through OpenSSL memory BIOs, so the worker owns the socket and the timers.
#pragma once

#include <openssl/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "rtc/srtp.h"

namespace throng::rtc {

// The certificate an endpoint presents; its fingerprint goes in the SDP (RFC 8122 §5).
// Immutable once made: shared by every context and session.
class DtlsCertificate {
 public:
  // ECDSA P-256 self-signed certificate (RFC 8827 §6.5), random serial, valid from yesterday for
  // 30 days (a peer whose clock is a little behind still accepts it).
  static Result<std::shared_ptr<const DtlsCertificate>> generate(
      std::string_view common_name = "throng");

  const std::string& fingerprintSha256() const { return fingerprint_; }  // "AB:CD:..."
  X509* certificate() const { return certificate_.get(); }
  EVP_PKEY* privateKey() const { return private_key_.get(); }

  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

 private:
  struct X509Free {
    void operator()(X509* x) const;
  };
  struct PkeyFree {
    void operator()(EVP_PKEY* key) const;
  };
  // Only generate() can name it, so only generate() constructs (through std::make_shared).
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  DtlsCertificate(Passkey, std::unique_ptr<X509, X509Free> certificate,
                  std::unique_ptr<EVP_PKEY, PkeyFree> private_key, std::string fingerprint);

 private:
  std::unique_ptr<X509, X509Free> certificate_;
  std::unique_ptr<EVP_PKEY, PkeyFree> private_key_;
  std::string fingerprint_;
};

// The SHA-256 fingerprint of a certificate as SDP writes it: uppercase hex pairs joined by ':'
// (RFC 8122 §5). Empty if OpenSSL cannot digest it.
std::string certificateFingerprintSha256(X509* certificate);

enum class DtlsRole { kServer, kClient };

// The handshake retransmission timer (RFC 6347 §4.2.4.1): the first wait (at least 20 ms),
// doubled after each retransmission up to 60 s, and how many retransmissions a handshake may use
// in all before it fails (4 from 1 s: the handshake is given up about 31 s after the first
// flight). OpenSSL 3.0 runs this timer on the wall clock (gettimeofday), not an injected one.
struct DtlsRetransmission {
  std::chrono::milliseconds initial_timeout{1000};
  int max_retransmissions = 4;
};

// One SSL_CTX per role, shared by every session of that role (thread-safe to share once built).
class DtlsContext {
 public:
  static Result<std::unique_ptr<DtlsContext>> create(
      std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role);
  static Result<std::unique_ptr<DtlsContext>> create(
      std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role,
      DtlsRetransmission retransmission);

  DtlsRole role() const { return role_; }
  // For what this class does not wrap, before the first session is made (tests narrow the SRTP
  // profiles a client offers with SSL_CTX_set_tlsext_use_srtp).
  SSL_CTX* native() const { return ctx_.get(); }
  const DtlsRetransmission& retransmission() const { return retransmission_; }
  const DtlsCertificate& certificate() const { return *certificate_; }

  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

 private:
  struct CtxFree {
    void operator()(SSL_CTX* ctx) const;
  };
  struct Passkey {
    explicit Passkey() = default;
  };

 public:
  DtlsContext(Passkey, std::shared_ptr<const DtlsCertificate> certificate, DtlsRole role,
              DtlsRetransmission retransmission, std::unique_ptr<SSL_CTX, CtxFree> ctx);

 private:
  std::shared_ptr<const DtlsCertificate> certificate_;
  DtlsRole role_;
  DtlsRetransmission retransmission_;
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
};

// DTLS 1.2 only; use_srtp "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80"
// (GCM preferred, RFC 7714 §14.2); both sides present certificates, and the peer's is checked
// against the SDP fingerprint after the handshake (RFC 8122 §5; no CA is involved).
// Not thread-safe: lives on one worker.
class DtlsSession {
 public:
  // Largest datagram fed to OpenSSL. A handshake flight is fragmented to the path MTU (about 1200
  // in WebRTC); anything bigger is not from a peer speaking DTLS-SRTP and is dropped unread.
  static constexpr std::size_t kMaxDatagramSize = 2048;
  // Handshake datagrams accepted before the handshake is failed: a full DTLS 1.2 handshake with
  // fragmentation and a few retransmissions takes a few dozen.
  static constexpr std::size_t kMaxHandshakeDatagrams = 64;

  // Non-owning: `context` outlives the session. `remote_fingerprint_sha256` "AB:CD:.." from the
  // peer's SDP (compared case-insensitively). `mtu` bounds each datagram sent.
  DtlsSession(DtlsContext& context, std::string remote_fingerprint_sha256, std::size_t mtu = 1200);
  ~DtlsSession();
  DtlsSession(const DtlsSession&) = delete;
  DtlsSession& operator=(const DtlsSession&) = delete;

  enum class State { kHandshaking, kConnected, kFailed, kClosed };

  // Each call appends the datagrams to send to `out` (a flight may be several; each <= mtu).
  void start(std::vector<std::string>& out);  // client: ClientHello; server: nothing
  // Handshake or alert records. After the handshake, application data is read and dropped
  // (WebRTC without data channels).
  void onDatagram(std::span<const std::uint8_t> datagram, std::vector<std::string>& out);
  // The DTLS retransmission timer (RFC 6347 §4.2.4): when to call onTimeout(); nullopt = none.
  std::optional<std::chrono::milliseconds> nextTimeout() const;
  void onTimeout(std::vector<std::string>& out);
  void close(std::vector<std::string>& out);  // close_notify

  State state() const { return state_; }
  // Why the session failed, e.g. "peer certificate fingerprint does not match the SDP" or the
  // OpenSSL error string.
  const std::string& failure() const { return failure_; }

  // After kConnected, from the RFC 5764 §4.2 exporter "EXTRACTOR-dtls_srtp":
  // client_write_key | server_write_key | client_write_salt | server_write_salt.
  SrtpKeys localKeys() const { return local_keys_; }    // protects what this endpoint sends
  SrtpKeys remoteKeys() const { return remote_keys_; }  // unprotects what it receives

 private:
  struct SslFree {
    void operator()(SSL* ssl) const;
  };
  static unsigned int onTimerCallback(SSL* ssl, unsigned int previous_us);

  void advance(std::vector<std::string>& out);
  void finishHandshake(std::vector<std::string>& out);
  void drainApplicationData(std::vector<std::string>& out);
  void flush(std::vector<std::string>& out);
  void fail(std::string reason);

  DtlsContext& context_;
  std::string remote_fingerprint_;
  std::size_t mtu_;
  std::unique_ptr<SSL, SslFree> ssl_;
  BIO* incoming_ = nullptr;  // owned by ssl_
  BIO* outgoing_ = nullptr;  // owned by ssl_
  State state_ = State::kHandshaking;
  std::string failure_;
  bool started_ = false;
  int retransmissions_ = 0;
  std::size_t handshake_datagrams_ = 0;
  SrtpKeys local_keys_;
  SrtpKeys remote_keys_;
};

}  // namespace throng::rtc
