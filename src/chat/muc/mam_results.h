// The answer to a MAM query (XEP-0313 §4.2-§4.3): one <message/> per archived message, each
// wrapping the stored stanza in <result><forwarded><delay/>…</forwarded></result>, then the
// IQ result carrying <fin/> with the RSM set of the page.
//
// The stored stanza is already serialized; a result is spliced around it as text rather than
// parsed back and serialized again, so serving a page costs one string per message.
#pragma once

#include "chat/muc/recent_archive.h"
#include "chat/routed_stanza.h"
#include "proto/xml_element.h"

#include <string>
#include <vector>

namespace throng::chat::muc {

RoutedStanza mamResult(const std::string& room_jid, const std::string& query_id,
                       const ArchivedMessage& message);

// <fin xmlns='urn:xmpp:mam:2' complete=…><set xmlns=rsm><first/><last/></set></fin>
proto::XmlElement mamFin(const std::vector<const ArchivedMessage*>& page, bool complete);

}  // namespace throng::chat::muc
