// The one exception type of the simulation layer. Messages are one line and
// name what was wrong (env, file, key, value), so the command-line program can
// print them as they are.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace metarl {

class EnvError : public std::runtime_error {
 public:
  explicit EnvError(const std::string& message) : std::runtime_error(message) {}
};

// Builds a message from streamable pieces: throw_env_error("Ant: action[", i, "] is NaN").
template <typename... Parts>
[[noreturn]] void throw_env_error(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  throw EnvError(out.str());
}

}  // namespace metarl
