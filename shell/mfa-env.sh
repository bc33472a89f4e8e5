# mfa-env shell integration for bash and zsh (one script: both read it the same way).
# Load it from ~/.bashrc or ~/.zshrc:
#     eval "$(mfa-env init bash)"
#     eval "$(mfa-env init zsh)"
#
# It defines a function named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Sourcing this file runs nothing: a
# missing binary cannot break start-up.

function mfa-env {
    # A Tab press: clap_complete's script asks the binary for candidates; pass it through.
    if [[ -n "${_MFA_ENV_COMPLETE-}" ]]; then
        command mfa-env "$@"
        return
    fi
    # Inside `$(...)` or a pipe the function runs in a subshell, where what it exported would
    # die with it: `eval "$(mfa-env dev)"`, the form that works without this function, would
    # then ask for a code and export nothing. There, with its output captured, print the
    # statements for the outer eval instead.
    if [[ "${BASH_SUBSHELL-0}${ZSH_SUBSHELL-0}" != 00 && ! -t 1 ]]; then
        command mfa-env "$@"
        return
    fi
    case "${1-}" in
        exec | status | list | init | completions | setup | doctor | agent | keys | help)
            command mfa-env "$@"
            return
            ;;
    esac
    local __mfa_env_arg
    for __mfa_env_arg in "$@"; do
        case "$__mfa_env_arg" in
            --) break ;;
            -h | --help | -V | --version | -f* | -s* | --format | --format=* | --shell | --shell=*)
                # Help, or output asked for in a format of its own: print it, evaluate nothing.
                command mfa-env "$@"
                return
                ;;
        esac
    done
    # `eval ""` succeeds, so the binary's status decides: on failure evaluate nothing and
    # return that status. _MFA_ENV_EVAL tells the binary which shell reads its output.
    local __mfa_env_code
    __mfa_env_code="$(_MFA_ENV_EVAL="${ZSH_VERSION:+zsh}${BASH_VERSION:+bash}" command mfa-env "$@")" || return
    eval "$__mfa_env_code"
}
