// Locomotion on uneven ground: a robot's own MJCF with its floor plane
// replaced by a heightfield (envs/mujoco/terrain.h's grid), whose elevation
// data each env sets from a terrain. The model declares the largest height
// once; a terrain rewrites only the data, never the size (the broad phase
// relies on it), so every env of a model shares one compiled model.
//
// What changes with the ground: the robot starts above the highest ground
// under its footprint, its health check measures the torso from the ground
// below it, and an optional height scan observes the ground ahead.
//
// Where the terrain comes from, in order: the env option `terrain`; a task of
// a terrain family (HalfCheetahHill, AntRamps, ...), which replaces it for
// the task's chain; the Terrain dynamics schedule, which draws one per
// episode (or a course of two) on top of either.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"

namespace metarl {

class TerrainEnv : public LocomotionEnv {
 public:
  // `spec`'s robot on terrain; options: locomotion_options plus terrain_env_options.
  TerrainEnv(const LocomotionSpec& spec, const Options& options);

  // The terrain episodes start from when no schedule changes it (the
  // option's, or the current task's): shown from now on.
  void set_base_terrain(const Task& terrain);
  const Task& base_terrain() const { return base_terrain_; }
  // Shows the base terrain again (a schedule's restore, at every reset):
  // its elevation data are kept, not rebuilt.
  void show_base_terrain();
  // Shows `terrain` until the next change (schedules call these).
  void show_terrain(const Task& terrain);
  // `first`, then `then` from x = switch_x on (course_profile).
  void show_course(const Task& first, const Task& then, double switch_x);
  // The terrain shown, as text ("hill(z_top=0.6)", or a course's two and its switch).
  const std::string& terrain_description() const { return description_; }

  // The ground's height in metres at x (any y: profiles vary along x only),
  // read from this env's elevation data: exactly the heightfield's surface.
  double ground_at(double x) const;

 protected:
  double ground_height(double x, double y) const override;
  double spawn_lift(double x, double y) const override;
  void write_extra_observation(float* out) const override;

 private:
  void show(std::shared_ptr<const std::vector<float>> elevation, std::string description);

  int hfield_ = 0;
  Task base_terrain_;
  std::shared_ptr<const std::vector<float>> base_elevation_;
  std::string description_;
  int height_scan_ = 0;
  double scan_spacing_ = 0;
  double torso_z_offset_ = 0;  // a planar root's slide is relative to the torso's MJCF height
};

// The options a terrain env adds to locomotion_options.
OptionSpecs terrain_env_options();

}  // namespace metarl
