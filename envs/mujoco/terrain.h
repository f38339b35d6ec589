// Terrain profiles for heightfield floors: the ground's height along x,
// generated from a few named numbers.
//
// A terrain is a Task value whose family is the generator's name, so it
// prints and parses like any task: "hill(z_top=0.6)", "ramps(z_top=0.43,
// slope0=0.31, ...)", "rough(roughness=0.1, bump_columns=2, seed=7)". Every
// random choice of a generator is one of its parameters (the ramps' slopes,
// the rough ground's seed), so a printed terrain rebuilds exactly.
//
// The grid follows learning_to_adapt (Nagabandi et al. 2019): 500 columns
// over x in [-50, 50] (0.2 m a column, column 250 at x = 0.1), every row of
// the heightfield the same profile. Its generators (ramps for training;
// hill, basin, gentle and steep held out) build cumulative ramps, then
// min-max normalise the profile to [0, 1] and scale it by z_top; ours add
// flat ground, stairs and rough ground, given in metres.
#pragma once

#include <string>
#include <vector>

#include "envs/core/options.h"
#include "envs/core/rng.h"
#include "envs/core/task.h"

namespace metarl {

struct TerrainGrid {
  static constexpr int kColumns = 500;
  static constexpr int kRows = 4;  // profiles vary along x only; rows just span y
  static constexpr double kHalfLength = 50.0;
  static constexpr double kHalfWidth = 5.0;
  // The declared elevation scale: the highest ground any generator may
  // build (steep's z_top). Elevation data are heights divided by it.
  static constexpr double kMaxHeight = 4.0;
  static constexpr double kBase = 0.1;  // depth of the heightfield's box below zero
  static double column_x(int column) { return -kHalfLength + 2.0 * kHalfLength * column / (kColumns - 1); }
};

// The generators' names, in the order `metarl list` shows them.
const std::vector<std::string>& terrain_kinds();

// The settings of generators with parameters that are not drawn (stairs,
// rough), as options: those of `kind`, or of every generator for "".
OptionSpecs terrain_draw_options(const std::string& kind = "");
struct TerrainDrawSettings {
  double step_height = 0;
  int step_columns = 0, steps = 0;
  double roughness = 0;
  int bump_columns = 0;
  // Reads terrain_draw_options(kind)'s keys from resolved `options`.
  static TerrainDrawSettings read(const Options& options, const std::string& kind, const std::string& who);
};

// A terrain of `kind`: its random parameters drawn from `rng` (ramps: z_top
// and six slopes; rough: a seed), the others from `settings`; `who` names
// the caller in errors.
Task draw_terrain(const std::string& kind, Rng& rng, const TerrainDrawSettings& settings, const std::string& who);

// The ground's height in metres at each column of the grid. Throws, naming
// the terrain and the parameter, when it is not one a generator makes (an
// unknown kind, a missing or out-of-range parameter, ground higher than
// TerrainGrid::kMaxHeight or below zero).
std::vector<double> terrain_profile(const Task& terrain);

// A course: `first` up to x = switch_x, then `then` shifted so that its
// start (column 250) is at switch_x and its ground continues from the
// first's height there (lowered or raised as a whole, within [0, kMaxHeight]).
std::vector<double> course_profile(const Task& first, const Task& then, double switch_x);

// Heightfield elevation data (values in [0, 1] of kMaxHeight, row after
// row, every row the same profile) for a profile in metres.
std::vector<float> elevation_data(const std::vector<double>& profile);

// The height in metres at x of a heightfield row of elevation data: linear
// between columns, as the heightfield's surface is along x; outside the
// grid, the first or last column's.
double profile_height(const float* elevation_row, double x);

// A terrain from its text: a printed terrain ("hill(z_top=0.6)") or, for a
// generator without random parameters, its name alone ("hill", "flat",
// "stairs": the defaults of terrain_draw_options). Checked by building its
// profile; `who` names the option in errors.
Task parse_terrain(const std::string& text, const std::string& who);

}  // namespace metarl
