#!/usr/bin/env bash
# Bad inputs and faults against `metarl run`, `launch`, `adapt`, `rollout` and `bench`,
# as a new user (or a full disk) would make them. One line per case: its name,
# the exit code and the first line of what metarl printed. A case passes when
# metarl refuses it with a non-zero exit code (not a signal) and exactly one
# line of error (beside a started run's status lines), and leaves every file
# of an earlier run as it was.
#
#   scripts/bad_inputs.sh            (after a build; METARL=path/to/metarl to choose the binary)
#
# The last line is the summary; the exit code is non-zero if any case failed.
set -uo pipefail
cd "$(dirname "$0")/.."
metarl="$(realpath "${METARL:-build/experiments/metarl}")"
[ -x "$metarl" ] || { echo "bad_inputs.sh: no metarl binary at $metarl (build first)"; exit 2; }
work="$(mktemp -d /tmp/metarl_bad_inputs.XXXXXX)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
export CI=1  # plain output

# ---- Valid tiny experiments and runs the cases start from -------------------
cat > "$work/ppo.yaml" <<'EOF'
name: tiny_ppo
seed: 3
threads: 1
env:
  name: HalfCheetah
  num_envs: 2
  options:
    max_episode_steps: 50
algorithm:
  name: ppo
  steps_per_iteration: 64
  epochs: 2
  minibatches: 2
training:
  total_env_steps: 640
  checkpoint_every: 1
EOF
cat > "$work/maml.yaml" <<'EOF'
name: tiny_maml
seed: 1
threads: 1
env:
  name: Navigation2D
  task_family: Navigation2D
  options:
    max_episode_steps: 10
algorithm:
  name: maml
  tasks_per_batch: 2
  episodes_per_task: 2
  inner_lr: 0.1
training:
  total_env_steps: 4000
EOF
"$metarl" run "$work/ppo.yaml" --out "$work/ppo_run" --max-iterations 2 > /dev/null 2>&1 ||
  { echo "bad_inputs.sh: the valid tiny PPO run failed"; exit 2; }
"$metarl" run "$work/maml.yaml" --out "$work/maml_run" --max-iterations 1 > /dev/null 2>&1 ||
  { echo "bad_inputs.sh: the valid tiny MAML run failed"; exit 2; }

# ---- Running a case ------------------------------------------------------------
cases=0 passed=0 crashes=0 accepted=0 multi_line=0 damaged=0

fingerprint() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum) 2>/dev/null; }

# check NAME DIR-TO-KEEP-OR-"" COMMAND...: runs the command, which must be refused.
check() {
  local name="$1" keep="$2"
  shift 2
  local before="" status err lines verdict=ok
  [ -n "$keep" ] && before="$(fingerprint "$keep")"
  "$@" > "$work/stdout" 2> "$work/stderr"
  status=$?
  # What metarl said about the failure: not its warnings, nor the status
  # lines of a run that had started ("NAME: resuming ...", "NAME iter N ...").
  err="$(grep -Ev '^metarl: warning:|^[^ ]+: (starting|resuming) |^[^ ]+ iter [0-9]+ ' "$work/stderr" | sed '/^$/d')"
  lines="$(printf '%s' "$err" | grep -c '')"
  cases=$((cases + 1))
  if [ "$status" -ge 128 ]; then
    verdict="CRASH (signal $((status - 128)))"; crashes=$((crashes + 1))
  elif [ "$status" -eq 0 ]; then
    verdict="ACCEPTED"; accepted=$((accepted + 1))
  elif [ "$lines" -ne 1 ]; then
    verdict="$lines LINES"; multi_line=$((multi_line + 1))
  fi
  if [ -n "$keep" ] && [ "$(fingerprint "$keep")" != "$before" ]; then
    verdict="DAMAGED $keep"; damaged=$((damaged + 1))
  fi
  [ "$verdict" = ok ] && passed=$((passed + 1))
  printf '%-4s %-44s exit %3d  %-8s %s\n' "$cases" "$name" "$status" "$verdict" "$(printf '%s' "$err" | head -n 1 | cut -c1-220)"
}

# A copy of the PPO run to damage.
copy_run() { rm -rf "$work/copy"; cp -a "$work/ppo_run" "$work/copy"; }
# Flips COUNT bytes of FILE at OFFSET (negative: from the end).
flip() {
  python3 - "$@" <<'EOF'
import sys
path, offset, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = bytearray(open(path, "rb").read())
start = offset if offset >= 0 else len(data) + offset
for i in range(start, start + count):
    data[i] ^= 0xA5
open(path, "wb").write(bytes(data))
EOF
}
# An experiment file: the tiny PPO one with TEXT appended (YAML later keys win
# only through --set, so appended keys are new keys).
variant() { local f="$work/$1.yaml"; cp "$work/ppo.yaml" "$f"; printf '%s\n' "$2" >> "$f"; echo "$f"; }
run() { "$metarl" run "$@" --out "$work/fresh_out"; }
M="$metarl"

echo "== the experiment file"
check "missing experiment file" "" run "$work/absent.yaml"
check "a directory as the experiment" "" run "$work"
printf 'env: [unclosed\n' > "$work/malformed.yaml"
check "malformed YAML" "" run "$work/malformed.yaml"
: > "$work/empty.yaml"
check "empty file" "" run "$work/empty.yaml"
printf -- '- a\n- b\n' > "$work/list.yaml"
check "top level is a list" "" run "$work/list.yaml"
check "duplicate key" "" run "$(variant dup 'seed: 4')"
check "unknown top-level key" "" run "$(variant unknown 'sead: 4')"
check "misspelt key" "" run "$work/ppo.yaml" --set algorithm.learning_rte=1e-3
check "wrong type (epochs: many)" "" run "$work/ppo.yaml" --set algorithm.epochs=many
check "unknown env" "" run "$work/ppo.yaml" --set env.name=HalfCheetha
check "unknown algorithm" "" run "$work/ppo.yaml" --set algorithm.name=ppo2
check "unknown task family" "" run "$work/ppo.yaml" --set env.task_family=CheetahVel
check "unknown env option" "" run "$work/ppo.yaml" --set env.options.max_episode_step=10
check "unknown family option" "" run "$work/ppo.yaml" --set env.task_family=HalfCheetahVel --set env.family_options.hi=3
check "family of another robot" "" run "$work/ppo.yaml" --set env.task_family=AntVel
check "unknown policy type" "" run "$work/ppo.yaml" --set policy.type=transformer
check "unknown activation" "" run "$work/ppo.yaml" --set policy.activation=swish
check "unknown schedule" "" run "$work/ppo.yaml" --set env.schedules.a.schedule=Wobble
check "schedule option missing" "" run "$work/ppo.yaml" --set env.schedules.a.schedule=ActuatorGearScale
check "schedule option not a number" "" run "$work/ppo.yaml" --set env.schedules.a.schedule=ActuatorGearScale \
  --set 'env.schedules.a.actuator="*"' --set env.schedules.a.episodes=x
check "missing MJCF file" "" run "$work/ppo.yaml" --set env.options.model_path=/nonexistent/cheetah.xml
printf '<mujoco><worldbody><body>\n' > "$work/broken.xml"
check "malformed MJCF file" "" run "$work/ppo.yaml" --set env.options.model_path="$work/broken.xml"
check "--set without '='" "" run "$work/ppo.yaml" --set algorithm.epochs
check "--set unparsable value" "" run "$work/ppo.yaml" --set 'policy.hidden=[64,'

echo "== values out of range (refused before anything is written)"
check "learning rate .inf" "" run "$work/ppo.yaml" --set algorithm.learning_rate=.inf
check "learning rate -1" "" run "$work/ppo.yaml" --set algorithm.learning_rate=-1
check "learning rate 0" "" run "$work/ppo.yaml" --set algorithm.learning_rate=0
check "gamma 1.5" "" run "$work/ppo.yaml" --set algorithm.gamma=1.5
check "gae_lambda -0.1" "" run "$work/ppo.yaml" --set algorithm.gae_lambda=-0.1
check "policy.hidden [0, 16]" "" run "$work/ppo.yaml" --set 'policy.hidden=[0, 16]'
check "policy.hidden 1e9" "" run "$work/ppo.yaml" --set 'policy.hidden=[1000000000]'
check "minibatches larger than the batch" "" run "$work/ppo.yaml" --set algorithm.minibatches=100
check "steps_per_iteration below num_envs" "" run "$work/ppo.yaml" --set algorithm.steps_per_iteration=1
check "total_env_steps 0" "" run "$work/ppo.yaml" --set training.total_env_steps=0
check "num_envs 0" "" run "$work/ppo.yaml" --set env.num_envs=0
check "threads 0 in the file" "" run "$work/ppo.yaml" --set threads=0
check "clip_range 0" "" run "$work/ppo.yaml" --set algorithm.clip_range=0
check "max_grad_norm -1" "" run "$work/ppo.yaml" --set algorithm.max_grad_norm=-1
check "trpo max_kl 0" "" run "$work/ppo.yaml" --set algorithm.name=trpo --set algorithm.max_kl=0
check "maml inner_steps 0" "" run "$work/maml.yaml" --set algorithm.inner_steps=0
check "maml without a task family" "" run "$work/maml.yaml" --set env.task_family=
check "maml minibatches above tasks" "" run "$work/maml.yaml" --set algorithm.outer=ppo --set algorithm.minibatches=3
check "maml metric_subsample 2" "" run "$work/maml.yaml" --set algorithm.metric_subsample=2

echo "== flags"
check "--seed -1" "" run "$work/ppo.yaml" --seed -1
check "--seed 2^64" "" run "$work/ppo.yaml" --seed 18446744073709551616
check "--seed abc" "" run "$work/ppo.yaml" --seed abc
check "--threads -3" "" run "$work/ppo.yaml" --threads -3
check "--threads 0" "" run "$work/ppo.yaml" --threads 0
check "--max-iterations -1" "" run "$work/ppo.yaml" --max-iterations -1
check "unknown flag" "" run "$work/ppo.yaml" --sed 3
check "unknown command" "" "$M" frobnicate

echo "== the output directory and its checkpoint"
: > "$work/a_file"
check "--out under a regular file" "" "$M" run "$work/ppo.yaml" --out "$work/a_file/run"
check "resume with another configuration" "$work/ppo_run" "$M" run "$work/ppo.yaml" --out "$work/ppo_run" --set algorithm.gamma=0.9
copy_run; flip "$work/copy/checkpoints/latest.pt" -2000 16
check "16 bytes flipped in a checkpoint" "$work/copy" "$M" run "$work/ppo.yaml" --out "$work/copy"
copy_run; flip "$work/copy/checkpoints/latest.pt" -300 10
check "10 bytes flipped near the physics state" "$work/copy" "$M" run "$work/ppo.yaml" --out "$work/copy"
copy_run; truncate -s 5000 "$work/copy/checkpoints/latest.pt"
check "truncated checkpoint" "$work/copy" "$M" run "$work/ppo.yaml" --out "$work/copy"
copy_run; : > "$work/copy/checkpoints/latest.pt"
check "empty checkpoint" "$work/copy" "$M" run "$work/ppo.yaml" --out "$work/copy"
copy_run; printf 'garbage\n' > "$work/copy/metrics.csv.bad"; printf 'iteration,x\n1,2\n' > "$work/copy/metrics.csv"
check "metrics.csv of another run" "$work/copy" "$M" run "$work/ppo.yaml" --out "$work/copy"
# A full disk while the checkpoint is written: a file-size limit fails the
# write the same way (EFBIG instead of ENOSPC). The run stops with one line,
# its last checkpoint is the previous one and no temporary file is left.
copy_run
check "checkpoint write on a full disk" "" bash -c "ulimit -f 40; exec '$M' run '$work/ppo.yaml' --out '$work/copy' --max-iterations 1"
if cmp -s "$work/copy/checkpoints/latest.pt" "$work/ppo_run/checkpoints/latest.pt" &&
   [ -z "$(find "$work/copy" -name '*.tmp*')" ]; then
  echo "     (after the full disk: the previous checkpoint is intact and no temporary file is left)"
else
  echo "     DAMAGED: the full disk changed the previous checkpoint or left a temporary file"; damaged=$((damaged + 1))
fi

echo "== adapt, rollout, bench"
check "adapt: no such run" "" "$M" adapt "$work/absent_run"
check "adapt: --tasks 1" "$work/maml_run" "$M" adapt "$work/maml_run" --tasks 1 --out "$work/adapt_out"
check "adapt: --inner-lr -1" "$work/maml_run" "$M" adapt "$work/maml_run" --inner-lr -1 --out "$work/adapt_out"
check "adapt: a PPO run" "$work/ppo_run" "$M" adapt "$work/ppo_run" --out "$work/adapt_out"
cp -a "$work/maml_run" "$work/maml_copy"; flip "$work/maml_copy/checkpoints/latest.pt" -500 16
check "adapt: corrupted checkpoint" "$work/maml_copy" "$M" adapt "$work/maml_copy" --out "$work/adapt_out"
check "rollout: unknown env" "" "$M" rollout --env Nope
check "rollout: env option not a number" "" "$M" rollout --env HalfCheetah --env-options max_episode_steps=abc
check "rollout: --num-envs 0" "" "$M" rollout --env HalfCheetah --num-envs 0
check "rollout: family of another env" "" "$M" rollout --env HalfCheetah --family AntVel
check "rollout: --threads 0" "" "$M" rollout --env HalfCheetah --threads 0
check "rollout: --episodes 0" "" "$M" rollout --env HalfCheetah --episodes 0
check "rollout: --player no such run" "" "$M" rollout --player "$work/absent_run"
check "rollout: --player in a match env" "$work/ppo_run" "$M" rollout --player "$work/ppo_run" --env Sumo2D
copy_run; flip "$work/copy/checkpoints/latest.pt" -500 16
check "rollout: --player corrupted checkpoint" "$work/copy" "$M" rollout --player "$work/copy"
check "run: --world-size 2 without --master" "" run "$work/maml.yaml" --world-size 2
check "run: --rank 2 of --world-size 2" "" run "$work/maml.yaml" --world-size 2 --rank 2 --master 127.0.0.1:29500
check "run: --master without a port" "" run "$work/maml.yaml" --world-size 2 --master localhost
check "run: --world-size 1 on a run of 2" "" run "$work/maml.yaml" --set world_size=2
check "launch: not a run" "" "$M" launch -n 2 match random random
check "launch: sets --rank itself" "" "$M" launch -n 2 run "$work/maml.yaml" --rank 1 --out "$work/fresh_out"
check "launch: a run of 1 process resumed by 2" "$work/ppo_run" "$M" launch -n 2 run "$work/ppo.yaml" --out "$work/ppo_run"
check "launch: ppo of fixed episodes over 2 processes" "" "$M" launch -n 2 run "$work/ppo.yaml" \
    --set algorithm.fixed_episodes=true --out "$work/fresh_out"
check "bench: unknown env" "" "$M" bench --env Nope --seconds 0.01
check "bench: --num-envs 0" "" "$M" bench --num-envs 0 --seconds 0.01
check "bench: unknown mode" "" "$M" bench --mode nope --seconds 0.01
check "bench: --threads 0" "" "$M" bench --threads 0 --seconds 0.01

echo "bad_inputs: $cases cases, $passed refused with a one-line error; $crashes crashed, $accepted accepted silently," \
     "$multi_line answered in several lines, $damaged damaged earlier output"
[ "$passed" -eq "$cases" ] && [ "$damaged" -eq 0 ]
