// A robot's MJCF changed in memory (tinyxml2) before it is compiled with
// load_reference_model_from_xml: the terrain and pier envs change the floor
// of the robot's own file, so the robot is described in one place.
#pragma once

#include <string>

#include <tinyxml2.h>

namespace metarl {

// Loads the MJCF file `path` into `doc` and returns the geom named "floor"
// among its worldbody's children; throws naming `env_name` and the file
// when it cannot be read or has no such geom.
tinyxml2::XMLElement* load_mjcf_floor(tinyxml2::XMLDocument& doc, const std::string& env_name,
                                      const std::string& path);

// `doc` as MJCF text.
std::string mjcf_text(const tinyxml2::XMLDocument& doc);

}  // namespace metarl
