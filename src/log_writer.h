// Encoding of the file header and of records (docs/FORMAT.md). Appends to a
// caller-owned buffer; the caller decides when the bytes reach storage.
#ifndef PMAP_LOG_WRITER_H_
#define PMAP_LOG_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "client_table.h"
#include "tagged_batch.h"
#include "write_batch.h"

namespace pmap {
namespace log {

// A header of the current format version (kFormatVersion).
void AppendFileHeader(uint64_t generation, std::string* out);

void AppendPut(std::string_view key, std::string_view value, std::string* out);
void AppendDelete(std::string_view key, std::string* out);
void AppendClear(std::string* out);
void AppendBatch(const WriteBatch& batch, std::string* out);
void AppendTagged(const TaggedBatch& batch, std::string* out);
// CLIENTS records holding `entries` in order, as few as fit records of at
// most `max_record_size` payload bytes (one unless the entries are many or
// the limit small); nothing for no entries.
void AppendClients(const std::vector<ClientEntry>& entries,
                   uint32_t max_record_size, std::string* out);

}  // namespace log
}  // namespace pmap

#endif  // PMAP_LOG_WRITER_H_
