# session.sh: kills the processes of a job runner's session (and its cgroup) for session.ts,
# which runs procs.sh and this text as `queuectl-session ACTION PROC ...` (shell.ts).
# It prints one line:
#
#   signal SIG SID CGROUP   SIG (TERM, KILL) to every process of CGROUP ("" = none) and to
#                           every live process of session SID but SID itself (the runner);
#                           with KILL, until none is left. With a cgroup any other signal goes
#                           to the cgroup only: every process a job started is in it (the
#                           job joins it before it reports `start`), so none gets it twice.
#                           A TERM goes first to the process group SID (the runner's, which
#                           ignores it) in one kill(2): the job's shell and every process
#                           still in that group get it at once, and the cgroup or the session
#                           scan then signal the others. Signalled one by one, in the scan's
#                           order, a child could die first: its shell, not yet signalled, would
#                           run its next command, and could even exit 0 (as when the child's
#                           pid sorts first: pids wrap around, and the scan is in text order).
#                           Prints `signalled <n>` (how many the session scan found outside
#                           the group SID), or `noproc` when there is no /proc to search.
#   orphan SID START CGROUP  SIGKILL to every process of session SID, its leader included,
#                           and to CGROUP, for a runner whose worker is gone. When a live
#                           process holds pid SID with a start time other than START (""
#                           = unknown) it is a stranger that got the pid after our runner
#                           ended, and no session member can be ours (Linux does not reuse a
#                           pid that still names a session): only CGROUP is killed, and it
#                           prints `stranger`; else `killed <n>`. Without /proc it kills the
#                           process group SID (that of the runner) and prints `noproc`.
unset IFS
_qaction=$1 _qproc=$2
shift 2
_qn=0
case $_qaction in
signal)
  _qsig=$1 _qsid=$2 _qcg=$3
  # the group first, where the others can be told from its members (without /proc, runner.ts
  # signals the group itself)
  _qgrp=
  if [ "$_qsig" != KILL ] && [ -r "$_qproc/self/stat" ]; then
    kill -s "$_qsig" -- "-$_qsid" 2>/dev/null
    _qgrp=$_qsid
  fi
  if [ -n "$_qcg" ] && [ -e "$_qcg/cgroup.events" ]; then
    if [ "$_qsig" != KILL ]; then
      q_cg_signal "$_qsig" "$_qcg" "$_qgrp"
      echo "signalled $_qn"
      exit 0
    fi
    q_cg_kill "$_qcg"
  fi
  [ -r "$_qproc/self/stat" ] || {
    echo noproc
    exit 0
  }
  if [ "$_qsig" = KILL ]; then
    q_kill_session "$_qsid" "$_qsid"
    _qn=$_qkilled
  else
    q_signal "$_qsig" "$_qsid" "$_qsid" "$_qgrp"
  fi
  echo "signalled $_qn"
  ;;
orphan)
  _qsid=$1 _qwant=$2 _qcg=$3
  [ -z "$_qcg" ] || [ ! -e "$_qcg/cgroup.events" ] || q_cg_kill "$_qcg"
  if [ ! -r "$_qproc/self/stat" ]; then
    kill -s KILL -- "-$_qsid" 2>/dev/null
    echo noproc
    exit 0
  fi
  if [ -n "$_qwant" ] && q_stat "$_qproc/$_qsid/stat" && [ "$_qstart" != "$_qwant" ]; then
    echo stranger
    exit 0
  fi
  q_kill_session "$_qsid" ""
  echo "killed $_qkilled"
  ;;
*)
  echo "error unknown action $_qaction"
  exit 2
  ;;
esac
