#include "envs/mujoco/mjcf_edit.h"

#include "envs/core/error.h"

namespace metarl {

tinyxml2::XMLElement* load_mjcf_floor(tinyxml2::XMLDocument& doc, const std::string& env_name,
                                      const std::string& path) {
  if (doc.LoadFile(path.c_str()) != tinyxml2::XML_SUCCESS)
    throw_env_error(env_name, ": cannot read MJCF '", path, "': ", doc.ErrorStr());
  tinyxml2::XMLElement* root = doc.FirstChildElement("mujoco");
  tinyxml2::XMLElement* world = root ? root->FirstChildElement("worldbody") : nullptr;
  tinyxml2::XMLElement* floor = world ? world->FirstChildElement("geom") : nullptr;
  while (floor && std::string(floor->Attribute("name") ? floor->Attribute("name") : "") != "floor")
    floor = floor->NextSiblingElement("geom");
  if (!floor) throw_env_error(env_name, ": MJCF '", path, "' has no geom named floor in its worldbody");
  return floor;
}

std::string mjcf_text(const tinyxml2::XMLDocument& doc) {
  tinyxml2::XMLPrinter printer;
  doc.Print(&printer);
  return printer.CStr();
}

}  // namespace metarl
