// Named settings for an env, task family or schedule ("max_episode_steps=200").
//
// Values are kept as text and converted on request, so they can come from the
// command line or a YAML file alike. Every getter marks its key as used.
//
// A registered component declares its options (OptionSpecs: key, type,
// default, range, one line of help); the registry resolves what it is given
// against them (resolve_options: unknown keys, wrong types and values out of
// range are errors naming the key and the component, defaults are filled in)
// and the component reads the complete options with the getters that take no
// fallback. So each default is written once, in the spec.
#pragma once

#include <map>
#include <optional>
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
  // The same for options resolved against specs (which hold every declared
  // key): an absent key is an internal error naming owner and key.
  double get_double(const std::string& owner, const std::string& key) const;
  int get_int(const std::string& owner, const std::string& key) const;
  bool get_bool(const std::string& owner, const std::string& key) const;
  std::string get_string(const std::string& owner, const std::string& key) const;

  // Whether a getter has read `key`.
  bool was_read(const std::string& key) const { return used_.count(key) > 0; }

  // Throws naming the first key nobody read.
  void reject_unused(const std::string& owner) const;

  std::string to_string() const;

 private:
  const std::string* lookup(const std::string& key) const;
  const std::string& require(const std::string& owner, const std::string& key) const;

  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
};

// One declared option of a component: its key, type, default, accepted
// values and one line of help. Built with int_option, double_option, ... and
// narrowed with positive(), at_least(), within() or one_of():
//   int_option("frame_skip", 5, "physics steps per control step").positive()
struct OptionSpec {
  enum class Type { kInt, kDouble, kBool, kString };
  enum class Range { kAny, kPositive, kAtLeast, kWithin, kOneOf };

  std::string key;
  Type type = Type::kString;
  // The default as text, parsed exactly like a given value (doubles are
  // written in their shortest form that reads back to the same double);
  // none: the option is required.
  std::optional<std::string> default_value;
  std::string help;
  Range range = Range::kAny;
  double low = 0, high = 0;          // kAtLeast: low; kWithin: [low, high]
  std::vector<std::string> choices;  // kOneOf (strings)

  OptionSpec positive() const;
  OptionSpec at_least(double bound) const;
  OptionSpec within(double low, double high) const;
  OptionSpec one_of(std::vector<std::string> values) const;

  // "int", "double", "bool" or "string".
  const char* type_name() const;
  // The accepted values in words: "> 0", ">= 1", "in [0, 1]", "train|test|all"; "" for any.
  std::string range_text() const;
};
using OptionSpecs = std::vector<OptionSpec>;

OptionSpec int_option(std::string key, int default_value, std::string help);
OptionSpec double_option(std::string key, double default_value, std::string help);
OptionSpec bool_option(std::string key, bool default_value, std::string help);
OptionSpec string_option(std::string key, std::string default_value, std::string help);
// No default: resolving without it is an error.
OptionSpec required_string_option(std::string key, std::string help);

// `specs` with option `key`'s default replaced by `value` (as text), for a
// variant of a component that keeps its options but not every default;
// throws naming the key when `specs` has none.
OptionSpecs with_default(OptionSpecs specs, const std::string& key, const std::string& value);

// `given` checked against `specs` and completed with their defaults. Errors:
//   "<kind> <name>: unknown option '<key>' (value '<value>')" for an undeclared key,
//   "<name>: option <key>='<value>' is not an integer" (a finite number, true/false) for a wrong type,
//   "<name>: <key> must be positive, got <value>" (>= b, in [a, b], a, b or c) out of range,
//   "<name>: option '<key>' (<help>) is required" for a required key not given.
Options resolve_options(const std::string& kind, const std::string& name, const OptionSpecs& specs,
                        const Options& given);

}  // namespace metarl
