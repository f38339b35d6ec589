#include "experiments/tournament.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iterator>
#include <iostream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"
#include "agents/sampler.h"
#include "envs/core/match.h"
#include "envs/core/rng.h"
#include "envs/vector_env.h"
#include "experiments/config.h"
#include "experiments/io.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "experiments/round_adaptation.h"
#include "meta/ratings.h"
#include "meta/selfplay_trainer.h"

namespace fs = std::filesystem;

namespace metarl {

double winner_by_margin(int64_t a_wins, int64_t b_wins, int64_t played, double margin) {
  const double needed = std::max(margin * double(played), 0.0);
  if (a_wins > b_wins && double(a_wins - b_wins) >= needed) return 1.0;
  if (b_wins > a_wins && double(b_wins - a_wins) >= needed) return 0.0;
  return 0.5;
}

namespace {

constexpr int kEloResamples = 200;

struct Agent {
  std::string name;
  std::string spec;                   // a `metarl match` player
  std::string adaptation = "none";    // between a game's rounds: experiments/round_adaptation.h
  bool adapts() const { return adaptation != "none"; }
};

struct Population {
  std::string env;
  Options env_options;
  uint64_t seed = 0;
  int64_t random_games = 0;  // 0: round robin
  int64_t rounds = 1, episodes_per_round = 8;
  int envs = 16, threads = 2;
  RoundAdaptationSettings adaptation;  // its method is each agent's own
  std::vector<Agent> agents;
};

Population read_population(const std::string& path) {
  ExperimentConfig cfg = ExperimentConfig::load(path);
  Population p;
  p.seed = uint64_t(cfg.get_int("seed", 0, Bounds::non_negative()));
  const std::string games = cfg.get_string("games", "round_robin");
  if (games != "round_robin") {
    char* end = nullptr;
    const long long n = std::strtoll(games.c_str(), &end, 10);
    if (games.empty() || *end != '\0' || n < 1) cfg.invalid("games", "must be round_robin or a number of games >= 1");
    p.random_games = n;
  }
  p.rounds = cfg.get_int("rounds", p.rounds, Bounds::at_least(1));
  p.episodes_per_round = cfg.get_int("episodes_per_round", p.episodes_per_round, Bounds::at_least(1));
  p.envs = int(cfg.get_int("envs", p.envs, Bounds::closed(1, 4096)));
  p.threads = int(cfg.get_int("threads", p.threads, Bounds::closed(1, 256)));
  for (const std::string& name : cfg.get_map_keys("agents")) {
    const std::string key = "agents." + name;
    if (name.find_first_of(",\n\"") != std::string::npos)  // (a dot the configuration refuses itself)
      throw ConfigError(cfg.source() + ": agent name '" + name +
                        "' has a comma, quote or line break (matches.csv could not hold it)");
    Agent agent{name, ""};
    if (cfg.has(key + ".run")) {
      if (cfg.has(key + ".player")) cfg.invalid(key, "names a run or a player, not both");
      const std::string run = cfg.get_string_required(key + ".run");
      const std::string snapshot = cfg.get_string(key + ".snapshot", "");
      agent.spec = snapshot.empty() ? run : (fs::path(run) / "checkpoints" / (snapshot + ".pt")).string();
    } else {
      agent.spec = cfg.get_string_required(key + ".player");
    }
    agent.adaptation = cfg.get_string(key + ".adaptation", "none");
    if (!is_round_adaptation_method(agent.adaptation) || agent.adaptation == "rl2")
      cfg.invalid(key + ".adaptation", "must be none, tracking or meta (an RL² player's memory across a game's matches "
                                       "is `metarl game --adapt rl2`; here it restarts every match)");
    p.agents.push_back(agent);
  }
  if (p.agents.size() < 2) cfg.invalid("agents", "must name at least two agents");
  TrackingConfig& tracking = p.adaptation.tracking;
  tracking.learning_rate = cfg.get_double("tracking.learning_rate", tracking.learning_rate, Bounds::positive());
  tracking.epochs = cfg.get_int("tracking.epochs", tracking.epochs, Bounds::at_least(1));
  p.adaptation.meta_history = cfg.get_int("meta_history", p.adaptation.meta_history, Bounds::at_least(1));
  p.env = cfg.get_string("env", "");
  for (const auto& [key, value] : cfg.get_string_map("env_options")) p.env_options.set(key, value);
  cfg.reject_unknown();
  return p;
}

// The pairs of agents that play, game by game: every pair once (taking
// turns at being a), or `random_games` pairs drawn uniformly.
std::vector<std::pair<size_t, size_t>> schedule(const Population& p) {
  const size_t n = p.agents.size();
  std::vector<std::pair<size_t, size_t>> games;
  if (p.random_games == 0) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j) games.push_back(games.size() % 2 == 0 ? std::make_pair(i, j) : std::make_pair(j, i));
    return games;
  }
  Rng rng(derive_seed(p.seed, 0x70a7));
  for (int64_t g = 0; g < p.random_games; ++g) {
    const size_t a = size_t(rng.below(n));
    size_t b = size_t(rng.below(n - 1));
    if (b >= a) ++b;
    games.emplace_back(a, b);
  }
  return games;
}

// The games of a wave (consecutive games of the schedule) are played side by
// side, round by round: game i's round takes envs [i E, (i + 1) E) of the
// wave's VectorEnv (E episodes a round), A in seat (j + k) % 2 of its env j
// in round k, B in the other. Every distinct player acts for all its rows at
// once; an adapting agent plays as a fresh copy of itself per game, which
// trains on its own side of each round's matches.
struct WaveGame {
  size_t a = 0, b = 0;       // agent indices
  Player a_copy, b_copy;     // adapting agents' copies for this game
  std::unique_ptr<RoundAdaptation> a_adapts, b_adapts;
  std::vector<double> scores;  // A's, episode by episode
};

void play_wave(VectorEnv& env, std::vector<WaveGame>& wave, const std::vector<Player>& players,
               const Population& p, uint64_t seed) {
  env.seed(seed);
  for (size_t i = 0; i < wave.size(); ++i) {
    WaveGame& g = wave[i];
    const auto fresh = [&](size_t agent, Player& copy, std::unique_ptr<RoundAdaptation>& adapts, uint64_t adapt_seed) {
      const Agent& a = p.agents[agent];
      if (!a.adapts()) return;
      copy = load_player(a.spec, env, 0);
      RoundAdaptationSettings settings = p.adaptation;
      settings.method = a.adaptation;
      adapts = make_round_adaptation(settings, a.spec, copy, adapt_seed);
    };
    fresh(g.a, g.a_copy, g.a_adapts, derive_seed(seed, 2 * i + 1));
    fresh(g.b, g.b_copy, g.b_adapts, derive_seed(seed, 2 * i + 2));
  }
  const auto player_a = [&](const WaveGame& g) -> const Player& { return g.a_adapts ? g.a_copy : players[g.a]; };
  const auto player_b = [&](const WaveGame& g) -> const Player& { return g.b_adapts ? g.b_copy : players[g.b]; };
  const int64_t per_round = p.episodes_per_round;
  for (int64_t k = 0; k < p.rounds; ++k) {
    std::vector<Seating> seatings;
    std::map<const Player*, size_t> seating_of;
    const auto seat = [&](const Player& player, int64_t row) {
      auto [it, added] = seating_of.emplace(&player, seatings.size());
      if (added) seatings.push_back({&player, {}});
      seatings[it->second].rows.push_back(row);
    };
    // Where game i's episode j is found: A's seating and its column there.
    std::vector<std::pair<size_t, size_t>> a_column(wave.size() * size_t(per_round));
    for (size_t i = 0; i < wave.size(); ++i)
      for (int64_t j = 0; j < per_round; ++j) {
        const int64_t e = int64_t(i) * per_round + j, a_seat = (j + k) % 2;
        seat(player_a(wave[i]), 2 * e + a_seat);
        const size_t s = seating_of.at(&player_a(wave[i]));
        a_column[size_t(e)] = {s, seatings[s].rows.size() - 1};
        seat(player_b(wave[i]), 2 * e + 1 - a_seat);
      }
    const std::vector<EpisodeBatch> sides = play_matches(env, seatings, derive_seed(seed, 1000 + uint64_t(k)));
    std::vector<std::vector<double>> side_scores;
    for (const EpisodeBatch& side : sides) side_scores.push_back(episode_scores(side));
    for (size_t i = 0; i < wave.size(); ++i) {
      WaveGame& g = wave[i];
      for (int64_t j = 0; j < per_round; ++j) {
        const auto [s, column] = a_column[i * size_t(per_round) + size_t(j)];
        g.scores.push_back(side_scores[s][column]);
      }
      if (g.a_adapts) g.a_adapts->after_round(sides[seating_of.at(&g.a_copy)]);
      if (g.b_adapts) g.b_adapts->after_round(sides[seating_of.at(&g.b_copy)]);
    }
  }
}

GameRecord tally_game(const std::vector<double>& scores, const Population& p, int64_t game) {
  GameRecord r;
  r.game = game;
  r.rounds = p.rounds;
  r.episodes = int64_t(scores.size());
  for (int64_t k = 0; k < p.rounds; ++k) {
    int64_t won = 0, lost = 0;
    for (int64_t e = 0; e < p.episodes_per_round; ++e) {
      const double s = scores[size_t(k * p.episodes_per_round + e)];
      won += s == 1.0;
      lost += s == 0.0;
    }
    r.a_episodes += won;
    r.b_episodes += lost;
    r.drawn_episodes += p.episodes_per_round - won - lost;
    const double round = winner_by_margin(won, lost, p.episodes_per_round, 0);
    r.a_rounds += round == 1.0;
    r.b_rounds += round == 0.0;
    r.drawn_rounds += round == 0.5;
  }
  r.score_a = winner_by_margin(r.a_rounds, r.b_rounds, r.rounds, kGameMargin);
  return r;
}

const char* kMatchesHeader =
    "game,a,b,rounds,episodes,a_rounds,b_rounds,drawn_rounds,a_episodes,b_episodes,drawn_episodes,score_a";

std::string csv_row(const GameRecord& r) {
  std::ostringstream out;
  out << r.game << ',' << r.a << ',' << r.b << ',' << r.rounds << ',' << r.episodes << ',' << r.a_rounds << ','
      << r.b_rounds << ',' << r.drawn_rounds << ',' << r.a_episodes << ',' << r.b_episodes << ','
      << r.drawn_episodes << ',' << r.score_a;
  return out.str();
}

std::vector<GameRecord> read_matches(const fs::path& path) {
  std::vector<GameRecord> records;
  std::istringstream in(read_file(path.string()));
  std::string line;
  if (!std::getline(in, line) || line != kMatchesHeader)
    throw std::runtime_error(path.string() + ": not a tournament's matches.csv (its header differs)");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const std::vector<std::string> cells = split_fields(line);
    if (cells.size() != 12) throw std::runtime_error(path.string() + ": a row has " + std::to_string(cells.size()) +
                                                     " cells, not 12: " + line);
    GameRecord r;
    try {
      r.game = std::stoll(cells[0]);
      r.a = cells[1];
      r.b = cells[2];
      r.rounds = std::stoll(cells[3]);
      r.episodes = std::stoll(cells[4]);
      r.a_rounds = std::stoll(cells[5]);
      r.b_rounds = std::stoll(cells[6]);
      r.drawn_rounds = std::stoll(cells[7]);
      r.a_episodes = std::stoll(cells[8]);
      r.b_episodes = std::stoll(cells[9]);
      r.drawn_episodes = std::stoll(cells[10]);
      r.score_a = std::stod(cells[11]);
    } catch (const std::exception&) {
      throw std::runtime_error(path.string() + ": a row is not numbers where they belong: " + line);
    }
    records.push_back(r);
  }
  return records;
}

void write_matches(const fs::path& path, const std::vector<GameRecord>& records) {
  std::string text = std::string(kMatchesHeader) + "\n";
  for (const GameRecord& r : records) text += csv_row(r) + "\n";
  write_file_atomically(path.string(), text);
}

// Episode results of the games `which` (indices into records) as Elo's games.
std::vector<GameResult> episode_results(const std::vector<GameRecord>& records, const std::vector<size_t>& which,
                                        const std::map<std::string, int64_t>& index) {
  std::vector<GameResult> results;
  for (const size_t g : which) {
    const GameRecord& r = records[g];
    const int64_t a = index.at(r.a), b = index.at(r.b);
    for (int64_t k = 0; k < r.a_episodes; ++k) results.push_back({a, b, 1.0});
    for (int64_t k = 0; k < r.b_episodes; ++k) results.push_back({a, b, 0.0});
    for (int64_t k = 0; k < r.drawn_episodes; ++k) results.push_back({a, b, 0.5});
  }
  return results;
}

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double position = q * double(values.size() - 1);
  const size_t low = size_t(std::floor(position));
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (position - double(low)) * (values[high] - values[low]);
}

// Everything that follows from matches.csv alone.
void write_ratings(const fs::path& out, const Population& p, const std::vector<GameRecord>& records) {
  const size_t n = p.agents.size();
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < n; ++i) index[p.agents[i].name] = int64_t(i);

  // Win rates: the row agent's episode score against the column agent's.
  std::vector<std::vector<double>> score(n, std::vector<double>(n, 0.0)), played(n, std::vector<double>(n, 0.0));
  std::vector<GameResult> games;
  for (const GameRecord& r : records) {
    const size_t a = size_t(index.at(r.a)), b = size_t(index.at(r.b));
    const double a_score = double(r.a_episodes) + 0.5 * double(r.drawn_episodes);
    score[a][b] += a_score;
    score[b][a] += double(r.episodes) - a_score;
    played[a][b] += double(r.episodes);
    played[b][a] += double(r.episodes);
    games.push_back({int64_t(a), int64_t(b), r.score_a});
  }
  std::string matrix = "agent";
  for (const Agent& agent : p.agents) matrix += "," + agent.name;
  matrix += "\n";
  for (size_t i = 0; i < n; ++i) {
    matrix += p.agents[i].name;
    for (size_t j = 0; j < n; ++j) {
      matrix += ",";
      if (played[i][j] > 0) {
        std::ostringstream cell;
        cell.precision(6);
        cell << score[i][j] / played[i][j];
        matrix += cell.str();
      }
    }
    matrix += "\n";
  }
  write_file_atomically((out / "win_rates.csv").string(), matrix);

  // TrueSkill over the games in their order, Elo fitted to every episode,
  // its interval from resampling whole games.
  const TrueSkill trueskill;
  const std::vector<Rating> ratings = trueskill.rate_all(int64_t(n), games);
  std::vector<size_t> all(records.size());
  for (size_t g = 0; g < all.size(); ++g) all[g] = g;
  const std::vector<double> elo = elo_from_games(int64_t(n), episode_results(records, all, index));
  std::vector<std::vector<double>> resampled(n);
  Rng rng(derive_seed(p.seed, 0xe10));
  for (int s = 0; s < kEloResamples && !records.empty(); ++s) {
    std::vector<size_t> draw(records.size());
    for (size_t& g : draw) g = size_t(rng.below(records.size()));
    const std::vector<double> e = elo_from_games(int64_t(n), episode_results(records, draw, index));
    for (size_t i = 0; i < n; ++i) resampled[i].push_back(e[i]);
  }

  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return ratings[x].conservative() > ratings[y].conservative(); });
  std::ostringstream ts, el;
  ts << std::fixed << std::setprecision(4);
  el << std::fixed << std::setprecision(2);
  ts << "rank,agent,mu,sigma,mu_minus_3sigma,games\n";
  el << "rank,agent,elo,elo_low,elo_high,episodes\n";
  nlohmann::json ranking = nlohmann::json::array();
  std::vector<int64_t> games_of(n, 0), episodes_of(n, 0);
  for (const GameRecord& r : records)
    for (const std::string& name : {r.a, r.b}) {
      games_of[size_t(index.at(name))] += 1;
      episodes_of[size_t(index.at(name))] += r.episodes;
    }
  for (size_t rank = 0; rank < n; ++rank) {
    const size_t i = order[rank];
    const double low = resampled[i].empty() ? elo[i] : quantile(resampled[i], 0.025);
    const double high = resampled[i].empty() ? elo[i] : quantile(resampled[i], 0.975);
    ts << rank + 1 << ',' << p.agents[i].name << ',' << ratings[i].mu << ',' << ratings[i].sigma << ','
       << ratings[i].conservative() << ',' << games_of[i] << '\n';
    el << rank + 1 << ',' << p.agents[i].name << ',' << elo[i] << ',' << low << ',' << high << ',' << episodes_of[i]
       << '\n';
    ranking.push_back({{"agent", p.agents[i].name},
                       {"player", p.agents[i].spec},
                       {"adaptation", p.agents[i].adaptation},
                       {"trueskill", {{"mu", ratings[i].mu}, {"sigma", ratings[i].sigma},
                                      {"mu_minus_3sigma", ratings[i].conservative()}}},
                       {"elo", {{"rating", elo[i]}, {"ci95", {low, high}}}},
                       {"games", games_of[i]},
                       {"episodes", episodes_of[i]}});
  }
  write_file_atomically((out / "trueskill.csv").string(), ts.str());
  write_file_atomically((out / "elo.csv").string(), el.str());

  const std::string plot = "/usr/bin/python3 '" + std::string(METARL_SOURCE_DIR) + "/scripts/plot_tournament.py' '" +
                           out.string() + "'";
  const bool plotted = std::system(plot.c_str()) == 0;
  if (!plotted) std::cerr << "metarl: warning: plotting failed: " << plot << std::endl;
  write_json_atomically((out / "summary.json").string(),
                        {{"env", p.env},
                         {"env_options", p.env_options.to_string()},
                         {"games", records.size()},
                         {"rounds_per_game", p.rounds},
                         {"episodes_per_round", p.episodes_per_round},
                         {"game_margin", kGameMargin},
                         {"trueskill", {{"mu", 25.0}, {"sigma", 25.0 / 3}, {"beta", 25.0 / 6}, {"tau", 25.0 / 300},
                                        {"draw_probability", 0.1}, {"rated", "games, in the order played"}}},
                         {"elo", {{"rated", "episodes (draws half), fitted at once; 95% interval from resampling "
                                            "games " + std::to_string(kEloResamples) + " times"}}},
                         {"ranking", ranking},
                         {"plots", plotted ? nlohmann::json{"win_rates.png", "elo.png"} : nlohmann::json::array()}});
}

// A wave's game records as numbers ([games, counts + score]), to gather
// them from the processes that played them.
constexpr int64_t GameRecord::*kRecordCounts[] = {
    &GameRecord::rounds,     &GameRecord::episodes,   &GameRecord::a_rounds,       &GameRecord::b_rounds,
    &GameRecord::drawn_rounds, &GameRecord::a_episodes, &GameRecord::b_episodes, &GameRecord::drawn_episodes};
constexpr int64_t kRecordFields = int64_t(std::size(kRecordCounts)) + 1;  // the counts, then score_a

torch::Tensor record_numbers(const std::vector<GameRecord>& records) {
  auto t = torch::zeros({int64_t(records.size()), kRecordFields}, torch::kFloat64);
  for (size_t g = 0; g < records.size(); ++g) {
    for (int64_t f = 0; f + 1 < kRecordFields; ++f) t[int64_t(g)][f] = double(records[g].*kRecordCounts[f]);
    t[int64_t(g)][kRecordFields - 1] = records[g].score_a;
  }
  return t;
}

GameRecord record_of(const torch::Tensor& row) {
  GameRecord r;
  for (int64_t f = 0; f + 1 < kRecordFields; ++f) r.*kRecordCounts[f] = int64_t(row[f].item<double>());
  r.score_a = row[kRecordFields - 1].item<double>();
  return r;
}

}  // namespace

void run_tournament(const TournamentOptions& options) {
  if (const std::string error = distributed_config_error(options.distributed); !error.empty())
    throw std::invalid_argument(error);
  const std::string& path = options.population_path;
  Population p = read_population(path);
  if (options.threads > 0) p.threads = options.threads;
  if (options.out_dir.empty()) throw std::invalid_argument("tournament: --out is required");

  // The env, and every agent's player, checked before anything runs.
  if (p.env.empty()) {
    std::vector<std::string> specs;
    for (const Agent& agent : p.agents) specs.push_back(agent.spec);
    PlayersEnv runs = env_of_runs(path, specs, p.env_options);
    if (runs.name.empty()) throw std::invalid_argument(path + ": no agent is a run: name the env with env:");
    for (const auto& [key, value] : p.env_options.values()) runs.options.set(key, value);
    p.env = runs.name;
    p.env_options = runs.options;
  }
  for (const Agent& agent : p.agents)
    if (is_run_player(agent.spec)) {
      std::string trained_in;
      Options ignored;
      try {
        env_of_run(agent.spec, trained_in, ignored);
      } catch (const std::exception& e) {
        throw std::invalid_argument(path + ": agent '" + agent.name + "': " + e.what());
      }
      if (trained_in != p.env)
        throw std::invalid_argument(path + ": agent '" + agent.name + "' was trained in " + trained_in +
                                    ", the tournament plays " + p.env);
    }
  // Games side by side: as many as `envs` holds rounds of (at least one).
  const int64_t per_wave = std::max<int64_t>(1, p.envs / p.episodes_per_round);
  std::map<int64_t, std::unique_ptr<VectorEnv>> wave_envs;  // by size: full waves, then the last one
  const auto wave_env = [&](int64_t games_in_wave) -> VectorEnv& {
    auto& env = wave_envs[games_in_wave];
    if (!env)
      env = std::make_unique<VectorEnv>(p.env, int(games_in_wave * p.episodes_per_round), p.threads, p.env_options);
    return *env;
  };
  VectorEnv& env = wave_env(1);
  if (!selfplay_seats(env).same_kind)
    throw std::invalid_argument(path + ": the agents of " + p.env +
                                " differ (observation or action space); a population plays agents of one kind");
  std::vector<Player> players;
  for (const Agent& agent : p.agents) {
    try {
      players.push_back(load_player(agent.spec, env, 0));
      RoundAdaptationSettings settings = p.adaptation;  // whether it can adapt so (nothing is adapted yet)
      settings.method = agent.adaptation;
      make_round_adaptation(settings, agent.spec, players.back(), 0);
    } catch (const std::exception& e) {
      throw std::invalid_argument(path + ": agent '" + agent.name + "': " + e.what());
    }
  }

  const std::string text = read_file(path);
  const Communicator processes(options.distributed);
  const bool writer = processes.writes_outputs();
  processes.require_same("population and options", text + "\nthreads: " + std::to_string(p.threads) +
                                                       "\nmax_games: " + std::to_string(options.max_games));

  // The output directory: a fresh one, or this population's to resume
  // (rank 0's, whose verdict and resume point every rank takes).
  const fs::path out(options.out_dir);
  const fs::path matches = out / "matches.csv";
  const auto games = schedule(p);
  std::vector<GameRecord> records;
  std::string verdict;
  if (writer) {
    try {
      fs::create_directories(out);
      const fs::path copy = out / "population.yaml";
      if (fs::exists(copy) && read_file(copy.string()) != text)
        throw std::invalid_argument(options.out_dir + " holds a tournament of another population (" + copy.string() +
                                    " differs from " + path + "); give another --out");
      if (!fs::exists(copy)) write_file_atomically(copy.string(), text);
      if (fs::exists(matches)) records = read_matches(matches);
      if (records.size() > games.size())
        throw std::runtime_error(matches.string() + " has more games than the population schedules");
      for (size_t g = 0; g < records.size(); ++g)
        if (records[g].a != p.agents[games[g].first].name || records[g].b != p.agents[games[g].second].name)
          throw std::runtime_error(matches.string() + ": game " + std::to_string(g) + " is not the one scheduled");
      if (records.size() % size_t(per_wave) != 0 && records.size() != games.size())
        throw std::runtime_error(matches.string() + " ends inside a wave of " + std::to_string(per_wave) +
                                 " games played together; it was not written by this population's tournament");
    } catch (const std::exception& e) {
      if (!processes.several()) throw;
      verdict = e.what();
    }
    if (!records.empty())
      std::cerr << "tournament: resuming after game " << records.size() << " of " << games.size() << std::endl;
  }
  if (!(verdict = processes.from_rank0("verdict", verdict)).empty()) throw std::runtime_error(verdict);
  const size_t done = std::stoul(processes.from_rank0("resume point", std::to_string(records.size())));

  // W waves at a time, the i-th of them rank i's.
  const size_t world = size_t(processes.world_size()), rank = size_t(processes.rank());
  int64_t played_now = 0;
  for (size_t first = done; first < games.size(); first += world * size_t(per_wave)) {
    if (options.max_games >= 0 && played_now >= options.max_games) break;
    const size_t last = std::min(first + world * size_t(per_wave), games.size());  // of these waves
    const size_t mine = first + rank * size_t(per_wave), end = std::min(mine + size_t(per_wave), last);
    std::vector<GameRecord> played;
    if (mine < end) {
      std::vector<WaveGame> wave(end - mine);
      for (size_t g = mine; g < end; ++g) {
        wave[g - mine].a = games[g].first;
        wave[g - mine].b = games[g].second;
      }
      play_wave(wave_env(int64_t(wave.size())), wave, players, p, derive_seed(p.seed, mine / size_t(per_wave)));
      for (size_t g = mine; g < end; ++g) played.push_back(tally_game(wave[g - mine].scores, p, int64_t(g)));
    }
    if (processes.several()) {  // every rank's games, in order, from the sum of their places
      auto all = torch::zeros({int64_t(last - first), kRecordFields}, torch::kFloat64);
      if (!played.empty()) all.narrow(0, int64_t(mine - first), int64_t(played.size())).copy_(record_numbers(played));
      all = processes.all_reduce_sum(all);
      played.clear();
      for (size_t g = first; g < last; ++g) {
        played.push_back(record_of(all[int64_t(g - first)]));
        played.back().game = int64_t(g);
      }
    }
    for (GameRecord& r : played) {
      const size_t g = size_t(r.game);
      r.a = p.agents[games[g].first].name;
      r.b = p.agents[games[g].second].name;
      records.push_back(r);
      if (writer)
        std::cerr << "tournament: game " << g + 1 << "/" << games.size() << ": " << r.a << " " << r.a_episodes
                  << " - " << r.b_episodes << " " << r.b << " (" << r.drawn_episodes << " drawn)" << std::endl;
    }
    if (writer) write_matches(matches, records);
    played_now += int64_t(last - first);
  }
  if (!writer) return;
  write_ratings(out, p, records);
  std::cerr << "tournament: " << records.size() << " of " << games.size() << " games; results in " << out.string()
            << std::endl;
}

}  // namespace metarl
