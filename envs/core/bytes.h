// Raw byte (de)serialisation for checkpoints of simulation state. The format
// is this build's memory layout: checkpoints are for resuming on the same
// build, not for exchange.
#pragma once

#include <cstring>
#include <string>

#include "envs/core/error.h"

namespace metarl {

inline void append_bytes(std::string& out, const void* data, size_t size) {
  out.append(static_cast<const char*>(data), size);
}

inline void read_bytes(const std::string& in, size_t& offset, void* data, size_t size, const std::string& who) {
  if (offset + size > in.size()) throw_env_error(who, ": checkpoint state is truncated");
  std::memcpy(data, in.data() + offset, size);
  offset += size;
}

}  // namespace metarl
