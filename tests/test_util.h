// Helpers shared by the tests: temporary directories, raw file access,
// random data and a reference model of the map.
#ifndef PMAP_TESTS_TEST_UTIL_H_
#define PMAP_TESTS_TEST_UTIL_H_

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "native/store.h"

namespace pmap {
namespace test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string ReadFileOrDie(const std::string& path);
void WriteFileOrDie(const std::string& path, const std::string& contents);
std::vector<std::string> ListDirOrDie(const std::string& dir);

std::string RandomBytes(std::mt19937_64* rng, size_t max_len);

// Reference model: an insertion-ordered map with the documented semantics,
// written the obvious, slow way.
class ModelMap {
 public:
  void Put(const std::string& key, const std::string& value);
  bool Erase(const std::string& key);
  void Clear() { entries_.clear(); }
  const std::vector<std::pair<std::string, std::string>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Every entry of `store` in insertion order.
std::vector<std::pair<std::string, std::string>> Contents(const Store& store);

// Every entry of `engine` in insertion order.
std::vector<std::pair<std::string, std::string>> EntriesOf(const Engine& engine);

}  // namespace test
}  // namespace pmap

#endif  // PMAP_TESTS_TEST_UTIL_H_
