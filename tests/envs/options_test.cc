#include "envs/core/options.h"

#include <gtest/gtest.h>

#include "envs/core/error.h"

namespace metarl {
namespace {

TEST(Options, ParsesKeyValueListsAndConvertsTypes) {
  const Options o = Options::parse("steps=200,scale=0.5,flag=true,path=/a/b.xml");
  EXPECT_EQ(o.get_int("X", "steps", 0), 200);
  EXPECT_DOUBLE_EQ(o.get_double("X", "scale", 0.0), 0.5);
  EXPECT_TRUE(o.get_bool("X", "flag", false));
  EXPECT_EQ(o.get_string("X", "path", ""), "/a/b.xml");
  EXPECT_EQ(o.get_int("X", "absent", 7), 7);
  EXPECT_NO_THROW(o.reject_unused("X"));
}

TEST(Options, WrongTypesNameOwnerKeyAndValue) {
  const Options o = Options::parse("steps=many,scale=nan");
  try {
    o.get_int("HalfCheetah", "steps", 0);
    FAIL() << "expected an error";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "HalfCheetah: option steps='many' is not an integer");
  }
  EXPECT_THROW(o.get_double("X", "scale", 0.0), EnvError);  // NaN is not a finite number
}

TEST(Options, UnreadKeysAreRejectedByName) {
  const Options o = Options::parse("max_episode_steps=5,typo=1");
  o.get_int("Ant", "max_episode_steps", 0);
  try {
    o.reject_unused("env Ant");
    FAIL() << "expected an error";
  } catch (const EnvError& e) {
    EXPECT_STREQ(e.what(), "env Ant: unknown option 'typo' (value '1')");
  }
}

TEST(Options, MalformedListIsAnError) { EXPECT_THROW(Options::parse("a=1,b"), EnvError); }

// The specs of a made-up env.
const OptionSpecs kSpecs = {
    int_option("frame_skip", 5, "physics steps per control step").positive(),
    int_option("episodes", 7, "episodes").at_least(1),
    double_option("noise", 0.1, "reset noise").at_least(0),
    double_option("fraction", 0.3, "a fraction").within(0, 1),
    bool_option("flag", false, "a switch"),
    string_option("split", "train", "which tasks").one_of({"train", "test", "all"}),
    string_option("path", "robot.xml", "model file"),
};

std::string resolve_error(const Options& given, const OptionSpecs& specs = kSpecs) {
  try {
    resolve_options("env", "Robot", specs, given);
  } catch (const EnvError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ResolveOptions, FillsInDefaultsAndKeepsGivenValues) {
  const Options o = resolve_options("env", "Robot", kSpecs, Options::parse("frame_skip=2,split=test"));
  EXPECT_EQ(o.values(), (std::map<std::string, std::string>{{"frame_skip", "2"},
                                                             {"episodes", "7"},
                                                             {"noise", "0.1"},
                                                             {"fraction", "0.3"},
                                                             {"flag", "false"},
                                                             {"split", "test"},
                                                             {"path", "robot.xml"}}));
  EXPECT_EQ(o.get_int("Robot", "frame_skip"), 2);
  EXPECT_EQ(o.get_int("Robot", "episodes"), 7);
  EXPECT_EQ(o.get_double("Robot", "noise"), 0.1);  // exactly the literal's double
  EXPECT_FALSE(o.get_bool("Robot", "flag"));
  EXPECT_EQ(o.get_string("Robot", "path"), "robot.xml");
}

TEST(ResolveOptions, DoubleDefaultsReadBackExactly) {
  for (const double value : {0.1, 1.0 / 3.0, -0.5, 5e-4, 1e300, 2.2250738585072014e-308}) {
    const Options o = resolve_options("env", "Robot", {double_option("x", value, "")}, {});
    EXPECT_EQ(o.get_double("Robot", "x"), value) << o.to_string();
  }
}

TEST(ResolveOptions, UnknownKeysAreRejectedByName) {
  EXPECT_EQ(resolve_error(Options::parse("typo=1")), "env Robot: unknown option 'typo' (value '1')");
}

TEST(ResolveOptions, WrongTypesNameOwnerKeyAndValue) {
  EXPECT_EQ(resolve_error(Options::parse("frame_skip=many")), "Robot: option frame_skip='many' is not an integer");
  EXPECT_EQ(resolve_error(Options::parse("noise=nan")), "Robot: option noise='nan' is not a finite number");
  EXPECT_EQ(resolve_error(Options::parse("flag=yes")), "Robot: option flag='yes' is not true/false");
}

TEST(ResolveOptions, ValuesOutOfRangeNameTheRange) {
  EXPECT_EQ(resolve_error(Options::parse("frame_skip=0")), "Robot: frame_skip must be positive, got 0");
  EXPECT_EQ(resolve_error(Options::parse("episodes=0")), "Robot: episodes must be >= 1, got 0");
  EXPECT_EQ(resolve_error(Options::parse("noise=-0.5")), "Robot: noise must be >= 0, got -0.5");
  EXPECT_EQ(resolve_error(Options::parse("fraction=1.5")), "Robot: fraction must lie in [0, 1], got 1.5");
  EXPECT_EQ(resolve_error(Options::parse("split=dev")), "Robot: split must be train, test or all, got 'dev'");
  EXPECT_EQ(resolve_error(Options::parse("frame_skip=-3000000")), "Robot: frame_skip must be positive, got -3000000");
  EXPECT_EQ(resolve_error({}), "(no error)");
}

TEST(ResolveOptions, RequiredOptionsMustBeGiven) {
  const OptionSpecs specs = {required_string_option("actuator", "motors: names, indices or *")};
  EXPECT_EQ(resolve_error({}, specs), "Robot: option 'actuator' (motors: names, indices or *) is required");
  EXPECT_EQ(resolve_options("schedule", "Robot", specs, Options::parse("actuator=*")).get_string("Robot", "actuator"),
            "*");
}

TEST(ResolveOptions, ReadingAnUndeclaredKeyWithoutFallbackIsAnInternalError) {
  const Options o = resolve_options("env", "Robot", kSpecs, {});
  try {
    o.get_int("Robot", "horizon");
    FAIL() << "expected an error";
  } catch (const EnvError& e) {
    EXPECT_NE(std::string(e.what()).find("Robot: internal error: option 'horizon'"), std::string::npos) << e.what();
  }
}

TEST(ResolveOptions, SpecsDescribeTheirRanges) {
  EXPECT_EQ(kSpecs[0].range_text(), "> 0");
  EXPECT_EQ(kSpecs[1].range_text(), ">= 1");
  EXPECT_EQ(kSpecs[3].range_text(), "in [0, 1]");
  EXPECT_EQ(kSpecs[5].range_text(), "train|test|all");
  EXPECT_EQ(kSpecs[6].range_text(), "");
  EXPECT_STREQ(kSpecs[2].type_name(), "double");
}

}  // namespace
}  // namespace metarl
