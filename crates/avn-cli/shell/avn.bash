# bash completion for avn, printed by `avn completion bash`.
#
# Each Tab asks `avn __complete` for the candidates: subcommands, options and their values, and
# the names of services, projects, plans, clouds and backups (from the API, cached for a minute).
# Works with and without the bash-completion package: source this file from ~/.bashrc, or let
# bash-completion load it from ~/.local/share/bash-completion/completions/avn.

_avn() {
    local cur=${COMP_WORDS[COMP_CWORD]} line i
    local -a words=("${COMP_WORDS[@]}")
    local cword=$COMP_CWORD
    # bash 4 and later pass the word up to the cursor as $2
    if [[ ${BASH_VERSINFO[0]} -ge 4 ]]; then
        cur=$2
        words[cword]=$2
    fi
    # COMP_WORDBREAKS splits words at ':' (times such as 14:05:20): join the pieces of the word
    # under the cursor again for avn, and give bash back only the part after the last ':'.
    local typed=${COMP_LINE:0:COMP_POINT} keep=
    typed=${typed##*[[:space:]]}
    if [[ $typed == *:* && $typed != "$cur" ]]; then
        local joined=$cur start=$cword
        while (( start > 1 )) && [[ $joined != "$typed" && ${#joined} -lt ${#typed} ]]; do
            (( start-- ))
            joined=${words[start]}$joined
        done
        if [[ $joined == "$typed" ]]; then
            words=("${words[@]:0:start}" "$typed" "${words[@]:cword+1}")
            cword=$start
            keep=${typed%"${typed##*:}"}
        fi
    fi
    COMPREPLY=()
    while IFS= read -r line; do
        COMPREPLY+=("${line#"$keep"}")
    done < <(command avn __complete bash "$cword" -- "${words[@]}" 2>/dev/null)
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
