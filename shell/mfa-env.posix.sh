# mfa-env shell integration for POSIX sh (dash, Debian's /bin/sh). Load it from the file that
# $ENV names (interactive sh reads it; ~/.profile can set ENV=$HOME/.shrc):
#     eval "$(mfa-env init sh)"
#
# It defines a function that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Sourcing this file runs nothing: a
# missing binary cannot break start-up.
#
# POSIX sh takes no `-` in a function's name, so the function is _mfa_env and an alias names it
# mfa-env. Nor has it `local`: the function's own variables are removed before it returns.

_mfa_env() {
    # A Tab press: clap_complete's script asks the binary for candidates; pass it through.
    if [ -n "${_MFA_ENV_COMPLETE-}" ]; then
        command mfa-env "$@"
        return
    fi
    case "${1-}" in
        exec | status | list | init | completions | setup | doctor | agent | keys | help)
            command mfa-env "$@"
            return
            ;;
    esac
    for _mfa_env_arg in "$@"; do
        case "$_mfa_env_arg" in
            --) break ;;
            -h | --help | -V | --version | -f* | -s* | --format | --format=* | --shell | --shell=*)
                # Help, or output asked for in a format of its own: print it, evaluate nothing.
                unset _mfa_env_arg
                command mfa-env "$@"
                return
                ;;
        esac
    done
    unset _mfa_env_arg
    # `eval ""` succeeds, so the binary's status decides: on failure evaluate nothing and
    # return that status. _MFA_ENV_EVAL tells the binary which shell reads its output.
    _mfa_env_code="$(_MFA_ENV_EVAL=sh command mfa-env "$@")" || {
        set -- "$?"
        unset _mfa_env_code
        return "$1"
    }
    # The positional parameters are the function's own: the code leaves the shell's variables.
    set -- "$_mfa_env_code"
    unset _mfa_env_code
    eval "$1"
}
alias mfa-env=_mfa_env
