// SrtpSession over Debian's libsrtp2 (2.5, built on NSS): the test oracle for throng's own SRTP
// and the other side of bench/micro/srtp_bench.cpp.
#pragma once

#include <memory>

#include "base/result.h"
#include "rtc/srtp.h"

namespace throng::rtc {

Result<std::unique_ptr<SrtpSession>> makeLibSrtpSession(const SrtpKeys& outbound,
                                                        const SrtpKeys& inbound);

}  // namespace throng::rtc
