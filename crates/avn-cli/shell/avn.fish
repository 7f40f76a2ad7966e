# fish completion for avn, printed by `avn completion fish`.
#
# Each Tab asks `avn __complete` for the candidates: subcommands, options and their values, and
# the names of services, projects, plans, clouds and backups (from the API, cached for a minute).
# fish loads it from ~/.config/fish/completions/avn.fish.

function __avn_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l lines (command avn __complete fish (count $words) -- $words $current 2>/dev/null)
    if test "$lines[1]" = @@files
        __fish_complete_path $current
        return
    end
    printf '%s\n' $lines
end

complete -c avn -e
complete -c avn -f -a '(__avn_complete)'
