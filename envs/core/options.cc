#include "envs/core/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "envs/core/error.h"

namespace metarl {

Options Options::parse(const std::string& text) {
  Options options;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (item.empty()) continue;
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      throw_env_error("options: '", item, "' is not of the form key=value");
    options.set(item.substr(0, eq), item.substr(eq + 1));
  }
  return options;
}

const std::string* Options::lookup(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end()) return nullptr;
  used_.insert(key);
  return &it->second;
}

double Options::get_double(const std::string& owner, const std::string& key, double fallback) const {
  const std::string* text = lookup(key);
  if (!text) return fallback;
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || errno == ERANGE || !std::isfinite(value))
    throw_env_error(owner, ": option ", key, "='", *text, "' is not a finite number");
  return value;
}

int Options::get_int(const std::string& owner, const std::string& key, int fallback) const {
  const std::string* text = lookup(key);
  if (!text) return fallback;
  errno = 0;
  char* end = nullptr;
  const long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno == ERANGE || value < INT32_MIN || value > INT32_MAX)
    throw_env_error(owner, ": option ", key, "='", *text, "' is not an integer");
  return static_cast<int>(value);
}

bool Options::get_bool(const std::string& owner, const std::string& key, bool fallback) const {
  const std::string* text = lookup(key);
  if (!text) return fallback;
  if (*text == "true" || *text == "1") return true;
  if (*text == "false" || *text == "0") return false;
  throw_env_error(owner, ": option ", key, "='", *text, "' is not true/false");
}

std::string Options::get_string(const std::string& owner, const std::string& key,
                                const std::string& fallback) const {
  (void)owner;
  const std::string* text = lookup(key);
  return text ? *text : fallback;
}

void Options::reject_unused(const std::string& owner) const {
  for (const auto& [key, value] : values_)
    if (!used_.count(key)) throw_env_error(owner, ": unknown option '", key, "' (value '", value, "')");
}

std::string Options::to_string() const {
  std::string out;
  for (const auto& [key, value] : values_) out += (out.empty() ? "" : ",") + key + "=" + value;
  return out;
}

}  // namespace metarl
