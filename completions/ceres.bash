# bash completion for ceres.
#
# Commands and options are read from the program's own --help texts (and
# cached for the shell's life), so completion follows whatever the installed
# program accepts: a subcommand is an indented word of a help text that the
# program accepts as `ceres PATH WORD --help`; an option is any --long or
# -s option that a help text lists.

declare -gA _ceres_cache_subs _ceres_cache_opts

_ceres_help() { # $1: program, rest: command path
  local prog=$1
  shift
  "$prog" "$@" --help 2>/dev/null
}

_ceres_subs() { # $1: program, rest: path; prints the subcommands
  local prog=$1
  shift
  local key="k:$*"
  if [[ -z ${_ceres_cache_subs[$key]+set} ]]; then
    local w first words=""
    for w in $(_ceres_help "$prog" "$@" | sed -n -E 's/^  ([a-z][a-z0-9-]*)( .*)?$/\1/p'); do
      first=$(_ceres_help "$prog" "$@" "$w" | sed -n 1p)
      [[ $first == "usage: ceres${*:+ $*} $w"* ]] && words+="$w "
    done
    _ceres_cache_subs[$key]=$words
  fi
  printf '%s' "${_ceres_cache_subs[$key]}"
}

_ceres_opts() { # $1: program, rest: path; prints the options
  local prog=$1
  shift
  local key="k:$*"
  if [[ -z ${_ceres_cache_opts[$key]+set} ]]; then
    # Every command takes --help; the program itself --version, which the
    # help texts may not list.
    _ceres_cache_opts[$key]=$({
      _ceres_help "$prog" "$@" | grep -oE '(^|[[:space:],[])--?[A-Za-z0-9][A-Za-z0-9-]*' |
        sed -E 's/^[[:space:],[]//'
      echo --help
      (($# == 0)) && "$prog" --version >/dev/null 2>&1 && echo --version
    } | sort -u | tr '\n' ' ')
  fi
  printf '%s' "${_ceres_cache_opts[$key]}"
}

_ceres() {
  local cur=${COMP_WORDS[COMP_CWORD]} prog=${COMP_WORDS[0]}
  local -a path=()
  local i w subs
  # The command path: the words after the program that name subcommands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    [[ $w == -* ]] && break
    subs=" $(_ceres_subs "$prog" "${path[@]}") "
    [[ $subs == *" $w "* ]] || break
    path+=("$w")
  done
  if [[ $cur == -* ]]; then
    local opts
    opts=$(_ceres_opts "$prog" "${path[@]}")
    # --opt=VALUE: complete the value as a file name.
    if [[ $cur == --*=* ]]; then
      local pre=${cur%%=*}= val=${cur#*=}
      mapfile -t COMPREPLY < <(compgen -f -- "$val")
      COMPREPLY=("${COMPREPLY[@]/#/$pre}")
      return
    fi
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    return
  fi
  # Right after the path: subcommands if there are any, else files.
  if ((i == COMP_CWORD)); then
    subs=$(_ceres_subs "$prog" "${path[@]}")
    if [[ -n $subs ]]; then
      mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
      ((${#COMPREPLY[@]})) && return
    fi
  fi
  mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  compopt -o filenames 2>/dev/null
}

complete -F _ceres ceres
