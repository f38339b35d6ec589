// Self-play with fixed players (a random one, a scripted one) mixed into the pool's draws.
#include <gtest/gtest.h>

#include "meta/opponent_pool.h"

namespace metarl {
namespace {

OpponentPool pool_of(int versions, uint64_t seed) {
  OpponentPool pool(0.0, seed);
  for (int v = 0; v < versions; ++v) pool.add({torch::full({2}, float(v))}, nullptr);
  return pool;
}

TEST(OpponentMix, EachFixedPlayerIsDrawnWithItsProbabilityAndTheRestAreVersions) {
  OpponentPool pool = pool_of(4, 3);
  const int64_t n = 40000;
  const std::vector<int64_t> draws = pool.draw_mixed(n, {0.25, 0.1});
  int64_t fixed[2] = {0, 0}, versions[4] = {0, 0, 0, 0};
  for (const int64_t d : draws) {
    if (OpponentPool::is_fixed_player(d)) {
      const int64_t k = OpponentPool::fixed_player_index(d);
      ASSERT_TRUE(k == 0 || k == 1) << d;
      ++fixed[k];
      continue;
    }
    ASSERT_TRUE(d >= 0 && d <= 3) << d;
    ++versions[d];
  }
  // Binomial(40000, p) within 5 standard deviations: sqrt(n p (1 - p)) = 87, 60 and 80.
  EXPECT_NEAR(double(fixed[0]), 0.25 * n, 5 * 87);
  EXPECT_NEAR(double(fixed[1]), 0.10 * n, 5 * 60);
  for (const int64_t count : versions) EXPECT_NEAR(double(count), 0.65 / 4 * n, 5 * 74);  // p = 0.1625
}

TEST(OpponentMix, NoFixedPlayersDrawExactlyAsThePoolAlone) {
  OpponentPool a = pool_of(6, 9), b = pool_of(6, 9);
  EXPECT_EQ(a.draw_mixed(100, {}), b.draw(100));
  EXPECT_EQ(a.draw(10), b.draw(10));  // and the generators stay in step
}

}  // namespace
}  // namespace metarl
