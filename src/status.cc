#include "status.h"

namespace pmap {

const char* Status::CodeName() const {
  switch (code_) {
    case Code::kOk:
      return "OK";
    case Code::kInvalidArgument:
      return "INVALID";
    case Code::kCorruption:
      return "CORRUPT";
    case Code::kIOError:
      return "IO";
    case Code::kLocked:
      return "LOCKED";
    case Code::kNotFound:
      return "NOT_FOUND";
    case Code::kClosed:
      return "CLOSED";
    case Code::kFailedPrecondition:
      return "FAILED_PRECONDITION";
  }
  return "UNKNOWN";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName()) + ": " + message_;
}

}  // namespace pmap
