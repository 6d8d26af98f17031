#include "log_reader.h"

#include <algorithm>
#include <cstring>

#include "coding.h"
#include "crc32c.h"
#include "log_format.h"
#include "write_batch.h"

namespace pmap {
namespace {

// The reasons CheckRecordAt() gives for a record that the end of the bytes
// cuts short: in a window before the last, more bytes may complete it.
constexpr char kHeaderCutShort[] = "record header cut short by end of file";
constexpr char kLengthBeyondEnd[] = "length beyond end of file";

}  // namespace

bool IsValidPayload(uint8_t type, std::string_view payload) {
  switch (type) {
    case log::kPut: {
      uint32_t key_len;
      return GetVarint32(&payload, &key_len) && key_len <= payload.size();
    }
    case log::kDelete:
      return true;
    case log::kClear:
      return payload.empty();
    case log::kBatch: {
      uint32_t count;
      if (!ParseBatchCount(&payload, &count)) return false;
      return WriteBatch::Iterate(
          payload, count, [](std::string_view, std::string_view) {},
          [](std::string_view) {});
    }
    case log::kTagged: {
      uint64_t seq;
      if (payload.size() < 8) return false;
      payload.remove_prefix(8);
      if (!GetVarint64(&payload, &seq) || payload.empty()) return false;
      while (!payload.empty()) {
        const auto inner_type = static_cast<uint8_t>(payload[0]);
        payload.remove_prefix(1);
        std::string_view inner;
        if (inner_type == 0 || inner_type > log::kMaxRecordTypeV1 ||
            !GetLengthPrefixed(&payload, &inner) ||
            !IsValidPayload(inner_type, inner)) {
          return false;
        }
      }
      return true;
    }
    case log::kClients: {
      uint32_t count;
      if (!GetVarint32(&payload, &count)) return false;
      // Every entry takes at least 9 bytes, so a count larger than the
      // payload fails within it.
      for (uint32_t i = 0; i < count; ++i) {
        uint64_t seq;
        if (payload.size() < 8) return false;
        payload.remove_prefix(8);
        if (!GetVarint64(&payload, &seq)) return false;
      }
      return payload.empty();
    }
    default:
      return false;
  }
}

LogReader::LogReader(std::string_view file, uint32_t max_record_size,
                     RecoveryMode mode)
    : file_(file),
      max_record_size_(max_record_size),
      mode_(mode),
      version_(log::kFormatVersion),
      max_type_(log::kMaxRecordType) {}

LogReader::LogReader(uint32_t max_record_size, RecoveryMode mode)
    : max_record_size_(max_record_size),
      mode_(mode),
      last_(false),
      version_(log::kFormatVersion),
      max_type_(log::kMaxRecordType) {}

void LogReader::StartAfterHeader(uint32_t version) {
  has_header_ = true;
  version_ = version;
  max_type_ = log::MaxRecordType(version);
}

void LogReader::NextWindow(std::string_view window, bool last) {
  base_ += pos_;
  pos_ = 0;
  file_ = window;
  last_ = last;
  damage_ahead_ = false;
}

void LogReader::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
}

Status LogReader::ReadHeader(uint64_t* generation) {
  *generation = 0;
  if (file_.empty()) return Status::OK();
  if (file_.size() < static_cast<size_t>(log::kFileHeaderSize)) {
    // A crash while the store was being created, if what is there is the
    // start of a header; anything else is some other file.
    const size_t n = std::min(file_.size(), sizeof(log::kMagic));
    if (std::memcmp(file_.data(), log::kMagic, n) != 0) {
      Fail(Status::Corruption("not a persistent-map log (bad magic number)"));
      return status_;
    }
    if (mode_ == RecoveryMode::kStrict) {
      Fail(Status::Corruption("file is " + std::to_string(file_.size()) +
                              " bytes, shorter than the 32-byte header"));
      return status_;
    }
    damaged_.push_back({0, file_.size(), "torn file header"});
    pos_ = file_.size();
    return Status::OK();
  }
  const char* h = file_.data();
  if (std::memcmp(h, log::kMagic, sizeof(log::kMagic)) != 0) {
    Fail(Status::Corruption("not a persistent-map log (bad magic number)"));
    return status_;
  }
  uint32_t stored =
      crc32c::Unmask(DecodeFixed32(h + log::kFileHeaderChecksumOffset));
  if (stored != crc32c::Value(h, log::kFileHeaderChecksumOffset)) {
    Fail(Status::Corruption("file header has a bad checksum"));
    return status_;
  }
  uint32_t version = DecodeFixed32(h + 8);
  if (version != log::kFormatVersion1 && version != log::kFormatVersion) {
    Fail(Status::Corruption("log format version " + std::to_string(version) +
                            " is not supported (this build reads versions " +
                            std::to_string(log::kFormatVersion1) + " to " +
                            std::to_string(log::kFormatVersion) + ")"));
    return status_;
  }
  if (DecodeFixed32(h + 12) != 0 || DecodeFixed32(h + 24) != 0) {
    Fail(Status::Corruption("file header has unknown flags"));
    return status_;
  }
  *generation = DecodeFixed64(h + 16);
  StartAfterHeader(version);
  pos_ = valid_end_ = log::kFileHeaderSize;
  return Status::OK();
}

const char* LogReader::CheckRecordAt(size_t offset, size_t* record_size) const {
  const size_t left = file_.size() - offset;
  if (left < static_cast<size_t>(log::kRecordHeaderSize)) {
    return kHeaderCutShort;
  }
  const char* rec = file_.data() + offset;
  const uint32_t length = DecodeFixed32(rec + 4);
  const auto type = static_cast<uint8_t>(rec[8]);
  if (type == 0 || type > max_type_) return "unknown record type";
  if (length > log::kMaxMaxRecordSize) {
    return "length exceeds the maximum record size";
  }
  if (length > left - log::kRecordHeaderSize) return kLengthBeyondEnd;
  uint32_t expected = crc32c::Unmask(DecodeFixed32(rec));
  if (crc32c::Value(rec + 8, 1 + static_cast<size_t>(length)) != expected) {
    return "bad checksum";
  }
  if (!IsValidPayload(type,
                      std::string_view(rec + log::kRecordHeaderSize, length))) {
    return "malformed payload";
  }
  *record_size = log::kRecordHeaderSize + static_cast<size_t>(length);
  return nullptr;
}

LogReader::Scan LogReader::FindNextValidRecord(size_t from,
                                               size_t* found) const {
  // Checksumming candidates is bounded so that a huge garbage tail cannot
  // make an open take quadratic time; giving up is reported as corruption.
  uint64_t budget =
      64 * static_cast<uint64_t>(file_.size() - from) + (16u << 20);
  for (size_t p = from + 1; p + log::kRecordHeaderSize <= file_.size(); ++p) {
    const char* rec = file_.data() + p;
    const auto type = static_cast<uint8_t>(rec[8]);
    if (type == 0 || type > max_type_) continue;
    const uint32_t length = DecodeFixed32(rec + 4);
    if (length > log::kMaxMaxRecordSize ||
        length > file_.size() - p - log::kRecordHeaderSize) {
      continue;
    }
    if (length + 1u > budget) return Scan::kGaveUp;
    budget -= length + 1u;
    size_t size;
    if (CheckRecordAt(p, &size) == nullptr) {
      *found = p;
      return Scan::kFound;
    }
  }
  return Scan::kNotFound;
}

bool LogReader::DamagedRecordEnd(size_t offset, size_t* end) const {
  const size_t left = file_.size() - offset;
  if (left < static_cast<size_t>(log::kRecordHeaderSize)) return false;
  const char* rec = file_.data() + offset;
  const char* payload = rec + log::kRecordHeaderSize;
  const size_t room = left - log::kRecordHeaderSize;
  const uint32_t crc = crc32c::Unmask(DecodeFixed32(rec));
  const uint32_t length = DecodeFixed32(rec + 4);
  const auto type = static_cast<uint8_t>(rec[8]);
  auto fits = [room](uint32_t n) {
    return n <= log::kMaxMaxRecordSize && n <= room;
  };
  auto known = [this](uint8_t t) { return t != 0 && t <= max_type_; };
  auto found = [&](uint32_t n) {
    *end = offset + log::kRecordHeaderSize + static_cast<size_t>(n);
    return true;
  };
  if (known(type)) {
    // A length one bit away whose payload checksums: the length was hit.
    // Checked in increasing order so that the checksum is computed once.
    uint32_t lengths[32];
    int count = 0;
    for (int bit = 0; bit < 32; ++bit) {
      const uint32_t n = length ^ (1u << bit);
      if (fits(n)) lengths[count++] = n;
    }
    std::sort(lengths, lengths + count);
    uint32_t running = crc32c::Value(rec + 8, 1);
    size_t done = 0;
    for (int i = 0; i < count; ++i) {
      running = crc32c::Extend(running, payload + done, lengths[i] - done);
      done = lengths[i];
      if (running == crc &&
          IsValidPayload(type, std::string_view(payload, lengths[i]))) {
        return found(lengths[i]);
      }
    }
  }
  if (!fits(length)) return false;
  // Another type whose record checksums: the type byte was hit.
  for (uint8_t t = 1; t <= max_type_; ++t) {
    if (t == type) continue;
    const char c = static_cast<char>(t);
    if (crc32c::Extend(crc32c::Value(&c, 1), payload, length) == crc &&
        IsValidPayload(t, std::string_view(payload, length))) {
      return found(length);
    }
  }
  // A plausible header: the checksum or the payload was hit.
  if (known(type)) return found(length);
  return false;
}

Status LogReader::RecordTooLarge(size_t offset, size_t payload_size) const {
  const std::string size = std::to_string(payload_size);
  return Status::InvalidArgument(
      "log record at byte " + std::to_string(offset) + " has a " + size +
      "-byte payload, more than the maximum record size of " +
      std::to_string(max_record_size_) +
      " bytes the store was opened with. The record is intact, so nothing "
      "was dropped or changed: open the store with a maximum record size of "
      "at least " +
      size +
      " bytes (option maxRecordSize in JavaScript, max_record_size in C++)");
}

bool LogReader::ReadRecord(uint8_t* type, std::string_view* payload) {
  while (status_.ok() && pos_ < file_.size()) {
    size_t size = 0;
    const char* why = CheckRecordAt(pos_, &size);
    if (why == nullptr) {
      if (size - log::kRecordHeaderSize > max_record_size_) {
        // Not damage, in any mode: the store holds a record its writer
        // allowed, and dropping it would lose it for good.
        Fail(RecordTooLarge(offset(), size - log::kRecordHeaderSize));
        return false;
      }
      const char* rec = file_.data() + pos_;
      *type = static_cast<uint8_t>(rec[8]);
      *payload = std::string_view(rec + log::kRecordHeaderSize,
                                  size - log::kRecordHeaderSize);
      if (!damaged_.empty() && damaged_.back().end == offset()) {
        damaged_before_valid_ = true;
      }
      pos_ += size;
      valid_end_ = offset();
      return true;
    }
    if (!last_) {
      damage_ahead_ = why != kHeaderCutShort && why != kLengthBeyondEnd;
      return false;
    }
    const std::string where = "log record at byte " + std::to_string(offset());
    if (mode_ == RecoveryMode::kStrict) {
      Fail(Status::Corruption(where + " is damaged (" + why + ")"));
      return false;
    }
    size_t next = 0;
    Scan scan = FindNextValidRecord(pos_, &next);
    if (scan == Scan::kNotFound) {  // a torn tail
      damaged_.push_back({offset(), base_ + file_.size(), why});
      pos_ = file_.size();
      return false;
    }
    if (scan == Scan::kGaveUp) {
      Fail(Status::Corruption(where + " is damaged (" + why +
                              ") and the rest of the file is too large to "
                              "check for valid records"));
      return false;
    }
    if (mode_ == RecoveryMode::kTolerateTornTail) {
      Fail(Status::Corruption(
          where + " is damaged (" + why +
          ") and valid records follow at byte " + std::to_string(base_ + next) +
          "; this is not a torn tail. Open with recovery mode 'salvage' to "
          "skip damaged records"));
      return false;
    }
    // Salvage. A valid record found inside the extent of the damaged one
    // may be bytes of its value (a stored log, say), not a record: skip the
    // whole extent when the header tells it.
    size_t end = 0;
    if (DamagedRecordEnd(pos_, &end) && end > next) next = end;
    damaged_.push_back({offset(), base_ + next, why});
    pos_ = next;
  }
  return false;
}

}  // namespace pmap
