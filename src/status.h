// Status: the outcome of an operation, an error code plus a message a person
// can act on. Errors are values in this project: no exception crosses a public
// API of the core or the native driver.
#ifndef PMAP_STATUS_H_
#define PMAP_STATUS_H_

#include <string>
#include <utility>

namespace pmap {

class Status {
 public:
  // The codes mirror the `code` of the JavaScript errors (IO, LOCKED, ...).
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the caller misused the API; nothing was changed
    kCorruption,       // the data on disk is bad
    kIOError,          // the operating system refused a read/write/sync
    kLocked,           // another writer holds the store
    kNotFound,         // a file or key that must exist does not
    kClosed,           // the store was closed or failed and must be reopened
    kFailedPrecondition,  // not possible in the current state (e.g. the
                          // log's format version); nothing was changed
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Corruption(std::string msg) {
    return Status(Code::kCorruption, std::move(msg));
  }
  static Status IOError(std::string msg) {
    return Status(Code::kIOError, std::move(msg));
  }
  static Status Locked(std::string msg) {
    return Status(Code::kLocked, std::move(msg));
  }
  static Status NotFound(std::string msg) {
    return Status(Code::kNotFound, std::move(msg));
  }
  static Status Closed(std::string msg) {
    return Status(Code::kClosed, std::move(msg));
  }

  static Status FailedPrecondition(std::string msg) {
    return Status(Code::kFailedPrecondition, std::move(msg));
  }

  bool ok() const { return code_ == Code::kOk; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsLocked() const { return code_ == Code::kLocked; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsClosed() const { return code_ == Code::kClosed; }
  bool IsFailedPrecondition() const {
    return code_ == Code::kFailedPrecondition;
  }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same code with the message prefixed by "context: ".
  Status WithContext(const std::string& context) const {
    return Status(code_, context + ": " + message_);
  }

  // Short upper-case name of the code, as the JavaScript API spells it:
  // "OK", "INVALID", "CORRUPT", "IO", "LOCKED", "NOT_FOUND", "CLOSED",
  // "FAILED_PRECONDITION".
  const char* CodeName() const;
  // "CORRUPT: log record at byte 4096 has a bad checksum".
  std::string ToString() const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace pmap

#endif  // PMAP_STATUS_H_
