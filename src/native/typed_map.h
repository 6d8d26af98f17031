// TypedMap<V>: the Store with values of any type nlohmann::json can convert
// (user types through to_json/from_json), stored with the default value
// codec so pmap and the JavaScript API read them. Methods: insert, get,
// remove, contains_key, len, is_empty, clear, flush, modify, get_index.
#ifndef PMAP_NATIVE_TYPED_MAP_H_
#define PMAP_NATIVE_TYPED_MAP_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "native/store.h"
#include "value_codec.h"

namespace pmap {

template <typename V>
class TypedMap {
 public:
  static Status Open(const std::string& path, const StoreOptions& options,
                     std::unique_ptr<TypedMap>* map) {
    std::unique_ptr<Store> store;
    Status s = Store::Open(path, options, &store);
    if (s.ok()) map->reset(new TypedMap(std::move(store)));
    return s;
  }

  Status Insert(std::string_view key, const V& value) {
    std::string bytes;
    Status s = Encode(value, &bytes);
    return s.ok() ? store_->Put(key, bytes) : s;
  }

  // NotFound if absent; InvalidArgument if the stored value does not
  // convert to V; Corruption if it is not a JSON value at all.
  Status Get(std::string_view key, V* value) const {
    std::string bytes;
    if (!store_->Get(key, &bytes)) {
      return Status::NotFound("no key '" + std::string(key) + "'");
    }
    return Decode(bytes, value);
  }

  Status Remove(std::string_view key, bool* existed = nullptr) {
    return store_->Delete(key, existed);
  }
  bool ContainsKey(std::string_view key) const { return store_->Contains(key); }
  size_t Len() const { return store_->size(); }
  bool IsEmpty() const { return store_->size() == 0; }
  Status Clear() { return store_->Clear(); }
  Status Flush() { return store_->Flush(); }

  // Updates the value of `key` in place; persisted as a put. NotFound if
  // absent.
  Status Modify(std::string_view key, const std::function<void(V&)>& fn) {
    Status inner;
    Status s = store_->Modify(key, [&](std::string* bytes) {
      V value;
      inner = Decode(*bytes, &value);
      if (!inner.ok()) return false;
      fn(value);
      inner = Encode(value, bytes);
      return inner.ok();
    });
    return s.ok() ? inner : s;
  }

  // The i-th entry in insertion order.
  Status GetIndex(size_t i, std::string* key, V* value) const {
    std::string bytes;
    if (!store_->At(i, key, &bytes)) {
      return Status::NotFound("index " + std::to_string(i) + " is past the end");
    }
    return Decode(bytes, value);
  }

  Store& store() { return *store_; }

 private:
  explicit TypedMap(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  static Status Encode(const V& value, std::string* bytes) {
    try {
      return EncodeValue(nlohmann::json(value), bytes);
    } catch (const nlohmann::json::exception& e) {
      return Status::InvalidArgument(std::string("value does not convert to JSON: ") + e.what());
    }
  }

  static Status Decode(std::string_view bytes, V* value) {
    nlohmann::json j;
    Status s = DecodeValue(bytes, &j);
    if (!s.ok()) return s;
    try {
      *value = j.get<V>();
    } catch (const nlohmann::json::exception& e) {
      return Status::InvalidArgument(std::string("stored value does not convert: ") + e.what());
    }
    return Status::OK();
  }

  std::unique_ptr<Store> store_;
};

}  // namespace pmap

#endif  // PMAP_NATIVE_TYPED_MAP_H_
