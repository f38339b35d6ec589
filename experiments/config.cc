#include "experiments/config.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "experiments/io.h"

namespace metarl {
namespace {

using Node = ExperimentConfig::Node;

constexpr int kMaxDepth = 64;

// ---- Scalar text ----------------------------------------------------------

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_null_text(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool parse_bool(const std::string& s, bool& value) {
  if (s == "true" || s == "True" || s == "TRUE") {
    value = true;
    return true;
  }
  if (s == "false" || s == "False" || s == "FALSE") {
    value = false;
    return true;
  }
  return false;
}

// Decimal numbers as YAML writes them ("3", "-0.5", ".5", "1e-3", "2.5E+6") and
// the infinities ".inf", "-.inf"; NaN, hexadecimal and out-of-range values are not numbers.
bool parse_double(const std::string& s, double& value) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) i = 1;
  const std::string rest = s.substr(i);
  if (rest == ".inf" || rest == ".Inf" || rest == ".INF") {
    value = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  size_t digits = 0;
  size_t j = i;
  while (j < s.size() && is_digit(s[j])) ++j, ++digits;
  if (j < s.size() && s[j] == '.') {
    ++j;
    while (j < s.size() && is_digit(s[j])) ++j, ++digits;
  }
  if (digits == 0) return false;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    ++j;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    const size_t exponent_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j == exponent_start) return false;
  }
  if (j != s.size()) return false;
  // from_chars is locale-independent but takes no leading '+'.
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  const auto result = std::from_chars(first, s.data() + s.size(), value);
  return result.ec == std::errc() && result.ptr == s.data() + s.size() && std::isfinite(value);
}

// "42", "-7", and integral numbers in range ("1e6", "2.0").
bool parse_int(const std::string& s, int64_t& value) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos) {
    const char* first = s.data() + (s[0] == '+' ? 1 : 0);
    const auto result = std::from_chars(first, s.data() + s.size(), value);
    return result.ec == std::errc() && result.ptr == s.data() + s.size();
  }
  double d = 0.0;
  if (!parse_double(s, d) || !std::isfinite(d) || std::floor(d) != d) return false;
  if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
  value = static_cast<int64_t>(d);
  return true;
}

std::string format_double(double value) {
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  if (std::isnan(value)) return ".nan";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);  // shortest round-trip form
  return std::string(buffer, result.ptr);
}

// Would a plain scalar with this text be read back as something other than a string?
bool ambiguous_as_plain(const std::string& s) {
  if (is_null_text(s)) return true;
  static const char* const kYamlBools[] = {"y",  "Y",  "yes", "Yes",  "YES",  "n",     "N",     "no",    "No",
                                           "NO", "on", "On",  "ON",   "off",  "Off",   "OFF",   "true",  "True",
                                           "TRUE", "false", "False", "FALSE"};
  for (const char* b : kYamlBools)
    if (s == b) return true;
  if (is_digit(s[0])) return true;
  if ((s[0] == '-' || s[0] == '+' || s[0] == '.') && s.size() > 1 && (is_digit(s[1]) || s[1] == '.')) return true;
  std::string lower;
  for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return lower == ".inf" || lower == ".nan";
}

// Text that YAML reads back unchanged when written plain: a conservative set of characters.
bool plain_safe(const std::string& s) {
  if (s.empty() || s == "-" || s.rfind("--", 0) == 0) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.' ||
                    c == '/' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string yaml_scalar(const std::string& text, bool is_string) {
  if (plain_safe(text) && !(is_string && ambiguous_as_plain(text))) return text;
  // A JSON string is a valid YAML double-quoted scalar.
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- Messages ----------------------------------------------------------------

// Keeps a message on one line.
std::string flat(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else if (c == '\t')
      out += "\\t";
    else
      out += c;
  }
  return out;
}

// A value quoted in a message: one line, of reasonable length.
std::string short_text(const std::string& s) {
  const std::string out = flat(s);
  return out.size() > 80 ? out.substr(0, 77) + "..." : out;
}

std::string describe(const Node& node) {
  switch (node.kind) {
    case Node::Kind::Null:
      return "null";
    case Node::Kind::Scalar:
      return "'" + short_text(node.text) + "'";
    case Node::Kind::List:
      return "a list";
    case Node::Kind::Map:
      return "a map";
  }
  return "?";
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// "a.b.c" -> {"a", "b", "c"}; false for an empty path or an empty part.
bool split_path(const std::string& path, std::vector<std::string>& keys) {
  keys.clear();
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return false;
    keys.push_back(part);
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

std::vector<std::string> split_path_or_throw(const std::string& path) {
  std::vector<std::string> keys;
  if (!split_path(path, keys))
    throw std::invalid_argument("ExperimentConfig: malformed key path '" + path + "' in a getter");
  return keys;
}

// ---- Nodes -------------------------------------------------------------------

Node scalar(std::string text, bool is_string) {
  Node node;
  node.kind = Node::Kind::Scalar;
  node.text = std::move(text);
  node.quoted = is_string;
  return node;
}

Node empty_map() {
  Node node;
  node.kind = Node::Kind::Map;
  return node;
}

// A deep copy of a parsed YAML value (aliases become copies), checking that map
// keys are distinct plain names without dots. `label` starts every message.
Node convert(const YAML::Node& y, const std::string& label, const std::string& path, int depth) {
  if (depth > kMaxDepth)
    throw ConfigError(label + ": nesting deeper than " + std::to_string(kMaxDepth) + " levels at '" + path + "'");
  Node node;
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return node;
    case YAML::NodeType::Scalar:
      return scalar(y.Scalar(), y.Tag() == "!" || y.Tag() == "tag:yaml.org,2002:str");
    case YAML::NodeType::Sequence:
      node.kind = Node::Kind::List;
      for (size_t i = 0; i < y.size(); ++i)
        node.items.push_back(convert(y[i], label, path + "[" + std::to_string(i) + "]", depth + 1));
      return node;
    case YAML::NodeType::Map:
      node.kind = Node::Kind::Map;
      for (auto it = y.begin(); it != y.end(); ++it) {
        const std::string line = std::to_string(it->first.Mark().line + 1);
        if (!it->first.IsScalar()) throw ConfigError(label + ": a map key at line " + line + " is not a plain name");
        const std::string key = it->first.Scalar();
        if (key.empty()) throw ConfigError(label + ": empty key at line " + line);
        const std::string key_path = join_path(path, key);
        if (key.find('.') != std::string::npos)
          throw ConfigError(label + ": key '" + flat(key_path) + "' at line " + line +
                            " contains '.'; write nested maps instead");
        if (node.find(key)) throw ConfigError(label + ": duplicate key '" + flat(key_path) + "' at line " + line);
        node.entries.emplace_back(key, convert(it->second, label, key_path, depth + 1));
      }
      return node;
  }
  return node;
}

std::string parse_error(const std::string& label, const std::string& what, const YAML::Exception& e,
                        bool with_location) {
  std::string message = label + ": " + what + ": " + e.msg;
  if (with_location && !e.mark.is_null())
    message += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
  return flat(message);
}

std::string emit_inline(const Node& node) {
  switch (node.kind) {
    case Node::Kind::Null:
      return "null";
    case Node::Kind::Scalar:
      return yaml_scalar(node.text, node.quoted);
    case Node::Kind::List: {
      std::string out = "[";
      for (size_t i = 0; i < node.items.size(); ++i) out += (i ? ", " : "") + emit_inline(node.items[i]);
      return out + "]";
    }
    case Node::Kind::Map: {
      std::string out = "{";
      for (size_t i = 0; i < node.entries.size(); ++i)
        out += (i ? ", " : "") + yaml_scalar(node.entries[i].first, true) + ": " + emit_inline(node.entries[i].second);
      return out + "}";
    }
  }
  return "null";
}

void emit_map_body(std::string& out, const Node& map, int indent) {
  for (const auto& [key, value] : map.entries) {
    out += std::string(indent, ' ') + yaml_scalar(key, true) + ":";
    if (value.kind == Node::Kind::Map && !value.entries.empty()) {
      out += "\n";
      emit_map_body(out, value, indent + 2);
    } else {
      out += " " + emit_inline(value) + "\n";
    }
  }
}

}  // namespace

// ---- Node --------------------------------------------------------------------

const Node* Node::find(const std::string& key) const {
  for (const auto& entry : entries)
    if (entry.first == key) return &entry.second;
  return nullptr;
}

Node* Node::find(const std::string& key) {
  for (auto& entry : entries)
    if (entry.first == key) return &entry.second;
  return nullptr;
}

// ---- Loading -----------------------------------------------------------------

ExperimentConfig ExperimentConfig::load(const std::string& path) {
  std::string text;
  try {
    text = read_file(path);
  } catch (const std::runtime_error& e) {
    throw ConfigError(e.what());  // "<path>: cannot read file: <reason>"
  }
  return from_string(text, path);
}

ExperimentConfig ExperimentConfig::from_string(const std::string& yaml_text, const std::string& source_name) {
  ExperimentConfig config(source_name);
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(parse_error(source_name, "cannot parse YAML", e, true));
  }
  if (documents.size() > 1)
    throw ConfigError(source_name + ": expected one YAML document, found " + std::to_string(documents.size()));
  config.root_ = empty_map();
  config.resolved_ = empty_map();
  if (documents.empty()) return config;
  Node root = convert(documents[0], source_name, "", 0);
  if (root.kind == Node::Kind::Null) return config;
  if (root.kind != Node::Kind::Map)
    throw ConfigError(source_name + ": the top level must be a map of keys, got " + describe(root));
  config.root_ = std::move(root);
  return config;
}

void ExperimentConfig::set(const std::string& assignment) {
  if (!read_.empty()) throw std::logic_error("ExperimentConfig::set('" + assignment + "') after values were read");
  const std::string label = "--set '" + flat(assignment) + "'";
  const size_t eq = assignment.find('=');
  std::vector<std::string> keys;
  const std::string path = assignment.substr(0, eq);
  if (eq == std::string::npos || !split_path(path, keys) || path.find_first_of(" \t\r\n") != std::string::npos)
    throw ConfigError(label + ": expected key.path=value");
  const std::string value_text = assignment.substr(eq + 1);

  Node value = scalar("", true);  // "key=" sets the empty string
  if (!value_text.empty()) {
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value_text);
    } catch (const YAML::Exception& e) {
      throw ConfigError(parse_error(label, "cannot parse value", e, false));
    }
    value = convert(parsed, label, path, static_cast<int>(keys.size()));
  }

  Node* node = &root_;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    Node* child = node->find(keys[i]);
    if (!child) {
      node->entries.emplace_back(keys[i], empty_map());
      child = &node->entries.back().second;
    } else if (child->kind != Node::Kind::Map) {
      *child = empty_map();
    }
    node = child;
  }
  if (Node* leaf = node->find(keys.back()))
    *leaf = std::move(value);
  else
    node->entries.emplace_back(keys.back(), std::move(value));
  overrides_.emplace_back(path, assignment);
}

// ---- Lookup and recording ----------------------------------------------------

const Node* ExperimentConfig::lookup(const std::vector<std::string>& keys) const {
  const Node* node = &root_;
  std::string prefix;
  for (const auto& key : keys) {
    if (node->kind == Node::Kind::Null) return nullptr;  // "algorithm:" with nothing under it
    if (node->kind != Node::Kind::Map) type_error(prefix, "a map", *node);
    node = node->find(key);
    if (!node) return nullptr;
    prefix = join_path(prefix, key);
  }
  return node;
}

const Node* ExperimentConfig::read(const std::string& path, std::vector<std::string>& keys) {
  keys = split_path_or_throw(path);
  read_.insert(path);
  return lookup(keys);
}

void ExperimentConfig::record(const std::vector<std::string>& keys, Node value) {
  Node* node = &resolved_;
  for (size_t i = 0; i + 1 < keys.size(); ++i) {
    Node* child = node->find(keys[i]);
    if (!child) {
      node->entries.emplace_back(keys[i], empty_map());
      child = &node->entries.back().second;
    } else if (child->kind != Node::Kind::Map) {
      throw std::logic_error("ExperimentConfig: '" + keys[i] + "' is read both as a value and as a map");
    }
    node = child;
  }
  if (Node* leaf = node->find(keys.back()))
    *leaf = std::move(value);
  else
    node->entries.emplace_back(keys.back(), std::move(value));
}

std::string ExperimentConfig::origin(const std::string& path) const {
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
    const std::string& o = it->first;
    if (o == path || path.rfind(o + ".", 0) == 0 || o.rfind(path + ".", 0) == 0)
      return " (from --set '" + flat(it->second) + "')";
  }
  return "";
}

void ExperimentConfig::type_error(const std::string& path, const std::string& expected, const Node& found) const {
  std::string origin_path = path.substr(0, path.find('['));
  throw ConfigError(source_ + ": key '" + path + "' must be " + expected + ", got " + describe(found) +
                    origin(origin_path));
}

void ExperimentConfig::require(const std::string& path) {
  std::vector<std::string> keys;
  if (!read(path, keys)) throw ConfigError(source_ + ": missing required key '" + path + "'");
}

// ---- Conversions -------------------------------------------------------------

double ExperimentConfig::to_double(const std::string& path, const Node& node) const {
  double value = 0.0;
  if (node.kind != Node::Kind::Scalar || !parse_double(node.text, value)) type_error(path, "a number", node);
  return value;
}

int64_t ExperimentConfig::to_int(const std::string& path, const Node& node) const {
  int64_t value = 0;
  if (node.kind != Node::Kind::Scalar || !parse_int(node.text, value)) type_error(path, "an integer", node);
  return value;
}

bool ExperimentConfig::to_bool(const std::string& path, const Node& node) const {
  bool value = false;
  if (node.kind != Node::Kind::Scalar || !parse_bool(node.text, value)) type_error(path, "true or false", node);
  return value;
}

std::string ExperimentConfig::to_string(const std::string& path, const Node& node) const {
  if (node.kind != Node::Kind::Scalar) type_error(path, "a string", node);
  return node.text;
}

std::vector<int64_t> ExperimentConfig::to_int_list(const std::string& path, const Node& node) const {
  if (node.kind != Node::Kind::List) type_error(path, "a list of integers", node);
  std::vector<int64_t> values;
  for (size_t i = 0; i < node.items.size(); ++i)
    values.push_back(to_int(path + "[" + std::to_string(i) + "]", node.items[i]));
  return values;
}

std::vector<double> ExperimentConfig::to_double_list(const std::string& path, const Node& node) const {
  if (node.kind != Node::Kind::List) type_error(path, "a list of numbers", node);
  std::vector<double> values;
  for (size_t i = 0; i < node.items.size(); ++i)
    values.push_back(to_double(path + "[" + std::to_string(i) + "]", node.items[i]));
  return values;
}

namespace {

Node number_node(double value) { return scalar(format_double(value), false); }
Node number_node(int64_t value) { return scalar(std::to_string(value), false); }
Node bool_node(bool value) { return scalar(value ? "true" : "false", false); }
Node string_node(const std::string& value) { return scalar(value, true); }

template <typename T>
Node list_node(const std::vector<T>& values) {
  Node node;
  node.kind = Node::Kind::List;
  for (const T& v : values) node.items.push_back(number_node(v));
  return node;
}

}  // namespace

// ---- Bounds ------------------------------------------------------------------

namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

Bounds Bounds::positive() { return {0.0, kInf, true, true}; }
Bounds Bounds::non_negative() { return {0.0, kInf, false, true}; }
Bounds Bounds::finite() { return {-kInf, kInf, true, true}; }
Bounds Bounds::at_least(double low) { return {low, kInf, false, true}; }
Bounds Bounds::closed(double low, double high) { return {low, high, false, false}; }

bool Bounds::contains(double value) const {
  if (std::isnan(value)) return false;
  const bool above = low_open ? value > low : value >= low;
  const bool below = high_open ? value < high : value <= high;
  return above && below;
}

std::string Bounds::describe() const {
  if (std::isinf(low) && std::isinf(high)) return "finite";
  if (std::isinf(high)) return (low_open ? "> " : ">= ") + format_double(low);
  return std::string("in ") + (low_open ? "(" : "[") + format_double(low) + ", " + format_double(high) +
         (high_open ? ")" : "]");
}

// ---- Getters -----------------------------------------------------------------

double ExperimentConfig::get_double(const std::string& path, double fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  const double value = node ? to_double(path, *node) : fallback;
  record(keys, number_node(value));
  return value;
}

int64_t ExperimentConfig::get_int(const std::string& path, int64_t fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  const int64_t value = node ? to_int(path, *node) : fallback;
  record(keys, number_node(value));
  return value;
}

bool ExperimentConfig::get_bool(const std::string& path, bool fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  const bool value = node ? to_bool(path, *node) : fallback;
  record(keys, bool_node(value));
  return value;
}

std::string ExperimentConfig::get_string(const std::string& path, const std::string& fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  std::string value = node ? to_string(path, *node) : fallback;
  record(keys, string_node(value));
  return value;
}

std::vector<int64_t> ExperimentConfig::get_int_list(const std::string& path, const std::vector<int64_t>& fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  std::vector<int64_t> value = node ? to_int_list(path, *node) : fallback;
  record(keys, list_node(value));
  return value;
}

std::vector<double> ExperimentConfig::get_double_list(const std::string& path, const std::vector<double>& fallback) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  std::vector<double> value = node ? to_double_list(path, *node) : fallback;
  record(keys, list_node(value));
  return value;
}

void ExperimentConfig::invalid(const std::string& path, const std::string& requirement) const {
  const Node* node = lookup(split_path_or_throw(path));
  const std::string value =
      !node ? "the default" : short_text(node->kind == Node::Kind::Scalar ? node->text : emit_inline(*node));
  throw ConfigError(source_ + ": key '" + path + "' " + requirement + ", got " + value + origin(path));
}

double ExperimentConfig::get_double(const std::string& path, double fallback, const Bounds& bounds) {
  const double value = get_double(path, fallback);
  if (!bounds.contains(value)) invalid(path, "must be " + bounds.describe());
  return value;
}

int64_t ExperimentConfig::get_int(const std::string& path, int64_t fallback, const Bounds& bounds) {
  const int64_t value = get_int(path, fallback);
  if (!bounds.contains(double(value))) invalid(path, "must be " + bounds.describe());
  return value;
}

std::vector<int64_t> ExperimentConfig::get_int_list(const std::string& path, const std::vector<int64_t>& fallback,
                                                    const Bounds& bounds) {
  const std::vector<int64_t> values = get_int_list(path, fallback);
  for (const int64_t value : values)
    if (!bounds.contains(double(value))) invalid(path, "must hold numbers " + bounds.describe());
  return values;
}

double ExperimentConfig::get_double_required(const std::string& path) {
  require(path);
  return get_double(path, 0.0);
}

int64_t ExperimentConfig::get_int_required(const std::string& path) {
  require(path);
  return get_int(path, 0);
}

bool ExperimentConfig::get_bool_required(const std::string& path) {
  require(path);
  return get_bool(path, false);
}

std::string ExperimentConfig::get_string_required(const std::string& path) {
  require(path);
  return get_string(path, "");
}

std::vector<int64_t> ExperimentConfig::get_int_list_required(const std::string& path) {
  require(path);
  return get_int_list(path, {});
}

std::vector<double> ExperimentConfig::get_double_list_required(const std::string& path) {
  require(path);
  return get_double_list(path, {});
}

std::map<std::string, std::string> ExperimentConfig::get_string_map(const std::string& path) {
  std::vector<std::string> keys;
  const Node* node = read(path, keys);
  std::map<std::string, std::string> values;
  if (!node || node->kind == Node::Kind::Null) {
    record(keys, empty_map());
    return values;
  }
  if (node->kind != Node::Kind::Map) type_error(path, "a map", *node);
  for (const auto& [key, value] : node->entries) {
    if (value.kind != Node::Kind::Scalar) type_error(join_path(path, key), "a single value", value);
    values[key] = value.text;
  }
  record(keys, *node);
  return values;
}

std::vector<std::string> ExperimentConfig::get_map_keys(const std::string& path) const {
  const Node* node = lookup(split_path_or_throw(path));
  std::vector<std::string> keys;
  if (!node || node->kind == Node::Kind::Null) return keys;
  if (node->kind != Node::Kind::Map) type_error(path, "a map", *node);
  for (const auto& entry : node->entries) keys.push_back(entry.first);
  return keys;
}

bool ExperimentConfig::has(const std::string& path) const {
  std::vector<std::string> keys;
  if (!split_path(path, keys)) return false;
  const Node* node = &root_;
  for (const auto& key : keys) {
    if (node->kind != Node::Kind::Map) return false;
    node = node->find(key);
    if (!node) return false;
  }
  return true;
}

// ---- Unknown keys and the resolved configuration -------------------------------

bool ExperimentConfig::is_read(const std::string& path) const {
  // The path itself, one of its ancestors (a map read whole) or a descendant.
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', dot + 1))
    if (read_.count(path.substr(0, dot))) return true;
  if (read_.count(path)) return true;
  const auto it = read_.lower_bound(path + ".");
  return it != read_.end() && it->rfind(path + ".", 0) == 0;
}

void ExperimentConfig::find_unknown(const Node& map, const std::string& prefix, std::string& first) const {
  for (const auto& [key, value] : map.entries) {
    if (!first.empty()) return;
    const std::string path = join_path(prefix, key);
    if (value.kind == Node::Kind::Map && !value.entries.empty()) {
      bool whole = read_.count(path) > 0;
      for (size_t dot = path.find('.'); !whole && dot != std::string::npos; dot = path.find('.', dot + 1))
        whole = read_.count(path.substr(0, dot)) > 0;
      if (!whole) find_unknown(value, path, first);
    } else if (!is_read(path)) {
      first = path;
    }
  }
}

void ExperimentConfig::reject_unknown() const {
  std::string first;
  find_unknown(root_, "", first);
  if (!first.empty()) throw ConfigError(source_ + ": unknown key '" + flat(first) + "'" + origin(first));
}

namespace {

void collect_leaves(const ExperimentConfig::Node& node, const std::string& prefix,
                    std::map<std::string, std::string>& out) {
  if (node.kind == ExperimentConfig::Node::Kind::Map && !node.entries.empty()) {
    for (const auto& [key, value] : node.entries) collect_leaves(value, prefix.empty() ? key : prefix + "." + key, out);
    return;
  }
  out[prefix] = emit_inline(node);
}

}  // namespace

int64_t integer_flag(const std::string& flag, const std::string& text, int64_t min) {
  int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc::result_out_of_range)
    throw ConfigError(flag + ": " + short_text(text) + " does not fit in a 64-bit integer (at most " +
                      std::to_string(std::numeric_limits<int64_t>::max()) + ")");
  if (error != std::errc() || end != text.data() + text.size() || value < min)
    throw ConfigError(flag + ": expected an integer >= " + std::to_string(min) + ", got '" + short_text(text) + "'");
  return value;
}

std::map<std::string, std::string> ExperimentConfig::leaves() const {
  std::map<std::string, std::string> out;
  if (!root_.entries.empty()) collect_leaves(root_, "", out);
  return out;
}

std::string ExperimentConfig::resolved_yaml() const {
  if (resolved_.entries.empty()) return "{}\n";
  std::string out;
  emit_map_body(out, resolved_, 0);
  return out;
}

}  // namespace metarl
