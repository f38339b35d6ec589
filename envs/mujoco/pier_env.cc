// learning_to_adapt's pier (Nagabandi et al. 2019, half_cheetah_blocks.xml):
// the cheetah runs over eight boxes floating on vertical springs, and a task
// sets how much each box's motion is damped.
//
// The model is the cheetah's own MJCF (model_path) changed in memory: the
// floor plane becomes the water (0.1 below the boxes, drawn, touching
// nothing) and the boxes are appended after the robot, so the robot's joints
// come first in the state and the observation is exactly the cheetah's (the
// original's too: it leaves the boxes out). The original's numbers, all kept:
// boxes 0.1 m thick and 1.98 m wide, declared 10 kg each, on slide joints
// along z limited to ±0.15 m with stiffness 150 N/m about their rest; the
// cheetah file's settotalmass=14 then scales the whole model, boxes included,
// so each box weighs 1.38 kg and the cheetah 2.93 kg (not 14), as theirs.
//
// A box's damping is declared 1 N s/m so that the task's damping of it is a
// factor of JointDampingScale: the task's physics is an ordinary schedule,
// per env, and composes with an experiment's schedules (a JointDampingScale
// of the experiment's multiplies it).
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <tinyxml2.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/core/task.h"
#include "envs/mujoco/locomotion_env.h"
#include "envs/mujoco/locomotion_tasks.h"
#include "envs/mujoco/mjcf_edit.h"

namespace metarl {
namespace {

constexpr const char* kEnvName = "HalfCheetahPier";
constexpr const char* kFamilyName = "HalfCheetahPierDamping";

// Each box's centre along x and half-length: 0.001 m short of its
// neighbours, from x = -14 to 62.
struct Block {
  double x, half_length;
};
constexpr Block kBlocks[] = {{-8, 5.999}, {0, 1.999}, {4, 1.999},  {8, 1.999},
                          {12, 1.999}, {16, 1.999}, {20, 1.999}, {42, 19.999}};
constexpr int kNumBlocks = int(std::size(kBlocks));

std::string number_list(std::initializer_list<double> values) {
  std::ostringstream out;
  out.precision(17);
  const char* separator = "";
  for (double v : values) out << separator << v, separator = " ";
  return out.str();
}

std::string pier_mjcf(const std::string& path) {
  tinyxml2::XMLDocument doc;
  tinyxml2::XMLElement* floor = load_mjcf_floor(doc, kEnvName, path);
  floor->SetAttribute("pos", "0 0 -0.1");
  floor->SetAttribute("contype", 0);
  floor->SetAttribute("conaffinity", 0);
  tinyxml2::XMLElement* world = floor->Parent()->ToElement();
  for (int k = 0; k < kNumBlocks; ++k) {
    const std::string name = "block_" + std::to_string(k);
    tinyxml2::XMLElement* body = doc.NewElement("body");
    body->SetAttribute("name", name.c_str());
    body->SetAttribute("pos", number_list({kBlocks[k].x, 0, 0.05}).c_str());
    tinyxml2::XMLElement* joint = body->InsertNewChildElement("joint");
    joint->SetAttribute("name", ("blockz_" + std::to_string(k)).c_str());
    joint->SetAttribute("type", "slide");
    joint->SetAttribute("axis", "0 0 1");
    joint->SetAttribute("limited", "true");
    joint->SetAttribute("range", "-0.15 0.15");
    joint->SetAttribute("stiffness", 150);
    joint->SetAttribute("springref", 0);
    joint->SetAttribute("damping", 1);
    tinyxml2::XMLElement* geom = body->InsertNewChildElement("geom");
    geom->SetAttribute("name", name.c_str());
    geom->SetAttribute("type", "box");
    geom->SetAttribute("size", number_list({kBlocks[k].half_length, 0.99, 0.05}).c_str());
    geom->SetAttribute("mass", 10);
    geom->SetAttribute("contype", 1);
    geom->SetAttribute("conaffinity", 1);
    geom->SetAttribute("condim", 3);
    world->InsertEndChild(body);
  }
  return mjcf_text(doc);
}

LocomotionSpec pier_spec() {
  LocomotionSpec spec = learning_to_adapt_cheetah_spec(kEnvName);
  spec.scene_nq = spec.scene_nv = kNumBlocks;
  return spec;
}

class PierEnv : public LocomotionEnv {
 public:
  explicit PierEnv(const Options& options)
      : LocomotionEnv(pier_spec(), options,
                      load_reference_model_from_xml(
                          kEnvName, pier_mjcf(asset_path(options.get_string(kEnvName, "model_path"))))) {}
};

const Registration<Env> kRegisterPier(
    env_registry(), kEnvName,
    "HalfCheetah over learning_to_adapt's pier: eight boxes floating on damped springs; v_x - 0.05|a|^2", {{20, 6}},
    learning_to_adapt_cheetah_options(pier_spec()),
    [](const Options& options) { return std::make_unique<PierEnv>(options); });

// Tasks: each box's damping (damping0 .. damping7, N s/m) ~ U[low, high],
// drawn independently as the original's reset_task does.
class PierDamping : public TaskFamily {
 public:
  explicit PierDamping(const Options& options) : TaskFamily(kFamilyName, kEnvName) {
    low_ = options.get_double(name(), "low");
    high_ = options.get_double(name(), "high");
    if (low_ > high_) throw_env_error(name(), ": low ", low_, " exceeds high ", high_);
    std::vector<std::shared_ptr<const DynamicsSchedule>> blocks;
    for (int k = 0; k < kNumBlocks; ++k) {
      const std::string i = std::to_string(k);
      blocks.push_back(
          make_schedule("JointDampingScale", Options::parse("joint=blockz_" + i + ",to={damping" + i + "},episodes=1")));
    }
    damping_ = std::make_shared<CompositeSchedule>(std::move(blocks));
  }

  std::vector<Task> sample(int n, Rng& rng) const override {
    std::vector<Task> tasks;
    for (int t = 0; t < n; ++t) {
      std::vector<Task::Param> params;
      for (int k = 0; k < kNumBlocks; ++k) params.emplace_back("damping" + std::to_string(k), rng.uniform(low_, high_));
      tasks.push_back(make_task(std::move(params)));
    }
    return tasks;
  }

 protected:
  void configure(Env& env, const Task& task) const override {
    for (int k = 0; k < kNumBlocks; ++k) {
      const double damping = task.get("damping" + std::to_string(k));
      if (damping < 0) throw_env_error(name(), ": a damping must not be negative, got ", damping, " in ", task.to_string());
    }
    env.set_task_schedule(damping_);
  }

 private:
  double low_, high_;
  std::shared_ptr<const DynamicsSchedule> damping_;
};

const Registration<TaskFamily> kRegisterPierDamping(
    task_family_registry(), kFamilyName,
    "HalfCheetahPier with each box's damping ~ U[low, high] (N s/m), drawn per task",
    {double_option("low", 0.0, "lowest damping (<= high)").at_least(0),
     double_option("high", 10.0, "highest damping").at_least(0)},
    [](const Options& options) { return std::make_unique<PierDamping>(options); });

}  // namespace
}  // namespace metarl
