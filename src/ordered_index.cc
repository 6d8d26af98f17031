#include "ordered_index.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

namespace pmap {
namespace {

constexpr size_t kMinBuckets = 16;
constexpr size_t kMinHolesToSqueeze = 64;
constexpr size_t kNoCursor = ~size_t{0};

inline uint64_t Load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

inline size_t LowBit(size_t i) { return i & (~i + 1); }

}  // namespace

uint32_t OrderedIndex::Hash(std::string_view key) {
  // A small multiply-rotate hash with murmur3's finaliser. Native-endian
  // loads are fine: the hash never leaves memory.
  constexpr uint64_t k1 = 0x9e3779b97f4a7c15ull, k2 = 0xc2b2ae3d27d4eb4full;
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = n * k1;
  while (n >= 8) {
    h = Rotl(h ^ (Load64(p) * k2), 31) * k1;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t tail = 0;
    std::memcpy(&tail, p, n);
    h = Rotl(h ^ (tail * k2), 31) * k1;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return static_cast<uint32_t>(h);
}

OrderedIndex::OrderedIndex() : buckets_(kMinBuckets, Bucket{0, 0}) {}

OrderedIndex::~OrderedIndex() { FreeAll(); }

OrderedIndex::OrderedIndex(OrderedIndex&& other) noexcept
    : OrderedIndex() {
  *this = std::move(other);
}

OrderedIndex& OrderedIndex::operator=(OrderedIndex&& other) noexcept {
  if (this != &other) {
    FreeAll();
    slots_ = std::move(other.slots_);
    buckets_ = std::move(other.buckets_);
    live_ = other.live_;
    holes_ = other.holes_;
    tree_ = std::move(other.tree_);
    covered_ = other.covered_;
    pending_erased_ = std::move(other.pending_erased_);
    cursors_ = std::move(other.cursors_);
    other.slots_.clear();
    other.cursors_.clear();
    other.buckets_.assign(kMinBuckets, Bucket{0, 0});
    other.live_ = other.holes_ = other.covered_ = 0;
    other.tree_.clear();
    other.pending_erased_.clear();
  }
  return *this;
}

void OrderedIndex::FreeAll() {
  for (Entry* e : slots_) std::free(e);
  slots_.clear();
}

OrderedIndex::Entry* OrderedIndex::NewEntry(uint32_t hash, std::string_view key,
                                            std::string_view value) {
  void* mem = std::malloc(sizeof(Entry) + key.size() + value.size());
  if (mem == nullptr) throw std::bad_alloc();
  auto* e = static_cast<Entry*>(mem);
  e->hash = hash;
  e->key_len = static_cast<uint32_t>(key.size());
  e->value_len = e->value_cap = static_cast<uint32_t>(value.size());
  if (!key.empty()) std::memcpy(e->bytes(), key.data(), key.size());
  if (!value.empty()) std::memcpy(e->bytes() + key.size(), value.data(), value.size());
  return e;
}

int64_t OrderedIndex::FindBucket(std::string_view key, uint32_t hash) const {
  const size_t mask = buckets_.size() - 1;
  for (size_t b = hash & mask;; b = (b + 1) & mask) {
    const Bucket& bucket = buckets_[b];
    if (bucket.slot_plus1 == 0) return -1;
    if (bucket.hash == hash) {
      const Entry* e = slots_[bucket.slot_plus1 - 1];
      if (e->key() == key) return static_cast<int64_t>(b);
    }
  }
}

void OrderedIndex::InsertBucket(uint32_t slot, uint32_t hash) {
  const size_t mask = buckets_.size() - 1;
  size_t b = hash & mask;
  while (buckets_[b].slot_plus1 != 0) b = (b + 1) & mask;
  buckets_[b] = Bucket{slot + 1, hash};
}

void OrderedIndex::EraseBucket(size_t hole) {
  // Backward-shift deletion keeps every probe sequence unbroken without
  // tombstones in the table.
  const size_t mask = buckets_.size() - 1;
  for (size_t b = (hole + 1) & mask; buckets_[b].slot_plus1 != 0; b = (b + 1) & mask) {
    size_t home = buckets_[b].hash & mask;
    // Move b into the hole if its home is not cyclically in (hole, b].
    if (((b - home) & mask) >= ((b - hole) & mask)) {
      buckets_[hole] = buckets_[b];
      hole = b;
    }
  }
  buckets_[hole] = Bucket{0, 0};
}

void OrderedIndex::Rehash(size_t capacity) {
  buckets_.assign(capacity, Bucket{0, 0});
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] != nullptr) InsertBucket(static_cast<uint32_t>(i), slots_[i]->hash);
  }
}

bool OrderedIndex::Get(std::string_view key, std::string_view* value) const {
  int64_t b = FindBucket(key, Hash(key));
  if (b < 0) return false;
  *value = slots_[buckets_[b].slot_plus1 - 1]->value();
  return true;
}

bool OrderedIndex::Put(std::string_view key, std::string_view value) {
  const uint32_t hash = Hash(key);
  int64_t b = FindBucket(key, hash);
  if (b >= 0) {
    Entry*& e = slots_[buckets_[b].slot_plus1 - 1];
    const bool shrink = value.size() < e->value_cap / 2 && e->value_cap > 64;
    if (value.size() > e->value_cap || shrink) {
      void* mem = std::realloc(e, sizeof(Entry) + e->key_len + value.size());
      if (mem == nullptr) throw std::bad_alloc();
      e = static_cast<Entry*>(mem);
      e->value_cap = static_cast<uint32_t>(value.size());
    }
    e->value_len = static_cast<uint32_t>(value.size());
    if (!value.empty()) std::memmove(e->bytes() + e->key_len, value.data(), value.size());
    return false;
  }
  if ((live_ + 1) * 10 > buckets_.size() * 7) Rehash(buckets_.size() * 2);
  slots_.push_back(NewEntry(hash, key, value));
  InsertBucket(static_cast<uint32_t>(slots_.size() - 1), hash);
  ++live_;
  return true;
}

bool OrderedIndex::Erase(std::string_view key) {
  int64_t b = FindBucket(key, Hash(key));
  if (b < 0) return false;
  const uint32_t slot = buckets_[b].slot_plus1 - 1;
  EraseBucket(static_cast<size_t>(b));
  std::free(slots_[slot]);
  slots_[slot] = nullptr;
  if (slot < covered_) pending_erased_.push_back(slot);
  --live_;
  ++holes_;
  if (holes_ >= kMinHolesToSqueeze && holes_ > live_) SqueezeHoles();
  return true;
}

void OrderedIndex::SqueezeHoles() {
  // A cursor at slot c moves to the number of entries before c.
  std::vector<std::pair<size_t, size_t>> moves;  // (slot, id), by slot
  for (size_t id = 0; id < cursors_.size(); ++id) {
    if (cursors_[id] != kNoCursor) moves.emplace_back(cursors_[id], id);
  }
  std::sort(moves.begin(), moves.end());
  auto move = moves.begin();
  size_t out = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    for (; move != moves.end() && move->first == i; ++move) cursors_[move->second] = out;
    if (slots_[i] != nullptr) slots_[out++] = slots_[i];
  }
  for (; move != moves.end(); ++move) cursors_[move->second] = out;
  slots_.resize(out);
  holes_ = 0;
  tree_.clear();
  covered_ = 0;
  pending_erased_.clear();
  size_t capacity = kMinBuckets;
  while (live_ * 10 > capacity * 7) capacity *= 2;
  if (capacity < buckets_.size() / 4) capacity = buckets_.size() / 4;
  if (capacity < kMinBuckets) capacity = kMinBuckets;
  Rehash(capacity);
}

uint32_t OrderedIndex::AddCursor() {
  for (size_t id = 0; id < cursors_.size(); ++id) {
    if (cursors_[id] == kNoCursor) {
      cursors_[id] = 0;
      return static_cast<uint32_t>(id);
    }
  }
  cursors_.push_back(0);
  return static_cast<uint32_t>(cursors_.size() - 1);
}

uint32_t OrderedIndex::AddCursorAtEnd() {
  const uint32_t id = AddCursor();
  cursors_[id] = slots_.size();
  return id;
}

void OrderedIndex::RemoveCursor(uint32_t id) {
  cursors_[id] = kNoCursor;
  while (!cursors_.empty() && cursors_.back() == kNoCursor) cursors_.pop_back();
}

void OrderedIndex::Clear() {
  // Every entry put from now on is new: the cursors visit them all.
  for (size_t& c : cursors_) {
    if (c != kNoCursor) c = 0;
  }
  FreeAll();
  slots_.shrink_to_fit();
  buckets_.assign(kMinBuckets, Bucket{0, 0});
  buckets_.shrink_to_fit();
  live_ = holes_ = covered_ = 0;
  tree_.clear();
  tree_.shrink_to_fit();
  pending_erased_.clear();
}

void OrderedIndex::Reserve(size_t n) {
  size_t capacity = buckets_.size();
  while (n * 10 > capacity * 7) capacity *= 2;
  if (capacity != buckets_.size()) Rehash(capacity);
  slots_.reserve(n);
}

bool OrderedIndex::PositionsReady() const {
  return holes_ == 0 || (covered_ == slots_.size() && pending_erased_.empty());
}

void OrderedIndex::PreparePositions() {
  if (holes_ == 0) return;
  for (uint32_t slot : pending_erased_) {
    for (size_t k = slot + 1; k <= covered_; k += LowBit(k)) --tree_[k];
  }
  pending_erased_.clear();
  tree_.resize(slots_.size() + 1);
  // Appending node j: it covers (j - lowbit(j), j], which its children
  // j-1, j-1-lowbit(j-1), ... tile; amortised O(1) per node.
  for (size_t j = covered_ + 1; j <= slots_.size(); ++j) {
    uint32_t sum = slots_[j - 1] != nullptr ? 1 : 0;
    for (size_t k = j - 1; k > j - LowBit(j); k -= LowBit(k)) sum += tree_[k];
    tree_[j] = sum;
  }
  covered_ = slots_.size();
}

void OrderedIndex::At(size_t i, std::string_view* key, std::string_view* value) const {
  const Entry* e;
  if (holes_ == 0) {
    e = slots_[i];
  } else {
    // Smallest 1-based j with prefix(j) >= i + 1, by binary lifting.
    size_t pos = 0;
    uint64_t rank = i + 1;
    size_t step = 1;
    while (step * 2 <= covered_) step *= 2;
    for (; step > 0; step >>= 1) {
      if (pos + step <= covered_ && tree_[pos + step] < rank) {
        pos += step;
        rank -= tree_[pos];
      }
    }
    e = slots_[pos];
  }
  *key = e->key();
  *value = e->value();
}

size_t OrderedIndex::MemoryUsage() const {
  // malloc rounds each block up to 16 bytes and adds an 8-byte header.
  size_t bytes = slots_.capacity() * sizeof(Entry*) + buckets_.capacity() * sizeof(Bucket) +
                 tree_.capacity() * sizeof(uint32_t) +
                 pending_erased_.capacity() * sizeof(uint32_t);
  for (const Entry* e : slots_) {
    if (e != nullptr) bytes += (sizeof(Entry) + e->key_len + e->value_cap + 8 + 15) & ~size_t{15};
  }
  return bytes;
}

}  // namespace pmap
