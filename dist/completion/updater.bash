# SPDX-License-Identifier: Apache-2.0
# bash completion for updater, installed as /usr/share/bash-completion/completions/updater. The binary itself
# answers (System.CommandLine's [suggest] directive): commands, options and their values never drift from it.
_updater() {
  local IFS=$'\n'
  # shellcheck disable=SC2207
  COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
  [ ${#COMPREPLY[@]} -gt 0 ] || compopt -o default 2>/dev/null
}
complete -F _updater updater
