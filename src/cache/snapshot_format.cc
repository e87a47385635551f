// take_snapshot / encode_snapshot / decode_snapshot (snapshot.h): the bytes of the file.
#include <cstring>

#include "ocspcache/cache/snapshot.h"
#include "ocspcache/util/sha256.h"

namespace ocspcache {
namespace {

constexpr char kMagic[8] = {'O', 'C', 'S', 'P', 'S', 'N', 'A', 'P'};
// 2 added the per-entry flags byte; a version-1 file (no flags) is still
// read, its entries taken as tracked, which is what version 1 meant.
constexpr uint32_t kVersion = 2;
constexpr uint8_t kFlagTracked = 1;  // CachedResponse::tracked
constexpr size_t kHeader = sizeof kMagic + 4 + 8;
constexpr size_t kDigest = 32;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}

// Reads within `data`, never past it.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool u32(uint32_t* v) {
    if (left() < 4) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) *v = (*v << 8) | data_[pos_++];
    return true;
  }
  bool u64(uint64_t* v) {
    if (left() < 8) return false;
    *v = 0;
    for (int i = 0; i < 8; ++i) *v = (*v << 8) | data_[pos_++];
    return true;
  }
  bool bytes(size_t n, std::span<const uint8_t>* out) {
    if (left() < n) return false;
    *out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  size_t left() const { return data_.size() - pos_; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

std::array<uint8_t, 32> digest(std::span<const uint8_t> body) {
  Sha256 h;
  h.update(body);
  return h.finish();
}

uint64_t body_size(const SnapshotImage& image) {
  uint64_t n = 4 + 4 + image.ledger.size();
  for (const EntryPtr& e : image.entries) n += 32 + 1 + 4 + e->der().size();
  return n;
}

}  // namespace

SnapshotImage take_snapshot(const Store& store, const RevocationLedger& ledger, int64_t now) {
  SnapshotImage image;
  image.entries.reserve(store.stats().entries);
  store.walk([&](const CachedResponse& e) {
    if (e.next_update() > now && e.der().size() <= kSnapshotMaxDer) image.entries.emplace_back(&e);
  });
  image.ledger = ledger.serialize();
  return image;
}

uint64_t encoded_size(const SnapshotImage& image) {
  return kHeader + body_size(image) + kDigest;
}

void encode_snapshot(const SnapshotImage& image, FunctionRef<void(std::span<const uint8_t>)> out) {
  // Every length is known before the first byte: the header goes first and
  // nothing is patched afterwards, so the output may be a stream.
  const uint64_t body_len = body_size(image);
  std::vector<uint8_t> small(kMagic, kMagic + sizeof kMagic);
  put_u32(small, kVersion);
  put_u64(small, body_len);
  out(small);

  Sha256 hash;
  auto body = [&](std::span<const uint8_t> piece) {
    hash.update(piece);
    out(piece);
  };
  small.clear();
  put_u32(small, static_cast<uint32_t>(image.entries.size()));
  body(small);
  for (const EntryPtr& e : image.entries) {
    small.assign(e->key().bytes.begin(), e->key().bytes.end());
    small.push_back(e->tracked() ? kFlagTracked : 0);
    put_u32(small, static_cast<uint32_t>(e->der().size()));
    body(small);
    body(e->der());
  }
  small.clear();
  put_u32(small, static_cast<uint32_t>(image.ledger.size()));
  body(small);
  body(image.ledger);
  const auto d = hash.finish();
  out(d);
}

std::vector<uint8_t> encode_snapshot(const SnapshotImage& image) {
  std::vector<uint8_t> file;
  encode_snapshot(image, [&](std::span<const uint8_t> piece) {
    file.insert(file.end(), piece.begin(), piece.end());
  });
  return file;
}

Result<SnapshotContents, std::string> decode_snapshot(std::span<const uint8_t> file) {
  if (file.size() < kHeader + kDigest || std::memcmp(file.data(), kMagic, sizeof kMagic) != 0) {
    return Err{std::string("not an ocspcache snapshot (no OCSPSNAP header)")};
  }
  Reader header(file.subspan(sizeof kMagic, 12));
  uint32_t version = 0;
  uint64_t body_len = 0;
  (void)header.u32(&version);
  (void)header.u64(&body_len);
  if (version != 1 && version != kVersion) {
    return Err{"snapshot version " + std::to_string(version) + ", expected 1 or " +
               std::to_string(kVersion)};
  }
  const size_t flag_bytes = version >= 2 ? 1 : 0;
  if (body_len != file.size() - kHeader - kDigest) {
    return Err{"truncated or extended: the header says " + std::to_string(body_len) +
               " body bytes, the file holds " + std::to_string(file.size() - kHeader - kDigest)};
  }
  const auto body = file.subspan(kHeader, body_len);
  const auto d = digest(body);
  if (std::memcmp(d.data(), file.data() + kHeader + body_len, kDigest) != 0) {
    return Err{std::string("checksum mismatch: the file was damaged")};
  }
  Reader r(body);
  uint32_t count = 0;
  if (!r.u32(&count)) return Err{std::string("no entry count")};
  // Each entry takes at least 37 (36) bytes: a count beyond that is a lie.
  if (count > r.left() / (36 + flag_bytes))
    return Err{"entry count " + std::to_string(count) + " exceeds the file"};
  SnapshotContents out;
  out.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> key, flags, der;
    uint32_t len = 0;
    if (!r.bytes(32, &key) || !r.bytes(flag_bytes, &flags) || !r.u32(&len)) {
      return Err{"entry " + std::to_string(i) + " cut short"};
    }
    if (len == 0 || len > kSnapshotMaxDer) {
      return Err{"entry " + std::to_string(i) + " claims " + std::to_string(len) + " bytes"};
    }
    if (!r.bytes(len, &der)) return Err{"entry " + std::to_string(i) + " cut short"};
    SnapshotContents::Entry e;
    std::memcpy(e.key.bytes.data(), key.data(), 32);
    e.der = der;
    e.tracked = flags.empty() || (flags[0] & kFlagTracked) != 0;
    out.entries.push_back(e);
  }
  uint32_t ledger_len = 0;
  std::span<const uint8_t> ledger;
  if (!r.u32(&ledger_len) || !r.bytes(ledger_len, &ledger) ||
      ledger_len % RevocationLedger::kRecordBytes != 0) {
    return Err{std::string("revocation records cut short or malformed")};
  }
  if (r.left() != 0) return Err{std::string("bytes after the revocation records")};
  out.ledger = ledger;
  return out;
}

}  // namespace ocspcache
