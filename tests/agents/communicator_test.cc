// The processes of a run (agents/communicator.h): two ranks on 127.0.0.1.
#include "agents/communicator.h"

#include <chrono>
#include <csignal>
#include <tuple>

#include <gtest/gtest.h>

#include "agents/normalizer.h"
#include "tests/support/ranks.h"

namespace metarl {
namespace {

using metarl::testing::Ranks;

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST(RankShare, CoversEveryItemOnceInRankOrder) {
  for (int world : {1, 2, 3, 5})
    for (int64_t n : {0, 1, 4, 7, 40}) {
      int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        const auto [first, last] = rank_share(n, r, world);
        EXPECT_EQ(first, next);
        EXPECT_LE(last - first, n / world + 1);
        EXPECT_GE(last - first, n / world);
        next = last;
      }
      EXPECT_EQ(next, n);
    }
}

TEST(Communicator, OneProcessReturnsItsInputsWithoutSockets) {
  Communicator one;
  std::vector<torch::Tensor> t = {torch::arange(3, torch::kFloat32)};
  one.all_reduce_sum(t);
  EXPECT_TRUE(torch::equal(t[0], torch::arange(3, torch::kFloat32)));
  EXPECT_EQ(one.all_reduce_sum(2.5), 2.5);
  EXPECT_EQ(one.share(7), std::make_pair(int64_t(0), int64_t(7)));
  EXPECT_TRUE(one.writes_outputs());
  one.require_same("configuration", "anything");
}

TEST(Communicator, RefusesFlagsThatCannotWork) {
  DistributedConfig c;
  c.world_size = 2;
  EXPECT_NE(distributed_config_error(c).find("--master"), std::string::npos);
  c.master = "127.0.0.1:70000";
  EXPECT_NE(distributed_config_error(c).find("PORT in 1..65535"), std::string::npos);
  c.master = "127.0.0.1:29500";
  EXPECT_EQ(distributed_config_error(c), "");
  c.rank = 2;
  EXPECT_NE(distributed_config_error(c).find("--rank must be in [0, 2)"), std::string::npos);
  c.world_size = 0;
  EXPECT_NE(distributed_config_error(c).find("--world-size"), std::string::npos);
  EXPECT_THROW(Communicator{c}, std::invalid_argument);
}

TEST(Communicator, SumsKnownTensorsOverTwoProcesses) {
  Ranks ranks(2);
  Communicator c(ranks.config());
  EXPECT_EQ(c.world_size(), 2);
  EXPECT_EQ(c.writes_outputs(), ranks.rank() == 0);
  const double r = ranks.rank();
  // Mixed dtypes and shapes in one call; rank 0 holds 1·x, rank 1 holds 2·x.
  std::vector<torch::Tensor> t = {torch::arange(5, torch::kFloat32) * float(r + 1),
                                  torch::full({2, 3}, r + 0.25, torch::kFloat64),
                                  torch::full({1}, float(10 * r), torch::kFloat32)};
  c.all_reduce_sum(t);
  EXPECT_TRUE(torch::equal(t[0], torch::arange(5, torch::kFloat32) * 3.0f));
  EXPECT_TRUE(torch::equal(t[1], torch::full({2, 3}, 1.5, torch::kFloat64)));
  EXPECT_EQ(t[2].item<float>(), 10.0f);
  EXPECT_EQ(c.all_reduce_sum(r + 1), 3.0);
  EXPECT_EQ(c.all_reduce_max(ranks.rank() == 0 ? 200 : 17), 200);
  EXPECT_EQ(c.from_rank0("verdict", ranks.rank() == 0 ? "rank 0's" : "rank 1's"), "rank 0's");
  c.require_same("configuration", "seed: 1\nenv: Nav\n");
  ranks.join();
}

TEST(Communicator, GathersRowsOfDifferentCountsInRankOrder) {
  Ranks ranks(2);
  Communicator c(ranks.config());
  const bool zero = ranks.rank() == 0;
  const auto own = zero ? torch::tensor({{0.0, 1.0}, {2.0, 3.0}, {4.0, 5.0}}) : torch::tensor({{7.0, 8.5}});
  EXPECT_TRUE(torch::equal(c.all_gather_rows(own), torch::tensor({{0.0, 1.0}, {2.0, 3.0}, {4.0, 5.0}, {7.0, 8.5}},
                                                                 torch::kFloat64)));
  // A rank without rows.
  const auto none = zero ? torch::zeros({0, 2}) : torch::tensor({{7.0, 8.5}});
  EXPECT_TRUE(torch::equal(c.all_gather_rows(none), torch::tensor({{7.0, 8.5}}, torch::kFloat64)));
  ranks.join();
}

TEST(Communicator, ANormalizerUpdatedOverTwoProcessesHoldsTheStatisticsOfAllTheirRows) {
  Ranks ranks(2);
  Communicator c(ranks.config());
  torch::manual_seed(3);
  const auto rows = torch::randn({7, 3}, torch::kFloat64) * 4.0 + 1.0;
  const auto mask = torch::tensor({1.0, 1.0, 0.0, 1.0, 1.0, 1.0, 1.0});
  // Two updates, the first of rows 0..3 and the second of 4..6; rank 0
  // holds the first two rows of each, rank 1 the rest.
  RunningNormalizer all(3), shared(3);
  for (const auto& [begin, end, split] : {std::tuple{0, 4, 2}, std::tuple{4, 7, 6}}) {
    all.update(rows.slice(0, begin, end), mask.slice(0, begin, end));
    const int from = ranks.rank() == 0 ? begin : split, to = ranks.rank() == 0 ? split : end;
    shared.update(rows.slice(0, from, to), mask.slice(0, from, to), c);
  }
  EXPECT_EQ(shared.count(), 6.0);
  EXPECT_TRUE(torch::allclose(shared.mean(), all.mean(), 1e-12, 1e-12)) << shared.mean() << all.mean();
  EXPECT_TRUE(torch::allclose(shared.var(), all.var(), 1e-12, 1e-12)) << shared.var() << all.var();
  ranks.join();
}

TEST(Communicator, ConfigurationsThatDifferAreRefusedOnEveryRank) {
  Ranks ranks(2);
  Communicator c(ranks.config());
  const std::string text = ranks.rank() == 0 ? "seed: 1\nenv: Nav\nlr: 1\n" : "seed: 1\nenv: Ant\nlr: 1\n";
  try {
    c.require_same("configuration", text);
    ADD_FAILURE() << "rank " << ranks.rank() << " accepted a different configuration";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "distributed: rank 1's configuration differs from rank 0's at line 2: 'env: Ant' against 'env: Nav'");
  }
  ranks.join();
}

TEST(Communicator, AKilledRankIsAOneLineErrorNotAHang) {
  Ranks ranks(2, /*timeout_seconds=*/10);
  Communicator c(ranks.config());
  EXPECT_EQ(c.all_reduce_sum(1.0), 2.0);
  if (ranks.is_child()) {
    c.all_reduce_sum(1.0);  // rank 0 kills this rank meanwhile
    return;
  }
  kill(ranks.children()[0], SIGKILL);
  const auto start = std::chrono::steady_clock::now();
  try {
    c.all_reduce_sum(1.0);
    ADD_FAILURE() << "a sum with a dead rank returned";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.rfind("distributed: rank 0 of 2, summing over ranks: ", 0), 0u) << what;
    EXPECT_NE(what.find("resume every rank from the last checkpoint"), std::string::npos) << what;
  }
  EXPECT_LT(seconds_since(start), 10 + 5);
}

TEST(Communicator, ARankThatNeverJoinsIsAOneLineErrorWithinTheTimeout) {
  Ranks ranks(2, /*timeout_seconds=*/2, /*started=*/1);
  const auto start = std::chrono::steady_clock::now();
  try {
    Communicator c(ranks.config());
    ADD_FAILURE() << "joined without rank 1";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    EXPECT_EQ(what.rfind("distributed: rank 0 of 2, joining the others at 127.0.0.1:", 0), 0u) << what;
  }
  EXPECT_LT(seconds_since(start), 2 * 3 + 5);
}

}  // namespace
}  // namespace metarl
