#include "experiments/config.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <regex>
#include <utility>

#include "experiments/io.h"

namespace metarl {
namespace {

constexpr int kMaxDepth = 64;
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- Numbers and bools ---------------------------------------------------------
//
// The grammar is ours, not yaml-cpp's as<T>(), which would change what
// existing configurations mean: as<int64_t>() reads "0x10" as 16 and "010" as
// 8 and refuses "1e6" and "2.0", as<double>() admits ".nan", and as<bool>()
// takes yes/no/on/off/y/n.

bool parse(const std::string& s, bool& value) {
  if (s == "true" || s == "True" || s == "TRUE") return value = true, true;
  if (s == "false" || s == "False" || s == "FALSE") return value = false, true;
  return false;
}

// Decimal numbers as YAML writes them ("3", "-0.5", ".5", "1e-3", "2.5E+6") and
// the infinities ".inf", "-.inf"; NaN, hexadecimal and out-of-range values are not numbers.
bool parse(const std::string& s, double& value) {
  static const std::regex kInfinity(R"([-+]?\.(inf|Inf|INF))");
  static const std::regex kDecimal(R"([-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?)");
  if (std::regex_match(s, kInfinity)) return value = s[0] == '-' ? -kInf : kInf, true;
  if (!std::regex_match(s, kDecimal)) return false;
  // from_chars is locale-independent but takes no leading '+'.
  const auto [end, error] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), value);
  return error == std::errc() && end == s.data() + s.size() && std::isfinite(value);
}

// "42", "-7", and integral numbers in range ("1e6", "2.0").
bool parse(const std::string& s, int64_t& value) {
  const size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos) {
    const auto [end, error] = std::from_chars(s.data() + (s[0] == '+'), s.data() + s.size(), value);
    return error == std::errc() && end == s.data() + s.size();
  }
  double d = 0.0;
  if (!parse(s, d) || std::floor(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return false;
  value = static_cast<int64_t>(d);
  return true;
}

bool parse(const std::string& s, std::string& value) { return value = s, true; }

// What a getter of each type expects, alone and in a list.
std::pair<const char*, const char*> expected(double) { return {"a number", "a list of numbers"}; }
std::pair<const char*, const char*> expected(int64_t) { return {"an integer", "a list of integers"}; }
std::pair<const char*, const char*> expected(bool) { return {"true or false", ""}; }
std::pair<const char*, const char*> expected(const std::string&) { return {"a string", ""}; }

template <typename T>
struct IsList : std::false_type {};
template <typename T>
struct IsList<std::vector<T>> : std::true_type {};

// Shortest text that reads back as the same double (as every config.yaml so far has it).
std::string format_double(double value) {
  if (std::isinf(value)) return value > 0 ? ".inf" : "-.inf";
  if (std::isnan(value)) return ".nan";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// ---- Nodes ---------------------------------------------------------------------

YAML::Node text_node(const std::string& text, bool is_string) {
  YAML::Node node(text);
  node.SetTag(is_string ? "!" : "?");  // "!": quoted in YAML, a string by construction
  return node;
}

YAML::Node to_node(double value) { return text_node(format_double(value), false); }
YAML::Node to_node(int64_t value) { return text_node(std::to_string(value), false); }
YAML::Node to_node(bool value) { return text_node(value ? "true" : "false", false); }
YAML::Node to_node(const std::string& value) { return text_node(value, true); }
template <typename T>
YAML::Node to_node(const std::vector<T>& values) {
  YAML::Node node(YAML::NodeType::Sequence);
  for (const T& value : values) node.push_back(to_node(value));
  return node;
}

// The map under `key` in `map`, added at the end when absent and replacing a
// value that is not a map when `replace` (else that is a logic error).
// YAML::Node has reference semantics: callers rebind with reset(), never `=`.
YAML::Node child_map(YAML::Node map, const std::string& key, bool replace) {
  const YAML::Node child = std::as_const(map)[key];
  if (child && !child.IsMap() && !replace)
    throw std::logic_error("ExperimentConfig: '" + key + "' is read both as a value and as a map");
  if (!child || !child.IsMap()) map[key] = YAML::Node(YAML::NodeType::Map);
  return map[key];
}

// ---- Emitting ------------------------------------------------------------------
//
// Whether a scalar is written plain or double-quoted is decided here, not by
// yaml-cpp, which writes the string "true" or "0.5" plain (another YAML reader
// would take a bool or a number). Every config.yaml written so far, committed
// run directories among them, quotes a string whose text looks like another
// type and any text outside a conservative set of characters; keeping that
// rule keeps a resumed run's config.yaml as it was.

// Would a plain scalar with this text be read back as something other than a
// string: a YAML 1.1 null or bool, anything that starts like a number, .inf or .nan?
bool looks_typed(const std::string& s) {
  static const std::regex kTyped(
      R"(~?|null|Null|NULL|[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False|FALSE|)"
      R"([-+.]?[0-9][\s\S]*|[-+.]\.[\s\S]*|\.([iI][nN][fF]|[nN][aA][nN]))");
  return std::regex_match(s, kTyped);
}

bool plain_safe(const std::string& s) {
  static const std::regex kSafe("[A-Za-z0-9_./+-]+");
  return std::regex_match(s, kSafe) && s != "-" && s.rfind("--", 0) != 0;
}

void emit_scalar(YAML::Emitter& out, const std::string& text, bool is_string) {
  if (!plain_safe(text) || (is_string && looks_typed(text))) out << YAML::DoubleQuoted;
  out << text;
}

// `block`: non-empty maps as indented blocks (config.yaml), else all inline.
// `typed`: a string that looks like another type is quoted; otherwise a
// scalar is written by its text alone (leaves(), messages).
void emit(YAML::Emitter& out, const YAML::Node& node, bool block, bool typed) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      emit_scalar(out, node.Scalar(), typed && (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str"));
      return;
    case YAML::NodeType::Sequence:
      out << YAML::Flow << YAML::BeginSeq;
      for (const auto& item : node) emit(out, item, false, typed);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Map:
      if (!block || node.size() == 0) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key;
        emit_scalar(out, entry.first.Scalar(), true);
        out << YAML::Value;
        emit(out, entry.second, block, typed);
      }
      out << YAML::EndMap;
      return;
    default:
      out << YAML::Null;
  }
}

std::string emit(const YAML::Node& node, bool block, bool typed) {
  YAML::Emitter out;
  out.SetNullFormat(YAML::LowerNull);
  emit(out, node, block, typed);
  if (!out.good()) throw std::logic_error("ExperimentConfig: cannot emit YAML: " + out.GetLastError());
  return out.c_str();
}

// ---- Messages ------------------------------------------------------------------

// Keeps a message on one line.
std::string flat(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : std::string(1, c);
  return out;
}

// A value quoted in a message: one line, of reasonable length.
std::string short_text(const std::string& s) {
  const std::string out = flat(s);
  return out.size() > 80 ? out.substr(0, 77) + "..." : out;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + short_text(node.Scalar()) + "'";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "null";
  }
}

std::string join_path(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// "a.b.c" -> {"a", "b", "c"}; false for an empty path or an empty part.
bool split_path(const std::string& path, std::vector<std::string>& keys) {
  keys.clear();
  for (size_t start = 0;;) {
    const size_t dot = path.find('.', start);
    keys.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (keys.back().empty()) return false;
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

// A deep copy of a parsed value, so that an override changes one place even
// where the file used an alias (and a cyclic alias ends at kMaxDepth), checking
// that map keys are distinct plain names without dots. `label` starts every message.
YAML::Node checked_copy(const YAML::Node& y, const std::string& label, const std::string& path, int depth) {
  if (depth > kMaxDepth)
    throw ConfigError(label + ": nesting deeper than " + std::to_string(kMaxDepth) + " levels at '" + path + "'");
  switch (y.Type()) {
    case YAML::NodeType::Scalar:
      return text_node(y.Scalar(), y.Tag() == "!" || y.Tag() == "tag:yaml.org,2002:str");
    case YAML::NodeType::Sequence: {
      YAML::Node list(YAML::NodeType::Sequence);
      for (size_t i = 0; i < y.size(); ++i)
        list.push_back(checked_copy(y[i], label, path + "[" + std::to_string(i) + "]", depth + 1));
      return list;
    }
    case YAML::NodeType::Map: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& entry : y) {
        const std::string line = std::to_string(entry.first.Mark().line + 1);
        if (!entry.first.IsScalar()) throw ConfigError(label + ": a map key at line " + line + " is not a plain name");
        const std::string& key = entry.first.Scalar();
        if (key.empty()) throw ConfigError(label + ": empty key at line " + line);
        const std::string key_path = join_path(path, key);
        if (key.find('.') != std::string::npos)
          throw ConfigError(label + ": key '" + flat(key_path) + "' at line " + line +
                            " contains '.'; write nested maps instead");
        if (std::as_const(map)[key])
          throw ConfigError(label + ": duplicate key '" + flat(key_path) + "' at line " + line);
        map[key] = checked_copy(entry.second, label, key_path, depth + 1);
      }
      return map;
    }
    default:
      return YAML::Node(YAML::NodeType::Null);
  }
}

std::string parse_error(const std::string& label, const std::string& what, const YAML::Exception& e,
                        bool with_location) {
  std::string message = label + ": " + what + ": " + e.msg;
  if (with_location && !e.mark.is_null())
    message += " at line " + std::to_string(e.mark.line + 1) + ", column " + std::to_string(e.mark.column + 1);
  return flat(message);
}

}  // namespace

// ---- Loading and overrides -----------------------------------------------------

ExperimentConfig::ExperimentConfig(const ExperimentConfig& other)
    : source_(other.source_),
      root_(YAML::Clone(other.root_)),
      resolved_(YAML::Clone(other.resolved_)),
      read_(other.read_),
      overrides_(other.overrides_) {}

ExperimentConfig& ExperimentConfig::operator=(const ExperimentConfig& other) {
  ExperimentConfig copy(other);
  source_ = std::move(copy.source_);
  root_.reset(copy.root_);
  resolved_.reset(copy.resolved_);
  read_ = std::move(copy.read_);
  overrides_ = std::move(copy.overrides_);
  return *this;
}

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
  if (documents.empty()) return config;
  const YAML::Node root = checked_copy(documents[0], source_name, "", 0);
  if (root.IsNull()) return config;
  if (!root.IsMap()) throw ConfigError(source_name + ": the top level must be a map of keys, got " + describe(root));
  config.root_.reset(root);
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

  YAML::Node value = text_node("", true);  // "key=" sets the empty string
  if (!value_text.empty()) {
    YAML::Node parsed;
    try {
      parsed = YAML::Load(value_text);
    } catch (const YAML::Exception& e) {
      throw ConfigError(parse_error(label, "cannot parse value", e, false));
    }
    value = checked_copy(parsed, label, path, static_cast<int>(keys.size()));
  }
  YAML::Node node = root_;
  for (size_t i = 0; i + 1 < keys.size(); ++i) node.reset(child_map(node, keys[i], true));
  node[keys.back()] = value;
  overrides_.emplace_back(path, assignment);
}

// ---- Lookup and recording ------------------------------------------------------

YAML::Node ExperimentConfig::lookup(const std::vector<std::string>& keys) const {
  YAML::Node node = root_;
  std::string prefix;
  for (const auto& key : keys) {
    if (node.IsNull()) return YAML::Node(YAML::NodeType::Undefined);  // "algorithm:" with nothing under it
    if (!node.IsMap()) type_error(prefix, "a map", node);
    const YAML::Node child = std::as_const(node)[key];
    if (!child) return YAML::Node(YAML::NodeType::Undefined);
    node.reset(child);
    prefix = join_path(prefix, key);
  }
  return node;
}

YAML::Node ExperimentConfig::read(const std::string& path, std::vector<std::string>& keys) {
  keys = split_path_or_throw(path);
  read_.insert(path);
  return lookup(keys);
}

void ExperimentConfig::record(const std::vector<std::string>& keys, const YAML::Node& value) {
  YAML::Node node = resolved_;
  for (size_t i = 0; i + 1 < keys.size(); ++i) node.reset(child_map(node, keys[i], false));
  node[keys.back()] = value;
}

std::string ExperimentConfig::origin(const std::string& path) const {
  for (auto it = overrides_.rbegin(); it != overrides_.rend(); ++it) {
    const std::string& o = it->first;
    if (o == path || path.rfind(o + ".", 0) == 0 || o.rfind(path + ".", 0) == 0)
      return " (from --set '" + flat(it->second) + "')";
  }
  return "";
}

void ExperimentConfig::type_error(const std::string& path, const std::string& expected,
                                  const YAML::Node& found) const {
  throw ConfigError(source_ + ": key '" + path + "' must be " + expected + ", got " + describe(found) +
                    origin(path.substr(0, path.find('['))));
}

void ExperimentConfig::require(const std::string& path) {
  std::vector<std::string> keys;
  if (!read(path, keys)) throw ConfigError(source_ + ": missing required key '" + path + "'");
}

// ---- Getters -------------------------------------------------------------------

template <typename T>
T ExperimentConfig::convert(const std::string& path, const YAML::Node& node) const {
  if constexpr (IsList<T>::value) {
    if (!node.IsSequence()) type_error(path, expected(typename T::value_type()).second, node);
    T values;
    for (size_t i = 0; i < node.size(); ++i)
      values.push_back(convert<typename T::value_type>(path + "[" + std::to_string(i) + "]", node[i]));
    return values;
  } else {
    T value{};
    if (!node.IsScalar() || !parse(node.Scalar(), value)) type_error(path, expected(value).first, node);
    return value;
  }
}

template <typename T>
T ExperimentConfig::get(const std::string& path, const T& fallback) {
  std::vector<std::string> keys;
  const YAML::Node node = read(path, keys);
  T value = node ? convert<T>(path, node) : fallback;
  record(keys, to_node(value));
  return value;
}

double ExperimentConfig::get_double(const std::string& path, double fallback) { return get(path, fallback); }
int64_t ExperimentConfig::get_int(const std::string& path, int64_t fallback) { return get(path, fallback); }
bool ExperimentConfig::get_bool(const std::string& path, bool fallback) { return get(path, fallback); }
std::string ExperimentConfig::get_string(const std::string& path, const std::string& fallback) {
  return get(path, fallback);
}
std::vector<int64_t> ExperimentConfig::get_int_list(const std::string& path, const std::vector<int64_t>& fallback) {
  return get(path, fallback);
}
std::vector<double> ExperimentConfig::get_double_list(const std::string& path, const std::vector<double>& fallback) {
  return get(path, fallback);
}

void ExperimentConfig::invalid(const std::string& path, const std::string& requirement) const {
  const YAML::Node node = lookup(split_path_or_throw(path));
  const std::string value = !node ? "the default" : short_text(node.IsScalar() ? node.Scalar() : emit(node, false, true));
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

double ExperimentConfig::get_double_required(const std::string& path) { return require(path), get_double(path, 0.0); }
int64_t ExperimentConfig::get_int_required(const std::string& path) { return require(path), get_int(path, 0); }
bool ExperimentConfig::get_bool_required(const std::string& path) { return require(path), get_bool(path, false); }
std::string ExperimentConfig::get_string_required(const std::string& path) {
  return require(path), get_string(path, "");
}
std::vector<int64_t> ExperimentConfig::get_int_list_required(const std::string& path) {
  return require(path), get_int_list(path, {});
}
std::vector<double> ExperimentConfig::get_double_list_required(const std::string& path) {
  return require(path), get_double_list(path, {});
}

std::map<std::string, std::string> ExperimentConfig::get_string_map(const std::string& path) {
  std::vector<std::string> keys;
  const YAML::Node node = read(path, keys);
  std::map<std::string, std::string> values;
  if (!node || node.IsNull()) {
    record(keys, YAML::Node(YAML::NodeType::Map));
    return values;
  }
  if (!node.IsMap()) type_error(path, "a map", node);
  for (const auto& entry : node) {
    if (!entry.second.IsScalar()) type_error(join_path(path, entry.first.Scalar()), "a single value", entry.second);
    values[entry.first.Scalar()] = entry.second.Scalar();
  }
  record(keys, YAML::Clone(node));  // as written, quotes included
  return values;
}

std::vector<std::string> ExperimentConfig::get_map_keys(const std::string& path) const {
  const YAML::Node node = lookup(split_path_or_throw(path));
  std::vector<std::string> keys;
  if (!node || node.IsNull()) return keys;
  if (!node.IsMap()) type_error(path, "a map", node);
  for (const auto& entry : node) keys.push_back(entry.first.Scalar());
  return keys;
}

bool ExperimentConfig::has(const std::string& path) const {
  std::vector<std::string> keys;
  if (!split_path(path, keys)) return false;
  YAML::Node node = root_;
  for (const auto& key : keys) {
    if (!node.IsMap() || !std::as_const(node)[key]) return false;
    node.reset(std::as_const(node)[key]);
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

void ExperimentConfig::find_unknown(const YAML::Node& map, const std::string& prefix, std::string& first) const {
  for (const auto& entry : map) {
    if (!first.empty()) return;
    const std::string path = join_path(prefix, entry.first.Scalar());
    if (entry.second.IsMap() && entry.second.size() > 0) {
      bool whole = read_.count(path) > 0;
      for (size_t dot = path.find('.'); !whole && dot != std::string::npos; dot = path.find('.', dot + 1))
        whole = read_.count(path.substr(0, dot)) > 0;
      if (!whole) find_unknown(entry.second, path, first);
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

void collect_leaves(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap() && node.size() > 0) {
    for (const auto& entry : node) collect_leaves(entry.second, join_path(prefix, entry.first.Scalar()), out);
    return;
  }
  out[prefix] = emit(node, false, false);
}

}  // namespace

std::map<std::string, std::string> ExperimentConfig::leaves() const {
  std::map<std::string, std::string> out;
  if (root_.size() > 0) collect_leaves(root_, "", out);
  return out;
}

std::string ExperimentConfig::resolved_yaml() const { return emit(resolved_, true, true) + "\n"; }

// ---- Bounds and integer flags --------------------------------------------------

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

}  // namespace metarl
