#include "client_table.h"

#include <algorithm>

namespace pmap {

void ClientTable::Logged(uint64_t client, uint64_t seq) {
  Entry& e = entries_.try_emplace(client, Entry{seq, 0}).first->second;
  e.seq = std::max(e.seq, seq);
  e.logged = ++clock_;
}

uint64_t ClientTable::Seq(uint64_t client) const {
  auto it = entries_.find(client);
  return it == entries_.end() ? 0 : it->second.seq;
}

void ClientTable::Clear() {
  entries_.clear();
  clock_ = 0;
}

std::vector<ClientEntry> ClientTable::Latest(size_t max,
                                             uint64_t* cutoff) const {
  std::vector<std::pair<uint64_t, ClientEntry>> all;  // (logged, entry)
  all.reserve(entries_.size());
  for (const auto& [client, e] : entries_) {
    all.push_back({e.logged, ClientEntry{client, e.seq}});
  }
  auto later = [](const auto& a, const auto& b) { return a.first > b.first; };
  if (all.size() > max) {
    std::nth_element(all.begin(), all.begin() + max, all.end(), later);
    all.resize(max);
  }
  std::sort(all.begin(), all.end(), later);
  *cutoff = all.empty() ? 0 : all.back().first;
  std::vector<ClientEntry> out;
  out.reserve(all.size());
  for (auto it = all.rbegin(); it != all.rend(); ++it) out.push_back(it->second);
  return out;
}

void ClientTable::DropBefore(uint64_t cutoff) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.logged < cutoff ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace pmap
