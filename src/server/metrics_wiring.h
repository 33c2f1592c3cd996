// What /metrics exposes and what the metrics history samples: one place that names every
// series the server exports, so the dashboard and Prometheus see the same things.
#pragma once

#include "base/metrics.h"
#include "chat/chat_service.h"
#include "chat/xmpp_tcp.h"
#include "chat/xmpp_websocket.h"
#include "control/control_plane.h"
#include "http/server.h"
#include "net/worker_pool.h"
#include "store/storage.h"

namespace throng::rtc {
class RtcService;
}

namespace throng::server {

// Non-owning: every argument outlives the control plane's thread. Collectors and history
// series run on the control-plane thread and read only atomics.
void wireMetrics(MetricsRegistry& registry, control::ControlPlane& control,
                 net::WorkerPool& workers, const http::Server& public_server,
                 const store::Storage& storage);

// The chat's series: stream counters summed over the shards (each worker counts its own),
// and connections per transport. Non-owning, like wireMetrics.
void wireChatMetrics(MetricsRegistry& registry, chat::ChatService& chat,
                     const chat::XmppTcpServer& tcp, const chat::XmppWebSocketHandler& websocket);

// WebRTC: sessions, packets and what was refused (throng_webrtc_*). Non-owning: `rtc` outlives
// the registry's use.
void wireRtcMetrics(MetricsRegistry& registry, const rtc::RtcService& rtc);

// The dashboard's audience and chat series in the metrics history: webrtc_viewers,
// webrtc_bits_per_second, chat_occupants, chat_messages_per_second,
// chat_deliveries_per_second. Non-owning, like wireMetrics.
void addDashboardSeries(control::MetricsHistory& history, chat::ChatService& chat,
                        const rtc::RtcService& rtc);

}  // namespace throng::server
