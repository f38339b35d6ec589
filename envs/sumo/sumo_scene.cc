#include "envs/sumo/sumo_scene.h"

#include <cstring>
#include <sstream>

#include <tinyxml2.h>

#include "envs/core/error.h"
#include "envs/mujoco/mujoco_env.h"

namespace metarl {

const std::vector<SumoRobot>& sumo_robots() {
  static const std::vector<SumoRobot> robots = {
      {"ant", "ant.xml", 4, 13, 13},
      {"bug", "bug.xml", 6, 10, 10},
      {"spider", "spider.xml", 8, 39, 5},
  };
  return robots;
}

const SumoRobot& sumo_robot(const std::string& kind, const std::string& who) {
  std::string known;
  for (const SumoRobot& robot : sumo_robots()) {
    if (robot.kind == kind) return robot;
    known += (known.empty() ? "" : ", ") + robot.kind;
  }
  throw_env_error(who, ": unknown robot '", kind, "' (known: ", known, ")");
}

namespace {

using tinyxml2::XMLDocument;
using tinyxml2::XMLElement;

// Collision bits: seat k's geoms have contype kSeatBit[k] and the other
// seat's bit as conaffinity, so a robot never touches itself; the arena
// touches both.
constexpr int kSeatBit[2] = {2, 4};
constexpr int kArenaContype = 1;
constexpr int kArenaConaffinity = 2 | 4;

std::string seat_prefix(const std::string& kind, int seat) { return kind + std::to_string(seat) + "/"; }

std::string numbers(const std::vector<double>& values) {
  std::ostringstream out;
  out.precision(17);
  const char* separator = "";
  for (double v : values) out << separator << v, separator = " ";
  return out.str();
}

XMLElement* child(XMLElement* parent, const char* name, const std::string& file, const std::string& who) {
  XMLElement* element = parent->FirstChildElement(name);
  if (!element) throw_env_error(who, ": robot MJCF '", file, "' has no <", name, "> where expected");
  return element;
}

XMLElement* add(XMLDocument& doc, XMLElement* parent, const char* name) {
  XMLElement* element = doc.NewElement(name);
  parent->InsertEndChild(element);
  return element;
}

// Prefixes every name and name reference in the element's subtree.
void prefix_names(XMLElement* element, const std::string& prefix) {
  for (const char* attribute : {"name", "joint", "body", "geom", "site", "tendon"})
    if (const char* value = element->Attribute(attribute)) element->SetAttribute(attribute, (prefix + value).c_str());
  for (XMLElement* c = element->FirstChildElement(); c; c = c->NextSiblingElement()) prefix_names(c, prefix);
}

// Sets every geom's density (the torso's own geoms, the rest: the legs) and collision bits.
void set_geoms(XMLElement* body, bool is_torso, const SumoRobot& robot, int seat) {
  for (XMLElement* c = body->FirstChildElement(); c; c = c->NextSiblingElement()) {
    if (std::strcmp(c->Name(), "geom") == 0) {
      c->SetAttribute("density", is_torso ? robot.torso_density : robot.leg_density);
      c->SetAttribute("contype", kSeatBit[seat]);
      c->SetAttribute("conaffinity", kSeatBit[1 - seat]);
    } else if (std::strcmp(c->Name(), "body") == 0) {
      set_geoms(c, false, robot, seat);
    }
  }
}

void add_arena(XMLDocument& doc, XMLElement* worldbody, const SumoSceneSpec& spec) {
  using A = SumoArenaSize;
  auto arena_geom = [&](const char* name, const char* type) {
    XMLElement* g = add(doc, worldbody, "geom");
    g->SetAttribute("name", name);
    g->SetAttribute("type", type);
    g->SetAttribute("contype", kArenaContype);
    g->SetAttribute("conaffinity", kArenaConaffinity);
    g->SetAttribute("condim", 3);
    return g;
  };
  XMLElement* floor = arena_geom("arena/floor", "plane");
  floor->SetAttribute("pos", numbers({0, 0, A::kFloorZ}).c_str());
  floor->SetAttribute("size", "40 40 40");
  floor->SetAttribute("rgba", "0.8 0.9 0.8 1");

  const bool ring = spec.arena == SumoArena::kRing;
  XMLElement* platform = arena_geom(kPlatformGeom, ring ? "cylinder" : "box");
  platform->SetAttribute("pos", numbers({0, 0, A::kTatamiHalfHeight}).c_str());
  platform->SetAttribute("size", ring ? numbers({spec.ring_radius, A::kTatamiHalfHeight}).c_str()
                                      : numbers({A::kTatamiHalfExtent, A::kTatamiHalfExtent, A::kTatamiHalfHeight}).c_str());
  platform->SetAttribute("friction", "1 0.1 0.1");
  platform->SetAttribute("rgba", "0.9 0.85 0.6 1");
  if (ring) return;

  const double b = A::kBorder, z = A::kTatamiTop;
  const std::pair<const char*, std::vector<double>> borders[] = {
      {"arena/border_x+", {b, -b, z, b, b, z}},
      {"arena/border_x-", {-b, -b, z, -b, b, z}},
      {"arena/border_y+", {-b, b, z, b, b, z}},
      {"arena/border_y-", {-b, -b, z, b, -b, z}},
  };
  for (const auto& [name, fromto] : borders) {
    XMLElement* border = arena_geom(name, "cylinder");
    border->SetAttribute("fromto", numbers(fromto).c_str());
    border->SetAttribute("size", A::kBorderRadius);
    border->SetAttribute("rgba", "0.6 0.2 0.2 1");
  }
}

// Copies one robot into the scene: its defaults as a class, its body tree, its actuators.
void add_robot(XMLDocument& scene, XMLElement* defaults, XMLElement* worldbody, XMLElement* actuators,
               const SumoRobot& robot, int seat, const std::string& who) {
  const std::string file = assets_dir() + "/" + robot.asset;
  XMLDocument doc;
  if (doc.LoadFile(file.c_str()) != tinyxml2::XML_SUCCESS)
    throw_env_error(who, ": cannot read robot MJCF '", file, "': ", doc.ErrorStr());
  XMLElement* root = doc.FirstChildElement("mujoco");
  if (!root) throw_env_error(who, ": robot MJCF '", file, "' has no <mujoco> element");
  const XMLElement* compiler = root->FirstChildElement("compiler");
  if (!compiler || !compiler->Attribute("angle", "degree"))
    throw_env_error(who, ": robot MJCF '", file, "' must give angles in degrees (the scene's unit)");

  const std::string prefix = seat_prefix(robot.kind, seat);
  const std::string class_name = robot.kind + std::to_string(seat);

  XMLElement* robot_class = add(scene, defaults, "default");
  robot_class->SetAttribute("class", class_name.c_str());
  for (XMLElement* d = child(root, "default", file, who)->FirstChildElement(); d; d = d->NextSiblingElement()) {
    XMLElement* copy = robot_class->InsertEndChild(d->DeepClone(&scene))->ToElement();
    if (std::strcmp(copy->Name(), "geom") == 0) copy->SetAttribute("rgba", kSumoSeatColour[seat]);
  }

  XMLElement* torso = child(child(root, "worldbody", file, who), "body", file, who);
  if (!torso->Attribute("name", "torso")) throw_env_error(who, ": robot MJCF '", file, "': the first body must be 'torso'");
  XMLElement* body = torso->DeepClone(&scene)->ToElement();
  prefix_names(body, prefix);
  set_geoms(body, true, robot, seat);
  body->SetAttribute("childclass", class_name.c_str());
  body->SetAttribute("pos", numbers({seat == 0 ? -1.15 : 1.15, 0, 1.25}).c_str());
  worldbody->InsertEndChild(body);

  for (XMLElement* a = child(root, "actuator", file, who)->FirstChildElement(); a; a = a->NextSiblingElement()) {
    XMLElement* actuator = a->DeepClone(&scene)->ToElement();
    prefix_names(actuator, prefix);
    actuator->SetAttribute("class", class_name.c_str());
    actuators->InsertEndChild(actuator);
  }
}

}  // namespace

std::string sumo_scene_xml(const SumoSceneSpec& spec, const std::string& env_name) {
  XMLDocument scene;
  XMLElement* mujoco = scene.NewElement("mujoco");
  scene.InsertEndChild(mujoco);
  mujoco->SetAttribute("model", ("sumo " + spec.robots[0] + " vs " + spec.robots[1]).c_str());
  XMLElement* compiler = add(scene, mujoco, "compiler");
  compiler->SetAttribute("angle", "degree");
  compiler->SetAttribute("inertiafromgeom", "true");
  XMLElement* option = add(scene, mujoco, "option");
  option->SetAttribute("timestep", 0.01);
  option->SetAttribute("integrator", "RK4");
  option->SetAttribute("gravity", "0 0 -9.81");
  // RoboSumo's sizes. Only one mjData per thread exists (not one per env),
  // so their memory does not multiply with the number of envs.
  XMLElement* size = add(scene, mujoco, "size");
  size->SetAttribute("njmax", 1000);
  size->SetAttribute("nconmax", 1000);

  XMLElement* defaults = add(scene, mujoco, "default");
  XMLElement* worldbody = add(scene, mujoco, "worldbody");
  XMLElement* light = add(scene, worldbody, "light");
  light->SetAttribute("name", "arena/sun");
  light->SetAttribute("directional", "true");
  light->SetAttribute("pos", "0 0 5");
  light->SetAttribute("dir", "0 0 -1");
  add_arena(scene, worldbody, spec);
  XMLElement* actuators = scene.NewElement("actuator");
  for (int seat = 0; seat < 2; ++seat)
    add_robot(scene, defaults, worldbody, actuators, sumo_robot(spec.robots[seat], env_name), seat, env_name);
  mujoco->InsertEndChild(actuators);

  tinyxml2::XMLPrinter printer;
  scene.Print(&printer);
  return printer.CStr();
}

std::array<SumoSeat, 2> sumo_seats(const mjModel* m, const SumoSceneSpec& spec, const std::string& env_name) {
  std::array<SumoSeat, 2> seats;
  for (int k = 0; k < 2; ++k) {
    SumoSeat& s = seats[size_t(k)];
    s.prefix = seat_prefix(spec.robots[size_t(k)], k);
    s.root_joint = mj_name2id(m, mjOBJ_JOINT, (s.prefix + "root").c_str());
    s.torso_body = mj_name2id(m, mjOBJ_BODY, (s.prefix + "torso").c_str());
    if (s.root_joint < 0 || s.torso_body < 0 || m->jnt_type[s.root_joint] != mjJNT_FREE)
      throw_env_error(env_name, ": seat ", k, " has no free joint ", s.prefix, "root on a body ", s.prefix, "torso");
    s.qpos_begin = m->jnt_qposadr[s.root_joint];
    s.dof_begin = m->jnt_dofadr[s.root_joint];
    s.body_begin = s.torso_body;
    for (int b = s.body_begin; b < m->nbody && std::strncmp(mj_id2name(m, mjOBJ_BODY, b), s.prefix.c_str(), s.prefix.size()) == 0; ++b)
      ++s.nbody;
    s.actuator_begin = -1;
    for (int a = 0; a < m->nu; ++a) {
      if (std::strncmp(mj_id2name(m, mjOBJ_ACTUATOR, a), s.prefix.c_str(), s.prefix.size()) != 0) continue;
      if (s.actuator_begin < 0) s.actuator_begin = a;
      ++s.nu;
    }
  }
  seats[0].nq = seats[1].qpos_begin - seats[0].qpos_begin;
  seats[1].nq = m->nq - seats[1].qpos_begin;
  seats[0].nv = seats[1].dof_begin - seats[0].dof_begin;
  seats[1].nv = m->nv - seats[1].dof_begin;
  // The observation layout relies on these: each seat's joints, bodies and actuators in one block, seat 0 first.
  const bool contiguous = seats[0].qpos_begin == 0 && seats[0].dof_begin == 0 && seats[0].actuator_begin == 0 &&
                          seats[1].actuator_begin == seats[0].nu && seats[0].nu + seats[1].nu == m->nu &&
                          seats[0].body_begin + seats[0].nbody == seats[1].body_begin &&
                          seats[1].body_begin + seats[1].nbody == m->nbody;
  if (!contiguous) throw_env_error(env_name, ": the assembled sumo scene's seats are not laid out one after the other");
  return seats;
}

}  // namespace metarl
