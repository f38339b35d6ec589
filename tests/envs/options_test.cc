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

}  // namespace
}  // namespace metarl
