#include "envs/core/task.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "envs/core/env.h"
#include "envs/core/error.h"

namespace metarl {
namespace {

bool is_identifier(const std::string& s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

}  // namespace

Task::Task(std::string family, std::vector<Param> params) : family_(std::move(family)), params_(std::move(params)) {
  if (!is_identifier(family_)) throw_env_error("task: family name '", family_, "' is not an identifier");
  for (const auto& [key, value] : params_) {
    if (!is_identifier(key)) throw_env_error("task ", family_, ": parameter name '", key, "' is not an identifier");
    if (!std::isfinite(value)) throw_env_error("task ", family_, ": parameter ", key, " is not finite");
  }
}

bool Task::has(const std::string& key) const {
  for (const auto& p : params_)
    if (p.first == key) return true;
  return false;
}

double Task::get(const std::string& key) const {
  for (const auto& p : params_)
    if (p.first == key) return p.second;
  throw_env_error("task ", to_string(), " has no parameter '", key, "'");
}

std::string Task::to_string() const {
  std::string out = family_ + "(";
  char number[32];
  for (size_t i = 0; i < params_.size(); ++i) {
    std::snprintf(number, sizeof number, "%.17g", params_[i].second);
    out += (i ? ", " : "") + params_[i].first + "=" + number;
  }
  return out + ")";
}

Task Task::parse(const std::string& text) {
  const std::string s = trim(text);
  const auto open = s.find('(');
  if (open == std::string::npos || s.back() != ')')
    throw_env_error("task: cannot parse '", text, "' (expected Family(key=value, ...))");
  const std::string family = trim(s.substr(0, open));
  const std::string body = s.substr(open + 1, s.size() - open - 2);
  std::vector<Param> params;
  size_t start = 0;
  while (start <= body.size() && !trim(body).empty()) {
    const auto comma = body.find(',', start);
    const std::string item = trim(body.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    const auto eq = item.find('=');
    if (eq == std::string::npos) throw_env_error("task: cannot parse '", item, "' in '", text, "' (expected key=value)");
    const std::string key = trim(item.substr(0, eq));
    const std::string number = trim(item.substr(eq + 1));
    errno = 0;
    char* end = nullptr;
    const double value = std::strtod(number.c_str(), &end);
    if (number.empty() || *end != '\0' || errno == ERANGE)
      throw_env_error("task: value '", number, "' of ", key, " in '", text, "' is not a number");
    params.emplace_back(key, value);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return Task(family, std::move(params));
}

void TaskFamily::apply(Env& env, const Task& task) const {
  if (task.family() != name_)
    throw_env_error("task family ", name_, ": cannot apply task ", task.to_string(), " of another family");
  env.set_task_schedule(nullptr);  // the previous task's; configure may install this task's
  configure(env, task);
  env.begin_task(task);
}

}  // namespace metarl
