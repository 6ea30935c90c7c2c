# queuectl completion for bash. Load it from ~/.bashrc with: source <(queuectl completion bash)
# The candidates come from `queuectl __complete WORDS...` (one a line; a last line ":files" asks
# for file names).
_queuectl() {
  # the words up to the cursor, split at blanks only: bash's COMP_WORDS would split an id such
  # as nightly@2026-01-01T00:00Z at ':' (and --flag=value at '=')
  local line=${COMP_LINE:0:COMP_POINT} cur
  local -a words out
  read -ra words <<<"$line"
  if [[ ${#words[@]} -le 1 || $line =~ [[:space:]]$ ]]; then words+=(""); fi
  cur=${words[${#words[@]}-1]}
  mapfile -t out < <(queuectl __complete "${words[@]:1}" 2>/dev/null)
  COMPREPLY=()
  if [[ ${#out[@]} -gt 0 && ${out[${#out[@]}-1]} == ":files" ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  # bash replaces only the part of the word after its last ':' or '=' (COMP_WORDBREAKS)
  local pre="" c
  if [[ $cur == *[:=]* ]]; then pre=${cur%"${cur##*[:=]}"}; fi
  for c in "${out[@]}"; do COMPREPLY+=("${c#"$pre"}"); done
  return 0
}
complete -F _queuectl queuectl
