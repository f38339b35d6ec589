#include "experiments/game.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <regex>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "agents/file_io.h"
#include "agents/sampler.h"
#include "envs/core/match.h"
#include "envs/core/rng.h"
#include "envs/vector_env.h"
#include "experiments/io.h"
#include "experiments/match.h"
#include "experiments/players.h"
#include "experiments/stats.h"
#include "experiments/tournament.h"
#include "experiments/round_adaptation.h"
#include "meta/selfplay_trainer.h"

namespace fs = std::filesystem;

namespace metarl {

std::vector<std::string> opponent_sequence(const std::vector<std::string>& opponents) {
  if (opponents.empty()) throw std::invalid_argument("game: no opponent");
  if (opponents.size() > 1 || !is_run_player(opponents[0]) || fs::path(opponents[0]).extension() == ".pt" ||
      opponents[0].rfind("mean:", 0) == 0)
    return opponents;
  // One run directory: its snapshots, by step.
  const fs::path dir = fs::path(opponents[0]) / "checkpoints";
  const std::regex snapshot(R"(steps_(\d+)\.pt)");
  std::vector<std::pair<int64_t, std::string>> found;
  if (fs::is_directory(dir))
    for (const auto& entry : fs::directory_iterator(dir)) {
      std::smatch m;
      const std::string name = entry.path().filename().string();
      if (std::regex_match(name, m, snapshot)) found.emplace_back(std::stoll(m[1].str()), entry.path().string());
    }
  if (found.empty())
    throw std::invalid_argument("game: opponent " + opponents[0] + " has no snapshots (" + dir.string() +
                                "/steps_N.pt); name the opponents one by one");
  std::sort(found.begin(), found.end());
  std::vector<std::string> sequence;
  for (const auto& [steps, path] : found) sequence.push_back(path);
  return sequence;
}

namespace {


struct RoundRecord {
  int64_t repeat = 0, round = 0;
  std::string opponent;
  int64_t won = 0, lost = 0, drawn = 0;
  double score = 0.5;  // the round: 1 the agent won it, 0.5 drawn, 0 lost
};

const char* kRoundsHeader = "repeat,round,opponent,won,lost,drawn,round_score";

std::string format(double value) {
  if (std::isnan(value)) return "";
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

void write_rounds(const fs::path& path, const std::vector<RoundRecord>& records) {
  std::string rows = std::string(kRoundsHeader) + "\n";
  for (const RoundRecord& rec : records)
    rows += std::to_string(rec.repeat) + "," + std::to_string(rec.round) + "," + rec.opponent + "," +
            std::to_string(rec.won) + "," + std::to_string(rec.lost) + "," + std::to_string(rec.drawn) + "," +
            format(rec.score) + "\n";
  write_file_atomically(path.string(), rows);
}

std::vector<RoundRecord> read_rounds(const fs::path& path) {
  std::istringstream in(read_file(path.string()));
  std::string line;
  if (!std::getline(in, line) || line != kRoundsHeader)
    throw std::runtime_error(path.string() + ": not a game's rounds (its header differs)");
  std::vector<RoundRecord> records;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = split_fields(line);
    if (cells.size() != 7) throw std::runtime_error(path.string() + ": a row of " + std::to_string(cells.size()) +
                                                    " cells, not 7: " + line);
    try {
      records.push_back({std::stoll(cells[0]), std::stoll(cells[1]), cells[2], std::stoll(cells[3]),
                         std::stoll(cells[4]), std::stoll(cells[5]), std::stod(cells[6])});
    } catch (const std::exception&) {
      throw std::runtime_error(path.string() + ": a row is not numbers where they belong: " + line);
    }
  }
  return records;
}

}  // namespace

void run_game(const GameOptions& o) {
  if (o.rounds < 1 || o.episodes_per_round < 1 || o.repeats < 1)
    throw std::invalid_argument("game: --rounds, --episodes and --repeats must be at least 1");
  if (!is_round_adaptation_method(o.adaptation))
    throw std::invalid_argument("game: --adapt must be " + std::string(kRoundAdaptationMethods) + ", not " +
                                o.adaptation);
  if (o.last_rounds < 1 || o.last_rounds > o.rounds)
    throw std::invalid_argument("game: --last-rounds must be in [1, --rounds]");
  if (o.out_dir.empty()) throw std::invalid_argument("game: --out is required");
  if (o.threads < 1) throw std::invalid_argument("game: --threads must be at least 1");
  const std::vector<std::string> sequence = opponent_sequence(o.opponents);

  std::vector<std::string> players = {o.agent};
  players.insert(players.end(), sequence.begin(), sequence.end());
  const auto [env_name, env_options] = players_env("game", o.env, players, o.env_options);
  // rl2 plays a round's matches one after another in one env, so that the
  // agent's memory runs through every match of the game in order.
  const bool remembers = o.adaptation == "rl2";
  VectorEnv env(env_name, remembers ? 1 : int(o.episodes_per_round), o.threads, env_options);
  const SelfplaySeats seats = selfplay_seats(env);
  if (!seats.same_kind)
    throw std::invalid_argument("game: the agents of " + env_name + " differ; a game is between agents of one kind");
  // The game's reward is the outcome: no shaping.
  for (int i = 0; i < env.num_envs(); ++i) dynamic_cast<MatchEnv&>(env.env(i)).set_dense_weight(0);
  std::vector<Player> opponents;
  for (const std::string& spec : sequence) opponents.push_back(load_player(spec, env, 0));
  const RoundAdaptationSettings adaptation{o.adaptation, {o.tracking_learning_rate, o.tracking_epochs}, o.meta_history};
  {  // refused here, before anything is written, if it does not load or cannot adapt so
    Player agent = load_player(o.agent, env, 0);
    try {
      make_round_adaptation(adaptation, o.agent, agent, 0);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("game: ") + e.what());
    }
  }

  // The output directory: a fresh one, or this game's to resume after its
  // last whole repeat (each repeat has its own seed, so skipping the ones
  // written gives what an uninterrupted run would).
  const fs::path out(o.out_dir);
  nlohmann::json setup = {{"agent", o.agent},
                                {"opponents", sequence},
                                {"env", env_name},
                                {"env_options", env_options.to_string()},
                                {"rounds", o.rounds},
                                {"episodes_per_round", o.episodes_per_round},
                                {"repeats", o.repeats},
                                {"adaptation", o.adaptation},
                                {"tracking_learning_rate", o.tracking_learning_rate},
                                {"tracking_epochs", o.tracking_epochs},
                                {"seed", o.seed}};
  if (o.adaptation == "meta") setup["meta_history"] = o.meta_history;
  const fs::path setup_path = out / "game.json";
  if (fs::exists(setup_path) && nlohmann::json::parse(read_file(setup_path.string())) != setup)
    throw std::invalid_argument(o.out_dir + " holds another game (" + setup_path.string() +
                                " differs from these options); give another --out");
  fs::create_directories(out);
  if (!fs::exists(setup_path)) write_json_atomically(setup_path.string(), setup);
  const fs::path rounds_path = out / "game_rounds.csv";
  std::vector<RoundRecord> records = fs::exists(rounds_path) ? read_rounds(rounds_path) : std::vector<RoundRecord>{};
  const int64_t done = int64_t(records.size()) / o.rounds;
  records.resize(size_t(done * o.rounds));  // a repeat is written whole; anything else is not this game's
  if (done > 0) std::cerr << "game: resuming after repeat " << done << " of " << o.repeats << std::endl;
  for (int64_t r = done; r < o.repeats; ++r) {
    if (o.max_repeats >= 0 && r - done >= o.max_repeats) break;
    const uint64_t seed = derive_seed(o.seed, uint64_t(r));
    env.seed(seed);
    Player agent = load_player(o.agent, env, 0);  // each repeat from the agent as loaded
    const std::unique_ptr<RoundAdaptation> adapts = make_round_adaptation(adaptation, o.agent, agent,
                                                                          derive_seed(seed, 1));
    TrialMemory memory;  // rl2: the agent's, from the game's first match to its last
    for (int64_t k = 0; k < o.rounds; ++k) {
      const size_t version = std::min(size_t(k), opponents.size() - 1);
      const Player& opponent = opponents[version];
      // Seats alternate match by match, round k starting from seat k % 2:
      // over two rounds each seat is the agent's equally often, whatever the
      // (possibly odd) number of matches a round.
      const uint64_t round_seed = derive_seed(seed, uint64_t(k) + 2);
      EpisodeBatch batch;
      std::vector<double> scores;
      if (remembers) {
        for (int64_t i = 0; i < o.episodes_per_round; ++i) {
          const EpisodeBatch match =
              play_round(env, agent, opponent, (k + i) % 2, derive_seed(round_seed, uint64_t(i)), nullptr, &memory);
          for (const double s : episode_scores(match)) scores.push_back(s);
        }
      } else {
        batch = play_round(env, agent, opponent, k % 2, round_seed);
        scores = episode_scores(batch);
      }
      RoundRecord rec{r, k, sequence[version]};
      for (const double s : scores) {
        rec.won += s == 1.0;
        rec.lost += s == 0.0;
        rec.drawn += s == 0.5;
      }
      rec.score = winner_by_margin(rec.won, rec.lost, o.episodes_per_round, 0);
      records.push_back(rec);
      if (adapts) adapts->after_round(batch);
    }
    write_rounds(rounds_path, records);
    std::cerr << "game: repeat " << r + 1 << "/" << o.repeats << " done" << std::endl;
  }
  const int64_t repeats = int64_t(records.size()) / o.rounds;  // written so far
  if (repeats < o.repeats) {
    std::cerr << "game: stopped after repeat " << repeats << " of " << o.repeats << "; the same command resumes"
              << std::endl;
    return;
  }

  const double per_round = double(o.episodes_per_round);
  const auto interval = [&](const std::vector<double>& sample) {
    return sample.size() >= 2 ? mean_with_ci95(sample) : MeanWithInterval{sample.at(0), std::nan("")};
  };
  std::string curve = "round,opponent,win_rate,win_rate_ci95,draw_rate,loss_rate,round_win_rate\n";
  for (int64_t k = 0; k < o.rounds; ++k) {
    std::vector<double> wins, draws, losses, round_wins;
    for (const RoundRecord& rec : records)
      if (rec.round == k) {
        wins.push_back(double(rec.won) / per_round);
        draws.push_back(double(rec.drawn) / per_round);
        losses.push_back(double(rec.lost) / per_round);
        round_wins.push_back(rec.score == 1.0);
      }
    const MeanWithInterval w = interval(wins);
    curve += std::to_string(k) + "," + sequence[std::min(size_t(k), sequence.size() - 1)] + "," + format(w.mean) +
             "," + format(w.ci95) + "," + format(interval(draws).mean) + "," + format(interval(losses).mean) + "," +
             format(interval(round_wins).mean) + "\n";
  }
  write_file_atomically((out / "game.csv").string(), curve);

  std::vector<double> last_window;  // per repeat: matches won in the last rounds
  int64_t games_won = 0, games_lost = 0, games_drawn = 0;
  for (int64_t r = 0; r < o.repeats; ++r) {
    int64_t won = 0, rounds_won = 0, rounds_lost = 0;
    for (const RoundRecord& rec : records) {
      if (rec.repeat != r) continue;
      if (rec.round >= o.rounds - o.last_rounds) won += rec.won;
      rounds_won += rec.score == 1.0;
      rounds_lost += rec.score == 0.0;
    }
    last_window.push_back(double(won) / (double(o.last_rounds) * per_round));
    const double game = winner_by_margin(rounds_won, rounds_lost, o.rounds, kGameMargin);
    games_won += game == 1.0;
    games_lost += game == 0.0;
    games_drawn += game == 0.5;
  }
  const MeanWithInterval last = interval(last_window);
  const std::string plot = "/usr/bin/python3 '" + std::string(METARL_SOURCE_DIR) + "/scripts/plot_metrics.py' '" +
                           (out / "game.csv").string() + "' '" + (out / "game.png").string() +
                           "' --x round --y win_rate draw_rate loss_rate --title 'agent against an advancing "
                           "opponent (" + o.adaptation + ")'";
  const bool plotted = std::system(plot.c_str()) == 0;
  if (!plotted) std::cerr << "metarl: warning: plotting failed: " << plot << std::endl;
  write_json_atomically((out / "summary.json").string(),
                        {{"agent", o.agent},
                         {"opponents", sequence},
                         {"env", env_name},
                         {"env_options", env_options.to_string()},
                         {"adaptation", o.adaptation},
                         {"rounds", o.rounds},
                         {"episodes_per_round", o.episodes_per_round},
                         {"repeats", o.repeats},
                         {"seed", o.seed},
                         {"last_rounds", o.last_rounds},
                         {"last_rounds_win_rate", {{"mean", last.mean}, {"ci95", last.ci95}}},
                         {"games", {{"won", games_won}, {"drawn", games_drawn}, {"lost", games_lost},
                                    {"margin", kGameMargin}}},
                         {"plot", plotted ? "game.png" : ""}});
  std::cerr << "game: the agent won " << format(last.mean) << " of its matches in the last " << o.last_rounds
            << " rounds; games " << games_won << " won, " << games_drawn << " drawn, " << games_lost
            << " lost; results in " << out.string() << std::endl;
}

}  // namespace metarl
