// Heightfield terrain: the generators' profiles against hand computations,
// the heights the physics uses read back from the model, the ground under
// the robot where the generator says, resets and health checks on uneven
// ground, and one env's terrain never leaking into another's.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "envs/core/dynamics_schedule.h"
#include "envs/core/registry.h"
#include "envs/mujoco/terrain.h"
#include "envs/mujoco/terrain_env.h"
#include "envs/vector_env.h"

namespace metarl {
namespace {

TerrainEnv& terrain_env(Env& env) { return dynamic_cast<TerrainEnv&>(env); }

// The physics' heights: the model's elevation data of every row times the declared scale.
std::vector<std::vector<double>> model_heights(const TerrainEnv& env) {
  const mjModel* m = env.model();
  const int h = mj_name2id(m, mjOBJ_HFIELD, "terrain");
  std::vector<std::vector<double>> rows(size_t(m->hfield_nrow[h]));
  for (int r = 0; r < m->hfield_nrow[h]; ++r)
    for (int c = 0; c < m->hfield_ncol[h]; ++c)
      rows[size_t(r)].push_back(m->hfield_size[4 * h + 2] *
                                m->hfield_data[m->hfield_adr[h] + r * m->hfield_ncol[h] + c]);
  return rows;
}

TEST(TerrainProfiles, HillRisesAndFallsOverFifteenColumnsEachToZTop) {
  const auto row = terrain_profile(Task("hill", {{"z_top", 0.6}}));
  ASSERT_EQ(row.size(), 500u);
  for (int c = 0; c < 500; ++c) {
    double expected = 0.0;  // flat before column 250 and after 279
    if (c >= 250 && c < 265) expected = 0.6 * (c - 249) / 15.0;
    if (c >= 265 && c < 280) expected = 0.6 * (279 - c) / 15.0;
    EXPECT_NEAR(row[size_t(c)], expected, 1e-12) << "column " << c;
  }
}

TEST(TerrainProfiles, BasinStartsAtZTopAndBottomsOutAtColumn264) {
  const auto row = terrain_profile(Task("basin", {{"z_top", 0.55}}));
  EXPECT_NEAR(row[0], 0.55, 1e-12);
  EXPECT_NEAR(row[249], 0.55, 1e-12);
  EXPECT_NEAR(row[264], 0.0, 1e-12);
  EXPECT_NEAR(row[257], 0.55 * (15 - 8) / 15.0, 1e-12);
  EXPECT_NEAR(row[279], 0.55, 1e-12);
  EXPECT_NEAR(row[499], 0.55, 1e-12);
}

TEST(TerrainProfiles, GentleAndSteepClimbSixRampsOfFifteenColumns) {
  const auto gentle = terrain_profile(Task("gentle", {{"z_top", 1.0}}));
  const auto steep = terrain_profile(Task("steep", {{"z_top", 4.0}}));
  for (int c = 0; c < 500; ++c) {
    const double expected = std::clamp(c - 249, 0, 90) / 90.0;
    EXPECT_NEAR(gentle[size_t(c)], expected, 1e-12) << "column " << c;
    EXPECT_NEAR(steep[size_t(c)], 4.0 * expected, 1e-12) << "column " << c;
  }
}

TEST(TerrainProfiles, RampsAreLearningToAdaptsTrainingDraws) {
  Rng rng(11);
  const TerrainDrawSettings defaults;  // ramps read none of them
  for (int draw = 0; draw < 200; ++draw) {
    const Task ramps = draw_terrain("ramps", rng, defaults, "test");
    const double z_top = ramps.get("z_top");
    ASSERT_GE(z_top, 0.2);
    ASSERT_LE(z_top, 1.0);
    double slopes[6];
    for (int i = 0; i < 6; ++i) {
      slopes[i] = ramps.get("slope" + std::to_string(i));
      ASSERT_GE(std::abs(slopes[i]), 0.2);
      ASSERT_LE(std::abs(slopes[i]), 0.6);
    }
    ASSERT_GT(slopes[0], 0);
    ASSERT_GT(slopes[1], 0);
    EXPECT_EQ(Task::parse(ramps.to_string()), ramps);
    // By hand: cumulative slopes over columns 255..314, held after, min-max scaled.
    std::vector<double> raw(500, 0.0);
    double level = 0;
    for (int c = 255; c < 500; ++c) {
      if (c < 315) level += slopes[(c - 255) / 10];
      raw[size_t(c)] = level;
    }
    const double low = *std::min_element(raw.begin(), raw.end()), high = *std::max_element(raw.begin(), raw.end());
    const auto row = terrain_profile(ramps);
    for (int c = 0; c < 500; ++c) ASSERT_NEAR(row[size_t(c)], z_top * (raw[size_t(c)] - low) / (high - low), 1e-12);
  }
}

TEST(TerrainProfiles, StairsAndRoughAreWhatTheirParametersSay) {
  const auto stairs = terrain_profile(Task("stairs", {{"step_height", 0.1}, {"step_columns", 5}, {"steps", 3}}));
  EXPECT_EQ(stairs[254], 0.0);
  EXPECT_NEAR(stairs[255], 0.1, 1e-12);
  EXPECT_NEAR(stairs[259], 0.1, 1e-12);
  EXPECT_NEAR(stairs[260], 0.2, 1e-12);
  EXPECT_NEAR(stairs[265], 0.3, 1e-12);
  EXPECT_NEAR(stairs[499], 0.3, 1e-12);

  const Task rough("rough", {{"roughness", 0.2}, {"bump_columns", 3}, {"seed", 42}});
  const auto a = terrain_profile(rough), b = terrain_profile(rough);
  EXPECT_EQ(a, b);  // the seed is the terrain's: the same every time
  EXPECT_NE(a, terrain_profile(Task("rough", {{"roughness", 0.2}, {"bump_columns", 3}, {"seed", 43}})));
  std::set<double> bumps;
  for (int c = 0; c < 500; ++c) {
    ASSERT_GE(a[size_t(c)], 0.0);
    ASSERT_LE(a[size_t(c)], 0.2);
    if (c < 252) {
      ASSERT_EQ(a[size_t(c)], 0.0) << "the start is flat";
    } else if ((c - 252) % 3 != 0) {
      ASSERT_EQ(a[size_t(c)], a[size_t(c - 1)]) << "bumps are 3 columns wide";
    }
    if (c >= 252) bumps.insert(a[size_t(c)]);
  }
  EXPECT_GT(bumps.size(), 50u);
}

TEST(TerrainProfiles, ACourseRunsIntoTheSecondProfileFromTheFirstsLevel) {
  const Task stairs("stairs", {{"step_height", 0.1}, {"step_columns", 5}, {"steps", 3}});
  const Task hill("hill", {{"z_top", 0.6}});
  const auto first = terrain_profile(stairs), then = terrain_profile(hill);
  const auto course = course_profile(stairs, hill, 20.0);
  const int at = int(std::lround((20.0 + 50.0) / (100.0 / 499)));
  for (int c = 0; c < at; ++c) ASSERT_EQ(course[size_t(c)], first[size_t(c)]);
  for (int c = at; c < 500; ++c)
    ASSERT_NEAR(course[size_t(c)], 0.3 + then[size_t(std::min(499, 250 + c - at))], 1e-12) << "column " << c;
}

TEST(TerrainProfiles, TerrainsPrintParseAndRefuseWhatNoGeneratorMakes) {
  EXPECT_EQ(parse_terrain("hill", "test"), Task("hill", {{"z_top", 0.6}}));
  EXPECT_EQ(parse_terrain("flat", "test"), Task("flat", {}));
  EXPECT_EQ(parse_terrain("hill(z_top=0.3)", "test"), Task("hill", {{"z_top", 0.3}}));
  EXPECT_THROW(parse_terrain("hills", "test"), EnvError);
  EXPECT_THROW(parse_terrain("ramps", "test"), EnvError);  // random: needs its parameters
  EXPECT_THROW(parse_terrain("hill(z_top=9)", "test"), EnvError);
  EXPECT_THROW(parse_terrain("hill(height=1)", "test"), EnvError);
  EXPECT_THROW(parse_terrain("stairs(step_height=1, step_columns=5, steps=8)", "test"), EnvError);  // 8 m
  EXPECT_THROW(make_env("HalfCheetahTerrain", Options::parse("terrain=steps")), EnvError);
  try {
    make_env("AntTerrain", Options::parse("terrain=ramps"));
    FAIL();
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("AntTerrain: option terrain"), std::string::npos) << e.what();
  }
}

// The model's elevation data are the generator's heights, in every row, and
// the env's own lookup between columns is the same surface.
TEST(TerrainEnvs, TheModelHoldsTheGeneratorsHeightsInEveryRow) {
  std::vector<Task> terrains;
  for (const std::string kind : {"hill", "basin", "gentle", "steep", "stairs", "flat"})
    terrains.push_back(parse_terrain(kind, "test"));
  // The random generators, drawn twice from one seed: the same terrain.
  TerrainDrawSettings settings;
  settings.roughness = 0.3;
  settings.bump_columns = 2;
  for (const std::string kind : {"ramps", "rough"}) {
    Rng a(21), b(21);
    terrains.push_back(draw_terrain(kind, a, settings, "test"));
    ASSERT_EQ(draw_terrain(kind, b, settings, "test"), terrains.back());
  }
  for (const Task& terrain : terrains) {
    auto env = make_env("HalfCheetahTerrain");
    auto& t = terrain_env(*env);
    t.set_base_terrain(terrain);
    env->reset(1);
    const auto profile = terrain_profile(terrain);
    const auto rows = model_heights(t);
    ASSERT_EQ(rows.size(), size_t(TerrainGrid::kRows));
    for (const auto& row : rows)
      for (int c = 0; c < 500; ++c)
        ASSERT_NEAR(row[size_t(c)], profile[size_t(c)], 1e-6) << terrain.to_string() << " " << c;
    for (int c = 0; c + 1 < 500; c += 7) {
      const double x0 = TerrainGrid::column_x(c), x1 = TerrainGrid::column_x(c + 1);
      EXPECT_NEAR(t.ground_at(x0), profile[size_t(c)], 1e-6);
      EXPECT_NEAR(t.ground_at(0.25 * x0 + 0.75 * x1), 0.25 * profile[size_t(c)] + 0.75 * profile[size_t(c + 1)], 1e-6);
    }
  }
}

// Where the robot touches the heightfield, the contact point lies on the
// generator's surface at its x (within the solver's penetration), and there
// are such contacts once it has landed.
TEST(TerrainEnvs, TheRobotStandsOnTheGeneratorsGround) {
  for (const std::string name : {"HalfCheetahTerrain", "AntTerrain"}) {
    for (const std::string terrain : {"gentle", "basin", "stairs"}) {
      auto env = make_env(name, Options::parse("terrain=" + terrain));
      auto& t = terrain_env(*env);
      env->reset(3);
      const std::vector<float> zero(size_t(env->act_dim()), 0.0f);
      int floor_contacts = 0;
      for (int step = 0; step < 40; ++step) {
        const Transition tr = env->step(zero);
        ASSERT_FALSE(tr.terminated) << name << " on " << terrain << " fell at step " << step;
        const mjModel* m = t.model();
        const mjData* d = t.data();
        const int floor = mj_name2id(m, mjOBJ_GEOM, "floor");
        for (int i = 0; i < d->ncon; ++i) {
          const mjContact& c = d->contact[i];
          if (c.geom1 != floor && c.geom2 != floor) continue;
          ++floor_contacts;
          // The contact point is midway between the surfaces: within the penetration of the ground.
          EXPECT_NEAR(c.pos[2], t.ground_at(c.pos[0]), 0.02) << name << " on " << terrain << " at x=" << c.pos[0];
        }
      }
      EXPECT_GT(floor_contacts, 0) << name << " on " << terrain;
    }
  }
}

// On the basin's rim (0.55 m up) the Ant starts above the ground and stays
// healthy: its torso is measured from the ground, not from z = 0.
TEST(TerrainEnvs, RobotsStartAboveTheLocalGroundAndAreHealthyThere) {
  auto ant = make_env("AntTerrain", Options::parse("terrain=basin"));
  ant->reset(5);
  const double z = terrain_env(*ant).qpos()[2];
  EXPECT_GT(z, 0.55 + 0.5);
  EXPECT_LT(z, 0.55 + 1.0);
  const std::vector<float> zero(8, 0.0f);
  for (int step = 0; step < 30; ++step) ASSERT_FALSE(ant->step(zero).terminated) << "step " << step;

  auto cheetah = make_env("HalfCheetahTerrain", Options::parse("terrain=basin"));
  cheetah->reset(5);
  // The planar root's slide is relative to the torso's MJCF height (0.7).
  EXPECT_NEAR(terrain_env(*cheetah).qpos()[1], 0.55, 0.1 + 1e-9);
}

TEST(TerrainEnvs, TheHeightScanIsTheGroundAheadRelativeToTheTorso) {
  auto env = make_env("HalfCheetahTerrain", Options::parse("terrain=gentle,height_scan=5,scan_spacing=0.5"));
  ASSERT_EQ(env->obs_dim(), 25);
  auto& t = terrain_env(*env);
  env->reset(2);
  std::vector<float> obs;
  for (int step = 0; step < 10; ++step) obs = env->step(std::vector<float>(6, 0.5f)).observation;
  const double torso_z = 0.7 + t.qpos()[1];
  for (int i = 0; i < 5; ++i)
    EXPECT_NEAR(obs[size_t(20 + i)], t.ground_at(t.qpos()[0] + 0.5 * i) - torso_z, 1e-5) << "point " << i;
}

// Envs of one model share a thread's physics: a terrain must be each env's
// own. An env on flat ground stepped in a VectorEnv beside envs on hills
// and stairs follows exactly the trajectory of a flat env alone.
TEST(TerrainEnvs, AProfileChangeAffectsOnlyItsEnv) {
  VectorEnv mixed("AntTerrain", 3, 1);
  mixed.seed(9);
  make_task_family("AntHill")->apply(mixed.env(0), Task("AntHill", {{"z_top", 0.6}}));
  make_task_family("AntStairs")
      ->apply(mixed.env(2), Task("AntStairs", {{"step_height", 0.2}, {"step_columns", 3}, {"steps", 4}}));
  VectorEnv flat("AntTerrain", 2, 1);  // env 1 draws as mixed's env 1 does
  flat.seed(9);
  mixed.reset();
  flat.reset();
  Rng rng(4);
  std::vector<float> actions(3 * 8);
  for (int step = 0; step < 100; ++step) {
    for (float& a : actions) a = float(rng.uniform(-1, 1));
    mixed.step(actions);
    flat.step(std::vector<float>(actions.begin(), actions.begin() + 16));
    const int n = mixed.obs_dim();
    for (int k = 0; k < n; ++k)
      ASSERT_EQ(mixed.observations()[n + k], flat.observations()[n + k]) << "step " << step << " entry " << k;
  }
  // The hill changed env 0's course (its twin in `flat` ran on flat ground),
  // and each env's physics holds its own heights when bound, in any order.
  bool hill_mattered = false;
  for (int k = 0; k < mixed.obs_dim(); ++k) hill_mattered |= mixed.observations()[k] != flat.observations()[k];
  EXPECT_TRUE(hill_mattered);
  const auto hill = terrain_profile(Task("hill", {{"z_top", 0.6}}));
  const auto stairs = terrain_profile(Task("stairs", {{"step_height", 0.2}, {"step_columns", 3}, {"steps", 4}}));
  for (int i : {0, 1, 2, 1, 0, 2, 0}) {
    const auto heights = model_heights(terrain_env(mixed.env(i)))[0];
    for (int c = 0; c < 500; ++c) {
      const double expected = i == 0 ? hill[size_t(c)] : i == 2 ? stairs[size_t(c)] : 0.0;
      ASSERT_NEAR(heights[size_t(c)], expected, 1e-6) << "env " << i << " column " << c;
    }
  }
  EXPECT_EQ(terrain_env(mixed.env(1)).terrain_description(), "flat()");
  EXPECT_EQ(terrain_env(mixed.env(0)).terrain_description(), "hill(z_top=0.59999999999999998)");
}

TEST(TerrainEnvs, TheTerrainScheduleDrawsATerrainPerEpisodeBySeed) {
  auto descriptions = [](uint64_t seed) {
    auto env = make_env("HalfCheetahTerrain");
    env->set_schedule(make_schedule("Terrain", Options::parse("profile=ramps")));
    env->seed(seed);
    std::vector<std::string> seen;
    for (int episode = 0; episode < 4; ++episode) {
      env->reset();
      seen.push_back(terrain_env(*env).terrain_description());
    }
    return seen;
  };
  const auto a = descriptions(1);
  EXPECT_EQ(a, descriptions(1));
  EXPECT_NE(a, descriptions(2));
  EXPECT_EQ(std::set<std::string>(a.begin(), a.end()).size(), 4u) << "a new terrain every episode";
  for (const auto& d : a) EXPECT_EQ(d.rfind("ramps(z_top=", 0), 0u) << d;

  auto course = make_env("AntTerrain");
  course->set_schedule(make_schedule("Terrain", Options::parse("profile=flat,then=steep,switch_x=3")));
  course->reset(1);
  auto& t = terrain_env(*course);
  EXPECT_EQ(t.ground_at(2.5), 0.0);
  EXPECT_NEAR(t.ground_at(50.0), 4.0, 1e-6);
  EXPECT_THROW(make_schedule("Terrain", Options::parse("profile=hills")), EnvError);
  EXPECT_THROW(make_schedule("Terrain", Options::parse("then=stair")), EnvError);
  EXPECT_THROW(make_env("HalfCheetah")->set_schedule(make_schedule("Terrain")), EnvError);
}

// A checkpoint holds the episode's seed, from which the schedule draws the
// same terrain again: a fresh env continues bit-exactly on the same ground.
TEST(TerrainEnvs, ACheckpointContinuesOnTheTerrainTheScheduleDrew) {
  const auto make = [] {
    auto env = make_env("AntTerrain");
    env->set_schedule(make_schedule("Terrain", Options::parse("profile=rough,then=ramps,switch_x=2")));
    return env;
  };
  auto env = make();
  env->seed(6);
  for (int episode = 0; episode < 3; ++episode) env->reset();
  Rng rng(8);
  std::vector<std::vector<float>> actions(50, std::vector<float>(8));
  for (auto& action : actions)
    for (float& a : action) a = float(rng.uniform(-1, 1));
  for (int step = 0; step < 20; ++step) env->step(actions[size_t(step)]);
  std::string saved;
  env->save_state(saved);
  auto restored = make();
  size_t offset = 0;
  restored->load_state(saved, offset);
  EXPECT_EQ(terrain_env(*restored).terrain_description(), terrain_env(*env).terrain_description());
  EXPECT_NE(terrain_env(*env).terrain_description().find(" then ramps("), std::string::npos);
  for (int step = 20; step < 50; ++step) {
    const Transition a = env->step(actions[size_t(step)]);
    const Transition b = restored->step(actions[size_t(step)]);
    ASSERT_EQ(a.observation, b.observation) << "step " << step;
    ASSERT_EQ(a.reward, b.reward) << "step " << step;
  }
}

TEST(TerrainEnvs, TerrainFamiliesSampleTheirGeneratorsTerrains) {
  Rng rng(3);
  for (const Task& task : make_task_family("HalfCheetahRamps")->sample(5, rng)) {
    EXPECT_EQ(task.family(), "HalfCheetahRamps");
    EXPECT_NO_THROW(terrain_profile(Task("ramps", task.params())));
  }
  const auto hill = make_task_family("AntHill")->sample(2, rng);
  EXPECT_EQ(hill[0].to_string(), "AntHill(z_top=0.59999999999999998)");
  auto env = make_env("AntTerrain");
  make_task_family("AntHill")->apply(*env, hill[0]);
  env->reset(0);
  EXPECT_NEAR(terrain_env(*env).ground_at(TerrainGrid::column_x(264)), 0.6, 1e-6);
}

}  // namespace
}  // namespace metarl
