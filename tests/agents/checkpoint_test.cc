#include "agents/checkpoint.h"

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agents/compute_threads.h"
#include "agents/file_io.h"

namespace fs = std::filesystem;

namespace metarl {
namespace {

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / "metarl_checkpoint_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_sample(const std::string& path, float value) {
  torch::serialize::OutputArchive archive;
  archive.write("weights", torch::full({64, 64}, value));
  write_checkpoint(archive, path);
}

float read_sample(const std::string& path) {
  float value = 0;
  read_checkpoint(path, [&](torch::serialize::InputArchive& archive) {
    value = read_tensor(archive, "weights")[3][5].item<float>();
  });
  return value;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

void overwrite(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

TEST(Checkpoint, RoundTripsAndRecordsTheNumericEnvironment) {
  const std::string path = (fresh_dir("round_trip") / "a.pt").string();
  write_sample(path, 1.5f);
  EXPECT_EQ(read_file(path).substr(0, 8), "METARLCK");
  EXPECT_EQ(read_sample(path), 1.5f);
  EXPECT_EQ(checkpoint_numeric_environment(path), numeric_environment());
  EXPECT_NE(numeric_environment().find("compute threads: "), std::string::npos);
}

// Bytes flipped anywhere in the data (a tensor, the physics state) or a file
// cut short are refused before anything is read, with the file's name.
TEST(Checkpoint, CorruptedOrTruncatedFilesAreRefusedNamingThem) {
  const std::string path = (fresh_dir("corrupted") / "latest.pt").string();
  write_sample(path, 2.0f);
  const std::string good = read_file(path);
  for (const size_t at : {good.size() / 2, good.size() - 40, size_t(30)}) {
    std::string bad = good;
    for (size_t i = at; i < at + 16 && i < bad.size(); ++i) bad[i] = char(bad[i] ^ 0x5a);
    overwrite(path, bad);
    EXPECT_EQ(error_of([&] { read_sample(path); }),
              path + ": the checkpoint is corrupted (its checksum does not match its contents)")
        << "flipped at " << at;
  }
  overwrite(path, good.substr(0, good.size() - 100));
  EXPECT_EQ(error_of([&] { read_sample(path); }),
            path + ": the checkpoint is truncated (" + std::to_string(good.size() - 100 - 24) + " of " +
                std::to_string(good.size() - 24) + " bytes of data)");
  overwrite(path, good.substr(0, 10));
  EXPECT_NE(error_of([&] { read_sample(path); }).find(path + ": the checkpoint is truncated"), std::string::npos);
  overwrite(path, "");
  EXPECT_EQ(error_of([&] { read_sample(path); }), path + ": not a metarl checkpoint (the file is empty)");
  overwrite(path, good);
  EXPECT_EQ(read_sample(path), 2.0f);
}

TEST(Checkpoint, AMissingRecordNamesTheFile) {
  const std::string path = (fresh_dir("missing_record") / "a.pt").string();
  write_sample(path, 1.0f);
  const std::string error = error_of([&] {
    read_checkpoint(path, [](torch::serialize::InputArchive& archive) { read_tensor(archive, "policy/count"); });
  });
  EXPECT_EQ(error.rfind(path + ": cannot read the checkpoint: ", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
}

// An evaluation-only checkpoint keeps the named records byte for byte (a
// key, or a prefix of numbered tensors) and where the run was; resuming
// refuses it in one line naming the file, evaluation reads it.
TEST(Checkpoint, ReducedToEvaluationOnly) {
  const std::string path = (fresh_dir("reduced") / "latest.pt").string();
  torch::serialize::OutputArchive archive;
  archive.write("iteration", torch::tensor(int64_t(7)));
  write_tensors(archive, "policy", {torch::randn({3, 4}), torch::randn({4})});
  write_tensors(archive, "policy_value", {torch::randn({5})});  // "policy" does not name it
  archive.write("env_state", torch::zeros({4096}, torch::kUInt8));
  write_checkpoint(archive, path);
  const std::string full = read_file(path);
  std::vector<torch::Tensor> policy;
  read_checkpoint(path, [&](torch::serialize::InputArchive& a) { policy = read_tensors(a, "policy"); });

  // A record the file lacks: refused, naming it and the file, which stays.
  EXPECT_EQ(error_of([&] { reduce_checkpoint(path, {"policy", "step_sizes"}, "a test"); }),
            path + ": cannot reduce the checkpoint: it has no record 'step_sizes'");
  EXPECT_TRUE(read_file(path) == full);

  reduce_checkpoint(path, {"policy"}, "a test");
  EXPECT_LT(read_file(path).size(), full.size() / 2);
  EXPECT_EQ(error_of([&] { read_sample(path); }),
            path + " is an evaluation-only checkpoint (made by a test); it cannot resume training");
  read_checkpoint_for_evaluation(path, [&](torch::serialize::InputArchive& a) {
    const auto kept = read_tensors(a, "policy");
    ASSERT_EQ(kept.size(), 2u);
    for (size_t i = 0; i < kept.size(); ++i) EXPECT_TRUE(torch::equal(kept[i], policy[i]));
    EXPECT_EQ(read_tensor(a, "iteration").item<int64_t>(), 7);
    torch::Tensor absent;
    EXPECT_FALSE(a.try_read("env_state", absent));
    EXPECT_FALSE(a.try_read("policy_value/count", absent));
  });
  EXPECT_EQ(checkpoint_numeric_environment(path), numeric_environment());  // the original's
  // Reduced again: the same bytes, still "made by" the first reduction.
  const std::string once = read_file(path);
  reduce_checkpoint(path, {"policy"}, "another test");
  EXPECT_TRUE(read_file(path) == once);
}

// Checkpoints written before the header (a bare LibTorch archive) still load.
TEST(Checkpoint, ReadsArchivesWrittenBeforeTheHeader) {
  const std::string path = (fresh_dir("legacy") / "old.pt").string();
  torch::serialize::OutputArchive archive;
  archive.write("weights", torch::full({64, 64}, 4.0f));
  archive.save_to(path);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(read_sample(path), 4.0f);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find(path + " was written before checkpoints carried a checksum"),
            std::string::npos);
}

// A write that fails (here a file-size limit, as a full disk would) keeps the
// previous checkpoint and leaves no temporary file.
TEST(Checkpoint, AFailedWriteKeepsThePreviousFileAndLeavesNoTemporary) {
  const fs::path dir = fresh_dir("full_disk");
  const std::string path = (dir / "latest.pt").string();
  write_sample(path, 1.0f);
  const std::string before = read_file(path);

  rlimit old_limit{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of the signal
  rlimit small = old_limit;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string error = error_of([&] { write_sample(path, 9.0f); });
  setrlimit(RLIMIT_FSIZE, &old_limit);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(error, path + ": cannot write file: File too large");
  EXPECT_EQ(read_file(path), before);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1);
}

// Adam's state survives a checkpoint exactly, and the same state gives the
// same bytes (LibTorch's own format keys it by the parameters' addresses).
TEST(Checkpoint, AdamStateRoundTripsAndItsBytesAreReproducible) {
  auto make = [](torch::Tensor& w, torch::Tensor& b) {
    w = torch::ones({3, 2}).requires_grad_();
    b = torch::zeros({2}).requires_grad_();
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(std::vector<torch::Tensor>{w}, std::make_unique<torch::optim::AdamOptions>(0.1));
    groups.emplace_back(std::vector<torch::Tensor>{b}, std::make_unique<torch::optim::AdamOptions>(0.01));
    return std::make_unique<torch::optim::Adam>(std::move(groups), torch::optim::AdamOptions(0.1));
  };
  auto step = [](torch::optim::Adam& adam, torch::Tensor& w, torch::Tensor& b, double x) {
    adam.zero_grad();
    ((w * x).pow(2).sum() + (b - x).pow(2).sum()).backward();
    adam.step();
  };
  const fs::path dir = fresh_dir("adam");
  torch::Tensor w1, b1, w2, b2;
  auto a = make(w1, b1);
  auto b = make(w2, b2);
  for (double x : {0.5, -1.0, 2.0}) {
    step(*a, w1, b1, x);
    step(*b, w2, b2, x);
  }
  auto save = [&](torch::optim::Adam& adam, const std::string& name) {
    torch::serialize::OutputArchive archive;
    write_adam_state(archive, "adam", adam);
    write_checkpoint(archive, (dir / name).string());
    return read_file((dir / name).string());
  };
  EXPECT_TRUE(save(*a, "a.pt") == save(*b, "b.pt"));

  torch::Tensor w3, b3;
  auto c = make(w3, b3);
  {
    torch::NoGradGuard no_grad;
    w3.copy_(w1);
    b3.copy_(b1);
  }
  read_checkpoint((dir / "a.pt").string(),
                  [&](torch::serialize::InputArchive& archive) { read_adam_state(archive, "adam", "legacy", *c); });
  step(*a, w1, b1, 0.7);
  step(*c, w3, b3, 0.7);
  EXPECT_TRUE(torch::equal(w1, w3));
  EXPECT_TRUE(torch::equal(b1, b3));
}

}  // namespace
}  // namespace metarl
