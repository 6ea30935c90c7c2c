# queuectl completion for fish. Save it where fish finds it:
#   queuectl completion fish > ~/.config/fish/completions/queuectl.fish
# The candidates come from `queuectl __complete --describe WORDS...` (a candidate, a tab and its
# brief, one a line; a last line ":files" asks for file names).
function __queuectl_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l lines (queuectl __complete --describe $words[2..-1] 2>/dev/null)
    if test (count $lines) -gt 0; and test "$lines[-1]" = ":files"
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\n' $lines
end
complete -c queuectl -f -a '(__queuectl_complete)'
