// Self-play with random players mixed into the pool's draws.
#include <gtest/gtest.h>

#include "meta/opponent_pool.h"

namespace metarl {
namespace {

OpponentPool pool_of(int versions, uint64_t seed) {
  OpponentPool pool(0.0, seed);
  for (int v = 0; v < versions; ++v) pool.add({torch::full({2}, float(v))}, nullptr);
  return pool;
}

TEST(OpponentMix, AFractionOfTheDrawsIsTheFixedPlayerAndTheRestVersions) {
  OpponentPool pool = pool_of(4, 3);
  const int64_t n = 40000;
  const std::vector<int64_t> draws = pool.draw_with_fixed(n, 0.25);
  int64_t fixed = 0;
  for (const int64_t d : draws) {
    if (d == OpponentPool::kFixedPlayer) {
      ++fixed;
      continue;
    }
    EXPECT_GE(d, 0);
    EXPECT_LE(d, 3);
  }
  // Binomial(40000, 0.25): standard deviation 87; ±5 of them.
  EXPECT_NEAR(double(fixed), 0.25 * n, 435);
}

TEST(OpponentMix, NoFractionDrawsExactlyAsThePoolAlone) {
  OpponentPool a = pool_of(6, 9), b = pool_of(6, 9);
  EXPECT_EQ(a.draw_with_fixed(100, 0.0), b.draw(100));
  EXPECT_EQ(a.draw(10), b.draw(10));  // and the generators stay in step
}

}  // namespace
}  // namespace metarl
