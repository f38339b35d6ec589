// Schedules that draw (a terrain per episode, say) from the generator the env
// hands them: a new draw each episode, the same draws for the same seed, and
// a bit-exact continuation from a checkpoint taken anywhere. Envs without a
// drawing schedule keep their checkpoint bytes and their random stream.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/registry.h"
#include "envs/mujoco/mujoco_schedule.h"

namespace metarl {
namespace {

// For this test only: gravity times a factor drawn from U[0.5, 1.5) for every
// episode, a stand-in for a terrain generated per episode.
class DrawnGravity : public MujocoSchedule {
 public:
  std::string name() const override { return "DrawnGravity"; }
  std::string describe() const override { return "DrawnGravity()"; }
  bool draws() const override { return true; }

 protected:
  void restore_model(MujocoEnv& env) const override {
    for (int k = 0; k < 3; ++k) env.set_model_value(ModelArray::kGravity, k, env.reference_model()->opt.gravity[k]);
  }
  void modify_model(MujocoEnv& env, const ScheduleContext& context) const override {
    const double factor = context.rng->uniform(0.5, 1.5);
    for (int k = 0; k < 3; ++k)
      env.set_model_value(ModelArray::kGravity, k, env.model_value(ModelArray::kGravity, k) * factor);
  }
};

constexpr int kEpisodeSteps = 15;

std::unique_ptr<Env> cheetah_with(std::shared_ptr<const DynamicsSchedule> schedule) {
  auto env = make_env("HalfCheetah", Options::parse("max_episode_steps=" + std::to_string(kEpisodeSteps)));
  if (schedule) env->set_schedule(std::move(schedule));
  return env;
}

double gravity(const Env& env) { return dynamic_cast<const MujocoEnv&>(env).model_value(ModelArray::kGravity, 2); }

std::vector<float> action_at(int t) {
  std::vector<float> a(6);
  for (int j = 0; j < 6; ++j) a[size_t(j)] = float(((t * 7 + j * 3) % 11) - 5) / 5.0f;
  return a;
}

// Steps `env` from its current state, resetting at each episode's end: the observations.
std::vector<std::vector<float>> run(Env& env, int first, int last) {
  std::vector<std::vector<float>> out;
  for (int t = first; t < last; ++t) {
    const Transition tr = env.step(action_at(t));
    out.push_back(tr.observation);
    if (tr.terminated || tr.truncated) out.push_back(env.reset());
  }
  return out;
}

std::string state_of(const Env& env) {
  std::string out;
  env.save_state(out);
  return out;
}

TEST(DrawingSchedule, EachEpisodeDrawsAndTheSameSeedDrawsTheSame) {
  const auto drawn = std::make_shared<DrawnGravity>();
  auto a = cheetah_with(drawn), b = cheetah_with(drawn);
  a->seed(7);
  b->seed(7);
  const double reference = gravity(*cheetah_with(nullptr));
  std::vector<double> seen;
  for (int episode = 0; episode < 5; ++episode) {
    const std::vector<float> obs_a = a->reset(), obs_b = b->reset();
    EXPECT_EQ(obs_a, obs_b);
    EXPECT_EQ(gravity(*a), gravity(*b));
    EXPECT_GE(gravity(*a) / reference, 0.5);
    EXPECT_LT(gravity(*a) / reference, 1.5);
    for (double g : seen) EXPECT_NE(gravity(*a), g) << "episode " << episode;
    seen.push_back(gravity(*a));
    // Within an episode every step finds the episode's draw.
    a->step(action_at(episode));
    EXPECT_EQ(gravity(*a), seen.back());
    b->step(action_at(episode));
  }
  b->seed(8);
  b->reset();
  EXPECT_NE(gravity(*b), seen.front());
}

// Saved at any step (mid-episode, at an episode's first or last step) and
// loaded into a fresh env with the same schedule, the env continues exactly,
// through the resets (the draws) that follow.
TEST(DrawingSchedule, SavedAtAnyStepContinuesBitExactlyInAFreshEnv) {
  const auto drawn = std::make_shared<DrawnGravity>();
  const int total = 3 * kEpisodeSteps + 5;
  for (int k : {0, 1, 7, kEpisodeSteps - 1, kEpisodeSteps, 2 * kEpisodeSteps + 3}) {
    SCOPED_TRACE("saved after step " + std::to_string(k));
    auto first = cheetah_with(drawn);
    first->seed(3);
    first->reset();
    run(*first, 0, k);
    const std::string saved = state_of(*first);
    auto second = cheetah_with(drawn);
    size_t offset = 0;
    second->load_state(saved, offset);
    EXPECT_EQ(offset, saved.size());
    EXPECT_EQ(gravity(*second), gravity(*first));
    EXPECT_EQ(state_of(*second), saved);
    const auto continued = run(*second, k, total);
    const auto expected = run(*first, k, total);
    EXPECT_EQ(continued, expected);
  }
}

// Only an env with a drawing schedule saves the episode's seed and draws it
// from its generator: every other env's checkpoint and random stream are
// those of an env without the feature.
TEST(DrawingSchedule, EnvsWithoutOneKeepTheirCheckpointBytesAndRandomStream) {
  auto plain = cheetah_with(nullptr);
  auto scheduled = cheetah_with(make_schedule("GravityScale", Options::parse("from=2,to=2")));
  auto drawing = cheetah_with(std::make_shared<DrawnGravity>());
  for (Env* env : {plain.get(), scheduled.get(), drawing.get()}) env->seed(5);
  for (int episode = 0; episode < 3; ++episode) {
    const std::vector<float> obs_plain = plain->reset(), obs_scheduled = scheduled->reset();
    drawing->reset();
    EXPECT_EQ(obs_plain, obs_scheduled);  // the initial state's noise
    EXPECT_EQ(plain->rng().state(), scheduled->rng().state());
    EXPECT_NE(plain->rng().state(), drawing->rng().state());
  }
  // The same size, and the same generator, episode index and elapsed steps
  // (the physics differs: gravity changes the warm-start accelerations).
  const size_t counters = 4 * sizeof(uint64_t) + 2 * sizeof(int);
  EXPECT_EQ(state_of(*plain).size(), state_of(*scheduled).size());
  EXPECT_EQ(state_of(*plain).substr(0, counters), state_of(*scheduled).substr(0, counters));
  EXPECT_EQ(state_of(*drawing).size(), state_of(*plain).size() + sizeof(uint64_t));
}

}  // namespace
}  // namespace metarl
