#include "envs/core/registry.h"

#include <gtest/gtest.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/env.h"
#include "envs/core/task.h"

namespace metarl {
namespace {

// A new environment is one self-registering definition; this one lives in the
// test file to show that nothing else has to change.
class ConstantEnv : public Env {
 public:
  explicit ConstantEnv(const Options& o)
      : Env("TestConstant", Box::unbounded(1), Box({1}, -1, 1), {}, o.get_int("TestConstant", "horizon")) {}

 protected:
  void reset_state(Rng&, float* obs) override { obs[0] = 0.f; }
  StepResult advance(const float* action, float* obs, double* rewards, float*) override {
    obs[0] = action[0];
    rewards[0] = 1.0;
    return {};
  }
  void save_dynamic_state(std::string&) const override {}
  void load_dynamic_state(const std::string&, size_t&) override {}
};

const Registration<Env> kRegisterConstant(env_registry(), "TestConstant", "test-only env", {{1, 1}},
                                          {int_option("horizon", 3, "time limit").positive()},
                                          [](const Options& o) { return std::make_unique<ConstantEnv>(o); });

TEST(Registry, ListsEveryBuiltInComponent) {
  for (const char* name : {"HalfCheetah", "Ant", "Navigation2D", "TestConstant"})
    EXPECT_TRUE(env_registry().contains(name)) << name;
  for (const char* name : {"Navigation2D", "HalfCheetahVel", "HalfCheetahDir", "AntVel", "AntDir", "AntGoal"})
    EXPECT_TRUE(task_family_registry().contains(name)) << name;
  EXPECT_TRUE(schedule_registry().contains("ActuatorGearScale"));
}

TEST(Registry, EveryFamilyNamesARegisteredEnvAndAppliesToIt) {
  for (const auto* entry : task_family_registry().entries()) {
    SCOPED_TRACE(entry->name);
    const auto family = make_task_family(entry->name);
    ASSERT_TRUE(env_registry().contains(family->env_name()));
    auto env = make_env(family->env_name());
    Rng rng(0);
    EXPECT_NO_THROW(family->apply(*env, family->sample(1, rng)[0]));
  }
}

TEST(Registry, SelfRegisteredEnvIsUsableWithOptions) {
  auto env = make_env("TestConstant", Options::parse("horizon=2"));
  env->reset(0);
  EXPECT_FALSE(env->step({0.5f}).truncated);
  const auto t = env->step({0.25f});
  EXPECT_TRUE(t.truncated);
  EXPECT_FLOAT_EQ(t.observation[0], 0.25f);
}

TEST(Registry, UnknownNamesListTheKnownOnes) {
  try {
    make_env("Cheetah");
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown env 'Cheetah' (known: Ant, AntTerrain, BipedalWalker, Bug, "
                                         "HalfCheetah,"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_task_family("Nope"), EnvError);
  EXPECT_THROW(make_schedule("Nope"), EnvError);
}

TEST(Registry, UnknownOptionsAreRejectedByName) {
  try {
    make_env("HalfCheetah", Options::parse("max_episode_step=200"));
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "env HalfCheetah: unknown option 'max_episode_step' (value '200')");
  }
  EXPECT_THROW(make_task_family("AntVel", Options::parse("hgh=2")), EnvError);
}


TEST(Registry, EntriesCarryTheirMetadata) {
  const auto& ant = env_registry().entry("Ant");
  ASSERT_EQ(ant.sizes.size(), 1u);
  EXPECT_EQ(ant.sizes[0].obs, 105);
  EXPECT_EQ(ant.sizes[0].act, 8);
  EXPECT_TRUE(ant.takes("contact_forces_in_obs"));
  EXPECT_FALSE(env_registry().entry("HalfCheetah").takes("contact_forces_in_obs"));
  EXPECT_EQ(env_registry().resolve("Ant").get_int("Ant", "max_episode_steps"), 1000);
  EXPECT_EQ(task_family_registry().resolve("AntVel").get_double("AntVel", "high"), 3.0);
  EXPECT_EQ(task_family_registry().resolve("HalfCheetahVel").get_double("HalfCheetahVel", "high"), 2.0);
}

TEST(Registry, ADeclaredOptionNeverReadIsAnInternalError) {
  // In a registry of its own, so that the contract test over every env does not see it.
  Registry<Env> registry("env");
  Registration<Env>(registry, "TestForgetful", "declares an option that it never reads", {{1, 1}},
                    {int_option("horizon", 3, "time limit").positive(), bool_option("ignored", false, "never read")},
                    [](const Options& o) { return std::make_unique<ConstantEnv>(o); });
  EXPECT_NO_THROW(registry.resolve("TestForgetful", Options::parse("ignored=true")));
  try {
    registry.create("TestForgetful");
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "env TestForgetful: internal error: declared option 'ignored' was never read");
  }
}

TEST(Registry, RegisteringANameTwiceIsAnError) {
  EXPECT_THROW(Registration<Env>(env_registry(), "TestConstant", "again", {{1, 1}}, {},
                                 [](const Options& o) { return std::make_unique<ConstantEnv>(o); }),
               EnvError);
  Registry<Env> registry("env");
  EXPECT_THROW(Registration<Env>(registry, "NoSizes", "an env entry without sizes", {}, {},
                                 [](const Options& o) { return std::make_unique<ConstantEnv>(o); }),
               EnvError);
  EXPECT_THROW(Registration<Env>(registry, "TwiceDeclared", "an option declared twice", {{1, 1}},
                                 {int_option("horizon", 3, ""), int_option("horizon", 4, "")},
                                 [](const Options& o) { return std::make_unique<ConstantEnv>(o); }),
               EnvError);
}

}  // namespace
}  // namespace metarl
