# zsh -f zsh_complete.zsh SCRIPT OUT LINE: types LINE and a TAB into an interactive zsh (run on a
# pseudo-terminal by zpty) that has compinit and the completion script SCRIPT loaded; each
# candidate zsh's completion system is given is appended to OUT (one a line), then a line DONE.
# compadd is wrapped to record what it adds (its calls that only compute matches, -O -A -D, pass
# through), as zsh-capture-completion does. Exits 3 without zsh/zpty, 4 when DONE never came.
zmodload zsh/zpty || exit 3
script=$1 out=$2 line=$3
zpty -b t zsh -f -i
zpty -w t "PS1=''; PROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null; autoload -Uz compinit; compinit -u -D"
zpty -w t "source ${(q)script}"
# calls that only compute matches (-O, -A, -D) pass through; the others add candidates: record them
zpty -w t "compadd() { if [[ \${@[(I)-[OAD]]} -gt 0 ]]; then builtin compadd \"\$@\"; return; fi; local -a got; builtin compadd -O got \"\$@\"; print -rl -- \$got >> ${(q)out}; }"
zpty -w t "done-mark() { print -r -- DONE >> ${(q)out}; }; comppostfuncs=(done-mark)"
zpty -w t "bindkey '^I' complete-word"
zpty -w -n t "$line"$'\t'
for i in {1..1200}; do
  if [[ -f $out ]] && grep -q '^DONE$' $out; then
    zpty -d t
    exit 0
  fi
  sleep 0.1
done
zpty -d t
exit 4
