// `metarl launch -n W run|tournament ...`: W processes on this host. Starts
// W copies of this program, each with --world-size W --rank R --master
// 127.0.0.1:PORT added to the command, and waits for them; when one fails,
// stops the others (they would otherwise each report the lost rank) and
// returns its status. Rank 0's messages are the run's; another rank's first
// error line is shown only when that rank failed first. On several hosts, start `metarl run ... --world-size W
// --rank R --master HOST:PORT` on each instead (README).
#pragma once

#include <string>
#include <vector>

namespace metarl {

// `command`: the subcommand and its arguments ("run", "EXPERIMENT.yaml", ...;
// or "tournament", "POPULATION.yaml", ...).
// Returns the exit status for the program: 0 when every rank succeeded.
int launch_processes(int world_size, const std::vector<std::string>& command);

}  // namespace metarl
