// ClientTable: for every client id that has written TAGGED records, the
// highest sequence number the log holds for it (docs/FORMAT.md, "Clients").
// A new sequencer asks it which of a client's writes were logged, so that
// none is applied twice. It also remembers which client was logged latest,
// so that a snapshot can keep the most recent ones.
#ifndef PMAP_CLIENT_TABLE_H_
#define PMAP_CLIENT_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace pmap {

struct ClientEntry {
  uint64_t client = 0;
  uint64_t seq = 0;
};

class ClientTable {
 public:
  // The log has just recorded `seq` for `client` (a TAGGED record, or an
  // entry of a CLIENTS record): its entry becomes max(entry, seq) and the
  // latest logged.
  void Logged(uint64_t client, uint64_t seq);
  // The highest sequence number logged for `client`, 0 if none.
  uint64_t Seq(uint64_t client) const;
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void Clear();

  // At most `max` entries, those logged latest, oldest first (the order
  // that replays to the same recency). Sets *cutoff to a mark such that
  // DropBefore(*cutoff) keeps exactly these and any logged later.
  std::vector<ClientEntry> Latest(size_t max, uint64_t* cutoff) const;
  void DropBefore(uint64_t cutoff);

 private:
  struct Entry {
    uint64_t seq;
    uint64_t logged;  // clock_ when last logged
  };
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t clock_ = 0;
};

}  // namespace pmap

#endif  // PMAP_CLIENT_TABLE_H_
