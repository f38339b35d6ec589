// Bad input gives a one-line EnvError naming the env and the problem, and
// never changes state.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

// The error message `f` throws, or "" if it does not throw.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const EnvError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
    return message;
  }
  return "";
}

TEST(EnvErrors, WrongActionSize) {
  auto env = make_env("HalfCheetah");
  env->reset(0);
  EXPECT_EQ(error_of([&] { env->step(std::vector<float>(5, 0.f)); }), "HalfCheetah: action has 5 values, expected 6");
  VectorEnv venv("Ant", 3, 1);
  venv.reset();
  EXPECT_EQ(error_of([&] { venv.step(std::vector<float>(3 * 8 - 1, 0.f)); }),
            "VectorEnv(Ant): got 23 action values, expected 3 envs x 8");
}

TEST(EnvErrors, NaNAndInfiniteActions) {
  auto env = make_env("Ant");
  env->reset(0);
  std::vector<float> a(8, 0.f);
  a[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(error_of([&] { env->step(a); }), "Ant: action[3] is NaN");
  a[3] = -std::numeric_limits<float>::infinity();
  EXPECT_EQ(error_of([&] { env->step(a); }), "Ant: action[3] is infinite (-inf)");
  auto nav = make_env("Navigation2D");
  nav->reset(0);
  EXPECT_EQ(error_of([&] { nav->step({std::numeric_limits<float>::infinity(), 0.f}); }),
            "Navigation2D: action[0] is infinite (inf)");
}

TEST(EnvErrors, BadActionInABatchLeavesEveryEnvUnchanged) {
  VectorEnv venv("HalfCheetah", 4, 2);
  venv.seed(1);
  venv.reset();
  std::vector<float> actions(4 * 6, 0.1f);
  venv.step(actions);
  const std::vector<float> before(venv.observations(), venv.observations() + 4 * 17);
  const int64_t steps_before = venv.total_steps();
  actions[2 * 6 + 4] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(error_of([&] { venv.step(actions); }), "env 2 of 4: HalfCheetah: action[4] is NaN");
  EXPECT_EQ(std::vector<float>(venv.observations(), venv.observations() + 4 * 17), before);
  EXPECT_EQ(venv.total_steps(), steps_before);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(venv.env(i).elapsed_steps(), 1);
}

TEST(EnvErrors, StepBeforeReset) {
  auto env = make_env("HalfCheetah");
  EXPECT_EQ(error_of([&] { env->step(std::vector<float>(6, 0.f)); }), "HalfCheetah: step() called before reset()");
}

TEST(EnvErrors, MissingMjcfFile) {
  EXPECT_EQ(error_of([] { make_env("HalfCheetah", Options::parse("model_path=/nonexistent/cheetah.xml")); }),
            "HalfCheetah: MJCF file '/nonexistent/cheetah.xml' not found or unreadable");
}

TEST(EnvErrors, MalformedMjcfFile) {
  const std::string path = ::testing::TempDir() + "metarl_malformed.xml";
  std::ofstream(path) << "<mujoco model=\"broken\"><worldbody><body><geom type=\"sphere\"></worldbody>";
  const std::string message = error_of([&] { make_env("Ant", Options::parse("model_path=" + path)); });
  EXPECT_EQ(message.rfind("Ant: cannot load MJCF '" + path + "': ", 0), 0u) << message;
  std::remove(path.c_str());
}

TEST(EnvErrors, MjcfOfTheWrongRobot) {
  const std::string message =
      error_of([] { make_env("HalfCheetah", Options::parse("model_path=" + assets_dir() + "/ant.xml")); });
  EXPECT_NE(message.find("HalfCheetah: MJCF '"), std::string::npos) << message;
  EXPECT_NE(message.find("has nq=15 nv=14 nu=8, expected nq=9 nv=9 nu=6"), std::string::npos) << message;
}

TEST(EnvErrors, InvalidSettings) {
  EXPECT_EQ(error_of([] { make_env("Ant", Options::parse("frame_skip=0")); }),
            "Ant: frame_skip must be positive, got 0");
  EXPECT_EQ(error_of([] { make_env("Navigation2D", Options::parse("max_episode_steps=-3")); }),
            "Navigation2D: max_episode_steps must be positive, got -3");
  EXPECT_EQ(error_of([] { make_env("HalfCheetah", Options::parse("contact_forces_in_obs=true")); }),
            "env HalfCheetah: unknown option 'contact_forces_in_obs' (value 'true')");
}

}  // namespace
}  // namespace metarl
