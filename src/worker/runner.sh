# The job runner: one long-lived /bin/sh per worker slot that runs the slot's jobs one after
# another (runner.ts starts it as `sh -c 'eval "$QUEUECTL_SH"' queuectl-runner CGROUP PROC`,
# the variable holding procs.sh and this text: shell.ts `shellInvocation`; CGROUP is the
# slot's cgroup directory or empty, PROC where /proc is).
#
# Protocol. Worker -> runner (stdin), one job:
#   run <attempt>
#   <id>          the job's id
#   <output>      the file its output is appended to (stdout and stderr, one descriptor)
#   <cwd>         the directory it runs in; empty: the runner's own
#   <env>         words `'NAME=value' ...` quoted for `eval "export ..."`; empty: none
#   <argv>        words `'program' 'arg' ...` quoted for `eval "set -- ..."`; empty: run <command>
#   <command>     run as `exec /bin/sh -c "$command"` (empty when <argv> is given)
# Each of the six values is one line: `-` then the value as it is when it holds no newline,
# else `+` then the value with `\` written `\\` and newline `\n` (decoded once, by printf
# %b). Values hold any bytes but NUL. End of input: the runner exits (after its job).
#
# Runner -> worker (stdout), one line each:
#   ready <pid> <starttime>   once, at start: the runner is a session leader, its pid the
#                             session id; <starttime> is field 22 of /proc/<pid>/stat (`-`
#                             without /proc)
#   start                     the job's shell took its job (it is in CGROUP); nothing reads
#                             its own pid: a kill finds its processes by the runner's
#                             session and the cgroup
#   nostart cwd <reason>      it cannot enter <cwd> (then `exit 125`, nothing ran)
#   nostart output            it cannot open <output> (then `exit 125`, nothing ran)
#   exit <status>             the job ended (its status as $? tells it: 128+N for signal N),
#                             and what it left behind was killed (see below)
#   error <text>              a line it could not read: it exits
#
# A job is a foreground subshell (a background one would get SIGINT and SIGQUIT ignored,
# and pass that on), forked and moved into the slot's cgroup BEFORE its job arrives: a move
# into a cgroup waits for an RCU grace period of the kernel (~10 ms here), which must not
# stand between a job's arrival and its start. That shell (the job's shell-to-be) reads the
# job from stdin, reports its start, tells the runner it took a job (SIGUSR1 to the runner:
# the runner cannot see what it read), enters <cwd>, exports QUEUECTL_JOB_ID,
# QUEUECTL_JOB_ATTEMPT and <env>, sends its stdout and stderr to <output> (stdin from
# /dev/null), and execs the command; the runner waits for it. A shell that ends without having
# taken a job (the end of input, a line it cannot read, or a SIGKILL meant for the job before
# it: a job's spec may then be half read) ends the runner, which reports nothing more: a job
# sent to it never starts (its end of output tells the worker so).
#
# Signals: the runner ignores TERM, INT and HUP, so a signal meant for the job or its process
# group does not end it. The waiting shell inherits that and catches them instead: one that
# comes while it waits or reads is meant for a job already ended (a kill's late signal), or
# for the job being read, whose kill signals it again once it reports its start (runner.ts);
# one that comes after its start report ends it as the signal would, and the job's command
# gets them back at their default.
#
# After the job: with a cgroup, anything it left running is killed (a job is everything it
# started); without one, leftovers are killed after a failed exit (status not 0) only, so
# that a retry never overlaps them, by a scan of /proc for the runner's session (tools that
# leave the process group are caught; `setsid` daemons only by the cgroup), and a successful
# job's leftovers are not looked for. This is done here, not by the worker: it starts no
# process but awk, it is done before `exit` is reported (so the end of the job's output is
# final then), and it is done even when the worker is gone.
#
# Every variable and function here is prefixed (`_q`, `q_`): a variable the shell inherited
# from its environment is exported, and a job must not see its value changed.
unset IFS
_qcg=$1 _qproc=$2
_qsig=
trap '' TERM INT HUP
# set by the job's shell (SIGUSR1) once it has taken a job
_qtook=
trap '_qtook=1' USR1

# q_line: reads one line into _ql; status 1 at the end of input. A caught signal (in the
# job's shell, see above) interrupts `read` (status > 0, the part read so far kept in the
# variable): it reads on.
q_line() {
  _ql=
  while :; do
    _qsig=
    if IFS= read -r _qpart; then
      _ql=$_ql$_qpart
      return 0
    fi
    _ql=$_ql$_qpart
    [ -n "$_qsig" ] || return 1
  done
}

# q_value: reads one value into _qv (see the protocol above); exits at the end of input.
q_value() {
  q_line || exit 0
  case $_ql in
  -*) _qv=${_ql#-} ;;
  +*)
    _qv=$(printf '%b.' "${_ql#+}")
    _qv=${_qv%.}
    ;;
  *)
    echo "error bad value line"
    exit 3
    ;;
  esac
}

# q_self: reads the calling shell's pid, its parent's pid and its start time into _qpid,
# _qppid and _qstart; status 1 without /proc. Its command name is the shell's ("sh"), without ") ": its
# fields start after the first ") ", a match that costs nothing, where q_stat's match of the
# last one costs more than the read (dash tries every prefix).
q_self() {
  _qs=
  { IFS= read -r _qs <"$_qproc/self/stat"; } 2>/dev/null
  [ -n "$_qs" ] || return 1
  _qpid=${_qs%% *}
  # shellcheck disable=SC2086 # split on purpose: state and numbers
  set -- ${_qs#*) }
  _qppid=$2 _qstart=${20}
}

# q_runner_alive: status 0 while this runner lives (called by its waiting shell, in its
# session: the runner's pid cannot be reused while that shell lives). Where /proc shows the
# runner's program (`exe`, gone once it is a zombie), one stat; else its stat line, read a
# byte per system call (dash's `read`: 0.2 ms, which every job would wait for), for the
# parent's pid (an orphaned shell's parent is another); without /proc, a signal 0.
q_runner_alive() {
  if [ -n "$_qexe" ]; then
    [ -e "$_qproc/$$/exe" ]
  elif q_self; then
    [ "$_qppid" = $$ ]
  else
    kill -s 0 $$ 2>/dev/null
  fi
}

if q_self; then echo "ready $_qpid $_qstart"; else echo "ready $$ -"; fi
_qexe=
[ ! -e "$_qproc/$$/exe" ] || _qexe=1
while :; do
  _qtook=
  (
    # a caught signal is noted in _qk (and interrupts q_line's read, which reads on)
    trap '_qsig=1 _qk=143' TERM
    trap '_qsig=1 _qk=130' INT
    trap '_qsig=1 _qk=129' HUP
    [ -z "$_qcg" ] || { echo 0 >"$_qcg/cgroup.procs"; } 2>/dev/null
    q_line || exit 0
    case $_ql in
    "run "*) _qattempt=${_ql#run } ;;
    *)
      echo "error expected a run line"
      exit 3
      ;;
    esac
    q_value
    _qid=$_qv
    q_value
    _qout=$_qv
    q_value
    _qdir=$_qv
    q_value
    _qenv=$_qv
    q_value
    _qargv=$_qv
    q_value
    _qcmd=$_qv
    # a runner killed from outside while this shell waited gets no job started (q_runner_alive)
    q_runner_alive || exit 0
    # signals from here on are this job's
    _qk=
    kill -s USR1 $$
    echo start
    trap - TERM INT HUP
    # one that came before the line above ends the job as it would have, before it runs
    [ -z "$_qk" ] || exit "$_qk"
    if [ -n "$_qdir" ] && ! CDPATH='' cd -P -- "$_qdir" 2>/dev/null; then
      if [ ! -e "$_qdir" ]; then
        echo "nostart cwd no such file or directory"
      elif [ ! -d "$_qdir" ]; then
        echo "nostart cwd not a directory"
      else
        echo "nostart cwd permission denied"
      fi
      exit 125
    fi
    QUEUECTL_JOB_ID=$_qid
    QUEUECTL_JOB_ATTEMPT=$_qattempt
    export QUEUECTL_JOB_ID QUEUECTL_JOB_ATTEMPT
    [ -z "$_qenv" ] || eval "export $_qenv"
    command exec >>"$_qout" 2>&1 </dev/null || {
      echo "nostart output"
      exit 125
    }
    if [ -n "$_qargv" ]; then
      eval "set -- $_qargv"
      exec "$@"
    fi
    exec /bin/sh -c "$_qcmd"
  )
  _qstatus=$?
  # no job taken: the end of input, a bad line, or the shell was killed while it waited
  [ -n "$_qtook" ] || exit "$_qstatus"
  if [ -n "$_qcg" ] && [ -e "$_qcg/cgroup.events" ]; then
    q_cg_kill "$_qcg"
  elif [ "$_qstatus" -ne 0 ]; then
    q_kill_session $$ $$
  fi
  echo "exit $_qstatus"
done
