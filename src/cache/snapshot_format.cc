// encode_snapshot / decode_snapshot (snapshot.h): the bytes of the file.
#include <cstring>

#include "ocspcache/cache/snapshot.h"
#include "ocspcache/util/sha256.h"

namespace ocspcache {
namespace {

constexpr char kMagic[8] = {'O', 'C', 'S', 'P', 'S', 'N', 'A', 'P'};
constexpr uint32_t kVersion = 1;
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

}  // namespace

std::vector<uint8_t> encode_snapshot(const Store& store, const RevocationLedger& ledger,
                                     int64_t now, size_t* entries_written) {
  // Written in place: the header's length and the entry count are filled
  // in at the end, so the cache is copied once, into the file's bytes.
  std::vector<uint8_t> file(kMagic, kMagic + sizeof kMagic);
  put_u32(file, kVersion);
  put_u64(file, 0);  // the body's length
  const size_t body_at = file.size();
  uint32_t count = 0;
  put_u32(file, 0);  // the entry count
  store.walk([&](const CachedResponse& e) {
    if (e.next_update() <= now || e.der().size() > kSnapshotMaxDer) return;
    file.insert(file.end(), e.key().bytes.begin(), e.key().bytes.end());
    put_u32(file, static_cast<uint32_t>(e.der().size()));
    file.insert(file.end(), e.der().begin(), e.der().end());
    ++count;
  });
  const std::vector<uint8_t> records = ledger.serialize();
  put_u32(file, static_cast<uint32_t>(records.size()));
  file.insert(file.end(), records.begin(), records.end());
  const uint64_t body_len = file.size() - body_at;
  for (int i = 0; i < 8; ++i)
    file[body_at - 8 + static_cast<size_t>(i)] = static_cast<uint8_t>(body_len >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i)
    file[body_at + static_cast<size_t>(i)] = static_cast<uint8_t>(count >> (24 - 8 * i));
  const auto d = digest(std::span<const uint8_t>(file).subspan(body_at));
  file.insert(file.end(), d.begin(), d.end());
  if (entries_written) *entries_written = count;
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
  if (version != kVersion)
    return Err{"snapshot version " + std::to_string(version) + ", expected 1"};
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
  // Each entry takes at least 36 bytes: a count beyond that is a lie.
  if (count > r.left() / 36)
    return Err{"entry count " + std::to_string(count) + " exceeds the file"};
  SnapshotContents out;
  out.entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    std::span<const uint8_t> key, der;
    uint32_t len = 0;
    if (!r.bytes(32, &key) || !r.u32(&len)) return Err{"entry " + std::to_string(i) + " cut short"};
    if (len == 0 || len > kSnapshotMaxDer) {
      return Err{"entry " + std::to_string(i) + " claims " + std::to_string(len) + " bytes"};
    }
    if (!r.bytes(len, &der)) return Err{"entry " + std::to_string(i) + " cut short"};
    SnapshotContents::Entry e;
    std::memcpy(e.key.bytes.data(), key.data(), 32);
    e.der.assign(der.begin(), der.end());
    out.entries.push_back(std::move(e));
  }
  uint32_t ledger_len = 0;
  std::span<const uint8_t> ledger;
  if (!r.u32(&ledger_len) || !r.bytes(ledger_len, &ledger) ||
      ledger_len % RevocationLedger::kRecordBytes != 0) {
    return Err{std::string("revocation records cut short or malformed")};
  }
  if (r.left() != 0) return Err{std::string("bytes after the revocation records")};
  out.ledger.assign(ledger.begin(), ledger.end());
  return out;
}

}  // namespace ocspcache
