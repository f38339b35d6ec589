// The MuJoCo sumo scene: an arena and two robots from the project's own MJCF
// (assets/ant.xml, bug.xml, spider.xml), assembled into one model at load
// time (MuJoCo 2.2 has no model-editing API, so the MJCF text is merged).
//
// Each robot's body tree and actuators are copied with every name prefixed
// by the robot and its seat ("ant0/", "bug1/"), so any two robots, twice the
// same one included, give deterministic, distinct names. Each robot's file
// defaults become a default class of that prefix. Collisions: a robot's own
// parts never touch each other (as in the single-robot files), they touch
// the other robot and the arena.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include <mujoco/mujoco.h>

namespace metarl {

// A robot that can fight: its file and its densities (kg/m³ of its geoms).
struct SumoRobot {
  std::string kind;  // "ant", "bug", "spider"
  std::string asset;  // file under assets_dir()
  int legs = 0;
  // The densities of RoboSumo's calibration (Al-Shedivat et al. 2018):
  // Ant 13, Bug 10, Spider 39. The original Spider's leg geoms set density 5
  // themselves, so only its torso had 39: kept, since the calibration was
  // measured with it (docs/ENVIRONMENTS.md).
  double torso_density = 0;
  double leg_density = 0;
};

// The robot of `kind`, or an error naming `who` and the known kinds.
const SumoRobot& sumo_robot(const std::string& kind, const std::string& who);
const std::vector<SumoRobot>& sumo_robots();

enum class SumoArena {
  kTatami,  // RoboSumo's square platform with border bumps
  kRing,    // a round platform (Bansal et al.), its radius set per episode
};

struct SumoSceneSpec {
  std::array<std::string, 2> robots;  // kinds of seat 0 and seat 1
  SumoArena arena = SumoArena::kTatami;
  double ring_radius = 0;  // the ring's largest radius (the model's); episodes shrink it
};

// Arena dimensions (RoboSumo's, ANCHORS §3).
struct SumoArenaSize {
  static constexpr double kFloorZ = -0.025;
  static constexpr double kTatamiHalfExtent = 2.3;
  static constexpr double kTatamiHalfHeight = 0.25;
  static constexpr double kTatamiTop = 0.5;
  static constexpr double kBorder = 2.0;       // border bumps along x, y = ±2
  static constexpr double kBorderRadius = 0.03;
};

// Names of the arena's geoms in the scene.
inline constexpr const char* kPlatformGeom = "arena/platform";

// Each seat's robot in a colour of its own (MJCF rgba), so that a replay
// tells them apart: seat 0 red, seat 1 blue (the Sumo2D replay's too).
inline constexpr const char* kSumoSeatColour[2] = {"0.85 0.3 0.2 1", "0.2 0.4 0.85 1"};

// The scene's MJCF text (deterministic for a spec).
std::string sumo_scene_xml(const SumoSceneSpec& spec, const std::string& env_name);

// Where each robot sits in the compiled scene.
struct SumoSeat {
  std::string prefix;  // "ant0/"
  int root_joint = 0;  // its free joint
  int qpos_begin = 0, nq = 0;
  int dof_begin = 0, nv = 0;
  int body_begin = 0, nbody = 0;  // the torso and every body below it, contiguous
  int actuator_begin = 0, nu = 0;
  int torso_body = 0;
};
// The seats of a compiled sumo scene (an error naming `env_name` when its layout is not the expected one).
std::array<SumoSeat, 2> sumo_seats(const mjModel* m, const SumoSceneSpec& spec, const std::string& env_name);

}  // namespace metarl
