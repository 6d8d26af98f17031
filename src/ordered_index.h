// OrderedIndex: the in-memory state of a store, a hash map from key to value
// that remembers insertion order.
//
//   * Put of a new key appends it; Put of an existing key replaces the value
//     and keeps the position. Erase keeps the order of the rest; a key put
//     again after an erase goes to the end.
//   * Get/Put/Erase are O(1) amortised. At(i), the i-th entry in insertion
//     order, is O(1) while nothing has been erased and O(log n) otherwise,
//     after PreparePositions() (amortised O(1) per write since its last call).
//
// Layout: entries live in a vector of slots in insertion order; an erase
// leaves a hole that is squeezed out once holes outnumber entries. An
// open-addressing table maps key hash -> slot. A Fenwick tree over the slots
// (live = 1, hole = 0), maintained lazily, turns a position into a slot.
//
// Not thread-safe; const methods may be called concurrently with each other.
#ifndef PMAP_ORDERED_INDEX_H_
#define PMAP_ORDERED_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace pmap {

class OrderedIndex {
 public:
  OrderedIndex();
  ~OrderedIndex();
  OrderedIndex(const OrderedIndex&) = delete;
  OrderedIndex& operator=(const OrderedIndex&) = delete;
  OrderedIndex(OrderedIndex&& other) noexcept;
  OrderedIndex& operator=(OrderedIndex&& other) noexcept;

  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }

  // Sets *value (valid until the next non-const call) and returns true if
  // `key` is present.
  bool Get(std::string_view key, std::string_view* value) const;
  bool Contains(std::string_view key) const { return FindBucket(key, Hash(key)) >= 0; }

  // Inserts at the end or replaces in place. Returns true if the key was new.
  bool Put(std::string_view key, std::string_view value);
  // Returns false if `key` was absent.
  bool Erase(std::string_view key);
  void Clear();
  // Sizes the table for `n` entries so that loading them does not rehash.
  void Reserve(size_t n);

  // True when At() may be called without PreparePositions() first.
  bool PositionsReady() const;
  void PreparePositions();
  // The i-th entry in insertion order. Requires i < size() and
  // PositionsReady(). Views are valid until the next non-const call.
  void At(size_t i, std::string_view* key, std::string_view* value) const;

  // Calls fn(key, value) for every entry in insertion order until it
  // returns false. Returns false if fn stopped it.
  template <typename Fn>
  bool ForEach(Fn&& fn) const {
    for (const Entry* e : slots_) {
      if (e != nullptr && !fn(e->key(), e->value())) return false;
    }
    return true;
  }

  // Cursors, for an iteration that goes on while the index changes, as a
  // JavaScript Map's does: entries put after it started are visited,
  // erased ones are not, replaced ones show their new value. A cursor
  // stands before an entry (or at the end); squeezing holes and Clear()
  // carry it along. AddCursor() returns its id, at the first entry.
  uint32_t AddCursor();
  // A cursor at the end: entries put from now on are after it.
  uint32_t AddCursorAtEnd();
  void RemoveCursor(uint32_t id);
  // Calls fn(key, value) for the entries from cursor `from` up to cursor
  // `to`, moving `from` past each, until fn returns false (after that
  // entry). Returns true once `from` has reached `to`.
  template <typename Fn>
  bool VisitUpTo(uint32_t from, uint32_t to, Fn&& fn) {
    size_t& slot = cursors_[from];
    const size_t end = cursors_[to];
    while (slot < end) {
      const Entry* e = slots_[slot++];
      if (e != nullptr && !fn(e->key(), e->value())) break;
    }
    return slot >= end;
  }
  // Moves the cursor past `n` entries (fewer at the end), then calls
  // fn(key, value) for the entries from there on, without moving it,
  // until fn returns false or the end.
  template <typename Fn>
  void SkipAndVisit(uint32_t id, size_t n, Fn&& fn) {
    size_t& slot = cursors_[id];
    for (; slot < slots_.size() && (n > 0 || slots_[slot] == nullptr); ++slot) {
      if (slots_[slot] != nullptr) --n;
    }
    for (size_t i = slot; i < slots_.size(); ++i) {
      const Entry* e = slots_[i];
      if (e != nullptr && !fn(e->key(), e->value())) return;
    }
  }

  // Bytes of memory held, including allocator rounding estimates.
  size_t MemoryUsage() const;

  static uint32_t Hash(std::string_view key);

 private:
  struct Entry {
    uint32_t hash;
    uint32_t key_len;
    uint32_t value_len;
    uint32_t value_cap;
    char* bytes() { return reinterpret_cast<char*>(this + 1); }
    const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
    std::string_view key() const { return {bytes(), key_len}; }
    std::string_view value() const { return {bytes() + key_len, value_len}; }
  };
  struct Bucket {
    uint32_t slot_plus1;  // 0 = empty
    uint32_t hash;
  };

  static Entry* NewEntry(uint32_t hash, std::string_view key, std::string_view value);
  // Index of the bucket holding `key`, or -1.
  int64_t FindBucket(std::string_view key, uint32_t hash) const;
  void InsertBucket(uint32_t slot, uint32_t hash);
  void EraseBucket(size_t bucket);
  void Rehash(size_t capacity);
  void SqueezeHoles();
  void FreeAll();

  std::vector<Entry*> slots_;     // insertion order; nullptr = erased
  std::vector<Bucket> buckets_;   // power-of-two size
  size_t live_ = 0;
  size_t holes_ = 0;
  // Fenwick tree over slots_[0, covered_), 1-based in tree_[1..covered_].
  std::vector<uint32_t> tree_;
  size_t covered_ = 0;
  std::vector<uint32_t> pending_erased_;  // covered slots erased since
  std::vector<size_t> cursors_;           // id -> slot; kNoCursor if free
};

}  // namespace pmap

#endif  // PMAP_ORDERED_INDEX_H_
