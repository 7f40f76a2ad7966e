# bash completion for avn, printed by `avn completion bash`.
#
# Each Tab asks `avn __complete` for the candidates: subcommands, options and their values, and
# the names of services, projects, plans, clouds and backups (from the API, cached for a minute).
# Works with and without the bash-completion package: source this file from ~/.bashrc, or let
# bash-completion load it from ~/.local/share/bash-completion/completions/avn.

_avn() {
    local cur=${COMP_WORDS[COMP_CWORD]} line
    local -a words=("${COMP_WORDS[@]}")
    # bash 4 and later pass the word up to the cursor as $2
    if [[ ${BASH_VERSINFO[0]} -ge 4 ]]; then
        cur=$2
        words[COMP_CWORD]=$2
    fi
    COMPREPLY=()
    while IFS= read -r line; do
        COMPREPLY+=("$line")
    done < <(command avn __complete bash "$COMP_CWORD" -- "${words[@]}" 2>/dev/null)
    if [[ ${COMPREPLY[0]-} == @@files ]]; then
        COMPREPLY=()
        compopt -o filenames 2>/dev/null
        while IFS= read -r line; do
            COMPREPLY+=("$line")
        done < <(compgen -f -- "$cur")
    fi
}

if [[ ${BASH_VERSINFO[0]} -gt 4 || ${BASH_VERSINFO[0]} -eq 4 && ${BASH_VERSINFO[1]} -ge 4 ]]; then
    complete -o nosort -F _avn avn
else
    complete -F _avn avn
fi
