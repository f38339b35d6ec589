#include "envs/core/schedule_ramp.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "envs/core/error.h"
#include "envs/core/task.h"

namespace metarl {

std::string substitute_task_keys(const std::string& text, const Task* task, const std::string& who) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find('{', pos);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open);
    if (close == std::string::npos) throw_env_error(who, ": unclosed '{' in '", text, "'");
    const std::string key = text.substr(open + 1, close - open - 1);
    if (!task) throw_env_error(who, ": '", text, "' needs the task's '", key, "' but the env has no task");
    const double value = task->get(key);
    std::ostringstream v;
    if (value == std::floor(value) && std::abs(value) < 1e9)
      v << static_cast<long long>(value);
    else
      v.precision(17), v << value;
    out += text.substr(pos, open - pos) + v.str();
    pos = close + 1;
  }
  return out + text.substr(pos);
}

double parse_schedule_number(const std::string& text, const std::string& who, const char* key) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value))
    throw_env_error(who, ": ", key, " '", text, "' is not a finite number");
  return value;
}

double ramp(double from, double to, int position, int length) {
  if (length <= 1) return to;
  const double t = double(std::min(std::max(position, 0), length - 1)) / (length - 1);
  return from + (to - from) * t;
}

}  // namespace metarl
