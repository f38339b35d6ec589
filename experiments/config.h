// An experiment's configuration: a YAML file plus command-line overrides.
//
// Components read what they need through typed getters with a default; every
// getter records the value actually used, so `resolved_yaml()` is the complete
// configuration of the run (file values, overrides and defaults alike). Once
// everything has been read, `reject_unknown()` turns a key that nobody read (a
// misspelling, a stale option) into an error instead of silently ignoring it.
//
// Every error is a ConfigError with a one-line message that starts with the
// file name (or with the offending --set assignment).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace metarl {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The values a number read from the configuration may take: an interval,
// each end open or closed (infinite ends are open, so an interval with one
// never admits .inf).
struct Bounds {
  double low, high;
  bool low_open, high_open;

  static Bounds positive();                // (0, inf)
  static Bounds non_negative();            // [0, inf)
  static Bounds finite();                  // (-inf, inf)
  static Bounds at_least(double low);      // [low, inf)
  static Bounds closed(double low, double high);  // [low, high]
  bool contains(double value) const;
  std::string describe() const;  // "> 0", ">= 1", "in [0, 1]", "finite"
};

class ExperimentConfig {
 public:
  // An unreadable file or malformed YAML is a ConfigError. An empty file is an
  // empty configuration; the top level must be a map.
  static ExperimentConfig load(const std::string& path);
  static ExperimentConfig from_string(const std::string& yaml_text, const std::string& source_name);

  // A command-line override "a.b.c=value". The value is parsed as YAML (3, 0.5,
  // true, [64, 64], text; an empty value is the empty string); missing or
  // non-map intermediate levels become maps. Call before the first getter.
  void set(const std::string& assignment);

  // Typed getters: the value at a dotted path, or `fallback` when the path is
  // absent. A present value of the wrong type is a ConfigError; an integer is
  // a valid number, an integral number (2, 1e6) a valid integer, and only
  // true/false a valid bool. Numbers must be finite.
  double get_double(const std::string& path, double fallback);
  int64_t get_int(const std::string& path, int64_t fallback);
  bool get_bool(const std::string& path, bool fallback);
  std::string get_string(const std::string& path, const std::string& fallback);
  std::vector<int64_t> get_int_list(const std::string& path, const std::vector<int64_t>& fallback);
  std::vector<double> get_double_list(const std::string& path, const std::vector<double>& fallback);

  // As above, but a value outside `bounds` (each element, for a list) is a
  // ConfigError naming the key: "x.yaml: key 'algorithm.gamma' must be in
  // [0, 1], got 1.5". The fallback must lie inside.
  double get_double(const std::string& path, double fallback, const Bounds& bounds);
  int64_t get_int(const std::string& path, int64_t fallback, const Bounds& bounds);
  std::vector<int64_t> get_int_list(const std::string& path, const std::vector<int64_t>& fallback,
                                    const Bounds& bounds);

  // A ConfigError for a value of `path` that a check beyond its bounds
  // refused: "x.yaml: key 'path' <requirement>, got <value>" (with the --set
  // that gave it). For checks that relate several keys.
  [[noreturn]] void invalid(const std::string& path, const std::string& requirement) const;

  // As above, but an absent path is a ConfigError ("missing required key").
  double get_double_required(const std::string& path);
  int64_t get_int_required(const std::string& path);
  bool get_bool_required(const std::string& path);
  std::string get_string_required(const std::string& path);
  std::vector<int64_t> get_int_list_required(const std::string& path);
  std::vector<double> get_double_list_required(const std::string& path);

  // A map of scalars passed through as text (e.g. env options that the env
  // validates itself). The whole subtree counts as read. An absent (or null)
  // path gives an empty map; anything but a map of scalars is a ConfigError.
  std::map<std::string, std::string> get_string_map(const std::string& path);

  // The keys of a map in file order, for a map of maps whose children are
  // then read with the getters above. Absent or null: no keys; anything but
  // a map is a ConfigError. Does not count as a read.
  std::vector<std::string> get_map_keys(const std::string& path) const;

  // Whether the path is present (in the file or an override). Does not count as a read.
  bool has(const std::string& path) const;

  // Throws naming the first key (in file order, then override order) that no
  // getter read: the dotted path of a leaf, or of a map none of whose keys was read.
  void reject_unknown() const;

  // Everything read so far, with the values actually used, as YAML text in
  // the order of first read. Parsing it back gives the same values.
  std::string resolved_yaml() const;

  // Every leaf of the configuration (file and overrides, whether read or
  // not) as dotted path -> value in inline YAML; lists and empty maps are leaves.
  // A scalar is written by its text alone: quotes are no part of a value (the
  // getter decides the type), so a config.yaml that quotes differently
  // compares equal when a run resumes.
  std::map<std::string, std::string> leaves() const;

  const std::string& source() const { return source_; }

  // Copies are deep: a copied YAML::Node would share its tree.
  ExperimentConfig(const ExperimentConfig& other);
  ExperimentConfig& operator=(const ExperimentConfig& other);

 private:
  explicit ExperimentConfig(std::string source) : source_(std::move(source)) {}

  // The node at `keys`, undefined when absent. A null intermediate level is
  // treated as an empty map; any other non-map level is a ConfigError.
  YAML::Node lookup(const std::vector<std::string>& keys) const;
  // Looks up `path` and marks it read.
  YAML::Node read(const std::string& path, std::vector<std::string>& keys);
  void record(const std::vector<std::string>& keys, const YAML::Node& value);
  // The typed getters: read, convert a present value, record the value used.
  template <typename T>
  T get(const std::string& path, const T& fallback);
  template <typename T>
  T convert(const std::string& path, const YAML::Node& node) const;
  [[noreturn]] void type_error(const std::string& path, const std::string& expected, const YAML::Node& found) const;
  // Marks `path` read; a ConfigError when it is absent.
  void require(const std::string& path);
  // " (from --set '...')" when the value at `path` came from an override, else "".
  std::string origin(const std::string& path) const;
  bool is_read(const std::string& path) const;
  void find_unknown(const YAML::Node& map, const std::string& prefix, std::string& first) const;

  std::string source_;
  YAML::Node root_{YAML::NodeType::Map};      // the file with the overrides applied
  YAML::Node resolved_{YAML::NodeType::Map};  // what the getters used
  std::set<std::string> read_;
  std::vector<std::pair<std::string, std::string>> overrides_;  // (path, assignment) in order
};

// A command-line integer flag's value: all of `text` a decimal integer >=
// `min` that fits in 64 bits, else a ConfigError naming the flag (a value
// is never clamped or ignored).
int64_t integer_flag(const std::string& flag, const std::string& text, int64_t min);

}  // namespace metarl
