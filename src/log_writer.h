// Encoding of the file header and of records (docs/FORMAT.md). Appends to a
// caller-owned buffer; the caller decides when the bytes reach storage.
#ifndef PMAP_LOG_WRITER_H_
#define PMAP_LOG_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "write_batch.h"

namespace pmap {
namespace log {

void AppendFileHeader(uint64_t generation, std::string* out);

void AppendPut(std::string_view key, std::string_view value, std::string* out);
void AppendDelete(std::string_view key, std::string* out);
void AppendClear(std::string* out);
void AppendBatch(const WriteBatch& batch, std::string* out);

}  // namespace log
}  // namespace pmap

#endif  // PMAP_LOG_WRITER_H_
