// cache.snapshot (issue 11): the memory backend's warm restart. The cache
// and the revocation ledger are written to one file, atomically (temp
// file, fsync, rename, fsync of the directory), and read back at start
// before the listeners open.
//
// The file is ours but not trusted: it may be truncated by a crash of the
// disk, edited, or from an older configuration. It is checked whole before
// anything is used (magic, version, exact length, SHA-256 of the body,
// every length within its bounds): a file that fails is reported and
// ignored, never partly loaded. Each entry is then re-validated like a
// fetched answer (signature by a configured issuer, the CertIDs of its key,
// times) and goes in through the CacheWriter, past the ledger restored
// first; expired entries and entries of issuers no longer configured are
// skipped and counted.
//
// Format (integers big-endian): "OCSPSNAP" | u32 version (2) | u64 body
// length | body | SHA-256(body). Body: u32 entries, each 32-byte cache key
// + u8 flags (bit 0: tracked, see CachedResponse::tracked) + u32 DER length
// + DER; then u32 ledger length + the ledger's records
// (RevocationLedger::serialize). Version 1 (read, not written) had no
// flags byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ocspcache/cache/cache_writer.h"
#include "ocspcache/cache/cached_response.h"
#include "ocspcache/cache/revocation_ledger.h"
#include "ocspcache/cache/snapshot_stats.h"
#include "ocspcache/cache/store.h"
#include "ocspcache/ocsp/cache_key.h"
#include "ocspcache/ocsp/issuer.h"
#include "ocspcache/util/function_ref.h"
#include "ocspcache/util/result.h"

namespace ocspcache {

// What one write puts in the file, taken from the store and the ledger at
// one moment: references to the entries still valid (the store's locks are
// held only while they are counted in, never while bytes are copied or
// written) and the ledger's records.
struct SnapshotImage {
  std::vector<EntryPtr> entries;
  std::vector<uint8_t> ledger;  // RevocationLedger::serialize()
};
SnapshotImage take_snapshot(const Store& store, const RevocationLedger& ledger, int64_t now);

// The file's bytes, handed to `out` piece by piece (header, each entry's
// fields, the ledger, the digest): a write to disk needs no copy of the
// whole in memory.
void encode_snapshot(const SnapshotImage& image, FunctionRef<void(std::span<const uint8_t>)> out);
std::vector<uint8_t> encode_snapshot(const SnapshotImage& image);  // in one buffer
uint64_t encoded_size(const SnapshotImage& image);                 // of the file, in bytes

// A file read back. The entries' DER are views into the bytes decoded,
// which must outlive this.
struct SnapshotContents {
  struct Entry {
    ocsp::CacheKey key;
    std::span<const uint8_t> der;
    bool tracked = true;  // CachedResponse::tracked when written
  };
  std::vector<Entry> entries = {};
  std::span<const uint8_t> ledger = {};  // RevocationLedger::serialize()
};

// Bounds on what a file may claim, checked before anything is allocated.
inline constexpr size_t kSnapshotMaxDer = 1 << 20;

// The whole file checked, then parsed; the error names what is wrong.
Result<SnapshotContents, std::string> decode_snapshot(std::span<const uint8_t> file);

// Atomic replace of `path` with `image` (util/atomic_file.h); false with
// *error set on failure (the old file is then untouched).
bool write_snapshot_file(const std::string& path, const SnapshotImage& image, std::string* error);
// Whole file, at most `max_bytes`; false with *error (ENOENT says "missing").
bool read_snapshot_file(const std::string& path, size_t max_bytes, std::vector<uint8_t>* out,
                        std::string* error, bool* missing);

struct RestoreReport {
  size_t loaded = 0;
  size_t expired = 0;  // at or past nextUpdate (or refused by validation as such)
  size_t invalid = 0;  // failed validation, key mismatch, issuer not configured
  size_t refused = 0;  // older than a restored revocation
  size_t revocations = 0;
  std::string first_problem;  // of the first invalid entry, for the log
};

// Restores the ledger, then every entry through `writer` (before workers
// run). `skew_seconds`: upstream.clock_skew.
RestoreReport restore_snapshot(const SnapshotContents& contents, CacheWriter& writer,
                               const ocsp::IssuerRegistry& registry, int64_t now,
                               int64_t skew_seconds);

}  // namespace ocspcache
