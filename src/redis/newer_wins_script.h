// The server-side scripts of the Redis layout (DESIGN.md: `r:<hex>` holds
// the DER alone, so the stored answer's thisUpdate is read from the DER).
#pragma once

#include <string_view>

namespace ocspcache::redis_scripts {

// KEYS[1] = r:<hex>, ARGV[1] = the DER, ARGV[2] = expiry (unix seconds).
// Stores the DER unless the stored value is a response with a later
// thisUpdate (the latest of its SingleResponses, as GeneralizedTime text,
// which orders like the time it names). A stored value that does not parse
// is overwritten. Returns 1 stored, 0 kept the newer one, -1 the new DER
// does not parse (never stored).
extern const std::string_view kNewerWins;

// KEYS[1] = lock:<hex>, ARGV[1] = our token: deleted only if still ours.
extern const std::string_view kReleaseLock;

}  // namespace ocspcache::redis_scripts
