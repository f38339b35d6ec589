#!/usr/bin/env bash
# The reference runs of docs/RESULTS.md (long: run in the background; each
# run resumes from its checkpoint if interrupted, so just start it again).
#   scripts/reference_runs.sh ppo_halfcheetah   # PPO HalfCheetah, seeds 0 1 2, 1M steps each
#   scripts/reference_runs.sh trpo_nav2d        # TRPO Navigation2D fixed goal, seeds 0 1 2
#   scripts/reference_runs.sh maml_nav2d        # MAML-TRPO (original configuration, 3 seeds) and the pretrained baseline
#   scripts/reference_runs.sh maml_nav2d_port   # the same with the PyTorch port's configuration (nav2d_port.yaml)
#   scripts/reference_runs.sh maml_halfcheetah_dir  # MAML-TRPO as the file says (no_score), HalfCheetahDir
#   scripts/reference_runs.sh maml_halfcheetah_vel  # the same, HalfCheetahVel
#   scripts/reference_runs.sh dice_halfcheetah_vel  # (or any TASK) with the dice estimator
#   scripts/reference_runs.sh lvc_halfcheetah_vel   # (or any TASK) ProMP's curvature estimator
#   scripts/reference_runs.sh pretrained_halfcheetah_dir  # (or _vel) the multi-task baseline, same env steps
#   scripts/reference_runs.sh maml_ant_vel          # (or maml_ant_dir, maml_ant_goal) MAML-TRPO on the Ant
#   scripts/reference_runs.sh adapt_TASK            # TASK = halfcheetah_dir ... ant_goal: adapt.csv and plot
#                                                   # over the runs of experiments/results/maml/TASK/
#   scripts/reference_runs.sh continual_bug_RUN     # RUN = meta_mlp | meta_mlp_alpha0.01 | meta_mlp_lvc |
#                                                   # meta_mlp_minibatch4 | pretrained_mlp_minibatch4 |
#                                                   # meta_lstm | pretrained_mlp | rl2_lstm:
#                                                   # continual adaptation on the crippled Bug (experiments/continual);
#                                                   # SEED=1 ... trains another seed into RUN_seed1
#   scripts/reference_runs.sh continual_bug_as_tested  # bug_crippled_as_tested.yaml (SEED=1 ...) and the
#                                                   # loop without adaptation at its number of updates
#   scripts/reference_runs.sh continual_bug_as_tested_dice  # the same with dice (SEED=1 ...)
#   scripts/reference_runs.sh adapt_continual_bug_as_tested  # both seeds on the held-out leg pairs
#   scripts/reference_runs.sh adapt_continual_bug_as_tested_dice  # the dice runs on the same chains, against lvc
#   scripts/reference_runs.sh continual_nav2d       # the sanity chain: estimators, clip, seeds 0 1, held-out chains
#   scripts/reference_runs.sh adapt_continual_bug   # every run's 5M snapshot on the held-out leg pairs (at_5M_RUN),
#                                                   # at_5M_summary.txt and the figure held_out_5M.png
#   scripts/reference_runs.sh sumo2d                # self-play on Sumo2D (SEED=1 ...), then its matches against
#                                                   # random and scripted players at every snapshot (matches.jsonl);
#                                                   # STEPS=10000000 ...: a 10M-step run into sumo2d_10M
#   scripts/reference_runs.sh sumo_ROBOT            # ROBOT = ant | bug | spider: self-play RoboSumo (SEED=1 ...)
#   scripts/reference_runs.sh sumo_meta_ROBOT       # ROBOT = ant | bug: competitive meta-training on RoboSumo
#                                                   # (robosumo_meta.yaml; the loop without adaptation for 1M
#                                                   # steps, then 1M of meta-training from it: PRETRAIN=, META=;
#                                                   # that loop on to 2M), snapshots against random
#   scripts/reference_runs.sh games_sumo_ROBOT_table3  # ROBOT = ant | bug: Table 3's games, its meta-learner and
#                                                   # loop without adaptation against its self-play run's
#                                                   # snapshots (the Bug's run continued to 3M first:
#                                                   # sumo_bug --set training.total_env_steps=3000000)
#   scripts/reference_runs.sh sumo_snapshots        # the Ant run's latest against its own snapshots
#   scripts/reference_runs.sh sumo_calibration      # the three equally trained robots play each other
#                                                   # (both seat orders, 200 matches a pair): calibration.jsonl;
#                                                   # AT=1000000 ...: their snapshots at 1M steps instead
#   scripts/reference_runs.sh sumo2d_meta           # competitive meta-training on Sumo2D (lvc; DICE=1: the
#                                                   # earlier dice run) and the same loop
#                                                   # without adaptation (SEED=1 ...), with their matches
#                                                   # against random and scripted players (matches.jsonl)
#   scripts/reference_runs.sh sumo2d_meta_lstm      # the same two-stage training with an LSTM policy
#   scripts/reference_runs.sh games_sumo2d_meta     # iterated games of their 3M snapshots (meta, none,
#                                                   # tracking) against the meta-learner's 3M..5M snapshots
#   scripts/reference_runs.sh sumo2d_meta_gradient_ablation  # 1M steps on from a policy that plays: which
#                                                   # meta-gradient keeps it (matches against random)
#   scripts/reference_runs.sh sumo2d_meta_schedule_controls  # from scratch: the loop without adaptation on
#                                                   # the meta loop's schedule, the meta loop without adaptation
#   scripts/reference_runs.sh sumo2d_rl2            # RL² in self-play on Sumo2D (SEED=1 ...), with its matches
#   scripts/reference_runs.sh games_sumo2d_table3   # Table 3 on Sumo2D: RL², meta, tracking and none at 5M
#                                                   # against the entropy run's 5M..10M snapshots (SEED=1 ...:
#                                                   # that seed's meta-learner from 2M and loop without adaptation)
#   scripts/reference_runs.sh games_sumo2d_table3_lstm_meta  # its games of the LSTM meta-learner and its loop
#   scripts/reference_runs.sh games_sumo2d_episodes_sweep   # the same with 10, 30 and 90 matches a round
#   scripts/reference_runs.sh terrain_halfcheetah   # MAML, PPO and continual adaptation on HalfCheetahRamps
#                                                   # (8M steps each, SEED=1 ...), then each on the held-out
#                                                   # profiles hill, basin, gentle and steep
#   scripts/reference_runs.sh walker_ppo            # PPO on BipedalWalker, RL Zoo's settings, 5M steps (SEED=1 ...),
#                                                   # then 100 episodes of its final policy (rollout_*.jsonl)
#   scripts/reference_runs.sh walker_obstacles      # continual adaptation on the walker as obstacles rise, and the
#                                                   # same loop without adaptation (5M each, SEED=1 ...); both
#                                                   # along 50 chains of 7 episodes (adapt_chain.csv)
# Extra arguments go to `metarl run` (for example --threads 1 to run two at once).
set -euo pipefail
cd "$(dirname "$0")/.."
metarl=${METARL:-build/experiments/metarl}
run=${1:-}
shift || true
locomotion_tasks="halfcheetah_dir halfcheetah_vel ant_vel ant_dir ant_goal"
# Table 3's games: each AGENT ("SNAPSHOT ADAPT NAME", SNAPSHOT under
# experiments/results/sumo) against OPPONENTS (snapshot paths separated by
# spaces, in the order they advance), 30 rounds of 3 matches, into OUT/NAME.
table3_games() {  # OUT REPEATS THREADS "OPPONENTS" AGENT...
  local out=$1 repeats=$2 threads=$3 agent
  local opponents=($4)
  shift 4
  for agent in "$@"; do
    set -- $agent
    "$metarl" game "experiments/results/sumo/$1" "${opponents[@]}" --rounds 30 --episodes 3 --repeats "$repeats" \
        --adapt "$2" --threads "$threads" --out "$out/$3"
  done
}
# Every snapshot of run DIR against each built-in player named (random and
# scripted when none is; 208 matches each), into DIR/matches.jsonl (written
# whole at the end).
snapshot_matches() {
  local d=$1 player opponent
  shift
  local opponents=(random scripted)
  [ $# -gt 0 ] && opponents=("$@")
  : > "$d/matches.jsonl.tmp"
  for player in "$d"/checkpoints/steps_*.pt; do
    for opponent in "${opponents[@]}"; do
      "$metarl" match "$player" "$opponent" --episodes 200 --seed 1 >> "$d/matches.jsonl.tmp"
    done
  done
  mv "$d/matches.jsonl.tmp" "$d/matches.jsonl"
}
usage() {
  echo "usage: $0 ppo_halfcheetah|trpo_nav2d|maml_nav2d|maml_nav2d_port|maml_TASK|dice_TASK|lvc_TASK|pretrained_TASK|adapt_TASK" \
       "(TASK: $locomotion_tasks)|continual_bug_RUN (RUN: meta_mlp meta_mlp_alpha0.01 meta_mlp_lvc meta_mlp_minibatch4 pretrained_mlp_minibatch4 meta_lstm pretrained_mlp rl2_lstm)|continual_bug_as_tested|continual_bug_as_tested_dice|adapt_continual_bug_as_tested|adapt_continual_bug_as_tested_dice|continual_nav2d|adapt_continual_bug|sumo2d|sumo_ROBOT (ROBOT: ant bug spider)|sumo_meta_ROBOT (ROBOT: ant bug)|sumo_snapshots|sumo_calibration|sumo2d_meta|sumo2d_meta_lstm|sumo2d_meta_gradient_ablation|sumo2d_meta_schedule_controls|games_sumo2d_meta|sumo2d_rl2|games_sumo2d_table3|games_sumo2d_episodes_sweep|games_sumo_ROBOT_table3 (ROBOT: ant bug)|terrain_halfcheetah|walker_ppo|walker_obstacles" >&2
  exit 2
}
case "$run" in
  ppo_halfcheetah)
    for seed in 0 1 2; do
      "$metarl" run experiments/ppo/halfcheetah.yaml --seed "$seed" --out "experiments/results/ppo_halfcheetah/seed$seed"
    done ;;
  trpo_nav2d)
    for seed in 0 1 2; do
      "$metarl" run experiments/trpo/nav2d_fixed_goal.yaml --seed "$seed" --out "experiments/results/trpo_nav2d/seed$seed"
    done ;;
  maml_nav2d)
    d=experiments/results/maml/nav2d
    for seed in 0 1 2; do
      suffix=$([ "$seed" = 0 ] && echo "" || echo "_seed$seed")
      "$metarl" run experiments/maml/nav2d.yaml --seed "$seed" --out "$d/maml_dice$suffix" "$@"
      "$metarl" run experiments/maml/nav2d.yaml --seed "$seed" --set algorithm.meta_gradient=no_score \
          --out "$d/maml_no_score$suffix" "$@"
    done
    "$metarl" run experiments/maml/nav2d.yaml --set algorithm.name=maml_pretrain --out $d/pretrained "$@"
    "$metarl" adapt $d/maml_dice $d/maml_dice_seed1 $d/maml_dice_seed2 $d/maml_no_score $d/maml_no_score_seed1 \
        $d/maml_no_score_seed2 $d/pretrained --tasks 40 --steps 3 --out $d ;;
  maml_nav2d_port)
    d=experiments/results/maml/nav2d_port
    budget="--set training.total_env_steps=8000000"
    for seed in 0 1 2; do
      suffix=$([ "$seed" = 0 ] && echo "" || echo "_seed$seed")
      "$metarl" run experiments/maml/nav2d_port.yaml --seed "$seed" $budget --out "$d/maml_dice$suffix" "$@"
      "$metarl" run experiments/maml/nav2d_port.yaml --seed "$seed" --set algorithm.meta_gradient=no_score $budget \
          --out "$d/maml_no_score$suffix" "$@"
    done
    "$metarl" run experiments/maml/nav2d_port.yaml --set policy.hidden=[100,100] --set policy.activation=relu \
        --set training.total_env_steps=16000000 --out $d/maml_dice_relu100 "$@"
    "$metarl" run experiments/maml/nav2d_port.yaml --set algorithm.meta_gradient=exact \
        --set algorithm.score_baseline=task_regression $budget --out $d/maml_exact "$@"
    "$metarl" run experiments/maml/nav2d_port.yaml --set algorithm.name=maml_pretrain $budget --out $d/pretrained "$@"
    "$metarl" adapt $d/maml_dice $d/maml_dice_seed1 $d/maml_dice_seed2 $d/maml_no_score $d/maml_no_score_seed1 \
        $d/maml_no_score_seed2 $d/maml_dice_relu100 $d/maml_exact $d/pretrained --tasks 40 --steps 3 --out $d ;;
  maml_* | no_score_* | dice_* | lvc_*)
    # ESTIMATOR_TASK (maml_TASK: the files' estimator, no_score), into maml_ESTIMATOR.
    case "$run" in
      maml_*) estimator=no_score task=${run#maml_} ;;
      no_score_*) estimator=no_score task=${run#no_score_} ;;
      *) estimator=${run%%_*} task=${run#*_} ;;
    esac
    case " $locomotion_tasks " in *" $task "*) ;; *) usage ;; esac
    "$metarl" run "experiments/maml/$task.yaml" --set algorithm.meta_gradient="$estimator" \
        --out "experiments/results/maml/$task/maml_$estimator" "$@" ;;
  pretrained_halfcheetah_dir | pretrained_halfcheetah_vel | pretrained_ant_vel | pretrained_ant_dir | pretrained_ant_goal)
    task=${run#pretrained_}
    "$metarl" run "experiments/maml/$task.yaml" --set algorithm.name=maml_pretrain \
        --out "experiments/results/maml/$task/pretrained" "$@" ;;
  adapt_halfcheetah_dir | adapt_halfcheetah_vel | adapt_ant_vel | adapt_ant_dir | adapt_ant_goal)
    d=experiments/results/maml/${run#adapt_}
    runs=()
    # AntDir's MAML run used the quarter metric (an earlier file setting): it stands in for maml_no_score there.
    quarter="$d"/maml_no_score_quarter_metric
    [ -d "$d/maml_no_score" ] && quarter=
    for r in "$d"/maml_dice "$d"/maml_no_score $quarter "$d"/maml_lvc "$d"/pretrained; do
      [ -d "$r/checkpoints" ] && runs+=("$r")
    done
    "$metarl" adapt "${runs[@]}" --tasks 40 --steps 3 --out "$d" "$@" ;;
  continual_bug_meta_mlp | continual_bug_meta_mlp_alpha0.01 | continual_bug_meta_mlp_lvc | continual_bug_pretrained_mlp | \
  continual_bug_meta_mlp_minibatch4 | continual_bug_pretrained_mlp_minibatch4 | continual_bug_meta_lstm | continual_bug_rl2_lstm)
    d=experiments/results/continual/bug_crippled
    # SEED=N (environment) trains another seed into RUN_seedN; seed 0 keeps the plain name.
    seed=${SEED:-0}
    sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
    case "${run#continual_bug_}" in
      # The step sizes' own Adam rate is set here, not in the yaml, so that
      # pretrained_mlp (begun before the key existed) still resumes.
      meta_mlp) "$metarl" run experiments/continual/bug_crippled.yaml --set algorithm.step_size_learning_rate=0.01 \
          --out $d/meta_mlp$sfx --seed "$seed" "$@" ;;
      # Variants of meta_mlp (5M env steps): step sizes starting at 0.01
      # instead of 0.001, and ProMP's low-variance curvature estimator instead of DiCE.
      meta_mlp_alpha0.01) "$metarl" run experiments/continual/bug_crippled.yaml \
          --set algorithm.step_size_learning_rate=0.01 --set algorithm.inner_lr=0.01 \
          --set training.total_env_steps=5000000 --set training.snapshot_every_env_steps=2500000 \
          --out $d/meta_mlp_alpha0.01$sfx --seed "$seed" "$@" ;;
      meta_mlp_lvc) "$metarl" run experiments/continual/bug_crippled.yaml \
          --set algorithm.step_size_learning_rate=0.01 --set algorithm.meta_gradient=lvc \
          --set training.total_env_steps=5000000 --set training.snapshot_every_env_steps=2500000 \
          --out $d/meta_mlp_lvc$sfx --seed "$seed" "$@" ;;
      # The outer PPO step on 4 minibatches of 6 tasks (4 times the Adam
      # steps per iteration), for the meta-learned policy and its baseline.
      meta_mlp_minibatch4) "$metarl" run experiments/continual/bug_crippled.yaml \
          --set algorithm.step_size_learning_rate=0.01 --set algorithm.minibatches=4 \
          --set training.total_env_steps=5000000 --set training.snapshot_every_env_steps=2500000 \
          --out $d/meta_mlp_minibatch4$sfx --seed "$seed" "$@" ;;
      pretrained_mlp_minibatch4) "$metarl" run experiments/continual/bug_crippled.yaml --set algorithm.name=maml_pretrain \
          --set algorithm.minibatches=4 \
          --set training.total_env_steps=5000000 --set training.snapshot_every_env_steps=2500000 \
          --out $d/pretrained_mlp_minibatch4$sfx --seed "$seed" "$@" ;;
      pretrained_mlp) "$metarl" run experiments/continual/bug_crippled.yaml --set algorithm.name=maml_pretrain \
          --out $d/pretrained_mlp$sfx --seed "$seed" "$@" ;;
      meta_lstm) "$metarl" run experiments/continual/bug_crippled_lstm.yaml --set algorithm.step_size_learning_rate=0.01 \
          --out $d/meta_lstm$sfx --seed "$seed" "$@" ;;
      rl2_lstm) "$metarl" run experiments/continual/bug_crippled_rl2.yaml --out $d/rl2_lstm$sfx --seed "$seed" "$@" ;;
    esac ;;
  continual_nav2d)
    # The sanity chain (experiments/continual/nav2d_drift.yaml), docs/RESULTS.md
    # issue 19. First with 3 episodes per task and inner step (20 tasks): the
    # inner objective's estimator (lvc, dice, first_order) and lvc without
    # the weights' clip, seeds 0 and 1, and the same loop without adaptation;
    # all of them on the same 50 held-out chains, adapted as deployed
    # (history 1 and 3) and (--theta-episodes) from θ's own episodes; the lvc
    # run at smaller test-time step sizes; the runs trained as tested (chain
    # pairs) and theirs. Then the file as it is (one episode per task and
    # step, 60 tasks), with and without two chain pairs, on held-out chains
    # with the one-episode history it was trained for.
    d=experiments/results/continual/nav2d_drift
    f=experiments/continual/nav2d_drift.yaml
    k3="--set algorithm.tasks_per_batch=20 --set algorithm.episodes_per_task=3"
    pairs2="--set algorithm.chain_pairs=2 --set algorithm.off_policy_step_sizes=true"
    held_out="--chain 7 --tasks 50 --family-option split=test"
    runs=()
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      "$metarl" run $f $k3 --seed "$seed" --out $d/lvc$sfx "$@"
      "$metarl" run $f $k3 --seed "$seed" --set algorithm.meta_gradient=dice --out $d/dice$sfx "$@"
      "$metarl" run $f $k3 --seed "$seed" --set algorithm.meta_gradient=first_order --out $d/first_order$sfx "$@"
      "$metarl" run $f $k3 --seed "$seed" --set algorithm.inner_clip=0 --out $d/lvc_noclip$sfx "$@"
      "$metarl" run $f $k3 --seed "$seed" --set algorithm.name=maml_pretrain --out $d/pretrained$sfx "$@"
      runs+=($d/lvc$sfx $d/dice$sfx $d/first_order$sfx $d/lvc_noclip$sfx $d/pretrained$sfx)
    done
    for history in 1 3; do
      "$metarl" adapt "${runs[@]}" $held_out --history $history --theta-episodes --out $d/held_out_history$history
    done
    "$metarl" adapt $d/lvc --inner-lr 0.03 --inner-lr 0.1 --inner-lr 0.2 $held_out --history 3 \
        --out $d/held_out_lvc_step_sizes
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      "$metarl" run $f $k3 --seed "$seed" --set algorithm.chain_pairs=2 --out $d/lvc_pairs2$sfx "$@"
      "$metarl" run $f $k3 $pairs2 --seed "$seed" --out $d/lvc_pairs2_offsizes$sfx "$@"
    done
    "$metarl" run $f $k3 --set algorithm.chain_pairs=4 --set algorithm.off_policy_step_sizes=true \
        --out $d/lvc_pairs4_offsizes "$@"
    for history in 1 3; do
      "$metarl" adapt $d/lvc_pairs2 $d/lvc_pairs2_seed1 $held_out --history $history --theta-episodes \
          --out $d/held_out_pairs2_history$history
      "$metarl" adapt $d/lvc_pairs2_offsizes $d/lvc_pairs2_offsizes_seed1 $held_out --history $history \
          --theta-episodes --out $d/held_out_pairs2_offsizes_history$history
      "$metarl" adapt $d/lvc_pairs4_offsizes $held_out --history $history --theta-episodes \
          --out $d/held_out_pairs4_offsizes_history$history
    done
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      "$metarl" run $f --seed "$seed" --out $d/lvc_k1$sfx "$@"
      "$metarl" run $f $pairs2 --seed "$seed" --out $d/lvc_pairs2_offsizes_k1$sfx "$@"
    done
    "$metarl" run $f --set algorithm.name=maml_pretrain --out $d/pretrained_k1 "$@"
    "$metarl" adapt $d/lvc_pairs2_offsizes_k1 $d/lvc_pairs2_offsizes_k1_seed1 $d/lvc_k1 $d/lvc_k1_seed1 $d/pretrained_k1 \
        $held_out --history 1 --theta-episodes --out $d/held_out_k1_history1 ;;
  continual_bug_as_tested)
    # experiments/continual/bug_crippled_as_tested.yaml (5M env steps), seed
    # SEED (default 0) into as_tested[_seedN]; then the same loop without
    # adaptation stopped at the same number of outer updates (iterations)
    # into pretrained_mlp_minibatch4_updates[_seedN]: equal updates, where
    # pretrained_mlp_minibatch4[_seedN] at 5M is equal env steps.
    d=experiments/results/continual/bug_crippled
    seed=${SEED:-0}
    sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
    "$metarl" run experiments/continual/bug_crippled_as_tested.yaml --out $d/as_tested$sfx --seed "$seed" "$@"
    iterations=$(tail -1 $d/as_tested$sfx/metrics.csv | cut -d, -f1)
    "$metarl" run experiments/continual/bug_crippled.yaml --set algorithm.name=maml_pretrain \
        --set algorithm.minibatches=4 --set training.total_env_steps=5000000 \
        --out $d/pretrained_mlp_minibatch4_updates$sfx --seed "$seed" --max-iterations "$iterations" "$@" ;;
  adapt_continual_bug_as_tested)
    # Each seed's meta-learned policy at 5M env steps and the pretrained loop
    # at 5M (equal env steps) and at the meta run's iteration count (equal
    # updates), on the same 50 chains of the held-out leg pairs, into
    # as_tested_held_out[_seedN]; the paired differences (episodes 5-7) into
    # as_tested_held_out_summary.txt.
    d=experiments/results/continual/bug_crippled
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      out=$d/as_tested_held_out$sfx
      [ -f "$out/adapt_chain_tasks.csv" ] || "$metarl" adapt $d/as_tested$sfx/checkpoints/steps_5000000.pt \
          $d/pretrained_mlp_minibatch4$sfx/checkpoints/steps_5000000.pt $d/pretrained_mlp_minibatch4_updates$sfx \
          --chain 7 --history 3 --tasks 50 --family-option split=test --theta-episodes --out "$out" "$@"
    done
    summary=$d/as_tested_held_out_summary.txt
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      tasks=$d/as_tested_held_out$sfx/adapt_chain_tasks.csv
      /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7
      /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7 --minus "as_tested$sfx@steps_5000000:no_adaptation"
      /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7 --minus "pretrained_mlp_minibatch4$sfx@steps_5000000:no_adaptation"
      /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7 --minus "pretrained_mlp_minibatch4_updates$sfx:no_adaptation"
    done > "$summary.tmp"
    mv "$summary.tmp" "$summary" ;;
  continual_bug_as_tested_dice)
    # The same with the dice estimator (issue 19, item 4: dice against lvc at
    # equal budget), seed SEED into as_tested_dice[_seedN].
    d=experiments/results/continual/bug_crippled
    seed=${SEED:-0}
    sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
    "$metarl" run experiments/continual/bug_crippled_as_tested.yaml --set algorithm.meta_gradient=dice \
        --out $d/as_tested_dice$sfx --seed "$seed" "$@" ;;
  adapt_continual_bug_as_tested_dice)
    # Each seed's dice run at 5M env steps on the same 50 chains of the
    # held-out leg pairs as adapt_continual_bug_as_tested (same --tasks and
    # seed: the same chains in the same order), into
    # as_tested_dice_held_out[_seedN]; dice minus lvc per chain (episodes 5-7,
    # paired) and each against its own unadapted policy into
    # as_tested_dice_held_out_summary.txt.
    d=experiments/results/continual/bug_crippled
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      out=$d/as_tested_dice_held_out$sfx
      [ -f "$out/adapt_chain_tasks.csv" ] || "$metarl" adapt $d/as_tested_dice$sfx/checkpoints/steps_5000000.pt \
          --chain 7 --history 3 --tasks 50 --family-option split=test --theta-episodes --out "$out" "$@"
    done
    summary=$d/as_tested_dice_held_out_summary.txt
    for seed in 0 1; do
      sfx=; [ "$seed" != 0 ] && sfx=_seed$seed
      both="$d/as_tested_dice_held_out$sfx/adapt_chain_tasks.csv $d/as_tested_held_out$sfx/adapt_chain_tasks.csv"
      /usr/bin/python3 scripts/task_stats.py $both --window 5 7
      /usr/bin/python3 scripts/task_stats.py $both --window 5 7 --minus "as_tested$sfx@steps_5000000"
      /usr/bin/python3 scripts/task_stats.py $both --window 5 7 --minus "as_tested_dice$sfx@steps_5000000:no_adaptation"
    done > "$summary.tmp"
    mv "$summary.tmp" "$summary" ;;
  adapt_continual_bug)
    # Every run's 5M-step snapshot on the same 50 chains of the held-out leg
    # pairs (seed 1000), each into at_5M_RUN (skipped when already there),
    # then each run's episodes 5-7 (per chain, and paired against the same
    # policy without adaptation) into at_5M_summary.txt, and the figure
    # held_out_5M.png: the best meta-learned runs (LSTM; MLP with task
    # minibatches), the pretrained loop with task minibatches, RL².
    d=experiments/results/continual/bug_crippled
    runs="meta_mlp meta_mlp_alpha0.01 meta_mlp_lvc meta_mlp_minibatch4 meta_lstm pretrained_mlp pretrained_mlp_minibatch4 rl2_lstm"
    for r in $runs; do
      [ -f "$d/at_5M_$r/adapt_chain_tasks.csv" ] && continue
      "$metarl" adapt "$d/$r/checkpoints/steps_5000000.pt" --chain 7 --history 3 --tasks 50 \
          --family-option split=test --out "$d/at_5M_$r" "$@"
    done
    summary=$d/at_5M_summary.txt
    for r in $runs; do
      tasks=$d/at_5M_$r/adapt_chain_tasks.csv
      /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7
      [ "$r" = rl2_lstm ] || /usr/bin/python3 scripts/task_stats.py "$tasks" --window 5 7 --minus "$r@steps_5000000:no_adaptation"
    done > "$summary.tmp"
    mv "$summary.tmp" "$summary"
    csvs=() policies=()
    for r in meta_lstm meta_mlp_minibatch4 pretrained_mlp_minibatch4; do
      csvs+=(--also "$d/at_5M_$r/adapt_chain.csv")
      policies+=(--policy "$r@steps_5000000" --policy "$r@steps_5000000:no_adaptation" --policy "$r@steps_5000000:tracking")
    done
    /usr/bin/python3 scripts/plot_adapt.py "$d/at_5M_rl2_lstm/adapt_chain.csv" "$d/held_out_5M.png" "${csvs[@]}" \
        "${policies[@]}" --policy rl2_lstm@steps_5000000 \
        --title "crippled Bug, held-out leg pairs, 5M env steps" ;;
  sumo2d)
    # STEPS=N trains N env steps (the file's 5M otherwise) into sumo2d_<N/1M>M.
    seed=${SEED:-0}
    d=experiments/results/sumo/sumo2d${STEPS:+_$((STEPS / 1000000))M}/seed$seed
    "$metarl" run experiments/sumo/sumo2d.yaml --seed "$seed" ${STEPS:+--set training.total_env_steps=$STEPS} \
        --out "$d" "$@"
    : > "$d/matches.jsonl.tmp"
    for player in "$d"/checkpoints/steps_*.pt "$d"; do
      for opponent in random scripted; do
        "$metarl" match "$player" "$opponent" --episodes 200 --seed 1 >> "$d/matches.jsonl.tmp"
      done
    done
    mv "$d/matches.jsonl.tmp" "$d/matches.jsonl" ;;
  sumo2d_meta)
    seed=${SEED:-0}
    # The meta-learner as the file says (lvc) and the loop without
    # adaptation; DICE=1 trains the file's earlier dice meta-learner instead
    # (sumo2d_meta/seed0). The loop without adaptation was trained with the
    # dice setting, which it never uses: kept so that the run resumes.
    d=experiments/results/sumo/sumo2d_meta_lvc/seed$seed
    gradient=()
    [ -n "${DICE:-}" ] && d=experiments/results/sumo/sumo2d_meta/seed$seed && gradient=(--set algorithm.meta_gradient=dice)
    "$metarl" run experiments/sumo/sumo2d_meta.yaml --seed "$seed" "${gradient[@]}" --out "$d" "$@"
    snapshot_matches "$d"
    d=experiments/results/sumo/sumo2d_meta_pretrain/seed$seed
    "$metarl" run experiments/sumo/sumo2d_meta.yaml --seed "$seed" --set algorithm.name=maml_pretrain \
        --set algorithm.meta_gradient=dice --out "$d" "$@"
    snapshot_matches "$d"
    # Meta-training (the file) from that loop's 2M snapshot for 3M steps on
    # the outcome reward: as many env steps in all as either run above.
    d=experiments/results/sumo/sumo2d_meta_lvc_from_pretrain2M/seed$seed
    "$metarl" run experiments/sumo/sumo2d_meta.yaml --seed "$seed" --set training.total_env_steps=3000000 \
        --set policy.init_from=experiments/results/sumo/sumo2d_meta_pretrain/seed$seed/checkpoints/steps_2000000.pt \
        --set algorithm.dense_anneal_fraction=0.001 --out "$d" "$@"
    snapshot_matches "$d" ;;
  sumo2d_meta_lstm)
    # The LSTM meta-learner (sumo2d_meta_lstm.yaml) as the MLP one: the loop
    # without adaptation for 5M steps, meta-training from its 2M snapshot
    # for 3M, both runs' snapshots against random and scripted players.
    seed=${SEED:-0}
    s=experiments/results/sumo
    pretrain=$s/sumo2d_meta_lstm_pretrain/seed$seed
    "$metarl" run experiments/sumo/sumo2d_meta_lstm.yaml --seed "$seed" --set algorithm.name=maml_pretrain \
        --out "$pretrain" "$@"
    snapshot_matches "$pretrain"
    d=$s/sumo2d_meta_lstm_from_pretrain2M/seed$seed
    "$metarl" run experiments/sumo/sumo2d_meta_lstm.yaml --seed "$seed" --set training.total_env_steps=3000000 \
        --set policy.init_from=$pretrain/checkpoints/steps_2000000.pt \
        --set algorithm.dense_anneal_fraction=0.001 --out "$d" "$@"
    snapshot_matches "$d" ;;
  sumo2d_meta_gradient_ablation)
    # Which part of competitive meta-training loses a policy that plays:
    # 1M steps on from the no-adaptation loop's 2M snapshot (outcome reward
    # only), that loop itself, then the meta loop with negligible adaptation,
    # with its dice meta-gradient at a fixed step size, first-order, and lvc;
    # each run's latest against random (96 matches) into its matches.jsonl.
    s=experiments/results/sumo
    from2M() {  # NAME ARGS...
      local d=$s/$1/seed0
      shift
      "$metarl" run experiments/sumo/sumo2d_meta.yaml --seed 0 --set training.total_env_steps=1000000 \
          --set policy.init_from=$s/sumo2d_meta_pretrain/seed0/checkpoints/steps_2000000.pt \
          --set algorithm.dense_anneal_fraction=0.001 --out "$d" "$@"
      "$metarl" match "$d" random --episodes 96 --seed 1 > "$d/matches.jsonl"
    }
    from2M sumo2d_pretrain_from2M_1M --set algorithm.name=maml_pretrain --set algorithm.meta_gradient=dice
    from2M sumo2d_meta_from_pretrain2M_negligible_1M --set algorithm.meta_gradient=dice \
        --set algorithm.inner_lr=1.0e-6 --set algorithm.learn_inner_lr=false --set algorithm.initial_inner_kl=0
    from2M sumo2d_meta_from_pretrain2M_fixed_step_1M --set algorithm.meta_gradient=dice --set algorithm.learn_inner_lr=false
    from2M sumo2d_meta_from_pretrain2M_first_order_1M --set algorithm.meta_gradient=first_order
    from2M sumo2d_meta_from_pretrain2M_lvc_1M --set algorithm.meta_gradient=lvc ;;
  sumo2d_meta_schedule_controls)
    # From scratch, 5M steps: the loop without adaptation on the meta loop's
    # schedule (16 matches a task: 64 an iteration, as the meta loop's two
    # rounds of 8), the meta loop with negligible adaptation, and with the
    # first-order meta-gradient (the inner steps not differentiated); every
    # snapshot against random (208 matches) into matches.jsonl.
    s=experiments/results/sumo
    control() {  # NAME ARGS...
      local d=$s/$1/seed0
      shift
      "$metarl" run experiments/sumo/sumo2d_meta.yaml --seed 0 --out "$d" "$@"
      snapshot_matches "$d" random
    }
    control sumo2d_meta_pretrain_16matches --set algorithm.name=maml_pretrain --set algorithm.episodes_per_task=16
    control sumo2d_meta_negligible --set algorithm.inner_lr=1.0e-6 --set algorithm.learn_inner_lr=false \
        --set algorithm.initial_inner_kl=0
    control sumo2d_meta_first_order --set algorithm.meta_gradient=first_order ;;
  sumo2d_rl2)
    seed=${SEED:-0}
    d=experiments/results/sumo/sumo2d_rl2/seed$seed
    "$metarl" run experiments/sumo/sumo2d_rl2.yaml --seed "$seed" --out "$d" "$@"
    snapshot_matches "$d" ;;
  games_sumo2d_meta)
    # The paper's protocol against the meta-learner's own versions (30
    # rounds of 3 matches, 20 repeats): each agent starts at 3M steps, the
    # opponent at the meta-learner's 3M snapshot, advancing one a round.
    r=experiments/results/sumo/sumo2d_meta/seed0/checkpoints
    p=experiments/results/sumo/sumo2d_meta_pretrain/seed0/checkpoints
    game() {  # AGENT ADAPT NAME
      "$metarl" game "$1" "$r"/steps_{3,4,5}000000.pt --rounds 30 --episodes 3 --repeats 20 --adapt "$2" \
          --out "experiments/results/games/$3"
    }
    game "$r/steps_3000000.pt" meta sumo2d_meta3M_vs_meta_meta
    game "$r/steps_3000000.pt" none sumo2d_meta3M_vs_meta_none
    game "$p/steps_3000000.pt" none sumo2d_pretrain3M_vs_meta_none
    game "$p/steps_3000000.pt" tracking sumo2d_pretrain3M_vs_meta_tracking ;;
  games_sumo2d_table3)
    # Table 3's comparison on Sumo2D: every agent at 5M steps against one
    # opponent, the entropy run's seed 1 from its 5M snapshot, advancing one
    # snapshot (1M steps) a round to 10M; 30 rounds of 3 matches, 20 repeats.
    o=experiments/results/sumo/sumo2d_entropy0.01_10M/seed1/checkpoints
    game() {  # AGENT ADAPT NAME
      "$metarl" game "$1" "$o"/steps_{5,6,7,8,9,10}000000.pt --rounds 30 --episodes 3 --repeats 20 --adapt "$2" \
          --out "experiments/results/games/table3/$3"
    }
    s=experiments/results/sumo
    if [ "${SEED:-0}" != 0 ]; then  # another seed of the meta-learner that plays and its loop without adaptation
      t=seed$SEED
      game "$s/sumo2d_meta_lvc_from_pretrain2M/$t/checkpoints/steps_3000000.pt" meta $t/meta_lvc_from_pretrain2M
      game "$s/sumo2d_meta_lvc_from_pretrain2M/$t/checkpoints/steps_3000000.pt" none \
          $t/meta_lvc_from_pretrain2M_no_adaptation
      game "$s/sumo2d_meta_pretrain/$t/checkpoints/steps_5000000.pt" tracking $t/pretrain_tracking
      game "$s/sumo2d_meta_pretrain/$t/checkpoints/steps_5000000.pt" none $t/pretrain_no_adaptation
      exit 0
    fi
    rl2_steps=${RL2_STEPS:-5000000}  # the RL² snapshot
    rl2="$s/sumo2d_rl2/seed0/checkpoints/steps_$rl2_steps.pt"
    game "$rl2" rl2 "rl2_$((rl2_steps / 1000000))M"
    game "$rl2" none "rl2_$((rl2_steps / 1000000))M_no_memory"
    game "$s/sumo2d_meta/seed0/checkpoints/steps_5000000.pt" meta meta
    game "$s/sumo2d_meta/seed0/checkpoints/steps_5000000.pt" none meta_no_adaptation
    game "$s/sumo2d_meta_lvc/seed0/checkpoints/steps_5000000.pt" meta meta_lvc
    game "$s/sumo2d_meta_lvc/seed0/checkpoints/steps_5000000.pt" none meta_lvc_no_adaptation
    # 2M steps without adaptation, then 3M of meta-training: 5M in all
    game "$s/sumo2d_meta_lvc_from_pretrain2M/seed0/checkpoints/steps_3000000.pt" meta meta_lvc_from_pretrain2M
    game "$s/sumo2d_meta_lvc_from_pretrain2M/seed0/checkpoints/steps_3000000.pt" none \
        meta_lvc_from_pretrain2M_no_adaptation
    game "$s/sumo2d_meta_pretrain/seed0/checkpoints/steps_5000000.pt" tracking pretrain_tracking
    game "$s/sumo2d_meta_pretrain/seed0/checkpoints/steps_5000000.pt" none pretrain_no_adaptation
    game "$s/sumo2d_lstm_entropy0.01/seed0/checkpoints/steps_5000000.pt" tracking lstm_5M_tracking
    game "$s/sumo2d_lstm_entropy0.01/seed0/checkpoints/steps_5000000.pt" none lstm_5M_no_adaptation
    "$0" games_sumo2d_table3_lstm_meta ;;
  games_sumo2d_table3_lstm_meta)
    # games_sumo2d_table3's game for the LSTM meta-learner (2M steps of its
    # loop without adaptation, 3M of meta-training) and that loop at 5M.
    o=experiments/results/sumo/sumo2d_entropy0.01_10M/seed1/checkpoints
    table3_games experiments/results/games/table3 20 1 "$(echo "$o"/steps_{5,6,7,8,9,10}000000.pt)" \
        "sumo2d_meta_lstm_from_pretrain2M/seed0/checkpoints/steps_3000000.pt meta meta_lstm_from_pretrain2M" \
        "sumo2d_meta_lstm_from_pretrain2M/seed0/checkpoints/steps_3000000.pt none meta_lstm_from_pretrain2M_no_adaptation" \
        "sumo2d_meta_lstm_pretrain/seed0/checkpoints/steps_5000000.pt tracking lstm_pretrain_tracking" \
        "sumo2d_meta_lstm_pretrain/seed0/checkpoints/steps_5000000.pt none lstm_pretrain_no_adaptation" ;;
  games_sumo_ant_table3|games_sumo_bug_table3)
    # Table 3's comparison on a RoboSumo robot: its meta-learner (1M steps of
    # its loop without adaptation, 1M of meta-training) and that loop at 2M,
    # against the robot's self-play run from its 1M snapshot, advancing one
    # snapshot (1M steps) a round to its last (the Ant's 5M, the Bug's 3M),
    # then staying; 30 rounds of 3 matches, 10 repeats.
    robot=${run#games_sumo_}
    robot=${robot%_table3}
    o=experiments/results/sumo/$robot/seed0/checkpoints
    table3_games "experiments/results/games/table3_$robot" 10 2 "$(ls "$o"/steps_*.pt | sort -V)" \
        "${robot}_meta_from_pretrain1M/seed0/checkpoints/steps_1000000.pt meta meta_from_pretrain1M" \
        "${robot}_meta_from_pretrain1M/seed0/checkpoints/steps_1000000.pt none meta_from_pretrain1M_no_adaptation" \
        "${robot}_meta_pretrain/seed0/checkpoints/steps_2000000.pt tracking pretrain_tracking" \
        "${robot}_meta_pretrain/seed0/checkpoints/steps_2000000.pt none pretrain_no_adaptation" ;;
  games_sumo2d_episodes_sweep)
    # Does tracking catch up as rounds get longer? games_sumo2d_table3's
    # opponent, 30 rounds of 10, 30 and 90 matches (10, 5 and 5 repeats).
    o=experiments/results/sumo/sumo2d_entropy0.01_10M/seed1/checkpoints
    s=experiments/results/sumo
    for e in 10 30 90; do
      repeats=$([ $e = 10 ] && echo 10 || echo 5)
      game() {  # AGENT ADAPT NAME
        "$metarl" game "$1" "$o"/steps_{5,6,7,8,9,10}000000.pt --rounds 30 --episodes $e --repeats $repeats \
            --adapt "$2" --out "experiments/results/games/episodes_sweep/$3_E$e"
      }
      game "$s/sumo2d_meta_pretrain/seed0/checkpoints/steps_5000000.pt" none pretrain_no_adaptation
      game "$s/sumo2d_meta_pretrain/seed0/checkpoints/steps_5000000.pt" tracking pretrain_tracking
      game "$s/sumo2d_meta/seed0/checkpoints/steps_5000000.pt" meta meta
      game "$s/sumo2d_meta_lvc_from_pretrain2M/seed0/checkpoints/steps_3000000.pt" meta meta_lvc_from_pretrain2M
      rl2_steps=${RL2_STEPS:-5000000}
      game "$s/sumo2d_rl2/seed0/checkpoints/steps_$rl2_steps.pt" rl2 "rl2_$((rl2_steps / 1000000))M"
    done ;;
  sumo_ant|sumo_bug|sumo_spider)
    robot=${run#sumo_}
    seed=${SEED:-0}
    "$metarl" run "experiments/sumo/$robot.yaml" --seed "$seed" --out "experiments/results/sumo/$robot/seed$seed" "$@" ;;
  sumo_meta_ant|sumo_meta_bug)
    # Competitive meta-training on the MuJoCo robots (robosumo_meta.yaml) as
    # Sumo2D's showed it works: the loop without adaptation, then the meta
    # loop from its last snapshot on the outcome reward; every snapshot of
    # both against a random robot of its kind (208 matches) into
    # matches.jsonl. The budget the machine allows: PRETRAIN (1M) env steps
    # without adaptation and META (1M) of meta-training (the Ant's self-play
    # run was no stronger at 5M than at 1M; Sumo2D's recipe was 2M + 3M).
    robot=${run#sumo_meta_}
    seed=${SEED:-0}
    pretrain_steps=${PRETRAIN:-1000000}
    meta_steps=${META:-1000000}
    env=Sumo${robot^}
    s=experiments/results/sumo
    pretrain=$s/${robot}_meta_pretrain/seed$seed
    pretrain_run() {  # TOTAL_STEPS
      "$metarl" run experiments/sumo/robosumo_meta.yaml --seed "$seed" --set env.name=$env \
          --set algorithm.name=maml_pretrain --set training.total_env_steps=$1 --out "$pretrain" "${extra[@]}"
    }
    extra=("$@")
    pretrain_run "$pretrain_steps"
    d=$s/${robot}_meta_from_pretrain$((pretrain_steps / 1000000))M/seed$seed
    "$metarl" run experiments/sumo/robosumo_meta.yaml --seed "$seed" --set env.name=$env \
        --set policy.init_from=$pretrain/checkpoints/steps_$pretrain_steps.pt \
        --set training.total_env_steps=$meta_steps --set algorithm.dense_anneal_fraction=0.001 --out "$d" "$@"
    # The loop without adaptation goes on to the meta-learner's steps in all,
    # the comparison at equal env steps (its shaping is gone by then either way:
    # the dense weight reaches 0 at half of either budget).
    pretrain_run $((pretrain_steps + meta_steps))
    snapshot_matches "$pretrain" random
    snapshot_matches "$d" random ;;
  sumo_snapshots)
    d=experiments/results/sumo/ant/seed0
    : > "$d/snapshots.jsonl.tmp"
    for snapshot in "$d"/checkpoints/steps_*.pt; do
      "$metarl" match "$d" "$snapshot" --episodes 200 --seed 1 >> "$d/snapshots.jsonl.tmp"
    done
    mv "$d/snapshots.jsonl.tmp" "$d/snapshots.jsonl" ;;
  sumo_calibration)
    # Seat 0 is the first robot of the pair, as in the paper's table. AT=N
    # plays each run's snapshot at N env steps (calibration_N.jsonl) instead
    # of its latest checkpoint (calibration.jsonl).
    d=experiments/results/sumo
    out=$d/calibration${AT:+_$AT}.jsonl
    player() { echo "$d/$1/seed0${AT:+/checkpoints/steps_$AT.pt}"; }
    match() {  # PLAYER_A PLAYER_B ROBOT0 ROBOT1
      "$metarl" match "$1" "$2" --env SumoAnt --env-options "robot0=$3,robot1=$4,observe_time=true" \
          --episodes 200 --seed 1 >> "$out.tmp"
    }
    : > "$out.tmp"
    # First each against a random player of its own kind: what it learned at all.
    for robot in ant bug spider; do match "$(player $robot)" random $robot $robot; done
    for pair in "ant bug" "ant spider" "bug spider" "bug ant" "spider ant" "spider bug"; do
      set -- $pair
      match "$(player $1)" "$(player $2)" $1 $2
    done
    mv "$out.tmp" "$out" ;;
  terrain_halfcheetah)
    # Every held-out terrain is one task (20 tasks: 20 draws of the episodes'
    # noise): MAML and PPO after 0..3 gradient steps, continual adaptation
    # along chains of 4 episodes (with its no-adaptation and tracking curves).
    seed=${SEED:-0}
    d=experiments/results/terrain/halfcheetah_ramps
    for method in maml ppo continual; do
      "$metarl" run "experiments/terrain/halfcheetah_ramps_$method.yaml" --seed "$seed" --out "$d/$method/seed$seed" "$@"
    done
    for profile in Hill Basin Gentle Steep; do
      "$metarl" adapt "$d/maml/seed$seed" "$d/ppo/seed$seed" --family "HalfCheetah$profile" --tasks 20 --steps 3 \
          --out "$d/held_out/seed$seed/$profile"
      "$metarl" adapt "$d/continual/seed$seed" --chain 4 --family "HalfCheetah$profile" --tasks 20 \
          --out "$d/held_out_chains/seed$seed/$profile"
    done ;;
  walker_ppo)
    seed=${SEED:-0}
    d=experiments/results/terrain/walker_ppo/seed$seed
    "$metarl" run experiments/terrain/walker_ppo.yaml --seed "$seed" --out "$d" "$@"
    # 100 episodes of the final policy: its mean action, then sampling
    "$metarl" rollout --player "mean:$d" --num-envs 20 --episodes 5 --seed 1 > "$d/rollout_mean_action.jsonl"
    "$metarl" rollout --player "$d" --num-envs 20 --episodes 5 --seed 1 > "$d/rollout_sampled.jsonl"
    # and on the hardcore course it never saw
    "$metarl" rollout --player "mean:$d" --env-options hardcore=true --num-envs 20 --episodes 5 --seed 1 \
        > "$d/rollout_mean_action_hardcore.jsonl" ;;
  walker_obstacles)
    seed=${SEED:-0}
    d=experiments/results/terrain/walker_obstacles
    "$metarl" run experiments/terrain/walker_obstacles_continual.yaml --seed "$seed" --out "$d/continual/seed$seed" "$@"
    "$metarl" run experiments/terrain/walker_obstacles_continual.yaml --seed "$seed" --set algorithm.name=maml_pretrain \
        --out "$d/pretrained/seed$seed" "$@"
    "$metarl" adapt "$d/continual/seed$seed" "$d/pretrained/seed$seed" --chain 7 --history 3 --tasks 50 \
        --out "$d/chains/seed$seed" ;;
  *) usage ;;
esac
