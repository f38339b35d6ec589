// Named settings for an env, task family or schedule ("max_episode_steps=200").
//
// Values are kept as text and converted on request, so they can come from the
// command line or a YAML file alike. Every getter marks its key as used; a
// component calls `reject_unused(owner)` once it has read what it knows, so a
// misspelt key is an error naming the key and the component, never ignored.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace metarl {

class Options {
 public:
  Options() = default;
  Options(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}

  // Parses "key=value,key2=value2" (an empty string gives no options).
  static Options parse(const std::string& text);

  void set(const std::string& key, const std::string& value) { values_[key] = value; }
  bool has(const std::string& key) const { return values_.count(key) > 0; }
  bool empty() const { return values_.empty(); }
  const std::map<std::string, std::string>& values() const { return values_; }

  // Typed getters; `owner` names the component in error messages.
  double get_double(const std::string& owner, const std::string& key, double fallback) const;
  int get_int(const std::string& owner, const std::string& key, int fallback) const;
  bool get_bool(const std::string& owner, const std::string& key, bool fallback) const;
  std::string get_string(const std::string& owner, const std::string& key, const std::string& fallback) const;

  // Throws naming the first key nobody read.
  void reject_unused(const std::string& owner) const;

  std::string to_string() const;

 private:
  const std::string* lookup(const std::string& key) const;

  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
};

}  // namespace metarl
