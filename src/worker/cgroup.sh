# cgroup.sh: creates and removes the cgroup v2 directories of a worker's slots for cgroup.ts,
# which runs procs.sh and this text as `queuectl-cgroup ACTION PROC ...` (shell.ts).
# It prints one line:
#
#   setup NAME SLOTS   finds the cgroup2 mount (/proc/self/mountinfo) and this process's
#                      cgroup (the `0::/path` line of /proc/self/cgroup) and creates NAME/slot-1
#                      .. NAME/slot-SLOTS under it. Prints `dir <path of NAME>`, or `unusable
#                      <reason>` (and leaves nothing behind).
#   prove DIR          moves a short-lived subshell into DIR/slot-1 to prove jobs can join the
#                      slots (the move waits for an RCU grace period of the kernel, ~15 ms here:
#                      a separate action, so that the worker starts its runners meanwhile).
#                      Prints `usable`, or `unusable <reason>` after removing DIR as `remove`.
#   locate NAME        prints `dir <path of NAME>` (whether it exists or not), or `unusable`.
#   remove DIR         kills what is left in DIR/slot-*, removes those and DIR. Prints
#                      `removed`, or `busy <reason>` when something could not be removed.
unset IFS
_qaction=$1 _qproc=$2
shift 2

# q_base: sets _qbase to the directory of this process's cgroup, or prints why not and exits.
q_base() {
  _qmnt='' _qroot=''
  while IFS= read -r _ql; do
    case $_ql in
    *" - cgroup2 "*)
      set -f
      # shellcheck disable=SC2086 # fields of mountinfo: spaces in paths are written \040
      set -- $_ql
      set +f
      _qroot=$4 _qmnt=$5
      break
      ;;
    esac
  done <"$_qproc/self/mountinfo" 2>/dev/null
  if [ -z "$_qmnt" ]; then
    echo "unusable no cgroup2 file system is mounted"
    exit 0
  fi
  case $_qmnt$_qroot in
  *\\*)
    echo "unusable the cgroup2 mount point has escaped characters"
    exit 0
    ;;
  esac
  _qpath=
  while IFS= read -r _ql; do
    case $_ql in 0::*) _qpath=${_ql#0::} ;; esac
  done <"$_qproc/self/cgroup" 2>/dev/null
  case $_qpath in
  /*) ;;
  *)
    echo "unusable this process has no cgroup v2 path"
    exit 0
    ;;
  esac
  if [ "$_qroot" != / ]; then
    case $_qpath in
    "$_qroot" | "$_qroot"/*) _qpath=${_qpath#"$_qroot"} ;;
    *)
      echo "unusable this process's cgroup is outside the cgroup2 mount"
      exit 0
      ;;
    esac
  fi
  _qbase=${_qmnt%/}${_qpath%/}
}

# q_remove DIR: kills what is left in DIR/slot-*, removes those and DIR (one rmdir for all:
# a program run per directory costs more than the removal); status 1 when something could not
# be removed.
q_remove() {
  _qrm=$1
  set --
  for _qd in "$_qrm"/slot-*; do
    [ -d "$_qd" ] || continue
    q_cg_kill "$_qd"
    set -- "$@" "$_qd"
  done
  [ ! -d "$_qrm" ] || set -- "$@" "$_qrm"
  [ "$#" -eq 0 ] || rmdir "$@" 2>/dev/null
}

case $_qaction in
setup)
  _qname=$1 _qslots=$2
  q_base
  _qdir=$_qbase/$_qname
  if ! mkdir "$_qdir" 2>/dev/null; then
    echo "unusable cannot create a cgroup under $_qbase"
    exit 0
  fi
  # the slots by one mkdir: a program run per directory costs more than the directory
  set --
  _qi=1
  while [ "$_qi" -le "$_qslots" ]; do
    set -- "$@" "$_qdir/slot-$_qi"
    _qi=$((_qi + 1))
  done
  if ! mkdir "$@" 2>/dev/null; then
    q_remove "$_qdir"
    echo "unusable cannot create a cgroup under $_qdir"
    exit 0
  fi
  echo "dir $_qdir"
  ;;
prove)
  if ! (echo 0 >"$1/slot-1/cgroup.procs") 2>/dev/null || [ ! -e "$1/slot-1/cgroup.events" ]; then
    q_remove "$1"
    echo "unusable cannot move a process into a cgroup under $1"
    exit 0
  fi
  echo usable
  ;;
locate)
  q_base
  echo "dir $_qbase/$1"
  ;;
remove)
  if q_remove "$1"; then echo removed; else echo "busy cannot remove $1 or one of its slots"; fi
  ;;
*)
  echo "error unknown action $_qaction"
  exit 2
  ;;
esac
