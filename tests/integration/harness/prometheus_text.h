// Reads samples out of a Prometheus text exposition (the admin /metrics
// body), so tests assert counters by value instead of grepping lines.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ocspcache::it {

// The value of the first sample named NAME whose labels include every pair
// in LABELS (other labels are ignored); nullopt when there is none.
std::optional<double> metric_value(std::string_view exposition, std::string_view name,
                                   const std::map<std::string, std::string>& labels = {});

// Sum over every sample named NAME matching LABELS (0 when none).
double metric_sum(std::string_view exposition, std::string_view name,
                  const std::map<std::string, std::string>& labels = {});

}  // namespace ocspcache::it
