#compdef queuectl
# queuectl completion for zsh. Either save it as _queuectl in a directory of $fpath before
# compinit runs (queuectl completion zsh > ~/.zfunc/_queuectl), or load it after compinit in
# ~/.zshrc: source <(queuectl completion zsh)
# The candidates come from `queuectl __complete --describe WORDS...` (a candidate, a tab and its
# brief, one a line; a last line ":files" asks for file names).
_queuectl() {
  local -a lines described
  local line value
  lines=("${(@f)$(queuectl __complete --describe "${(@Q)words[2,CURRENT]}" 2>/dev/null)}")
  if [[ ${lines[-1]} == :files ]]; then
    _files
    return
  fi
  for line in "${lines[@]}"; do
    [[ -z $line ]] && continue
    value=${line%%$'\t'*}
    # _describe takes "value:description": a ':' of the value is escaped
    if [[ $line == *$'\t'* ]]; then
      described+=("${value//:/\\:}:${line#*$'\t'}")
    else
      described+=("${value//:/\\:}")
    fi
  done
  (( ${#described} )) && _describe -t queuectl 'queuectl' described
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _queuectl "$@"
else
  compdef _queuectl queuectl
fi
