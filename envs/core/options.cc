#include "envs/core/options.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <system_error>

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

const std::string& Options::require(const std::string& owner, const std::string& key) const {
  const std::string* text = lookup(key);
  if (!text)
    throw_env_error(owner, ": internal error: option '", key,
                    "' has no value (is it declared in the registry entry's options?)");
  return *text;
}

double Options::get_double(const std::string& owner, const std::string& key) const {
  require(owner, key);
  return get_double(owner, key, 0.0);
}

int Options::get_int(const std::string& owner, const std::string& key) const {
  require(owner, key);
  return get_int(owner, key, 0);
}

bool Options::get_bool(const std::string& owner, const std::string& key) const {
  require(owner, key);
  return get_bool(owner, key, false);
}

std::string Options::get_string(const std::string& owner, const std::string& key) const {
  return require(owner, key);
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

namespace {

OptionSpec make_spec(std::string key, OptionSpec::Type type, std::optional<std::string> default_value,
                     std::string help) {
  OptionSpec spec;
  spec.key = std::move(key);
  spec.type = type;
  spec.default_value = std::move(default_value);
  spec.help = std::move(help);
  return spec;
}

// Shortest text that reads back (strtod) to exactly `value`.
std::string exact_text(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (result.ec != std::errc()) throw_env_error("options: cannot print ", value);
  return std::string(buffer, result.ptr);
}

std::string number_text(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

OptionSpec OptionSpec::positive() const {
  OptionSpec spec = *this;
  spec.range = Range::kPositive;
  return spec;
}

OptionSpec OptionSpec::at_least(double bound) const {
  OptionSpec spec = *this;
  spec.range = Range::kAtLeast;
  spec.low = bound;
  return spec;
}

OptionSpec OptionSpec::within(double low_bound, double high_bound) const {
  OptionSpec spec = *this;
  spec.range = Range::kWithin;
  spec.low = low_bound;
  spec.high = high_bound;
  return spec;
}

OptionSpec OptionSpec::one_of(std::vector<std::string> values) const {
  OptionSpec spec = *this;
  spec.range = Range::kOneOf;
  spec.choices = std::move(values);
  return spec;
}

const char* OptionSpec::type_name() const {
  switch (type) {
    case Type::kInt: return "int";
    case Type::kDouble: return "double";
    case Type::kBool: return "bool";
    case Type::kString: return "string";
  }
  return "?";
}

std::string OptionSpec::range_text() const {
  switch (range) {
    case Range::kAny: return "";
    case Range::kPositive: return "> 0";
    case Range::kAtLeast: return ">= " + number_text(low);
    case Range::kWithin: return "in [" + number_text(low) + ", " + number_text(high) + "]";
    case Range::kOneOf: {
      std::string out;
      for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
      return out;
    }
  }
  return "";
}

OptionSpec int_option(std::string key, int default_value, std::string help) {
  return make_spec(std::move(key), OptionSpec::Type::kInt, std::to_string(default_value), std::move(help));
}

OptionSpec double_option(std::string key, double default_value, std::string help) {
  return make_spec(std::move(key), OptionSpec::Type::kDouble, exact_text(default_value), std::move(help));
}

OptionSpec bool_option(std::string key, bool default_value, std::string help) {
  return make_spec(std::move(key), OptionSpec::Type::kBool, default_value ? "true" : "false", std::move(help));
}

OptionSpec string_option(std::string key, std::string default_value, std::string help) {
  return make_spec(std::move(key), OptionSpec::Type::kString, std::move(default_value), std::move(help));
}

OptionSpec required_string_option(std::string key, std::string help) {
  return make_spec(std::move(key), OptionSpec::Type::kString, std::nullopt, std::move(help));
}

OptionSpecs with_default(OptionSpecs specs, const std::string& key, const std::string& value) {
  for (OptionSpec& spec : specs)
    if (spec.key == key) {
      spec.default_value = value;
      return specs;
    }
  throw_env_error("with_default: no option '", key, "' to change");
}

Options resolve_options(const std::string& kind, const std::string& name, const OptionSpecs& specs,
                        const Options& given) {
  std::map<std::string, const OptionSpec*> declared;
  for (const auto& spec : specs) declared.emplace(spec.key, &spec);
  for (const auto& [key, value] : given.values())
    if (!declared.count(key)) throw_env_error(kind, " ", name, ": unknown option '", key, "' (value '", value, "')");

  Options resolved;
  for (const auto& spec : specs) {
    if (given.has(spec.key))
      resolved.set(spec.key, given.values().at(spec.key));
    else if (spec.default_value)
      resolved.set(spec.key, *spec.default_value);
    else
      throw_env_error(name, ": option '", spec.key, "' (", spec.help, ") is required");
    // Its type (the getters' errors), then its range.
    double number = 0;
    switch (spec.type) {
      case OptionSpec::Type::kInt: number = resolved.get_int(name, spec.key); break;
      case OptionSpec::Type::kDouble: number = resolved.get_double(name, spec.key); break;
      case OptionSpec::Type::kBool: resolved.get_bool(name, spec.key); break;
      case OptionSpec::Type::kString: break;
    }
    const std::string got =
        spec.type == OptionSpec::Type::kInt ? std::to_string(static_cast<int>(number)) : number_text(number);
    switch (spec.range) {
      case OptionSpec::Range::kAny: break;
      case OptionSpec::Range::kPositive:
        if (!(number > 0)) throw_env_error(name, ": ", spec.key, " must be positive, got ", got);
        break;
      case OptionSpec::Range::kAtLeast:
        if (!(number >= spec.low))
          throw_env_error(name, ": ", spec.key, " must be >= ", number_text(spec.low), ", got ", got);
        break;
      case OptionSpec::Range::kWithin:
        if (!(number >= spec.low && number <= spec.high))
          throw_env_error(name, ": ", spec.key, " must lie in [", number_text(spec.low), ", ",
                          number_text(spec.high), "], got ", got);
        break;
      case OptionSpec::Range::kOneOf: {
        const std::string value = resolved.get_string(name, spec.key);
        bool found = false;
        std::string words;
        for (size_t i = 0; i < spec.choices.size(); ++i) {
          found = found || spec.choices[i] == value;
          words += (i == 0 ? "" : i + 1 == spec.choices.size() ? " or " : ", ") + spec.choices[i];
        }
        if (!found) throw_env_error(name, ": ", spec.key, " must be ", words, ", got '", value, "'");
        break;
      }
    }
  }
  // A fresh object: the component's reads are what counts as used.
  Options out;
  for (const auto& [key, value] : resolved.values()) out.set(key, value);
  return out;
}

}  // namespace metarl
