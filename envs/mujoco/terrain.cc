#include "envs/mujoco/terrain.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "envs/core/error.h"

namespace metarl {
namespace {

constexpr int kColumns = TerrainGrid::kColumns;
constexpr int kStartColumn = 250;  // x = 0.1, where every robot starts
constexpr int kRampCount = 6;

// learning_to_adapt's training terrain: six ramps of 10 columns starting at
// columns 255, 265, ..., 305, slopes U(0.2, 0.6) per column with a random
// sign (the first two rising), z_top ~ U(0.2, 1).
constexpr int kTrainRampStart = 255, kTrainRampWidth = 10;
constexpr double kSlopeLow = 0.2, kSlopeHigh = 0.6, kZTopLow = 0.2, kZTopHigh = 1.0;
// Its held-out profiles: six ramps of 15 columns from column 250.
constexpr int kTestRampStart = 250, kTestRampWidth = 15;

struct HeldOut {
  const char* kind;
  double slopes[kRampCount];
  double z_top;
};
constexpr HeldOut kHeldOut[] = {
    {"hill", {1, -1, 0, 0, 0, 0}, 0.6},
    {"basin", {-1, 1, 0, 0, 0, 0}, 0.55},
    {"gentle", {1, 1, 1, 1, 1, 1}, 1.0},
    {"steep", {1, 1, 1, 1, 1, 1}, 4.0},
};

const HeldOut* held_out(const std::string& kind) {
  for (const HeldOut& h : kHeldOut)
    if (kind == h.kind) return &h;
  return nullptr;
}

std::string slope_key(int i) { return "slope" + std::to_string(i); }

// learning_to_adapt's construction: ramp i adds slope_i per column over its
// width, the level after it is held, and the whole row is min-max
// normalised and scaled to z_top.
std::vector<double> cumulative_ramps(int first_column, int width, const double* slopes, double z_top) {
  std::vector<double> row(kColumns, 0.0);
  for (int i = 0; i < kRampCount; ++i) {
    const int start = first_column + i * width;
    double level = row[size_t(start)];
    for (int c = start; c < start + width; ++c) row[size_t(c)] = (level += slopes[i]);
    std::fill(row.begin() + start + width, row.end(), level);
  }
  const auto [low, high] = std::minmax_element(row.begin(), row.end());
  const double min = *low, range = *high - *low;
  for (double& h : row) h = range > 0 ? z_top * (h - min) / range : 0.0;
  return row;
}

double param(const Task& terrain, const std::string& key, double low, double high) {
  const double value = terrain.get(key);
  if (!(value >= low && value <= high))
    throw_env_error("terrain ", terrain.to_string(), ": ", key, " must be in [", low, ", ", high, "]");
  return value;
}

int int_param(const Task& terrain, const std::string& key, int low, int high) {
  const double value = param(terrain, key, low, high);
  if (value != std::floor(value)) throw_env_error("terrain ", terrain.to_string(), ": ", key, " must be an integer");
  return int(value);
}

void check_keys(const Task& terrain, const std::vector<std::string>& keys) {
  for (const auto& [key, value] : terrain.params())
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      throw_env_error("terrain ", terrain.to_string(), ": unknown parameter '", key, "'");
}

[[noreturn]] void throw_unknown_kind(const std::string& kind, const std::string& who) {
  std::string known;
  for (const auto& k : terrain_kinds()) known += (known.empty() ? "" : ", ") + k;
  throw_env_error(who, ": unknown terrain '", kind, "' (known: ", known, ")");
}

}  // namespace

const std::vector<std::string>& terrain_kinds() {
  static const std::vector<std::string> kinds = {"flat", "ramps", "hill", "basin", "gentle", "steep", "stairs", "rough"};
  return kinds;
}

OptionSpecs terrain_draw_options(const std::string& kind) {
  OptionSpecs options;
  if (kind.empty() || kind == "stairs") {
    options.push_back(double_option("step_height", 0.1, "stairs: the rise of each step, metres").within(0.0, 0.5));
    options.push_back(int_option("step_columns", 5, "stairs: the depth of each step, columns of 0.2 m").within(1, 50));
    options.push_back(int_option("steps", 8, "stairs: how many steps up").within(1, 40));
  }
  if (kind.empty() || kind == "rough") {
    options.push_back(double_option("roughness", 0.1, "rough: the highest bump, metres").within(0.0, 1.0));
    options.push_back(int_option("bump_columns", 2, "rough: the width of each bump, columns of 0.2 m").within(1, 50));
  }
  return options;
}

TerrainDrawSettings TerrainDrawSettings::read(const Options& options, const std::string& kind, const std::string& who) {
  TerrainDrawSettings settings;
  if (kind.empty() || kind == "stairs") {
    settings.step_height = options.get_double(who, "step_height");
    settings.step_columns = options.get_int(who, "step_columns");
    settings.steps = options.get_int(who, "steps");
  }
  if (kind.empty() || kind == "rough") {
    settings.roughness = options.get_double(who, "roughness");
    settings.bump_columns = options.get_int(who, "bump_columns");
  }
  return settings;
}

Task draw_terrain(const std::string& kind, Rng& rng, const TerrainDrawSettings& settings, const std::string& who) {
  if (kind == "flat") return Task("flat", {});
  if (kind == "ramps") {
    std::vector<Task::Param> params = {{"z_top", rng.uniform(kZTopLow, kZTopHigh)}};
    for (int i = 0; i < kRampCount; ++i) {
      const double sign = i < 2 || rng.uniform() < 0.5 ? 1.0 : -1.0;
      params.push_back({slope_key(i), sign * rng.uniform(kSlopeLow, kSlopeHigh)});
    }
    return Task("ramps", std::move(params));
  }
  if (const HeldOut* h = held_out(kind)) return Task(kind, {{"z_top", h->z_top}});
  if (kind == "stairs")
    return Task("stairs", {{"step_height", settings.step_height},
                           {"step_columns", double(settings.step_columns)},
                           {"steps", double(settings.steps)}});
  if (kind == "rough")
    return Task("rough", {{"roughness", settings.roughness},
                          {"bump_columns", double(settings.bump_columns)},
                          // 2^53 seeds, each exactly a double
                          {"seed", double(rng.next_u64() >> 11)}});
  throw_unknown_kind(kind, who);
}

std::vector<double> terrain_profile(const Task& terrain) {
  const std::string& kind = terrain.family();
  std::vector<double> row;
  if (kind == "flat") {
    check_keys(terrain, {});
    row.assign(kColumns, 0.0);
  } else if (kind == "ramps") {
    std::vector<std::string> keys = {"z_top"};
    double slopes[kRampCount];
    for (int i = 0; i < kRampCount; ++i) {
      keys.push_back(slope_key(i));
      slopes[i] = param(terrain, slope_key(i), -kSlopeHigh, kSlopeHigh);
    }
    check_keys(terrain, keys);
    row = cumulative_ramps(kTrainRampStart, kTrainRampWidth, slopes,
                           param(terrain, "z_top", 0.0, TerrainGrid::kMaxHeight));
  } else if (const HeldOut* h = held_out(kind)) {
    check_keys(terrain, {"z_top"});
    row = cumulative_ramps(kTestRampStart, kTestRampWidth, h->slopes,
                           param(terrain, "z_top", 0.0, TerrainGrid::kMaxHeight));
  } else if (kind == "stairs") {
    check_keys(terrain, {"step_height", "step_columns", "steps"});
    const double rise = param(terrain, "step_height", 0.0, TerrainGrid::kMaxHeight);
    const int depth = int_param(terrain, "step_columns", 1, kColumns);
    const int steps = int_param(terrain, "steps", 1, kColumns);
    if (rise * steps > TerrainGrid::kMaxHeight)
      throw_env_error("terrain ", terrain.to_string(), ": ", steps, " steps of ", rise, " m rise above ",
                      TerrainGrid::kMaxHeight, " m");
    row.assign(kColumns, 0.0);
    // Step k (1-based) rises at column 255 + (k - 1) * depth.
    for (int c = kTrainRampStart; c < kColumns; ++c)
      row[size_t(c)] = rise * std::min(steps, 1 + (c - kTrainRampStart) / depth);
  } else if (kind == "rough") {
    check_keys(terrain, {"roughness", "bump_columns", "seed"});
    const double roughness = param(terrain, "roughness", 0.0, TerrainGrid::kMaxHeight);
    const int width = int_param(terrain, "bump_columns", 1, kColumns);
    Rng bumps(uint64_t(param(terrain, "seed", 0.0, 9007199254740992.0)));
    row.assign(kColumns, 0.0);
    // Flat where the robot starts, then bumps of `width` columns.
    for (int c = kStartColumn + 2; c < kColumns; c += width) {
      const double h = roughness * bumps.uniform();
      std::fill(row.begin() + c, row.begin() + std::min(kColumns, c + width), h);
    }
  } else {
    throw_unknown_kind(kind, "terrain " + terrain.to_string());
  }
  return row;
}

std::vector<double> course_profile(const Task& first, const Task& then, double switch_x) {
  const std::vector<double> a = terrain_profile(first), b = terrain_profile(then);
  const double column_width = TerrainGrid::column_x(1) - TerrainGrid::column_x(0);
  const int at = std::clamp(int(std::lround((switch_x - TerrainGrid::column_x(0)) / column_width)), 1, kColumns - 1);
  std::vector<double> row(a.begin(), a.begin() + at);
  // b's level before its features joins a's where the course switches.
  const double offset = a[size_t(at - 1)] - b[kStartColumn - 1];
  for (int c = at; c < kColumns; ++c) {
    const int from = std::min(kColumns - 1, kStartColumn + (c - at));
    row.push_back(std::clamp(b[size_t(from)] + offset, 0.0, TerrainGrid::kMaxHeight));
  }
  return row;
}

std::vector<float> elevation_data(const std::vector<double>& profile) {
  std::vector<float> data;
  data.reserve(size_t(TerrainGrid::kRows) * profile.size());
  for (int r = 0; r < TerrainGrid::kRows; ++r)
    for (double h : profile) data.push_back(float(h / TerrainGrid::kMaxHeight));
  return data;
}

Task parse_terrain(const std::string& text, const std::string& who) {
  Task terrain;
  if (text.find('(') != std::string::npos) {
    terrain = Task::parse(text);
  } else {
    if (text == "ramps" || text == "rough")
      throw_env_error(who, ": terrain '", text, "' is drawn at random; give its parameters (as printed, e.g. by ",
                      "`metarl list`'s families) or draw it with a task family or the Terrain schedule");
    Rng unused(0);
    const Options defaults = resolve_options("terrain", text, terrain_draw_options(text), {});
    terrain = draw_terrain(text, unused, TerrainDrawSettings::read(defaults, text, who), who);
  }
  terrain_profile(terrain);  // throws, naming the terrain, unless a generator makes it
  return terrain;
}

double profile_height(const float* row, double x) {
  const double column_width = TerrainGrid::column_x(1) - TerrainGrid::column_x(0);
  const double u = std::clamp((x - TerrainGrid::column_x(0)) / column_width, 0.0, double(kColumns - 1));
  const int c = std::min(int(u), kColumns - 2);
  const double t = u - c;
  return TerrainGrid::kMaxHeight * ((1.0 - t) * row[size_t(c)] + t * row[size_t(c + 1)]);
}

}  // namespace metarl
