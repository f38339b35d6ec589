// `metarl replay`: a recorded match holds every frame, and a rendered frame
// shows the robots where the replay's positions put them.
#include "experiments/replay.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include <mujoco/mujoco.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "agents/file_io.h"
#include "envs/mujoco/mujoco_env.h"
#include "envs/sumo/sumo_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

namespace fs = std::filesystem;

fs::path test_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("metarl_replay_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  return dir;
}

ReplayOptions random_ants(const fs::path& out, int steps) {
  ReplayOptions o;
  o.player_a = "random";
  o.player_b = "random";
  o.env = "SumoAnt";
  o.env_options = "max_episode_steps=" + std::to_string(steps);
  o.seed = 3;
  o.out_dir = out.string();
  return o;
}

TEST(Replay, AMatchIsRecordedFrameByFrameFromTheResetToItsLastState) {
  const fs::path dir = test_dir("record");
  record_replay(random_ants(dir, 8));
  const Replay r = read_replay(dir.string());
  EXPECT_EQ(r.env, "SumoAnt");
  ASSERT_EQ(r.qpos.size(), 9u);  // the reset, then 8 steps (random Ants do not leave the tatami in 8 steps)
  EXPECT_EQ(r.outcome, "drawn (time up)");
  EXPECT_EQ(r.returns.front(), (std::vector<double>{0, 0}));
  EXPECT_NE(r.returns.back(), r.returns.front());
  EXPECT_NE(r.qpos.back(), r.qpos.front());
  // Frame 0 is the start the env's seed draws.
  VectorEnv env("SumoAnt", 1, 1, Options::parse("max_episode_steps=8"));
  env.seed(3);
  env.reset();
  const auto& sumo = dynamic_cast<const MujocoEnv&>(env.env(0));
  EXPECT_EQ(r.qpos.front(), std::vector<double>(sumo.qpos(), sumo.qpos() + r.nq));
  // The same command again records the same replay.
  const fs::path again = test_dir("again");
  record_replay(random_ants(again, 8));
  EXPECT_EQ(read_replay(again.string()).qpos, r.qpos);
  fs::remove_all(dir.parent_path());
}

TEST(Replay, ARenderedFrameShowsTheRobotsWhereTheReplayPutsThem) {
  const fs::path dir = test_dir("render");
  record_replay(random_ants(dir, 20));
  const Replay r = read_replay(dir.string());
  const int last = int(r.qpos.size()) - 1;
  constexpr int kWidth = 320, kHeight = 240;
  const auto frame = render_replay_frame(dir.string(), last, kWidth, kHeight, "top");

  // The same view with both robots taken away (sunk far below the floor).
  VectorEnv env("SumoAnt", 1, 1, Options::parse(r.env_options));
  const auto& sumo = dynamic_cast<const SumoEnv&>(env.env(0));
  const mjModel* m = sumo.model();
  mjData* d = mj_makeData(m);
  std::copy(r.qpos[size_t(last)].begin(), r.qpos[size_t(last)].end(), d->qpos);
  mj_forward(m, d);
  const CameraPose camera = replay_camera(m, d, "top");
  double torso[2][3];
  for (int k = 0; k < 2; ++k) {
    const int root = sumo.seat(k).qpos_begin;
    for (int a = 0; a < 3; ++a) torso[k][a] = d->qpos[root + a];
    d->qpos[root + 2] -= 100;
  }
  mj_forward(m, d);
  OffscreenRenderer renderer(m, kWidth, kHeight);
  const auto empty = renderer.render(d, camera);
  mj_deleteData(d);

  // Each torso's projection (top-down, +x right, +y up) has the robot drawn
  // around it: most pixels within 4 px differ from the empty view.
  const double fovy = m->vis.global.fovy * M_PI / 180;
  for (int k = 0; k < 2; ++k) {
    const double depth = camera.distance - (torso[k][2] - camera.lookat[2]);
    const double scale = kHeight / 2.0 / (depth * std::tan(fovy / 2));
    const int px = int(std::lround(kWidth / 2.0 + (torso[k][0] - camera.lookat[0]) * scale));
    const int py = int(std::lround(kHeight / 2.0 - (torso[k][1] - camera.lookat[1]) * scale));
    ASSERT_TRUE(px >= 4 && px < kWidth - 4 && py >= 4 && py < kHeight - 4) << "robot " << k << " out of view";
    int changed = 0, total = 0;
    for (int y = py - 4; y <= py + 4; ++y)
      for (int x = px - 4; x <= px + 4; ++x, ++total) {
        const size_t i = (size_t(y) * kWidth + size_t(x)) * 3;
        changed += std::abs(frame[i] - empty[i]) + std::abs(frame[i + 1] - empty[i + 1]) +
                       std::abs(frame[i + 2] - empty[i + 2]) > 30;
      }
    EXPECT_GT(changed, total * 3 / 4) << "robot " << k << " is not drawn at (" << px << ", " << py << ")";
    // In its seat's colour: robot 0 red, robot 1 blue.
    long red_minus_blue = 0;
    for (int y = py - 2; y <= py + 2; ++y)
      for (int x = px - 2; x <= px + 2; ++x) {
        const size_t i = (size_t(y) * kWidth + size_t(x)) * 3;
        red_minus_blue += int(frame[i]) - int(frame[i + 2]);
      }
    if (k == 0) EXPECT_GT(red_minus_blue, 25 * 40) << "robot 0 is not red";
    if (k == 1) EXPECT_LT(red_minus_blue, -25 * 40) << "robot 1 is not blue";
  }
  fs::remove_all(dir.parent_path());
}

TEST(Replay, ARoundRingIsDrawnAtTheRadiusItsEpisodeDrew) {
  const fs::path dir = test_dir("ring");
  ReplayOptions o = random_ants(dir, 4);
  o.env_options += ",arena=ring,ring_radius_min=2.6,ring_radius_max=4.4";
  record_replay(o);
  const Replay r = read_replay(dir.string());
  VectorEnv env("SumoAnt", 1, 1, Options::parse(r.env_options));
  env.seed(3);
  env.reset();
  const double drawn = dynamic_cast<const SumoEnv&>(env.env(0)).ring_radius();
  EXPECT_EQ(r.ring_radius, drawn);
  EXPECT_GT(drawn, 2.6);
  EXPECT_LT(drawn, 4.3);  // so that the largest ring would look different
  const auto frame = render_replay_frame(dir.string(), 0, 160, 120, "follow");
  // The same replay claiming the largest ring draws another picture.
  const fs::path largest = test_dir("ring_largest");
  fs::create_directories(largest);
  fs::copy(dir / "qpos.bin", largest / "qpos.bin");
  nlohmann::json json = nlohmann::json::parse(read_file((dir / "replay.json").string()));
  json["ring_radius"] = 4.4;
  write_file_atomically((largest / "replay.json").string(), json.dump());
  EXPECT_EQ(read_replay(largest.string()).ring_radius, 4.4);
  EXPECT_NE(render_replay_frame(largest.string(), 0, 160, 120, "follow"), frame);
  fs::remove_all(dir.parent_path());
}

TEST(Replay, ASumo2DMatchIsDrawnWithEachTorsoWhereTheReplayPutsIt) {
  const fs::path dir = test_dir("sumo2d");
  ReplayOptions o;
  o.player_a = "scripted";
  o.player_b = "random";
  o.env = "Sumo2D";
  o.env_options = "max_episode_steps=30";
  o.seed = 4;
  o.out_dir = dir.string();
  record_replay(o);
  const Replay r = read_replay(dir.string());
  EXPECT_EQ(r.kind, "box2d");
  EXPECT_EQ(r.outcome, "drawn (time up)");  // 30 steps: nobody out yet
  ASSERT_EQ(r.bodies.size(), 6u);  // two torsos, four arms
  EXPECT_EQ(r.ring_radius, 3);
  constexpr int kWidth = 320, kHeight = 240;
  const int last = int(r.qpos.size()) - 1;
  const auto frame = render_replay_frame(dir.string(), last, kWidth, kHeight, "top");
  // Top-down on the ring's centre from 3.2 R; a torso's top is 0.2 above the ring.
  const double fovy = 45 * M_PI / 180, depth = 3.2 * r.ring_radius - 0.2;
  const double scale = kHeight / 2.0 / (depth * std::tan(fovy / 2));
  int torsos = 0;
  for (size_t b = 0; b < r.bodies.size(); ++b) {
    if (!r.bodies[b].shapes.at(0).circle) continue;
    ++torsos;
    const double x = r.qpos[size_t(last)][3 * b], y = r.qpos[size_t(last)][3 * b + 1];
    const int px = int(std::lround(kWidth / 2.0 + x * scale)), py = int(std::lround(kHeight / 2.0 - y * scale));
    const size_t i = (size_t(py) * kWidth + size_t(px)) * 3;
    // Agent 0 is drawn red, agent 1 blue.
    const int red = frame[i], blue = frame[i + 2];
    if (r.bodies[b].agent == 0) EXPECT_GT(red, blue + 60) << "torso " << b << " at (" << px << ", " << py << ")";
    else EXPECT_GT(blue, red + 60) << "torso " << b << " at (" << px << ", " << py << ")";
  }
  EXPECT_EQ(torsos, 2);
  fs::remove_all(dir.parent_path());
}

TEST(Replay, TheOutcomeSaysWhoWonAndHowTheLoserLost) {
  const fs::path dir = test_dir("outcome");
  ReplayOptions o;
  o.player_a = "random";
  o.player_b = "scripted";  // pushes the random player out, mostly
  o.env = "Sumo2D";
  o.seed = 1;
  o.out_dir = dir.string();
  record_replay(o);
  const Replay r = read_replay(dir.string());
  EXPECT_TRUE(r.outcome == "player B won (pushed out)" || r.outcome == "player B won (fell)") << r.outcome;
  // Player A's return ends with the loss's −2000 in it.
  EXPECT_LT(r.returns.back()[0], -1000);
  EXPECT_GT(r.returns.back()[1], 1000);
  fs::remove_all(dir.parent_path());
}

TEST(Replay, AVideoAndItsFirstAndLastFramesAreWritten) {
  const fs::path dir = test_dir("video");
  record_replay(random_ants(dir, 4));
  render_replay(dir.string(), 160, 120, "follow");
  for (const char* file : {"replay.mp4", "first.png", "last.png"}) {
    ASSERT_TRUE(fs::exists(dir / file)) << file;
    EXPECT_GT(fs::file_size(dir / file), 1000u) << file;
  }
  EXPECT_THROW(render_replay(dir.string(), 161, 120, "follow"), std::invalid_argument);
  EXPECT_THROW(render_replay(dir.string(), 160, 120, "sideways"), std::invalid_argument);
  fs::remove_all(dir.parent_path());
}

TEST(Replay, BadRequestsAreRefusedBeforeAnythingIsWritten) {
  const fs::path dir = test_dir("bad");
  ReplayOptions one = random_ants(dir, 4);
  one.player_b = "";
  EXPECT_THROW(record_replay(one), std::invalid_argument);  // a match needs two players
  ReplayOptions no_bodies = random_ants(dir, 4);
  no_bodies.env = "Navigation2D";
  no_bodies.player_b = "";
  EXPECT_THROW(record_replay(no_bodies), std::invalid_argument);  // nothing to draw
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_THROW(read_replay(dir.string()), std::runtime_error);
}

}  // namespace
}  // namespace metarl
