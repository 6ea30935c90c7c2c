# Shell functions that find and signal the processes of a session or a cgroup, shared by the
# job runner (runner.sh) and the helpers spawned by Deno (session.sh, cgroup.sh), which are
# this text followed by their own. They use builtins only (`read`, `kill`, globs), so they
# start no process. Their prefixes (`q_` for functions, `_q` for variables) keep them clear of
# names a job may find in its environment: a variable the shell inherited is exported.
#
# _qproc   where /proc is (set by the caller; a path without it simulates a platform
#          without /proc)

# q_stat FILE: reads a /proc/<pid>/stat file into _qpid, _qstate, _qpgrp (process group, field
# 5), _qsid (session id, field 6) and _qstart (start time in clock ticks since boot, field 22);
# status 1 when it cannot.
# The command name (field 2) may hold spaces and parentheses: fields are counted after the
# last ") ".
q_stat() {
  _qs=
  { IFS= read -r _qs <"$1"; } 2>/dev/null
  [ -n "$_qs" ] || return 1
  _qpid=${_qs%% *}
  _qs=${_qs##*) }
  # shellcheck disable=SC2086 # split on purpose: state and numbers, no glob characters
  set -- $_qs
  _qstate=$1 _qpgrp=$3 _qsid=$4 _qstart=${20}
}

# q_signal SIG SID EXCLUDE [GROUP]: sends SIG (KILL, TERM, ...) to every live process whose
# session id is SID but EXCLUDE (a pid, or empty) and the members of process group GROUP (the
# caller signalled that group with one kill); _qn is how many it signalled. A process in state
# Z or X is dead: a zombie whose parent never reaps it (PID 1 in a container) is left alone.
#
# With awk (POSIX, nearly everywhere) one awk reads every stat file: `read` reads a byte per
# system call, which makes the builtin scan below ~4 times slower (about 0.2 ms a process
# here). awk is the calling shell's child, so it is in the runner's session when the runner
# scans: a process whose parent is the calling shell ($$) is left out. No other process can
# be: the runner scans only once its job's shell was reaped, and helpers are not in the
# session they scan.
q_signal() {
  _qn=0
  if [ -n "$_qawk" ]; then
    # shellcheck disable=SC2013 # pids, one word each
    for _qp in $(awk -v sid="$2" -v ex="$3" -v grp="${4-}" -v shell="$$" "$_qscan" "$_qproc"/[0-9]*/stat 2>/dev/null); do
      kill -s "$1" "$_qp" 2>/dev/null && _qn=$((_qn + 1))
    done
    return 0
  fi
  for _qf in "$_qproc"/[0-9]*/stat; do
    q_stat "$_qf" || continue
    if [ "$_qsid" != "$2" ] || [ "$_qpid" = "$3" ]; then continue; fi
    case $_qstate in Z | X) continue ;; esac
    [ "$_qpgrp" != "${4-}" ] || continue
    kill -s "$1" "$_qpid" 2>/dev/null && _qn=$((_qn + 1))
  done
}
command -v awk >/dev/null 2>&1 && _qawk=1 || _qawk=
# The scan in awk: prints the pids q_signal signals. getline, not awk's own file reading: a
# process that ended since the glob leaves a file that cannot be opened, which is not an error.
_qscan='BEGIN {
  for (i = 1; i < ARGC; i++) {
    if ((getline line < ARGV[i]) > 0) {
      pid = line
      sub(/ .*/, "", pid)
      sub(/^.*\) /, "", line)
      split(line, f, " ")
      if (f[4] == sid && pid != ex && f[2] != shell && f[3] != grp && f[1] != "Z" && f[1] != "X") print pid
    }
    close(ARGV[i])
  }
}'

# q_pause ROUND: lets killed processes die between two rounds of a kill loop; the first
# rounds spin (a SIGKILLed process is usually gone at once), later ones sleep 10 ms.
# Status 1 after ~100 rounds (over a second): the caller gives up.
q_pause() {
  [ "$1" -lt 100 ] || return 1
  [ "$1" -lt 10 ] || sleep 0.01 2>/dev/null || :
}

# q_kill_session SID EXCLUDE: SIGKILLs the session's live processes but EXCLUDE until none is
# left (a member may fork while it is being killed); _qkilled is how many the first round
# found. Status 1 when some outlived the rounds.
q_kill_session() {
  _qround=0
  q_signal KILL "$1" "$2"
  _qkilled=$_qn
  while [ "$_qn" -gt 0 ]; do
    _qround=$((_qround + 1))
    q_pause "$_qround" || return 1
    q_signal KILL "$1" "$2"
  done
}

# q_cg_populated DIR: status 0 while the cgroup DIR holds a live process (zombies do not count).
q_cg_populated() {
  _qe=
  { IFS= read -r _qe <"$1/cgroup.events"; } 2>/dev/null
  [ "$_qe" = "populated 1" ]
}

# q_cg_signal SIG DIR [GROUP]: signals every process of the cgroup DIR but the members of
# process group GROUP (signalled by the caller with one kill); SIGKILL through cgroup.kill
# (Linux 5.14+), which also reaches processes forked meanwhile.
q_cg_signal() {
  if [ "$1" = KILL ] && [ -e "$2/cgroup.kill" ]; then
    { echo 1 >"$2/cgroup.kill"; } 2>/dev/null && return 0
  fi
  {
    while IFS= read -r _qp; do
      if [ -n "${3-}" ]; then
        q_stat "$_qproc/$_qp/stat" || continue
        [ "$_qpgrp" != "$3" ] || continue
      fi
      kill -s "$1" "$_qp" 2>/dev/null
    done <"$2/cgroup.procs"
  } 2>/dev/null
  return 0
}

# q_cg_kill DIR: SIGKILLs the cgroup DIR until it holds no live process; status 1 when some
# outlived the rounds.
q_cg_kill() {
  _qround=0
  while q_cg_populated "$1"; do
    q_cg_signal KILL "$1"
    _qround=$((_qround + 1))
    q_pause "$_qround" || return 1
  done
}
