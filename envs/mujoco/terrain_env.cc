#include "envs/mujoco/terrain_env.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <sstream>

#include <tinyxml2.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/error.h"
#include "envs/core/registry.h"
#include "envs/mujoco/locomotion_tasks.h"
#include "envs/mujoco/mjcf_edit.h"
#include "envs/mujoco/terrain.h"

namespace metarl {
namespace {

constexpr const char* kHfieldName = "terrain";
constexpr int kTorsoBody = 1;
// How far from the root, along x, a robot reaches at its reset pose (the
// cheetah's head and feet, the Ant's legs): it starts above the highest
// ground within this distance.
constexpr double kFootprintHalfLength = 1.0;

// The robot's MJCF with its floor plane (the geom named "floor") replaced by
// the terrain heightfield, declared at TerrainGrid's size.
std::string terrain_mjcf(const std::string& env_name, const std::string& path) {
  tinyxml2::XMLDocument doc;
  tinyxml2::XMLElement* floor = load_mjcf_floor(doc, env_name, path);
  tinyxml2::XMLElement* root = doc.FirstChildElement("mujoco");
  floor->SetAttribute("type", "hfield");
  floor->SetAttribute("hfield", kHfieldName);
  floor->DeleteAttribute("size");
  floor->SetAttribute("pos", "0 0 0");

  tinyxml2::XMLElement* asset = root->FirstChildElement("asset");
  if (!asset) {
    asset = doc.NewElement("asset");
    root->InsertFirstChild(asset);
  }
  tinyxml2::XMLElement* hfield = doc.NewElement("hfield");
  hfield->SetAttribute("name", kHfieldName);
  hfield->SetAttribute("nrow", TerrainGrid::kRows);
  hfield->SetAttribute("ncol", TerrainGrid::kColumns);
  std::ostringstream size;
  size.precision(17);
  size << TerrainGrid::kHalfLength << ' ' << TerrainGrid::kHalfWidth << ' ' << TerrainGrid::kMaxHeight << ' '
       << TerrainGrid::kBase;
  hfield->SetAttribute("size", size.str().c_str());
  asset->InsertEndChild(hfield);
  return mjcf_text(doc);
}

std::shared_ptr<const mjModel> terrain_model(const LocomotionSpec& spec, const Options& options) {
  const std::string path = asset_path(options.get_string(spec.name, "model_path"));
  return load_reference_model_from_xml(spec.name, terrain_mjcf(spec.name, path));
}

// One elevation buffer per profile in use, so that envs showing the same
// terrain share it (and a thread stepping them in turn copies nothing).
std::shared_ptr<const std::vector<float>> shared_elevation(const std::vector<double>& profile) {
  static std::mutex mutex;
  static std::map<std::vector<double>, std::weak_ptr<const std::vector<float>>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  for (auto it = cache.begin(); it != cache.end();)  // forget terrains no env shows any more
    it = it->second.expired() ? cache.erase(it) : std::next(it);
  auto& slot = cache[profile];
  if (auto data = slot.lock()) return data;
  auto data = std::make_shared<const std::vector<float>>(elevation_data(profile));
  slot = data;
  return data;
}

std::string capitalised(std::string word) {
  if (!word.empty()) word[0] = char(std::toupper(static_cast<unsigned char>(word[0])));
  return word;
}

}  // namespace

OptionSpecs terrain_env_options() {
  return {string_option("terrain", "flat",
                        "the ground when no task or schedule sets it: a terrain as printed, e.g. "
                        "hill(z_top=0.6), or flat, hill, basin, gentle, steep, stairs"),
          int_option("height_scan", 0,
                     "observe the ground's height (relative to the torso) at this many points from the root forward")
              .at_least(0),
          double_option("scan_spacing", 0.2, "metres between the height scan's points").positive()};
}

TerrainEnv::TerrainEnv(const LocomotionSpec& spec, const Options& options)
    : LocomotionEnv(spec, options, terrain_model(spec, options)) {
  hfield_ = mj_name2id(reference_model(), mjOBJ_HFIELD, kHfieldName);
  height_scan_ = options.get_int(spec.name, "height_scan");
  scan_spacing_ = options.get_double(spec.name, "scan_spacing");
  if (!spec.root_has_y) torso_z_offset_ = reference_model()->body_pos[3 * kTorsoBody + 2];
  set_observation_space(Box::unbounded(base_observation_size() + height_scan_));
  set_base_terrain(parse_terrain(options.get_string(spec.name, "terrain"), spec.name + ": option terrain"));
}

void TerrainEnv::set_base_terrain(const Task& terrain) {
  base_elevation_ = shared_elevation(terrain_profile(terrain));
  base_terrain_ = terrain;
  show_base_terrain();
}

void TerrainEnv::show_base_terrain() { show(base_elevation_, base_terrain_.to_string()); }

void TerrainEnv::show_terrain(const Task& terrain) {
  show(shared_elevation(terrain_profile(terrain)), terrain.to_string());
}

void TerrainEnv::show_course(const Task& first, const Task& then, double switch_x) {
  std::ostringstream description;
  description << first.to_string() << " then " << then.to_string() << " from x=" << switch_x;
  show(shared_elevation(course_profile(first, then, switch_x)), description.str());
}

void TerrainEnv::show(std::shared_ptr<const std::vector<float>> elevation, std::string description) {
  set_hfield_data(hfield_, std::move(elevation));
  description_ = std::move(description);
}

double TerrainEnv::ground_at(double x) const { return profile_height(hfield_data(hfield_), x); }

double TerrainEnv::ground_height(double x, double /*y*/) const { return ground_at(x); }

double TerrainEnv::spawn_lift(double x, double /*y*/) const {
  // The highest column within the footprint, and its ends (between columns).
  double highest = std::max(ground_at(x - kFootprintHalfLength), ground_at(x + kFootprintHalfLength));
  for (int c = 0; c < TerrainGrid::kColumns; ++c)
    if (std::abs(TerrainGrid::column_x(c) - x) <= kFootprintHalfLength)
      highest = std::max(highest, ground_at(TerrainGrid::column_x(c)));
  return highest;
}

void TerrainEnv::write_extra_observation(float* out) const {
  if (height_scan_ == 0) return;
  const double torso_z = torso_z_offset_ + qpos()[root_z_index()];
  for (int i = 0; i < height_scan_; ++i) out[i] = float(ground_at(root_x() + i * scan_spacing_) - torso_z);
}

namespace {

// The terrain schedule: a terrain drawn per episode (from the episode's
// generator), or a course of two; restores the env's base terrain.
class TerrainSchedule : public DynamicsSchedule {
 public:
  explicit TerrainSchedule(const Options& options)
      : profile_(options.get_string("Terrain", "profile")),
        then_(options.get_string("Terrain", "then")),
        switch_x_(options.get_double("Terrain", "switch_x")),
        draw_settings_(TerrainDrawSettings::read(options, "", "Terrain")) {
    // Unknown names fail here, before any run.
    Rng probe(0);
    draw_terrain(profile_, probe, draw_settings_, "Terrain schedule: profile");
    if (!then_.empty()) draw_terrain(then_, probe, draw_settings_, "Terrain schedule: then");
  }
  std::string name() const override { return "Terrain"; }
  std::string describe() const override {
    std::ostringstream out;
    out << "Terrain(" << profile_ << " drawn per episode";
    if (!then_.empty()) out << ", then " << then_ << " from x=" << switch_x_;
    return out.str() + ")";
  }
  std::string refusal(const Env& env) const override {
    if (dynamic_cast<const TerrainEnv*>(&env)) return "";
    return describe() + ": needs a terrain env (HalfCheetahTerrain, AntTerrain); " + env.name() + " is not one";
  }
  void restore(Env& env) const override {
    auto& terrain = env_as<TerrainEnv>(env, describe());
    terrain.show_base_terrain();
  }
  void modify(Env& env, const ScheduleContext& context) const override {
    auto& terrain = env_as<TerrainEnv>(env, describe());
    Rng fixed(0);  // generators without random parameters never draw from it
    Rng& rng = context.rng ? *context.rng : fixed;
    const Task first = draw_terrain(profile_, rng, draw_settings_, describe());
    if (then_.empty())
      terrain.show_terrain(first);
    else
      terrain.show_course(first, draw_terrain(then_, rng, draw_settings_, describe()), switch_x_);
  }
  bool draws() const override { return true; }

 private:
  std::string profile_, then_;
  double switch_x_;
  TerrainDrawSettings draw_settings_;
};

OptionSpecs terrain_schedule_options() {
  OptionSpecs options = {
      string_option("profile", "ramps", "the generator drawn from at each episode").one_of(terrain_kinds()),
      string_option("then", "", "a second generator the course changes to at switch_x (empty: none)"),
      double_option("switch_x", 5.0, "where the course changes, metres along x")};
  for (OptionSpec& spec : terrain_draw_options()) options.push_back(spec);
  return options;
}

const Registration<DynamicsSchedule> kRegisterTerrainSchedule(
    schedule_registry(), "Terrain",
    "terrain envs: a terrain drawn per episode (profile), or a course running into another (then, switch_x)",
    terrain_schedule_options(), [](const Options& options) { return std::make_unique<TerrainSchedule>(options); });

// The terrain families: each generator of terrain.h on each robot, tasks
// being terrains ("HalfCheetahHill(z_top=0.6)"); a task's chain runs on its
// terrain, with the env's reward.
class TerrainFamily : public TaskFamily {
 public:
  TerrainFamily(const std::string& robot, const std::string& kind, const Options& options)
      : TaskFamily(robot + capitalised(kind), robot + "Terrain"),
        kind_(kind),
        draw_settings_(TerrainDrawSettings::read(options, kind, name())) {}
  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int i = 0; i < n; ++i) tasks.push_back(make_task(draw_terrain(kind_, rng, draw_settings_, name()).params()));
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    env_as<TerrainEnv>(env, name()).set_base_terrain(Task(kind_, task.params()));
  }

 private:
  std::string kind_;
  TerrainDrawSettings draw_settings_;
};

const char* terrain_description(const std::string& kind) {
  if (kind == "ramps") return "learning_to_adapt's training terrain: six ramps, random slopes and height";
  if (kind == "hill" || kind == "basin" || kind == "gentle" || kind == "steep")
    return "a held-out profile of learning_to_adapt";
  if (kind == "stairs") return "stairs up (step_height, step_columns, steps)";
  if (kind == "rough") return "random bumps up to roughness, a new seed per task";
  return "flat ground";
}

// The Ant with rllab's costs (Gymnasium's make an exploring robot's steps
// cost more than standing earns; envs/mujoco/crippled_legs.cc).
LocomotionSpec ant_terrain_spec() {
  LocomotionSpec spec = legged_robot_spec("AntTerrain", "ant.xml", 4);
  spec.healthy_reward = kRllabLeggedSurvive;
  spec.ctrl_cost_weight = kRllabLeggedCtrlCost;
  spec.contact_cost_weight = kRllabLeggedContactCost;
  return spec;
}

OptionSpecs with_terrain_options(OptionSpecs options) {
  for (OptionSpec& option : terrain_env_options()) options.push_back(option);
  return options;
}

LocomotionSpec half_cheetah_terrain_spec() { return learning_to_adapt_cheetah_spec("HalfCheetahTerrain"); }

const Registration<Env> kRegisterHalfCheetahTerrain(
    env_registry(), "HalfCheetahTerrain",
    "HalfCheetah on a heightfield (terrain option, families, Terrain schedule); v_x - 0.05|a|^2", {{20, 6}},
    with_terrain_options(learning_to_adapt_cheetah_options(half_cheetah_terrain_spec())),
    [](const Options& options) { return std::make_unique<TerrainEnv>(half_cheetah_terrain_spec(), options); });

const Registration<Env> kRegisterAntTerrain(
    env_registry(), "AntTerrain",
    "Ant on a heightfield (terrain option, families, Terrain schedule); v_x - rllab's costs + 0.05, "
    "falls when the torso leaves [0.2, 1] above the ground",
    // learning_to_adapt observes the torso's centre of mass (where on the course the robot is).
    {{108, 8}}, with_terrain_options(with_default(locomotion_options(ant_terrain_spec()), "com_in_obs", "true")),
    [](const Options& options) { return std::make_unique<TerrainEnv>(ant_terrain_spec(), options); });

// Registered for every robot and generator at load time.
const bool kRegisterTerrainFamilies = [] {
  for (const std::string robot : {"HalfCheetah", "Ant"})
    for (const std::string& kind : terrain_kinds())
      task_family_registry().add(
          {robot + capitalised(kind), std::string(terrain_description(kind)) + ", on " + robot + "Terrain",
           terrain_draw_options(kind),
           {},
           [robot, kind](const Options& options) { return std::make_unique<TerrainFamily>(robot, kind, options); }});
  return true;
}();

}  // namespace
}  // namespace metarl
