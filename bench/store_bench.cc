// pmap_bench: pmap::Store against a plain baseline measured in the same run,
// for the workload of docs/BENCHMARKS.md: N entries (PMAP_BENCH_N, default
// 1,000,000) of 16-byte keys and 100-byte pseudo-random values. Each heavy
// measurement is one timed run (Iterations(1), manual time); a summary table
// with ratios and targets follows the Google Benchmark output. The store is
// a Threads::kOne one (this program calls it from one thread, as the Rust
// indexmap_store is used); the Get rows also measure a Threads::kMany one.
// Environment:
//   PMAP_BENCH_N       entries (default 1000000)
//   PMAP_BENCH_SYNC_N  inserts for the sync-every-write runs (default 2000)
//   PMAP_BENCH_DIR     where the temp dir goes (default /var/tmp; /tmp is
//                      often tmpfs, which makes fsync free)
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "native/store.h"
#include "ordered_index.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kKeySize = 16, kValueSize = 100, kHeaderEmu = 9;
constexpr size_t kChunk = 64 << 10;

size_t EnvSize(const char* name, size_t def) {
  const char* v = std::getenv(name);
  return v != nullptr && std::atoll(v) > 0 ? static_cast<size_t>(std::atoll(v)) : def;
}
const size_t N = EnvSize("PMAP_BENCH_N", 1000000);
const size_t kSyncN = EnvSize("PMAP_BENCH_SYNC_N", 2000);

void Die(const char* what, int line) {
  std::fprintf(stderr, "store_bench.cc:%d: %s\n", line, what);
  std::exit(1);
}
#define CHECK_OK(expr) \
  do { pmap::Status s_ = (expr); if (!s_.ok()) Die(s_.ToString().c_str(), __LINE__); } while (0)
#define CHECK_SYS(cond) \
  do { if (!(cond)) Die(#cond " failed", __LINE__); } while (0)

// ---- data set: deterministic keys "key_000000000042" and random values ----
uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
void MakeKey(size_t i, char* out) {  // exactly 16 bytes, no terminator kept
  char buf[32];
  std::snprintf(buf, sizeof(buf), "key_%012zu", i);
  std::memcpy(out, buf, kKeySize);
}
void MakeValue(size_t i, char* out) {
  uint64_t s = i * 0x2545f4914f6cdd1dull + 1;
  for (size_t k = 0; k < kValueSize; k += 8) {
    uint64_t r = SplitMix(&s);
    std::memcpy(out + k, &r, std::min<size_t>(8, kValueSize - k));
  }
}

struct Data {
  std::string keys, values;
  std::vector<uint32_t> random_order;  // N uniform random indices for gets
};
const Data& D() {
  static const Data* d = [] {
    auto* x = new Data;
    x->keys.resize(N * kKeySize);
    x->values.resize(N * kValueSize);
    for (size_t i = 0; i < N; ++i) {
      MakeKey(i, &x->keys[i * kKeySize]);
      MakeValue(i, &x->values[i * kValueSize]);
    }
    uint64_t s = 42;
    x->random_order.resize(N);
    for (auto& r : x->random_order) r = static_cast<uint32_t>(SplitMix(&s) % N);
    return x;
  }();
  return *d;
}
std::string_view Key(size_t i) { return {D().keys.data() + i * kKeySize, kKeySize}; }
std::string_view Value(size_t i) { return {D().values.data() + (i % N) * kValueSize, kValueSize}; }

// ---- environment ----
std::string g_dir;
std::string PathOf(const char* name) { return g_dir + "/" + name; }
void RemoveStore(const std::string& path) {
  ::unlink(path.c_str());
  ::unlink((path + ".lock").c_str());
}
double RssBytes() {
  long pages = 0, resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  CHECK_SYS(f != nullptr && std::fscanf(f, "%ld %ld", &pages, &resident) == 2);
  std::fclose(f);
  return static_cast<double>(resident) * ::sysconf(_SC_PAGESIZE);
}
// Before timed disk work: write back what earlier runs left dirty (and let
// ext4 discard their deleted files) so it is not charged to this run.
void Settle() { ::sync(); }
template <typename F>
double Seconds(F&& f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
// The baselines' log: records of a 9-byte header (length, type; no checksum
// computed), key and value, handed to write() once `chunk` bytes gathered.
class RawLog {
 public:
  RawLog(const std::string& path, bool truncate, size_t chunk = kChunk)
      : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0),
                   0644)),
        chunk_(chunk) {
    CHECK_SYS(fd_ >= 0);
    buf_.reserve(chunk + 256);
  }
  ~RawLog() { ::close(fd_); }
  void Add(std::string_view k, std::string_view v) {
    char hdr[kHeaderEmu] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint32_t len = static_cast<uint32_t>(1 + k.size() + v.size());
    std::memcpy(hdr + 4, &len, 4);
    buf_.append(hdr, kHeaderEmu).append(k).append(v);
    if (buf_.size() >= chunk_) Drain();
  }
  void Drain() {
    for (size_t off = 0; off < buf_.size();) {
      ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
      CHECK_SYS(n > 0);
      off += static_cast<size_t>(n);
    }
    buf_.clear();
  }
  void Sync() { Drain(); CHECK_SYS(::fdatasync(fd_) == 0); }

 private:
  int fd_;
  size_t chunk_;
  std::string buf_;
};

// Samples per measurement; the summary uses the median.
std::map<std::string, std::vector<double>> g_results;
void Record(const std::string& name, double v) { g_results[name].push_back(v); }
double Result(const std::string& name) {
  auto it = g_results.find(name);
  if (it == g_results.end() || it->second.empty()) return -1;
  std::vector<double> v = it->second;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
void SetRate(benchmark::State& state, double ops, double secs) {
  state.SetIterationTime(secs);
  state.counters["ops_per_s"] = ops / secs;
  state.counters["ns_per_op"] = secs * 1e9 / ops;
}

pmap::StoreOptions Options(pmap::Durability d, pmap::Threads threads = pmap::Threads::kOne) {
  pmap::StoreOptions o;
  o.durability = d;
  o.threads = threads;
  o.engine.compaction.automatic = false;  // compaction only where measured
  return o;
}

std::unique_ptr<pmap::Store> g_store;  // the loaded N-entry store
std::unordered_map<std::string, std::string> g_map;  // the baseline's map

// Fresh store file, N puts, Flush (one fdatasync). Returns the timed part.
double LoadStore() {
  const std::string path = PathOf("store.pmap");
  g_store.reset();
  RemoveStore(path);
  CHECK_OK(pmap::Store::Open(path, Options(pmap::Durability::kSyncOnFlush), &g_store));
  pmap::Store* st = g_store.get();
  D();
  malloc_trim(0);  // fresh pages, as in a new process, for every repetition
  Settle();
  return Seconds([&] {
    for (size_t i = 0; i < N; ++i) CHECK_OK(st->Put(Key(i), Value(i)));
    CHECK_OK(st->Flush());
  });
}
// unordered_map inserts + 9-byte-header records written in 64 KiB chunks +
// one fdatasync (what the store does, minus checksums and its own index).
double LoadBaseline() {
  g_map = {};
  D();
  malloc_trim(0);
  Settle();
  RawLog log(PathOf("baseline.log"), /*truncate=*/true);
  return Seconds([&] {
    for (size_t i = 0; i < N; ++i) {
      g_map.emplace(std::string(Key(i)), std::string(Value(i)));
      log.Add(Key(i), Value(i));
    }
    log.Sync();
  });
}
void EnsureStore() { if (!g_store) LoadStore(); }
void EnsureMap() { if (g_map.size() != N) LoadBaseline(); }

// ---- 6. memory, first and in forked children so nothing else pollutes it ----
template <typename F>
std::vector<double> InChild(F&& fn) {
  int p[2];
  CHECK_SYS(::pipe(p) == 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  CHECK_SYS(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    std::vector<double> out = fn();
    ssize_t n = ::write(p[1], out.data(), out.size() * sizeof(double));
    ::_exit(n == static_cast<ssize_t>(out.size() * sizeof(double)) ? 0 : 1);
  }
  ::close(p[1]);
  std::vector<double> out(8, -1);
  ssize_t n = ::read(p[0], out.data(), out.size() * sizeof(double));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.resize(n > 0 ? static_cast<size_t>(n) / sizeof(double) : 0);
  return out;
}
// Calls load(key, value) for every entry, generated on the fly so the data
// set itself is not counted; returns RSS growth per entry.
template <typename Load>
double RssGrowthPerEntry(Load&& load) {
  char k[kKeySize], v[kValueSize];
  malloc_trim(0);
  const double before = RssBytes();
  for (size_t i = 0; i < N; ++i) {
    MakeKey(i, k);
    MakeValue(i, v);
    load(std::string_view(k, kKeySize), std::string_view(v, kValueSize));
  }
  malloc_trim(0);
  return (RssBytes() - before) / N;
}

void BM_Memory(benchmark::State& state) {
  for (auto _ : state) {
    std::vector<double> store = InChild([] {
      std::unique_ptr<pmap::Store> st;
      const std::string path = PathOf("memory.pmap");
      RemoveStore(path);
      CHECK_OK(pmap::Store::Open(path, Options(pmap::Durability::kNone), &st));
      double per = RssGrowthPerEntry([&](auto k, auto v) { CHECK_OK(st->Put(k, v)); });
      return std::vector<double>{per};
    });
    std::vector<double> index = InChild([] {
      pmap::OrderedIndex idx;
      double per = RssGrowthPerEntry([&](auto k, auto v) { idx.Put(k, v); });
      return std::vector<double>{per, static_cast<double>(idx.MemoryUsage()) / N};
    });
    std::vector<double> umap = InChild([] {
      std::unordered_map<std::string, std::string> m;
      double per = RssGrowthPerEntry(
          [&](auto k, auto v) { m.emplace(std::string(k), std::string(v)); });
      return std::vector<double>{per};
    });
    RemoveStore(PathOf("memory.pmap"));
    if (store.size() != 1 || index.size() != 2 || umap.size() != 1) {
      state.SkipWithError("memory child failed");
      break;
    }
    state.SetIterationTime(1);  // not a timing
    Record("mem_store", store[0]);
    Record("mem_index_rss", index[0]);
    Record("mem_index_usage", index[1]);
    Record("mem_umap", umap[0]);
    state.counters["store_rss_B_per_entry"] = store[0];
    state.counters["index_MemoryUsage_B_per_entry"] = index[1];
    state.counters["unordered_map_rss_B_per_entry"] = umap[0];
  }
}

// ---- 1 + 7. put, log bytes per entry ----
void BM_Put_Pmap(benchmark::State& state) {
  for (auto _ : state) {
    double secs = LoadStore();
    SetRate(state, N, secs);
    Record("put", N / secs);
    pmap::EngineStats st = g_store->stats();
    Record("log_bytes", static_cast<double>(st.log_bytes) / N);
    state.counters["log_B_per_entry"] = static_cast<double>(st.log_bytes) / N;
  }
}
void BM_Put_Baseline(benchmark::State& state) {
  for (auto _ : state) {
    double secs = LoadBaseline();
    SetRate(state, N, secs);
    Record("put_base", N / secs);
  }
}

// ---- 2. random get ----
// Closes the loaded store and opens its file again with `threads` (untimed).
void ReopenStore(pmap::Threads threads) {
  CHECK_OK(g_store->Close());
  g_store.reset();
  CHECK_OK(pmap::Store::Open(PathOf("store.pmap"), Options(pmap::Durability::kSyncOnFlush, threads),
                             &g_store));
}
// CPU time of this thread: the gets do no I/O, and on a shared machine the
// wall clock mostly measures the other jobs.
double CpuSeconds() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
template <typename F>
double CpuSecondsOf(F&& f) {
  const double t0 = CpuSeconds();
  f();
  return CpuSeconds() - t0;
}
// N gets in random order: Get copying into a reused string, or string_view
// reads under one ReadGuard per 1,000 keys. Returns CPU seconds.
double TimeGets(bool views) {
  const std::vector<uint32_t>& order = D().random_order;
  std::string out;
  size_t hits = 0, bytes = 0;
  double secs = CpuSecondsOf([&] {
    if (!views) {
      for (uint32_t i : order) hits += g_store->Get(Key(i), &out);
      return;
    }
    for (size_t start = 0; start < order.size(); start += 1000) {
      pmap::Store::ReadGuard guard(*g_store);
      for (size_t j = start; j < std::min(order.size(), start + 1000); ++j) {
        std::string_view v;
        if (guard.Get(Key(order[j]), &v)) {
          ++hits;
          bytes += v.size();
        }
      }
    }
  });
  benchmark::DoNotOptimize(out);
  benchmark::DoNotOptimize(bytes);
  if (hits != N) Die("missing keys", __LINE__);
  return secs;
}
double TimeBaselineGets() {
  std::string key(kKeySize, '\0'), out;
  size_t hits = 0;
  double secs = CpuSecondsOf([&] {
    for (uint32_t i : D().random_order) {
      key.assign(Key(i));  // std::unordered_map<std::string> needs a string
      auto it = g_map.find(key);
      if (it != g_map.end()) {
        out.assign(it->second);
        ++hits;
      }
    }
  });
  benchmark::DoNotOptimize(out);
  if (hits != N) Die("missing keys", __LINE__);
  return secs;
}
// Five rounds, each running the baseline and every flavour once, so that
// each median covers the same stretch of time on a shared machine.
void BM_Get(benchmark::State& state) {
  EnsureStore();
  EnsureMap();
  for (auto _ : state) {
    for (int round = 0; round < 5; ++round) {
      Record("get_base", N / TimeBaselineGets());
      Record("get", N / TimeGets(false));
      Record("get_view", N / TimeGets(true));
      ReopenStore(pmap::Threads::kMany);
      Record("get_many", N / TimeGets(false));
      Record("get_guard", N / TimeGets(true));
      ReopenStore(pmap::Threads::kOne);
    }
    state.SetIterationTime(N / Result("get"));
    state.counters["get_ns"] = 1e9 / Result("get");
    state.counters["view_ns"] = 1e9 / Result("get_view");
    state.counters["kMany_get_ns"] = 1e9 / Result("get_many");
    state.counters["kMany_guard_ns"] = 1e9 / Result("get_guard");
    state.counters["baseline_ns"] = 1e9 / Result("get_base");
  }
}

// ---- 3. reopen (replay); Arg 1 = the file's pages dropped from the cache ----
void DropCache(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  CHECK_SYS(fd >= 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}
void BM_Reopen_Pmap(benchmark::State& state) {
  EnsureStore();
  const bool cold = state.range(0) != 0;
  for (auto _ : state) {
    CHECK_OK(g_store->Close());
    g_store.reset();
    malloc_trim(0);  // the freed index goes back to the OS: replay faults in
                     // fresh pages, as a new process would
    if (cold) DropCache(PathOf("store.pmap"));
    double secs = Seconds([&] {
      CHECK_OK(pmap::Store::Open(PathOf("store.pmap"),
                                 Options(pmap::Durability::kSyncOnFlush), &g_store));
    });
    if (g_store->size() != N) state.SkipWithError("wrong size after reopen");
    SetRate(state, N, secs);
    Record(cold ? "reopen_cold" : "reopen", secs);
  }
}
void BM_Reopen_Baseline(benchmark::State& state) {  // read the file, pure I/O
  EnsureStore();
  const bool cold = state.range(0) != 0;
  const std::string path = PathOf("store.pmap");
  for (auto _ : state) {
    if (cold) DropCache(path);
    malloc_trim(0);
    std::string contents;
    double secs = Seconds([&] {
      int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      CHECK_SYS(fd >= 0);
      struct stat sb;
      CHECK_SYS(::fstat(fd, &sb) == 0);
      contents.resize(static_cast<size_t>(sb.st_size));
      for (size_t off = 0; off < contents.size();) {
        ssize_t n = ::read(fd, &contents[off], contents.size() - off);
        CHECK_SYS(n > 0);
        off += static_cast<size_t>(n);
      }
      ::close(fd);
    });
    benchmark::DoNotOptimize(contents.data());
    SetRate(state, N, secs);
    Record(cold ? "reopen_cold_base" : "reopen_base", secs);
  }
}

// ---- 4. overwrite every key once (log = 2N records), then Compact() ----
void BM_Compaction_Pmap(benchmark::State& state) {
  EnsureStore();
  static size_t round = 0;
  for (auto _ : state) {
    const size_t r = ++round;  // value of key i becomes Value(i + r)
    Settle();
    double ow = Seconds([&] {
      for (size_t i = 0; i < N; ++i) CHECK_OK(g_store->Put(Key(i), Value(i + r)));
    });
    const pmap::EngineStats before = g_store->stats();
    double comp = Seconds([&] { CHECK_OK(g_store->Compact()); });
    const pmap::EngineStats after = g_store->stats();
    if (after.live_records != N || after.total_records != N) state.SkipWithError("bad compaction");
    SetRate(state, N, ow + comp);
    state.counters["overwrite_s"] = ow;
    state.counters["compact_s"] = comp;
    state.counters["log_MB_before"] = before.log_bytes / 1e6;
    state.counters["log_MB_after"] = after.log_bytes / 1e6;
    Record("overwrite", N / ow);
    Record("compact", comp);
    Record("overwrite_incl", N / (ow + comp));
  }
}
void BM_Compaction_Baseline(benchmark::State& state) {
  EnsureMap();
  static size_t round = 0;
  const std::string log_path = PathOf("baseline.log"), tmp = PathOf("baseline.tmp");
  std::string key(kKeySize, '\0');
  for (auto _ : state) {
    const size_t r = ++round;
    Settle();
    double ow = Seconds([&] {  // map update + appended record
      RawLog log(log_path, /*truncate=*/false);
      for (size_t i = 0; i < N; ++i) {
        key.assign(Key(i));
        g_map.find(key)->second.assign(Value(i + r));
        log.Add(key, Value(i + r));
      }
      log.Drain();
    });
    double comp = Seconds([&] {  // rewrite live entries, fsync, rename, fsync dir
      {
        RawLog out(tmp, /*truncate=*/true, 1 << 20);
        for (const auto& kv : g_map) out.Add(kv.first, kv.second);
        out.Sync();
      }
      CHECK_SYS(::rename(tmp.c_str(), log_path.c_str()) == 0);
      int dfd = ::open(g_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      CHECK_SYS(dfd >= 0 && ::fsync(dfd) == 0);
      ::close(dfd);
    });
    SetRate(state, N, ow + comp);
    state.counters["overwrite_s"] = ow;
    state.counters["compact_s"] = comp;
    Record("overwrite_base", N / ow);
    Record("compact_base", comp);
    Record("overwrite_incl_base", N / (ow + comp));
  }
}

// ---- 5. kSyncEveryWrite: kSyncN inserts over range(0) threads ----
void BM_SyncEveryWrite_Pmap(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const size_t per = kSyncN / threads;
  const std::string path = PathOf("sync.pmap");
  D();
  for (auto _ : state) {
    std::unique_ptr<pmap::Store> st;
    RemoveStore(path);
    CHECK_OK(pmap::Store::Open(
        path, Options(pmap::Durability::kSyncEveryWrite, pmap::Threads::kMany), &st));
    Settle();
    std::atomic<bool> go{false};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        while (!go.load()) std::this_thread::yield();
        for (size_t j = t * per; j < (t + 1) * per; ++j) CHECK_OK(st->Put(Key(j), Value(j)));
      });
    }
    double secs = Seconds([&] {
      go = true;
      for (auto& th : ts) th.join();
    });
    SetRate(state, per * threads, secs);
    Record("sync_" + std::to_string(threads), per * threads / secs);
  }
  RemoveStore(path);
}
void BM_SyncEveryWrite_Baseline(benchmark::State& state) {  // write()+fdatasync
  const std::string path = PathOf("sync_baseline.log");
  D();
  for (auto _ : state) {
    RawLog log(path, /*truncate=*/true, /*chunk=*/1);  // every Add is a write()
    Settle();
    double secs = Seconds([&] {
      for (size_t i = 0; i < kSyncN; ++i) {
        log.Add(Key(i), Value(i));
        log.Sync();
      }
    });
    SetRate(state, kSyncN, secs);
    Record("sync_base", kSyncN / secs);
  }
  ::unlink(path.c_str());
}

#define HEAVY(fn) BENCHMARK(fn)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond)
HEAVY(BM_Memory);  // first: before the data set and the other loads exist
// Sync runs before the bulk runs write gigabytes the (virtual) disk would
// still be busy with.
HEAVY(BM_SyncEveryWrite_Pmap)->Arg(1)->Arg(4);
HEAVY(BM_SyncEveryWrite_Baseline);
HEAVY(BM_Put_Pmap);
HEAVY(BM_Put_Baseline);
HEAVY(BM_Get);
HEAVY(BM_Reopen_Pmap)->Arg(0)->Arg(1);
HEAVY(BM_Reopen_Baseline)->Arg(0)->Arg(1);
HEAVY(BM_Compaction_Pmap);
HEAVY(BM_Compaction_Baseline);

// ---- summary: one line per measurement, ratio = our cost / baseline cost ----
struct Line {
  const char* what;
  const char* ours;  // keys into g_results
  const char* base;
  char unit;         // 'r' ops/s, 's' seconds, 'B' bytes per entry
  const char* target;
  double max_ratio, max_ours, min_ours;  // 0 = not part of the target
};
const Line kLines[] = {
    {"1. put N + Flush (inserts/s)", "put", "put_base", 'r', "<= 2x base", 2, 0, 0},
    {"2. random Get (gets/s, CPU time)", "get", "get_base", 'r', "<= 0.65x", 0.65, 0, 0},
    {"2b. ReadGuard views, no copy", "get_view", "get_base", 'r', "-", 0, 0, 0},
    {"2c. Get, Threads::kMany", "get_many", "get_base", 'r', "-", 0, 0, 0},
    {"2d. ReadGuard views, Threads::kMany", "get_guard", "get_base", 'r', "-", 0, 0, 0},
    {"3. reopen N, warm cache (s)", "reopen", "reopen_base", 's', "<= 0.5 s", 0, 0.5, 0},
    {"3b. reopen N, file evicted (s)", "reopen_cold", "reopen_cold_base", 's', "-", 0, 0, 0},
    {"4a. overwrite N, no compaction (/s)", "overwrite", "overwrite_base", 'r', "-", 0, 0, 0},
    {"4b. Compact() of 2N records (s)", "compact", "compact_base", 's', "-", 0, 0, 0},
    {"4c. overwrites/s incl. compaction", "overwrite_incl", "overwrite_incl_base", 'r', "-", 0, 0,
     0},
    {"5a. kSyncEveryWrite, 1 thread", "sync_1", "sync_base", 'r', "-", 0, 0, 0},
    {"5b. kSyncEveryWrite, 4 threads", "sync_4", "sync_base", 'r', "-", 0, 0, 0},
    {"6a. Store RSS growth (B/entry)", "mem_store", "raw", 'B', "<= 2x raw", 2, 0, 0},
    {"6b. OrderedIndex RSS growth", "mem_index_rss", "raw", 'B', "-", 0, 0, 0},
    {"6c. OrderedIndex::MemoryUsage()/N", "mem_index_usage", "raw", 'B', "-", 0, 0, 0},
    {"6d. unordered_map RSS (context)", "mem_umap", "raw", 'B', "-", 0, 0, 0},
    {"7. log bytes per entry", "log_bytes", "raw", 'B', "<= 132 B", 0, 132, 0},
};
std::string Fmt(double v, char unit) {
  char b[32];
  if (v < 0) return "n/a";
  if (unit == 'r') std::snprintf(b, sizeof b, v >= 1e6 ? "%.2fM/s" : "%.1fk/s", v >= 1e6 ? v / 1e6 : v / 1e3);
  else std::snprintf(b, sizeof b, unit == 's' ? "%.3f s" : "%.1f B", v);
  return b;
}
void PrintSummary() {
  Record("raw", kKeySize + kValueSize);
  std::printf(
      "\npmap_bench summary: N=%zu, %zu-byte keys, %zu-byte values, %zu sync inserts\n"
      "ratio = our cost / baseline cost (time per op, or bytes); > 1 = slower/bigger\n\n"
      "| %-36s | %10s | %10s | %6s | %-10s | %-4s |\n"
      "|%s|------------|------------|--------|------------|------|\n",
      N, kKeySize, kValueSize, kSyncN, "measurement", "ours", "baseline", "ratio", "target", "met",
      std::string(38, '-').c_str());
  for (const Line& l : kLines) {
    const double ours = Result(l.ours), base = Result(l.base);
    double ratio = ours > 0 && base > 0 ? (l.unit == 'r' ? base / ours : ours / base) : -1;
    char r[16] = "n/a";
    if (ratio > 0) std::snprintf(r, sizeof r, "%.2fx", ratio);
    const char* met = "";
    if (ours > 0 && (l.max_ratio > 0 || l.max_ours > 0 || l.min_ours > 0)) {
      bool ok = (l.max_ratio == 0 || (ratio > 0 && ratio <= l.max_ratio)) &&
                (l.max_ours == 0 || ours <= l.max_ours) && (l.min_ours == 0 || ours >= l.min_ours);
      met = ok ? "yes" : "NO";
    }
    std::printf("| %-36s | %10s | %10s | %6s | %-10s | %-4s |\n", l.what, Fmt(ours, l.unit).c_str(),
                Fmt(base, l.unit).c_str(), r, l.target, met);
  }
  std::printf(
      "\nbaselines: 1 unordered_map + 125-byte records in 64 KiB write()s + fdatasync;"
      " 2 unordered_map find + copy,\n 5 interleaved rounds, CPU time; 3 read() of the log file;"
      " 4 map update + appended records,\n then rewrite + fdatasync + rename; 5 write()+fdatasync"
      " per 125-byte"
      " record, 1 thread; 6/7 raw key+value bytes (116).\n"
      "The store is Threads::kOne except in 2c/2d and 5. 132 B: indexmap_store's log"
      " bytes per entry.\n");
}

const char* FsName(const std::string& dir) {
  struct statfs sf;
  if (::statfs(dir.c_str(), &sf) != 0) return "?";
  switch (static_cast<unsigned long>(sf.f_type)) {
    case 0xEF53: return "ext2/3/4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return "other";
  }
}

void RemoveDir(const std::string& dir) {
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        ::unlink((dir + "/" + e->d_name).c_str());
      }
    }
    ::closedir(d);
  }
  ::rmdir(dir.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const char* base = std::getenv("PMAP_BENCH_DIR");
  std::string tmpl = std::string(base != nullptr ? base : "/var/tmp") + "/pmap_bench.XXXXXX";
  CHECK_SYS(::mkdtemp(&tmpl[0]) != nullptr);
  g_dir = tmpl;
  char load[64] = "?";
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fgets(load, sizeof load, f) == nullptr) std::strcpy(load, "?\n");
    std::fclose(f);
  }
  std::printf("pmap_bench: N=%zu, store dir %s (%s), load average %s", N, g_dir.c_str(),
              FsName(g_dir), load);
  if (std::strcmp(FsName(g_dir), "tmpfs") == 0) {
    std::printf("WARNING: tmpfs: fsync costs nothing here; set PMAP_BENCH_DIR to a disk\n");
  }
  std::fflush(stdout);
  benchmark::RunSpecifiedBenchmarks();
  g_store.reset();
  PrintSummary();
  RemoveDir(g_dir);
  benchmark::Shutdown();
  return 0;
}
