// Template part of engine.h; include that header, not this one.
#ifndef PMAP_ENGINE_INL_H_
#define PMAP_ENGINE_INL_H_

#include "log_writer.h"

namespace pmap {

template <typename Sink>
Engine::Snapshot Engine::EncodeSnapshot(size_t chunk_size, Sink&& sink) const {
  Snapshot info;
  info.generation = generation_ + 1;
  info.records = index_.size();
  info.records_at_start = total_records_;
  info.taken_at_start = taken_log_bytes_;
  std::string chunk;
  chunk.reserve(chunk_size + 64);
  log::AppendFileHeader(generation_ + 1, &chunk);
  index_.ForEach([&](std::string_view key, std::string_view value) {
    log::AppendPut(key, value, &chunk);
    if (chunk.size() >= chunk_size) {
      info.bytes += chunk.size();
      sink(std::string_view(chunk));
      chunk.clear();
    }
    return true;
  });
  if (!chunk.empty()) {
    info.bytes += chunk.size();
    sink(std::string_view(chunk));
  }
  return info;
}

}  // namespace pmap

#endif  // PMAP_ENGINE_INL_H_
