// Capability names come from libcap.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tailor {

// "CAP_NET_BIND_SERVICE" for CAP_NET_BIND_SERVICE's number.
std::string cap_name(int cap);
// Number for "CAP_NET_BIND_SERVICE", "NET_BIND_SERVICE" or "cap_net_bind_service".
std::optional<int> cap_number(std::string_view name);

}  // namespace tailor
